"""The placement decision's data: what it sees (PlacementInput), what is asked (PlacementRequest), a scored node
set (Candidate) and the answer (Placement). All frozen: the search is a pure function of them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

from numaprobe.notes import Note

MODES = ("strict", "preferred", "interleave")



@dataclass(frozen=True)
class PlacementInput:
    """What the decision sees, one entry per node in `node_ids` order."""

    node_ids: Tuple[int, ...]
    cpus: Tuple[Tuple[int, ...], ...]  # online CPUs of each node
    free_bytes: Tuple[int, ...]  # free memory in base pages
    distance: Tuple[Tuple[float, ...], ...]  # access cost, 10 = local: SLIT, or HMAT latency scaled to it
    busy: Tuple[float, ...]  # CPUs' worth of work already on each node (committed CPUs, sampled load, vCPUs)
    package: Tuple[Optional[int], ...]  # the package of the node's CPUs; None for a CPU-less node
    free_hugepages: Tuple[Tuple[int, Tuple[int, ...]], ...] = ()  # (page size, free pages per node)
    committed_cpus: Tuple[int, ...] = ()  # CPUs already confined to by other processes or guests
    cost_source: str = "SLIT"
    thread_rank: Tuple[Tuple[int, int], ...] = ()  # (cpu, its position among its core's SMT siblings)
    capacity: Tuple = ()  # advise.capacity.NodeCapacity per node: MemFree, reclaimable, headroom, usable
    excluded: Tuple[Tuple[int, str], ...] = ()  # (node id, why the search may not use it)
    slow_tier: Tuple[int, ...] = ()  # CPU-less host-memory nodes (CXL-like): used only when the CPU nodes are short
    headroom_source: str = ""
    limits_source: str = "whole machine"

    def index(self, node_id: int) -> int:
        return self.node_ids.index(node_id)


@dataclass(frozen=True)
class PlacementRequest:
    vcpus: int
    memory_bytes: int
    hugepage_bytes: Optional[int] = None  # None = base pages
    mode: str = "strict"
    device_node: Optional[int] = None  # node id of the device the domain uses
    device: Optional[str] = None  # its PCI address, for messages


@dataclass(frozen=True)
class Candidate:
    nodes: Tuple[int, ...]
    cpu_nodes: Tuple[int, ...]  # the nodes whose CPUs run the vCPUs (the others hold memory only)
    vcpus_by_node: Tuple[Tuple[int, int], ...]  # (CPU node id, vCPUs pinned there), cpu_nodes order
    bytes_by_node: Tuple[Tuple[int, int], ...]  # (node id, bytes), nodes of the set in id order
    distance_weighted: float
    device_distance: float
    overcommit: float  # vCPUs beyond the free pCPUs of the set's CPU nodes
    load_level: int  # vCPUs (with the work already there) per pCPU of the set's CPU nodes, rounded up
    hole_damage: float  # sum over used nodes of free^2 - (free-used)^2, / total free^2
    reason: str = ""  # for a runner-up: why it lost to the chosen one

    @property
    def key(self) -> Tuple:
        return (len(self.nodes), round(self.distance_weighted, 9), round(self.device_distance, 9),
                self.load_level, round(self.hole_damage, 12), self.nodes)


@dataclass(frozen=True)
class Placement:
    request: PlacementRequest
    feasible: bool
    chosen: Optional[Candidate]  # the answer; for an infeasible request, the best partial option
    cpus: Tuple[int, ...]  # the cpuset: CPUs of the chosen nodes
    pinning: Tuple[int, ...]  # one pCPU per vCPU, least committed first
    candidates: Tuple[Candidate, ...]  # runners-up, best first
    notes: Tuple[Note, ...]  # code + message, as everywhere in numaprobe
    missing: Tuple[str, ...] = ()  # for an infeasible request: what is short
    exact: bool = True  # the search was exhaustive (equal to brute force)
    evaluated: int = 0
