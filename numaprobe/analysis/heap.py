"""What `numastat` shows: the free heap per node/zone/order, node totals, huge pages and the kernel's counters,
and where processes' memory lives relative to the CPUs they may run on.

The free heap is buddyinfo's, unchanged (it is the kernel's own free lists); zoneinfo only adds the zones
buddyinfo lacks (it lists every zone, empty ones too, and the page counts).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from numaprobe.distance import LOCAL_DISTANCE, REMOTE_DISTANCE
from numaprobe.model.machine import Machine
from numaprobe.model.topology import HugePages
from numaprobe.notes import Note

PAGE_SIZE = 4096  # buddyinfo's order 0; every Linux architecture numaprobe reads captures of uses 4 KiB pages


@dataclass(frozen=True)
class ZoneHeap:
    name: str
    free_blocks: Tuple[int, ...]  # indexed by order
    page_size: int = PAGE_SIZE

    @property
    def free_bytes(self) -> int:
        return sum(n << o for o, n in enumerate(self.free_blocks)) * self.page_size


@dataclass(frozen=True)
class NodeHeap:
    id: int
    memory_total_bytes: Optional[int]
    memory_free_bytes: Optional[int]
    zones: Tuple[ZoneHeap, ...]
    hugepages: Tuple[HugePages, ...]
    counters: Tuple[Tuple[str, int], ...]  # the kernel's numastat lines, in file order


@dataclass(frozen=True)
class HeapReport:
    nodes: Tuple[NodeHeap, ...]
    page_size: int
    notes: Tuple[Note, ...]


def heap_report(machine: Machine) -> HeapReport:
    notes: List[Note] = []
    heap = machine.heap
    if not heap.buddyinfo:
        notes.append(Note("buddyinfo-unreadable", "proc/buddyinfo is missing or empty: no free heap per order"))
    memory = {m.node: m for m in heap.node_memory}
    counters = {c.node: c.values for c in heap.counters}
    nodes = []
    for n in sorted(set(memory) | {b.node for b in heap.buddyinfo}):
        mem = memory.get(n)
        zones = tuple(ZoneHeap(b.zone, b.free_blocks) for b in heap.buddyinfo if b.node == n)
        nodes.append(NodeHeap(n, mem.total_bytes if mem else None, mem.free_bytes if mem else None, zones,
                              mem.hugepages if mem else (), counters.get(n, ())))
    return HeapReport(tuple(nodes), PAGE_SIZE, tuple(notes))


@dataclass(frozen=True)
class ProcessPlacement:
    pid: int
    name: str
    cmdline: Tuple[str, ...]
    bytes_by_node: Tuple[Tuple[int, int], ...]  # (node, bytes), nodes holding pages
    categories_by_node: Tuple[Tuple[int, Tuple[Tuple[str, int], ...]], ...]  # node -> (huge, heap, ...) bytes
    cpus_allowed: Optional[Tuple[int, ...]]
    last_cpus: Tuple[int, ...]
    cpu_nodes: Tuple[int, ...]  # nodes of cpus_allowed
    local_fraction: Optional[float]  # share of the memory on cpu_nodes; None without memory or CPUs
    distance_weighted: Optional[float]  # mean over last_cpus (else allowed) of sum(share * distance / 10)
    readable: bool  # False when numa_maps could not be read


def _node_of_cpu(topology) -> Dict[int, int]:
    return {c.id: c.node for c in topology.cpus if c.node is not None}


def process_placement(machine: Machine, pid: int) -> Optional[ProcessPlacement]:
    """None when the process does not exist (any more)."""
    from numaprobe.readers.numa_maps import CATEGORIES

    info = machine.process(pid)
    if info is None:
        return None
    topology = machine.topology
    maps = info.numa_maps
    node_of = _node_of_cpu(topology)
    cpu_nodes = tuple(sorted({node_of[c] for c in (info.cpus_allowed or ()) if c in node_of}))
    by_node = maps.bytes_by_node if maps is not None else {}
    cats = tuple((u.node, tuple((k, getattr(u, k)) for k in CATEGORIES)) for u in (maps.nodes if maps else ()))
    total = sum(by_node.values())
    local = weighted = None
    last_cpus = info.last_cpus or ()
    if total and cpu_nodes:
        local = sum(b for n, b in by_node.items() if n in cpu_nodes) / total
        seen = [node_of[c] for c in last_cpus if c in node_of] or list(cpu_nodes)
        acc = 0.0
        for home in seen:
            for n, b in by_node.items():
                d = _distance(topology, home, n)
                # an unknown distance counts as the kernel default for remote memory (20)
                acc += b / total * ((d if d else REMOTE_DISTANCE) / LOCAL_DISTANCE)
        weighted = acc / len(seen)
    return ProcessPlacement(pid=pid, name=info.name, cmdline=info.cmdline, bytes_by_node=tuple(sorted(by_node.items())),
                            categories_by_node=cats, cpus_allowed=info.cpus_allowed, last_cpus=last_cpus,
                            cpu_nodes=cpu_nodes, local_fraction=local, distance_weighted=weighted,
                            readable=maps is not None)


def _distance(topology, a: int, b: int) -> Optional[int]:
    try:
        d = topology.distance(a, b)
    except KeyError:
        d = None
    if d is None:
        return LOCAL_DISTANCE if a == b else REMOTE_DISTANCE
    return d


def process_placements(machine: Machine, pids: Sequence[int]) -> Tuple[ProcessPlacement, ...]:
    out = []
    for pid in pids:
        p = process_placement(machine, pid)
        if p is not None:
            out.append(p)
    return tuple(out)
