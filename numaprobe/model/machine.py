"""The Machine: one frozen record of everything numaprobe knows about one machine, built once from a Root
(model/gather.py), serialisable to a versioned JSON snapshot and back (model/snapshot.py).

Every analysis, simulation, advice and renderer is a function of a Machine and never sees the Root: the layering
test (tests/test_layering.py) keeps numaprobe.source out of everything above model/.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, Optional, Tuple

from numaprobe.acpi import TableRead
from numaprobe.model.topology import HugePages, Topology
from numaprobe.notes import Note
from numaprobe.ranges import Range

if TYPE_CHECKING:  # pragma: no cover
    from numaprobe.acpi import NumaTables
    from numaprobe.readers.buddyinfo import BuddyZone
    from numaprobe.readers.dmesg import DmesgNuma
    from numaprobe.readers.node_access import NodeAccess
    from numaprobe.readers.numa_maps import NumaMaps
    from numaprobe.readers.numastat import NodeCounters
    from numaprobe.readers.zoneinfo import ZoneInfo

# Where the RAM ranges came from, first usable wins: the firmware map (sys/firmware/memmap, plus RAM hot-added
# since boot, which only /proc/iomem shows), /proc/iomem (root only: without root every address reads 0), the
# online memory blocks (which span firmware holes).
RAM_SOURCES = ("memmap", "iomem", "memory-blocks", "none")
RAM_SOURCE_LABELS = {"memmap": "firmware memmap", "iomem": "/proc/iomem", "memory-blocks": "memory blocks",
                     "none": "nothing"}


@dataclass(frozen=True)
class MemBlock:
    start: int
    end: int  # exclusive
    node: Optional[int]
    online: bool


@dataclass(frozen=True)
class MemoryMap:
    """System RAM by physical address, from one source chain, and the kernel's memory blocks."""

    ram: Tuple[Range, ...]  # merged, sorted
    ram_source: str  # one of RAM_SOURCES
    blocks: Tuple[MemBlock, ...]  # by block index
    block_size: Optional[int]

    @property
    def ram_source_label(self) -> str:
        return RAM_SOURCE_LABELS[self.ram_source]

    def online_blocks(self) -> Tuple[MemBlock, ...]:
        return tuple(b for b in self.blocks if b.online)


@dataclass(frozen=True)
class KernelView:
    """What the kernel said beyond sysfs's topology: its command line, its log, its reading of HMAT."""

    acpi_present: bool  # sys/firmware/acpi/tables exists (False: device-tree machine, no ACPI, or not captured)
    cmdline: str
    dmesg: Optional["DmesgNuma"] = None  # a capture's dmesg.txt; never read on a live host
    access: Tuple["NodeAccess", ...] = ()

    @property
    def fake_numa_cmdline(self) -> bool:
        return "numa=fake" in self.cmdline

    @property
    def fake_numa(self) -> bool:
        """Nodes emulated by numa=fake (mm/numa_emulation.c), from the command line or the log."""
        return self.fake_numa_cmdline or (self.dmesg is not None and self.dmesg.fake_numa)


@dataclass(frozen=True)
class AcpiTables:
    """The NUMA tables' bytes exactly as read, decoded on first use: decoding needs construct, which a probe of a
    machine without tables, or a fleet loading thousands of snapshots, should not pay for."""

    reads: Tuple[TableRead, ...]  # SRAT, SLIT, HMAT in that order (acpi.read_numa_tables)
    _decoded: Dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def decode(self) -> "NumaTables":
        if "tables" not in self._decoded:
            self._decoded["tables"] = _decode_shared(self.reads)
        return self._decoded["tables"]


# Machines of one model carry byte-identical firmware tables: a fleet worker decodes each distinct set once
# (decoding is ~90% of checking a snapshot). The decoded tables are frozen, so sharing them is safe.
_SHARED_DECODES: Dict[Tuple[TableRead, ...], "NumaTables"] = {}
MAX_SHARED_DECODES = 256


def _decode_shared(reads: Tuple[TableRead, ...]) -> "NumaTables":
    tables = _SHARED_DECODES.get(reads)
    if tables is None:
        from numaprobe.acpi import decode_numa_tables

        tables = decode_numa_tables(reads)
        if len(_SHARED_DECODES) >= MAX_SHARED_DECODES:
            _SHARED_DECODES.clear()
        _SHARED_DECODES[reads] = tables
    return tables


@dataclass(frozen=True)
class NodeMemory:
    """Memory of one node directory (offline nodes included), from nodeN/meminfo and nodeN/hugepages."""

    node: int
    total_bytes: Optional[int]
    free_bytes: Optional[int]
    hugepages: Tuple[HugePages, ...]


@dataclass(frozen=True)
class HeapState:
    """The allocator's state: free lists, zones, per-node counters."""

    node_memory: Tuple[NodeMemory, ...]
    buddyinfo: Tuple["BuddyZone", ...]
    zoneinfo: Tuple["ZoneInfo", ...]
    counters: Tuple["NodeCounters", ...]


@dataclass(frozen=True)
class Process:
    """One process from proc/PID. last_cpus and numa_maps are read only for processes asked about (on a live
    host) or for every process a capture holds; None means not read, or unreadable."""

    pid: int
    name: str  # status Name (the kernel's comm)
    cmdline: Tuple[str, ...]
    cpus_allowed: Optional[Tuple[int, ...]]
    mems_allowed: Optional[Tuple[int, ...]]
    threads: int
    kernel_thread: bool
    last_cpus: Optional[Tuple[int, ...]] = None
    numa_maps: Optional["NumaMaps"] = None


@dataclass(frozen=True)
class Machine:
    topology: Topology  # nodes, CPUs, packages, devices, allowed sets, source and the notes of reading them
    acpi: AcpiTables
    memory: MemoryMap
    kernel: KernelView
    heap: HeapState
    processes: Tuple[Process, ...]  # by pid
    libvirt_pids: Tuple[Tuple[str, int], ...] = ()  # (guest name, pid) from libvirt's pid files
    cpu_mhz: Optional[float] = None  # /proc/cpuinfo "cpu MHz" of the first online CPU
    cpu_vendor: Optional[str] = None  # /proc/cpuinfo vendor_id (GenuineIntel, AuthenticAMD), names SNC vs NPS
    dmi: Dict[str, str] = field(default_factory=dict)  # sys/class/dmi/id identity fields (readers/dmi.py)

    @property
    def tables(self) -> "NumaTables":
        return self.acpi.decode()

    @property
    def notes(self) -> Tuple[Note, ...]:
        return self.topology.notes

    def process(self, pid: int) -> Optional[Process]:
        for p in self.processes:
            if p.pid == pid:
                return p
        return None
