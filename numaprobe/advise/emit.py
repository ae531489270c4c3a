"""Ready-to-paste configuration for a placement: numactl, libvirt domain XML pieces, xl config, systemd unit.

Each emitter is a pure function of a feasible Placement (and, for distances, its PlacementInput). Memory nodes
are the chosen nodes that receive bytes; CPU nodes are those with CPUs. Mode mapping:
  strict     numactl --membind   libvirt mode='strict'      xl cpus= (hard)      systemd NUMAPolicy=bind
  preferred  --preferred(-many)  mode='preferred'           cpus_soft= only      NUMAPolicy=preferred
  interleave --interleave        mode='interleave'          cpus= + all nodes    NUMAPolicy=interleave
"""

from __future__ import annotations

from typing import Dict, List, Tuple

from numaprobe.advise.search import Placement, PlacementInput
from numaprobe.readers.cpumask import format_cpulist

MIB = 1 << 20


def memory_nodes(p: Placement) -> Tuple[int, ...]:
    return tuple(n for n, b in p.chosen.bytes_by_node if b > 0) or p.chosen.nodes


def _nodeset(nodes) -> str:
    return format_cpulist(nodes)


def numactl_command(p: Placement, command: str = "COMMAND") -> str:
    mems = memory_nodes(p)
    mode = p.request.mode
    if mode == "interleave":
        policy = "--interleave=%s" % _nodeset(mems)
    elif mode == "preferred":
        # numactl >= 2.0.15 and Linux >= 5.15 (MPOL_PREFERRED_MANY) for more than one node.
        policy = ("--preferred=%d" % mems[0]) if len(mems) == 1 else "--preferred-many=%s" % _nodeset(mems)
    else:
        policy = "--membind=%s" % _nodeset(mems)
    return "numactl --physcpubind=%s %s -- %s" % (format_cpulist(p.cpus), policy, command)


def libvirt_fragment(p: Placement, indent: str = "  ") -> str:
    """<vcpu cpuset>, <cputune> one pin per vCPU, <numatune>, and <memoryBacking> for huge pages."""
    req = p.request
    lines = ["%s<vcpu placement='static' cpuset='%s'>%d</vcpu>" % (indent, format_cpulist(p.cpus), req.vcpus),
             "%s<cputune>" % indent]
    for v, cpu in enumerate(p.pinning):
        lines.append("%s%s<vcpupin vcpu='%d' cpuset='%d'/>" % (indent, indent, v, cpu))
    lines.append("%s</cputune>" % indent)
    lines += ["%s<numatune>" % indent,
              "%s%s<memory mode='%s' nodeset='%s'/>" % (indent, indent, req.mode, _nodeset(memory_nodes(p))),
              "%s</numatune>" % indent]
    if req.hugepage_bytes:
        lines += ["%s<memoryBacking>" % indent, "%s%s<hugepages>" % (indent, indent),
                  "%s%s%s<page size='%d' unit='KiB' nodeset='%s'/>" % (indent, indent, indent,
                                                                    req.hugepage_bytes // 1024,
                                                                    _nodeset(memory_nodes(p))),
                  "%s%s</hugepages>" % (indent, indent), "%s</memoryBacking>" % indent]
    return "\n".join(lines)


def libvirt_domain(p: Placement, name: str = "numaprobe-advice") -> str:
    """A complete minimal domain document around the fragment (what the tests hand to virt-xml-validate)."""
    kib = -(-p.request.memory_bytes // 1024)
    return "\n".join(["<domain type='kvm'>", "  <name>%s</name>" % name.replace("<", "").replace("&", ""),
                      "  <memory unit='KiB'>%d</memory>" % kib, libvirt_fragment(p),
                      "  <os>", "    <type arch='x86_64'>hvm</type>", "  </os>", "</domain>", ""])


def _vnuma(p: Placement, inp: PlacementInput) -> List[str]:
    """xl vnuma: one vnode per memory node, vCPUs of the CPU-bearing ones. Xen gives every vnode at least one
    vCPU, so a set with a CPU-less memory node is not expressible and gets no vnuma."""
    split = [(n, b) for n, b in p.chosen.bytes_by_node if b > 0]
    by_node: Dict[int, List[int]] = {}
    cpu_node = {c: n for n, cs in zip(inp.node_ids, inp.cpus) for c in cs}
    for v, cpu in enumerate(p.pinning):
        by_node.setdefault(cpu_node[cpu], []).append(v)
    if len(split) < 2 or any(n not in by_node for n, _ in split) or set(by_node) - {n for n, _ in split}:
        return []
    rows = []
    for n, b in split:
        i = inp.index(n)
        vd = ",".join(str(int(inp.distance[i][inp.index(m)])) for m, _ in split)
        rows.append('    [ "pnode=%d", "size=%d", "vcpus=%s", "vdistances=%s" ]'
                    % (n, -(-b // MIB), format_cpulist(by_node[n]), vd))
    return ["vnuma = ["] + [r + ("," if k < len(rows) - 1 else "") for k, r in enumerate(rows)] + ["]"]


def xl_fragment(p: Placement, inp: PlacementInput) -> str:
    req = p.request
    nodes = ",".join(str(n) for n in p.chosen.cpu_nodes)
    lines = ["vcpus = %d" % req.vcpus, "memory = %d" % -(-req.memory_bytes // MIB)]
    if req.mode == "preferred":
        lines.append('cpus_soft = "node:%s"' % nodes)
    else:
        lines.append('cpus = "%s"' % format_cpulist(p.cpus))
        lines.append('cpus_soft = "node:%s"' % nodes)
    vnuma = _vnuma(p, inp) if req.mode != "interleave" else []
    if vnuma:
        lines += vnuma
    elif len(memory_nodes(p)) > 1 and req.mode == "interleave":
        lines.append("# no vnuma: Xen interleaves extents over the nodes of the affinity")
    elif len(memory_nodes(p)) > 1:
        lines.append("# memory on nodes %s, vCPUs on %s: no vnuma (every Xen vnode needs vCPUs); Xen fills the "
                     "affinity, then the other nodes in id order" % (_nodeset(memory_nodes(p)), nodes))
    return "\n".join(lines)


def systemd_properties(p: Placement) -> str:
    policy = {"strict": "bind", "preferred": "preferred", "interleave": "interleave"}[p.request.mode]
    mems = memory_nodes(p)
    if policy == "preferred" and len(mems) > 1:
        mems = mems[:1]  # NUMAPolicy=preferred takes a single node (systemd 252)
    return "\n".join(["CPUAffinity=%s" % format_cpulist(p.cpus), "NUMAPolicy=%s" % policy,
                      "NUMAMask=%s" % _nodeset(mems)])


def systemd_unit(p: Placement, exec_start: str = "/bin/true") -> str:
    return "\n".join(["[Unit]", "Description=numaprobe placement advice", "", "[Service]",
                      "ExecStart=%s" % exec_start, systemd_properties(p), ""])


def all_configs(p: Placement, inp: PlacementInput) -> Dict[str, str]:
    return {"numactl": numactl_command(p), "libvirt": libvirt_fragment(p), "xl": xl_fragment(p, inp),
            "systemd": systemd_properties(p)}

