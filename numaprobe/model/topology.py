"""The one topology model every command reads: frozen, built once per run (see model/build.py), never mutated."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple

from numaprobe.notes import Note

__all__ = ["Cpu", "Device", "HugePages", "Node", "Note", "Package", "Source", "Topology"]


@dataclass(frozen=True)
class Cpu:
    id: int
    online: bool
    node: Optional[int]
    package: Optional[int]  # machine-wide unique id (derived from sibling masks when the id files are unusable)
    core: Optional[int]  # machine-wide unique id
    thread_siblings: Tuple[int, ...]
    die: Optional[int] = None
    apic_id: Optional[int] = None  # x86 initial APIC id from /proc/cpuinfo, used to match SRAT entries
    max_khz: Optional[int] = None
    hart_id: Optional[int] = None  # RISC-V hart id from /proc/cpuinfo, used to match SRAT RINTC entries


@dataclass(frozen=True)
class HugePages:
    size_bytes: int
    total: int
    free: int


@dataclass(frozen=True)
class Node:
    id: int
    cpus: Tuple[int, ...]  # online CPUs, sorted
    all_cpus: Tuple[int, ...]  # every CPU the kernel lists for the node, offline ones included
    memory_total_bytes: Optional[int]
    memory_free_bytes: Optional[int]
    distances: Optional[Tuple[int, ...]]  # in the order of Topology.nodes; None when unknown
    has_cpu: bool
    has_memory: bool
    hugepages: Tuple[HugePages, ...] = ()
    memory_reclaimable_bytes: Optional[int] = None  # nodeN/meminfo Inactive(file) + SReclaimable
    high_watermark_bytes: Optional[int] = None  # sum of the node's zones' high watermarks (proc/zoneinfo)
    device_memory: Optional[str] = None  # why the node is a device's memory: gpu-memory-node, soft-reserved, ...


@dataclass(frozen=True)
class Package:
    id: int
    cpus: Tuple[int, ...]  # online CPUs
    nodes: Tuple[int, ...]  # nodes holding at least one of its online CPUs
    cores: int  # distinct cores with an online CPU


@dataclass(frozen=True)
class Device:
    address: str  # PCI address "0000:81:00.0"
    node: Optional[int]  # None when the kernel reports -1
    local_cpus: Tuple[int, ...]
    vendor: Optional[str] = None
    device: Optional[str] = None
    pci_class: Optional[str] = None


@dataclass(frozen=True)
class Source:
    kind: str  # live | directory | tarball
    path: str
    kernel: Optional[str] = None
    hostname: Optional[str] = None


@dataclass(frozen=True)
class Topology:
    source: Source
    nodes: Tuple[Node, ...]  # ordered by id
    cpus: Tuple[Cpu, ...]  # ordered by id, offline ones included
    packages: Tuple[Package, ...]
    devices: Tuple[Device, ...]
    notes: Tuple[Note, ...]
    allowed_cpus: Optional[Tuple[int, ...]] = None  # Cpus_allowed_list of the probing process (or the capture's)
    allowed_mems: Optional[Tuple[int, ...]] = None  # Mems_allowed_list
    memory_total_bytes: Optional[int] = None  # /proc/meminfo MemTotal
    memory_free_bytes: Optional[int] = None  # /proc/meminfo MemFree
    _node_index: Dict[int, int] = field(default_factory=dict, compare=False, repr=False)
    _cpu_index: Dict[int, int] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_node_index", {n.id: i for i, n in enumerate(self.nodes)})
        object.__setattr__(self, "_cpu_index", {c.id: i for i, c in enumerate(self.cpus)})

    @property
    def node_ids(self) -> Tuple[int, ...]:
        return tuple(n.id for n in self.nodes)

    def node(self, node_id: int) -> Node:
        return self.nodes[self._node_index[node_id]]

    def distance(self, a: int, b: int) -> Optional[int]:
        """SLIT-style distance from node a to node b (10 = local), None when unknown."""
        row = self.node(a).distances
        if row is None:
            return None
        return row[self._node_index[b]]

    @property
    def online_cpus(self) -> Tuple[Cpu, ...]:
        return tuple(c for c in self.cpus if c.online)

    def cpu(self, cpu_id: int) -> Cpu:
        return self.cpus[self._cpu_index[cpu_id]]
