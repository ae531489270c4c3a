"""libvirt domain XML for a placement, for the QEMU driver of the libvirt version the user targets.

What libvirt checks, and where (tests/libvirt_rules.py encodes them with the same citations):
- at define time (src/conf/numa_conf.c, src/conf/domain_validate.c): a <memnode cellid> names a guest cell, a
  hugepage <page nodeset> names guest cells ("hugepages: node N not found"), no vCPU id beyond <vcpu>, remote
  <sibling> distances above 10; with cells the domain's memory is the sum of the cells;
- at start (src/util/virnuma.c virNumaSetupMemoryPolicy, from qemu_process.c qemuProcessHook): before
  libvirt 9.3 (no numa_set_preferred_many) <memory mode='preferred'> takes exactly one host node; QEMU rounds each
  cell up to 1 MiB (src/qemu/qemu_domain.c qemuDomainAlignMemorySizes), so whole-MiB cells keep the total.
A spanning domain (memory on several host nodes) gets one guest cell per node with a <memnode> each, so the
per-node split is exact; a domain on one node gets <memory mode nodeset> alone.
"""

from __future__ import annotations

from typing import List, Sequence, Tuple

from numaprobe.advise.guest import cell_distances, guest_cells, memory_nodes
from numaprobe.advise.types import Placement, PlacementInput
from numaprobe.readers.cpumask import format_cpulist

DEFAULT_VERSION = (9, 0)  # Debian 12's libvirt
PREFERRED_MANY_VERSION = (9, 3)  # virNumaSetupMemoryPolicy uses numa_set_preferred_many() from here on


def parse_version(text: str) -> Tuple[int, int]:
    """'9.0', '9.3.0', '10' -> (major, minor); ValueError otherwise."""
    parts = text.strip().split(".")
    if not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        raise ValueError(text)
    nums = [int(p) for p in parts] + [0]
    return nums[0], nums[1]


def _domain_policy(p: Placement, version: Tuple[int, int]) -> Tuple[str, str]:
    """(mode, nodeset) of <numatune><memory>. 'preferred' over several nodes becomes the node that holds the
    most memory before libvirt 9.3, which refuses more (the per-cell <memnode>s still name every node)."""
    mems = memory_nodes(p)
    if p.request.mode == "preferred" and len(mems) > 1 and version < PREFERRED_MANY_VERSION:
        by = dict(p.chosen.bytes_by_node)
        return "preferred", str(max(mems, key=lambda n: (by.get(n, 0), -n)))
    return p.request.mode, format_cpulist(mems)


def _cells_xml(p: Placement, inp: PlacementInput, pad: str) -> Tuple[List[str], List[str]]:
    cells = guest_cells(p, inp)
    if cells is None:
        return [], []
    dist = cell_distances(cells, inp)
    cpu = ["%s<cpu>" % pad, "%s  <numa>" % pad]
    memnodes = []
    for c, row in zip(cells, dist):
        cpus = (" cpus='%s'" % format_cpulist(c.vcpus)) if c.vcpus else ""
        cpu.append("%s    <cell id='%d'%s memory='%d' unit='KiB'>" % (pad, c.id, cpus, c.memory_bytes // 1024))
        cpu.append("%s      <distances>" % pad)
        cpu += ["%s        <sibling id='%d' value='%d'/>" % (pad, k, v) for k, v in enumerate(row)]
        cpu += ["%s      </distances>" % pad, "%s    </cell>" % pad]
        # one host node per cell: QEMU before 8.0 silently used only the first node of a 'preferred' list
        memnodes.append("%s  <memnode cellid='%d' mode='%s' nodeset='%d'/>" % (pad, c.id, p.request.mode,
                                                                           c.host_node))
    cpu += ["%s  </numa>" % pad, "%s</cpu>" % pad]
    return cpu, memnodes


def libvirt_fragment(p: Placement, inp: PlacementInput, version: Tuple[int, int] = DEFAULT_VERSION,
                     pad: str = "  ") -> str:
    """<vcpu cpuset>, <cputune> one pin per vCPU, guest cells for a spanning domain, <numatune>, and
    <memoryBacking> for huge pages (whose nodeset names guest cells, so it is given only with cells)."""
    req = p.request
    lines = ["%s<vcpu placement='static' cpuset='%s'>%d</vcpu>" % (pad, format_cpulist(p.cpus), req.vcpus),
             "%s<cputune>" % pad]
    lines += ["%s  <vcpupin vcpu='%d' cpuset='%d'/>" % (pad, v, cpu) for v, cpu in enumerate(p.pinning)]
    lines.append("%s</cputune>" % pad)
    cpu, memnodes = _cells_xml(p, inp, pad)
    lines += cpu
    mode, nodeset = _domain_policy(p, version)
    lines += ["%s<numatune>" % pad, "%s  <memory mode='%s' nodeset='%s'/>" % (pad, mode, nodeset)]
    lines += memnodes + ["%s</numatune>" % pad]
    if req.hugepage_bytes:
        cells = (" nodeset='%s'" % format_cpulist(range(len(memnodes)))) if memnodes else ""
        lines += ["%s<memoryBacking>" % pad, "%s  <hugepages>" % pad,
                  "%s    <page size='%d' unit='KiB'%s/>" % (pad, req.hugepage_bytes // 1024, cells),
                  "%s  </hugepages>" % pad, "%s</memoryBacking>" % pad]
    return "\n".join(lines)


def libvirt_domain(p: Placement, inp: PlacementInput, name: str = "numaprobe-advice",
                   version: Tuple[int, int] = DEFAULT_VERSION, body: Sequence[str] = ()) -> str:
    """A complete minimal domain around the fragment: what an admin pastes it into, and what tests define."""
    kib = p.request.memory_bytes // 1024
    safe = "".join(ch for ch in name if ch.isalnum() or ch in "-_.")
    return "\n".join(["<domain type='kvm'>", "  <name>%s</name>" % safe, "  <memory unit='KiB'>%d</memory>" % kib,
                      libvirt_fragment(p, inp, version), "  <os>", "    <type arch='x86_64'>hvm</type>", "  </os>",
                      *body, "</domain>", ""])
