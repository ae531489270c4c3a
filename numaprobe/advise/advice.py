"""From user input to a placement answer: sizes, the device's node, the inputs taken from a Machine, the expected
memory split. The CLI (cli/advise.py) only parses options and calls these; the decision itself is
advise/search.py, the rendering render/advise.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from numaprobe.advise.decide import place_in_turn
from numaprobe.advise.types import MODES, Placement, PlacementInput, PlacementRequest
from numaprobe.distance import LOCAL_DISTANCE, REMOTE_DISTANCE
from numaprobe.errors import InputError
from numaprobe.model.machine import Machine
from numaprobe.model.topology import Topology

HUGEPAGE_SIZES = {"2M": 2 << 20, "1G": 1 << 30}
MAX_COUNT = 4096  # each domain is one search; more is a typo, not a plan


def parse_hugepages(text: Optional[str]) -> Optional[int]:
    if text is None:
        return None
    key = text.strip().upper().replace("IB", "").replace("B", "")
    if key not in HUGEPAGE_SIZES:
        raise InputError("bad --hugepages %r: use 2M or 1G" % text)
    return HUGEPAGE_SIZES[key]


def device_node(topology: Topology, address: str) -> Tuple[str, Optional[int]]:
    """The full PCI address and its NUMA node (None when the kernel reports none)."""
    want = address.strip().lower()
    if want.count(":") == 1:
        want = "0000:" + want
    for d in topology.devices:
        if d.address.lower() == want:
            return d.address, d.node
    raise InputError("no PCI device %s on this machine" % address)


def parse_id_list(text: Optional[str], what: str) -> Optional[Tuple[int, ...]]:
    """--nodes / --cpus '0-3,8' -> (0, 1, 2, 3, 8); None when not given."""
    if text is None:
        return None
    from numaprobe.readers.cpumask import parse_cpulist

    ids = parse_cpulist(text) if text.strip() else None
    if not ids:
        raise InputError("bad %s %r: use a list like 0-3,8" % (what, text))
    return ids


def check_reserve(pct: Optional[float]) -> None:
    if pct is not None and not 0 <= pct < 100:
        raise InputError("bad --reserve %r: a percentage of each node's memory from 0 to 99, e.g. 15" % pct)


def check_request(vcpus: int, memory_bytes: int, mode: str, count: int, hugepage_bytes: Optional[int] = None) -> None:
    """Misuse (exit 2). The memory is a whole number of MiB, or of huge pages: what xl's memory=, guest NUMA
    cells and QEMU's memory backends can carry exactly."""
    if memory_bytes % (1 << 20):
        raise InputError("bad --memory: %d bytes is not a whole number of MiB, e.g. 512M or 16G" % memory_bytes)
    if hugepage_bytes and memory_bytes % hugepage_bytes:
        raise InputError("bad --memory: not a whole number of %d MiB huge pages, e.g. --memory 16G"
                         % (hugepage_bytes >> 20))
    if vcpus < 1:
        raise InputError("--vcpus must be at least 1")
    if mode not in MODES:
        raise InputError("bad --mode %r: use %s" % (mode, ", ".join(MODES)))
    if not 1 <= count <= MAX_COUNT:
        raise InputError("--count must be between 1 and %d" % MAX_COUNT)


