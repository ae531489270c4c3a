"""Ready-to-paste configuration for a placement: numactl, xl config, systemd unit (libvirt: advise/libvirt.py).

Each emitter is a pure function of a feasible Placement (and, for distances and cells, its PlacementInput).
Memory nodes are the chosen nodes that receive bytes. Mode mapping:
  strict     numactl --membind   libvirt mode='strict'      xl cpus= (hard)      systemd NUMAPolicy=bind
  preferred  --preferred(-many)  mode='preferred'           cpus_soft= only      NUMAPolicy=preferred
  interleave --interleave        mode='interleave'          cpus= (hard)         NUMAPolicy=interleave
A spanning domain (memory on several nodes) gets guest NUMA cells where the format has them (libvirt cells,
xl vnuma); numactl and systemd place a process, not a guest, and say so in a comment line.
"""

from __future__ import annotations

from typing import Dict, List, Tuple

from numaprobe.advise import libvirt
from numaprobe.advise.guest import cell_distances, guest_cells, memory_nodes
from numaprobe.advise.types import Placement, PlacementInput
from numaprobe.readers.cpumask import format_cpulist

MIB = 1 << 20
NO_GUEST_TOPOLOGY = ("# %s cannot express a guest NUMA topology: the memory spans nodes %s; use the libvirt or "
                     "xl output for a VM")


def _nodeset(nodes) -> str:
    return format_cpulist(nodes)


def _spanning_comment(p: Placement, tool: str) -> List[str]:
    mems = memory_nodes(p)
    return [NO_GUEST_TOPOLOGY % (tool, _nodeset(mems))] if len(mems) > 1 else []


def numactl_command(p: Placement, command: str = "COMMAND") -> str:
    """The command line (first line), then, for a spanning domain, a comment that numactl has no guest cells."""
    mems = memory_nodes(p)
    mode = p.request.mode
    if mode == "interleave":
        policy = "--interleave=%s" % _nodeset(mems)
    elif mode == "preferred":
        # numactl >= 2.0.15 and Linux >= 5.15 (MPOL_PREFERRED_MANY) for more than one node.
        policy = ("--preferred=%d" % mems[0]) if len(mems) == 1 else "--preferred-many=%s" % _nodeset(mems)
    else:
        policy = "--membind=%s" % _nodeset(mems)
    line = "numactl --physcpubind=%s %s -- %s" % (format_cpulist(p.cpus), policy, command)
    return "\n".join([line] + _spanning_comment(p, "numactl"))


def _vnuma(p: Placement, inp: PlacementInput) -> List[str]:
    """xl vnuma (tools/xl/xl_parse.c parse_vnuma_config): one vnode per memory node, sizes in MiB adding up to
    memory= (xl sets maxmem to their sum, and maxmem above memory means PoD, which libxl refuses with vNUMA),
    every vCPU in exactly one vnode (libxl_vnuma.c libxl__vnuma_config_check), a square vdistances matrix."""
    cells = guest_cells(p, inp)
    if cells is None:
        return []
    dist = cell_distances(cells, inp)
    rows = []
    for c, row in zip(cells, dist):
        fields = ['"pnode=%d"' % c.host_node, '"size=%d"' % (c.memory_bytes // MIB)]
        if c.vcpus:
            fields.append('"vcpus=%s"' % format_cpulist(c.vcpus))
        fields.append('"vdistances=%s"' % ",".join(str(d) for d in row))
        rows.append("    [ %s ]" % ", ".join(fields))
    return ["vnuma = ["] + [r + ("," if k < len(rows) - 1 else "") for k, r in enumerate(rows)] + ["]"]


def _per_vcpu(values) -> str:
    return "[%s]" % ", ".join('"%s"' % v for v in values)


def xl_fragment(p: Placement, inp: PlacementInput) -> str:
    req = p.request
    nodes = ",".join(str(n) for n in p.chosen.cpu_nodes)
    lines = ["vcpus = %d" % req.vcpus, "memory = %d" % (req.memory_bytes // MIB)]
    vnuma = _vnuma(p, inp)
    if vnuma:
        # per-vCPU affinity, so that each vCPU's affinity is the node of its vnode (libxl_vnuma.c
        # check_vnuma_affinity warns otherwise)
        node_of_cpu = {c: n for n, cs in zip(inp.node_ids, inp.cpus) for c in cs}
        soft = _per_vcpu("node:%d" % node_of_cpu[c] for c in p.pinning)
        if req.mode != "preferred":
            lines.append("cpus = %s" % _per_vcpu(p.pinning))
        lines.append("cpus_soft = %s" % soft)
        return "\n".join(lines + vnuma)
    if req.mode != "preferred":
        lines.append('cpus = "%s"' % format_cpulist(p.cpus))
    lines.append('cpus_soft = "node:%s"' % nodes)
    return "\n".join(lines)


def systemd_properties(p: Placement) -> str:
    policy = {"strict": "bind", "preferred": "preferred", "interleave": "interleave"}[p.request.mode]
    mems = memory_nodes(p)
    if policy == "preferred" and len(mems) > 1:
        mems = mems[:1]  # NUMAPolicy=preferred takes a single node (systemd 252)
    return "\n".join(["CPUAffinity=%s" % format_cpulist(p.cpus), "NUMAPolicy=%s" % policy,
                      "NUMAMask=%s" % _nodeset(mems)] + _spanning_comment(p, "systemd"))


def systemd_unit(p: Placement, exec_start: str = "/bin/true") -> str:
    return "\n".join(["[Unit]", "Description=numaprobe placement advice", "", "[Service]",
                      "ExecStart=%s" % exec_start, systemd_properties(p), ""])


def all_configs(p: Placement, inp: PlacementInput,
                libvirt_version: Tuple[int, int] = libvirt.DEFAULT_VERSION) -> Dict[str, str]:
    return {"numactl": numactl_command(p), "libvirt": libvirt.libvirt_fragment(p, inp, libvirt_version),
            "xl": xl_fragment(p, inp), "systemd": systemd_properties(p)}
