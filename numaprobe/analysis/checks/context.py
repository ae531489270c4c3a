"""The facts every check needs, computed once per machine: Linux's PXM -> node map of the SRAT and the one the
kernel shows, which CPU each SRAT entry names, and whether the kernel used SRAT at all (numa=off, numa=fake, SRAT
discarded).

How Linux reads the tables (../shared/notes/acpi/linux-srat.md): node ids are dense and given in order of first
appearance, enabled CPU and generic-initiator entries first (table order), then enabled memory entries; disabled
entries are skipped; SLIT is used only when its diagonal is 10 and every other entry > 10, else every distance is
10 (local) / 20 (remote).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from numaprobe.analysis.checks.cpumatch import match_cpu_entries
from numaprobe.analysis.checks.rootcause import (FakeNuma, Rejection, detect_fake, detect_numa_off,
                                                 detect_rejection, fake_node_map)
from numaprobe.analysis.pxm import pxm_to_node
from numaprobe.model.machine import KernelView, Machine, MemoryMap
from numaprobe.model.topology import Topology
from numaprobe.ranges import Range


@dataclass(frozen=True)
class CheckContext:
    topo: Topology
    tables: object
    kernel: KernelView
    memory: MemoryMap
    srat_readable: bool
    predicted: Dict[int, int]  # Linux's rule applied to SRAT
    observed: Dict[int, int]  # the kernel's map (empty when it cannot be seen)
    observed_how: str
    pxm_node: Dict[int, int]  # the map the comparisons use
    cpu_pxm: Dict[int, int]  # online CPU -> PXM of its SRAT entry
    cpu_ids: Dict[int, str]  # online CPU -> the id it is matched by ("APIC id 0x3", "MPIDR 0x2", "hart 5")
    cpu_unmatched: Optional[str]  # why SRAT's CPU entries could not be matched to CPUs
    numa_off: Optional[str] = None
    rejection: Optional[Rejection] = None
    fake: Optional[FakeNuma] = None

    @property
    def srat(self):
        return self.tables.srat

    @property
    def slit(self):
        return self.tables.slit

    @property
    def hmat(self):
        return self.tables.hmat

    @property
    def domains(self) -> Tuple[int, ...]:
        return tuple(sorted(self.predicted))

    @property
    def kernel_used_srat(self) -> bool:
        return self.srat is not None and self.numa_off is None and self.rejection is None

    @property
    def node_pxm(self) -> Dict[int, int]:
        out: Dict[int, int] = {}
        for pxm, node in sorted(self.pxm_node.items()):
            out.setdefault(node, pxm)  # the lowest PXM wins, as in Linux's node_to_pxm_map
        return out

    def real_node(self, node: Optional[int]) -> Optional[int]:
        """The real (SRAT) node behind a kernel node: itself, or the node numa=fake emulated it on."""
        if node is None or self.fake is None:
            return node
        return self.fake.kernel_to_real.get(node)


def memory_ranges(srat) -> List[Tuple[Range, int, bool]]:
    """(range, PXM, hot-pluggable) of every enabled, non-empty SRAT memory entry."""
    return [((e.base_address, e.base_address + e.range_length), e.proximity_domain, e.hot_pluggable)
            for e in srat.memory if e.enabled and e.range_length > 0]


def placement_map(srat, topo: Topology, memory: MemoryMap, cpu_pxm: Dict[int, int]) -> Dict[int, int]:
    """The kernel's PXM -> node map seen from where SRAT's CPUs and memory ranges sit: each PXM's majority node."""
    votes: Dict[int, Counter] = {}
    cpu_node = {c.id: c.node for c in topo.online_cpus}
    for cpu, pxm in cpu_pxm.items():
        if cpu_node.get(cpu) is not None:
            votes.setdefault(pxm, Counter())[cpu_node[cpu]] += 1
    ranges = memory_ranges(srat)
    for b in memory.blocks:
        if not b.online or b.node is None:
            continue
        pxms = {pxm for (s, e), pxm, _ in ranges if s < b.end and e > b.start}
        if len(pxms) == 1:
            votes.setdefault(pxms.pop(), Counter())[b.node] += 1
    return {pxm: c.most_common(1)[0][0] for pxm, c in votes.items()}


def _srat_readable(tables) -> bool:
    return not any(n.code in ("acpi-table-unreadable", "acpi-table-undecodable") and n.message.startswith("SRAT")
                   for n in tables.notes)


def build_context(machine: Machine) -> CheckContext:
    topo, tables, kernel, memory = machine.topology, machine.tables, machine.kernel, machine.memory
    srat = tables.srat
    predicted = pxm_to_node(srat.entries) if srat is not None else {}
    domains = tuple(sorted(predicted))
    cpu_pxm, cpu_ids, unmatched = match_cpu_entries(srat, topo, kernel)
    no_node_dir = any(n.code == "no-numa-nodes" for n in topo.notes)
    numa_off = detect_numa_off(kernel, domains, no_node_dir) if srat is not None else None
    spec = detect_fake(kernel)
    rejection = detect_rejection(srat, domains, topo.node_ids, kernel, numa_off, spec)
    dmesg_map = kernel.dmesg.node_of_pxm() if kernel.dmesg is not None else {}
    observed: Dict[int, int] = {}
    how = ""
    if srat is not None and dmesg_map:
        observed, how = dmesg_map, "dmesg"
    elif srat is not None and spec is None:
        observed, how = placement_map(srat, topo, memory, cpu_pxm), "CPU and memory placement"
    used = srat is not None and numa_off is None and rejection is None
    pxm_node = {**predicted, **observed} if used else dict(predicted)
    fake = None
    if spec is not None and numa_off is None:
        fake_nodes = kernel.dmesg.fake_nodes if kernel.dmesg is not None else ()
        k2r, fake_how = fake_node_map(fake_nodes, memory_ranges(srat) if srat is not None else [], memory.blocks,
                                      pxm_node) if used else ({}, "")
        fake = FakeNuma(spec, k2r, fake_how)
    return CheckContext(topo=topo, tables=tables, kernel=kernel, memory=memory, srat_readable=_srat_readable(tables),
                        predicted=predicted, observed=observed, observed_how=how, pxm_node=pxm_node,
                        cpu_pxm=cpu_pxm, cpu_ids=cpu_ids, cpu_unmatched=unmatched, numa_off=numa_off,
                        rejection=rejection, fake=fake)