def expected_split(inp: PlacementInput, placement: Placement) -> Dict[int, int]:
    """Bytes per node the domain is expected to get: the search's split (nearest first, or even for
    interleave) realised on numaprobe.sim's buddy allocator seeded with each node's free memory, asking each
    node for its share with exact-node extents of 4 MiB, 2 MiB, then 4 KiB (what a per-node binding does)."""
    if placement.chosen is None:
        return {}
    from numaprobe.sim.buddy import LINUX, BuddyAllocator, Chunk

    plan = {n: b for n, b in placement.chosen.bytes_by_node if b}
    if not plan:
        return {}
    page = LINUX.page_size
    chunks, base = [], 0
    for n in plan:
        free = memory_pool_bytes(inp, placement.request, n)
        span = -(-free // LINUX.top_block_bytes) * LINUX.top_block_bytes
        if free:
            chunks.append(Chunk(node=n, zone="Normal", start=base, end=base + free // page * page))
        base += span + LINUX.top_block_bytes
    heap = BuddyAllocator.from_chunks(chunks, LINUX, nodes=sorted(plan))
    got: Dict[int, int] = {}
    for n, want in plan.items():
        pages = -(-want // page)
        for order in (LINUX.top_order, 9, 0):
            for run in heap.alloc_extents(order, pages >> order, node=n, exact=True):
                got[run.node] = got.get(run.node, 0) + (run.count << run.order) * page
                pages -= run.count << run.order
    return got


def memory_pool_bytes(inp: PlacementInput, req: PlacementRequest, node: int) -> int:
    from numaprobe.advise.search import memory_pool

    return memory_pool(inp, req.hugepage_bytes)[inp.index(node)]


@dataclass(frozen=True)
class Advice:
    input: PlacementInput
    placements: Tuple[Placement, ...]
    inputs: Tuple[PlacementInput, ...]  # what each domain saw
    splits: Tuple[Dict[int, int], ...]  # each placement's memory as the simulated allocator lays it out
    libvirt_version: Tuple[int, int] = (9, 0)  # the libvirt whose QEMU driver the XML must satisfy

    @property
    def feasible(self) -> bool:
        return all(p.feasible for p in self.placements)


def advise(inp: PlacementInput, req: PlacementRequest, count: int = 1,
           libvirt_version: Tuple[int, int] = (9, 0)) -> Advice:
    turns = place_in_turn(inp, [req] * count)
    seen = tuple(i for i, _ in turns)
    placements = tuple(p for _, p in turns)
    splits = tuple(expected_split(i, p) if p.chosen is not None else {} for i, p in turns)
    return Advice(inp, placements, seen, splits, libvirt_version)


def sample_load(seconds: float) -> Dict[int, float]:
    """Busy CPUs' worth per CPU id over `seconds` (live host only; psutil reads /proc/stat twice)."""
    import psutil

    percents = psutil.cpu_percent(interval=seconds, percpu=True)
    return {cpu: pct / 100.0 for cpu, pct in enumerate(percents)}


def hmat_latency(machine: Machine) -> Optional[List[List[float]]]:
    """Node x node access (else read) latency in ns from the firmware's HMAT, in Topology.nodes order, or None.

    PXMs become node ids by Linux's acpi_numa_init() rule (analysis.pxm.pxm_to_node). Pairs the
    table leaves out are estimated from the initiator's local latency scaled by the SLIT; a CPU node without a
    local latency means the table is not usable and the SLIT is used instead."""
    from numaprobe.analysis.pxm import pxm_to_node

    topology = machine.topology
    tables = machine.tables
    if tables.hmat is None or tables.srat is None:
        return None
    node_of = pxm_to_node(tables.srat.entries)
    ids = list(topology.node_ids)
    found: Dict[Tuple[int, int], float] = {}
    entries = list(tables.hmat.memory_locality())
    for want in (0, 1):  # access latency, then read latency (HMAT data types 0 and 1)
        for data_type, pi, pt, v in entries:
            i, j = node_of.get(pi), node_of.get(pt)
            if data_type == want and v and i in ids and j in ids:
                found.setdefault((i, j), float(v))
        if found:
            break
    if not found:
        return None
    out = []
    for i in ids:
        local = found.get((i, i))
        if local is None:
            if topology.node(i).cpus:
                return None
            local = min(found.values())
        row = []
        for j in ids:
            slit = topology.distance(i, j) or (LOCAL_DISTANCE if i == j else REMOTE_DISTANCE)
            row.append(found.get((i, j), local * slit / 10.0))
        out.append(row)
    return out


def input_from_machine(machine: Machine, sample_seconds: Optional[float] = None, limits=None,
                       reserve_pct: Optional[float] = None) -> PlacementInput:
    """The decision's input for a machine: its topology, the CPUs confined processes hold, sampled load, and
    HMAT latencies instead of the SLIT when the firmware gives them; `limits` (advise.capacity.caller_limits)
    defaults to the caller's cpuset as the topology recorded it."""
    from numaprobe.advise.capacity import caller_limits
    from numaprobe.advise.inputs import placement_input
    from numaprobe.model.processes import committed_cpus, confined

    topology = machine.topology
    online = [c.id for c in topology.online_cpus]
    committed = committed_cpus(confined(machine.processes))
    load_by_node = None
    if sample_seconds:
        per_cpu = sample_load(sample_seconds)
        load_by_node = {n.id: sum(per_cpu.get(c, 0.0) for c in n.cpus) for n in topology.nodes}
    return placement_input(topology, committed_cpus=[c for c in committed if c in set(online)],
                           load_by_node=load_by_node, latency=hmat_latency(machine),
                           limits=limits or caller_limits(topology), reserve_pct=reserve_pct)
