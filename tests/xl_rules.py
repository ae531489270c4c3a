"""Xen 4.17's rules for an xl config with vnuma, encoded from its source (xl cannot run without a hypervisor).
Sources, at tag RELEASE-4.17.0 of xen-project/xen:
  X1 tools/xl/xl_parse.c parse_vnuma_config: max_memkb becomes the sum of the vnode "size=" (MiB); maxmem=, when
     given, must equal it ("maxmem and vnuma memory size mismatch"); tools/libs/light/libxl_create.c
     libxl__domain_config_setdefault: PoD is on when target (memory=) < max, and "Cannot enable PoD and vNUMA at
     the same time". So the sizes add up exactly to memory=.
  X2 xl_parse.c parse_config_data: max_vcpus is the number of vCPUs the vnodes list; "max_vcpus < vcpus" is an
     error; tools/libs/light/libxl_vnuma.c libxl__vnuma_config_check: "Vcpu %d assigned more than once",
     "Vcpu %d is not assigned to any vnode". So vCPUs 0..vcpus-1 are split over the vnodes once each.
  X3 xl_parse.c parse_vnuma_config: "vnuma specifies more vcpus than pcpus" (without maxvcpus=); "invalid pnode".
  X4 libxl_vnuma.c libxl__vnuma_config_check: "Distance from %u to %u smaller than %u's local distance"; the
     vdistances of each vnode are indexed by vnode, so the matrix is square, with the local (smallest) distance
     on the diagonal.
  X5 libxl_vnuma.c check_vnuma_affinity: a vCPU's hard and soft affinity should be the pnode of its vnode
     (a warning in libxl; advise's output must not trigger it).
"""

from __future__ import annotations

import ast
from typing import Dict, Iterable, List, Optional


def parse_xl(text: str) -> Dict[str, object]:
    """xl's config syntax as advise prints it: `key = value`, value an integer, a "string" or a list of those
    (lists may span lines); '#' starts a comment."""
    out: Dict[str, object] = {}
    pending = ""
    for line in text.splitlines():
        line = line.split("#", 1)[0].rstrip() if '"' not in line.split("#", 1)[0] or line.count('"') % 2 == 0 \
            else line
        if not line.strip() and not pending:
            continue
        pending += line + "\n"
        key, _, value = pending.partition("=")
        try:
            out[key.strip()] = ast.literal_eval(value.strip())
        except (SyntaxError, ValueError):
            continue
        pending = ""
    assert not pending.strip(), "unparsable xl config: %r" % pending
    return out


def _ids(text: str) -> List[int]:
    out: List[int] = []
    for part in text.split(","):
        a, _, b = part.strip().partition("-")
        out += list(range(int(a), int(b or a) + 1))
    return out


def _node_of(aff: str, cpu_node: Dict[int, int]) -> Optional[int]:
    if aff.startswith("node:"):
        nodes = set(_ids(aff[5:]))
    else:
        nodes = {cpu_node[c] for c in _ids(aff)}
    return nodes.pop() if len(nodes) == 1 else None


def vnuma_rules(cfg: Dict[str, object], host_nodes: Iterable[int], host_cpus: int,
                cpu_node: Dict[int, int]) -> List[str]:
    """[] when Xen 4.17 would build the domain with this vnuma; else what breaks, by rule."""
    broken: List[str] = []
    vnuma = cfg.get("vnuma")
    memory, vcpus = cfg["memory"], cfg["vcpus"]
    if "maxmem" in cfg and cfg["maxmem"] != memory:
        broken.append("X1: maxmem %s != memory %s (PoD)" % (cfg["maxmem"], memory))
    if not vnuma:
        return broken
    nodes = []
    for vnode in vnuma:
        nodes.append(dict(item.split("=", 1) for item in vnode))
    total = sum(int(v["size"]) for v in nodes)
    if total != memory:
        broken.append("X1 parse_vnuma_config: vnode sizes add up to %d MiB, memory = %d" % (total, memory))
    listed = [c for v in nodes for c in _ids(v["vcpus"])] if all("vcpus" in v for v in nodes) else \
        [c for v in nodes if "vcpus" in v for c in _ids(v["vcpus"])]
    if sorted(listed) != list(range(vcpus)):
        broken.append("X2 libxl__vnuma_config_check: vCPUs listed %s, want each of 0-%d once" % (listed, vcpus - 1))
    if len(listed) > host_cpus:
        broken.append("X3: vnuma specifies more vcpus than pcpus")
    valid = set(host_nodes)
    for k, v in enumerate(nodes):
        if int(v["pnode"]) not in valid:
            broken.append("X3: invalid pnode %s" % v["pnode"])
        row = [int(d) for d in v["vdistances"].split(",")]
        if len(row) != len(nodes):
            broken.append("X4: vnode %d has %d vdistances for %d vnodes" % (k, len(row), len(nodes)))
            continue
        if any(row[k] > d for j, d in enumerate(row) if j != k):
            broken.append("X4: distance from vnode %d smaller than its local distance" % k)
    vnode_of = {c: int(v["pnode"]) for v in nodes if "vcpus" in v for c in _ids(v["vcpus"])}
    pnodes = set(vnode_of.values())
    for key in ("cpus", "cpus_soft"):
        aff = cfg.get(key)
        if aff is None:
            continue
        per = aff if isinstance(aff, list) else [aff] * vcpus
        for c, a in enumerate(per):
            # a vCPU pinned on a node that holds none of the memory sits in its nearest vnode by design
            node = _node_of(a, cpu_node)
            if c in vnode_of and node in pnodes and node != vnode_of[c]:
                broken.append("X5 check_vnuma_affinity: vCPU %d %s %r is not pnode %d" % (c, key, a, vnode_of[c]))
    return broken
