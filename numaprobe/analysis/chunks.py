"""Each node's usable RAM as discontiguous chunks, split into zones by address, hot-pluggable ranges marked.

RAM comes from the firmware memory map (sys/firmware/memmap), else /proc/iomem's "System RAM" (when readable:
root only), else the online memory blocks. Nodes come from the enabled SRAT memory ranges; without a usable SRAT
(device-tree arm64, numa=fake, no table) from the kernel's memory-block -> node links.

PXM -> node follows Linux (drivers/acpi/numa/srat.c, see ../shared/notes/acpi/linux-srat.md): nodes are numbered
densely in order of first appearance, enabled CPU/initiator entries (types 0, 2, 3, 5, 7) in table order first,
then the PXMs only seen in enabled memory entries.

Zones use x86-64's boundaries: DMA below 16 MiB, DMA32 below 4 GiB, Normal above. A chunk is RAM the firmware
handed over; the kernel's MemTotal is smaller by what it reserves at boot (struct pages, kernel image, ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from numaprobe.analysis.pxm import pxm_to_node, role_of
from numaprobe.model.machine import Machine
from numaprobe.model.zones import DMA32_LIMIT, DMA_LIMIT
from numaprobe.notes import Note


@dataclass(frozen=True)
class MemoryChunk:
    node: int
    start: int
    end: int  # exclusive
    zone: str
    hot_pluggable: bool = False

    @property
    def size(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class SratRange:
    node: int
    start: int
    end: int
    hot_pluggable: bool


@dataclass(frozen=True)
class ChunkMap:
    chunks: Tuple[MemoryChunk, ...]  # sorted by address
    ram_source: str  # memmap | iomem | memory-blocks | none
    node_source: str  # srat | memory-blocks | none
    notes: Tuple[Note, ...]

    def node_ids(self) -> Tuple[int, ...]:
        return tuple(sorted({c.node for c in self.chunks}))

    def of_node(self, node: int) -> Tuple[MemoryChunk, ...]:
        return tuple(c for c in self.chunks if c.node == node)


    def node_json(self, node: int) -> List[Dict[str, object]]:
        """One node's chunks for a JSON document (probe's nodes[].memory_chunks)."""
        return [{"start": c.start, "end": c.end, "size_bytes": c.size, "zone": c.zone,
                 "hot_pluggable": c.hot_pluggable} for c in self.chunks if c.node == node]

    def to_json(self) -> Dict[str, object]:
        return {"ram_source": self.ram_source, "node_source": self.node_source,
                "nodes": {str(n): self.node_json(n) for n in self.node_ids()},
                "notes": [{"code": n.code, "message": n.message} for n in self.notes]}


def split_zones(start: int, end: int) -> List[Tuple[int, int, str]]:
    out = []
    for lo, hi, name in ((0, DMA_LIMIT, "DMA"), (DMA_LIMIT, DMA32_LIMIT, "DMA32"), (DMA32_LIMIT, 1 << 64, "Normal")):
        s, e = max(start, lo), min(end, hi)
        if s < e:
            out.append((s, e, name))
    return out


def srat_ranges(entries: Sequence[object]) -> Tuple[SratRange, ...]:
    mapping = pxm_to_node(entries)
    out = []
    for e in entries:
        if role_of(getattr(e, "type", None)) == "memory" and getattr(e, "enabled", False):
            length = getattr(e, "range_length", 0)
            if length > 0:
                base = getattr(e, "base_address")
                out.append(SratRange(mapping[getattr(e, "proximity_domain")], base, base + length,
                                     bool(getattr(e, "hot_pluggable", False))))
    return tuple(sorted(out, key=lambda r: r.start))


def assign_nodes(ram: Sequence[Tuple[int, int]], ranges: Sequence[SratRange]) -> Tuple[List[MemoryChunk], int]:
    """RAM ranges intersected with node ranges, split into zones; also returns the bytes of RAM on no node."""
    chunks: List[MemoryChunk] = []
    uncovered = 0
    for start, end in ram:
        covered = 0
        for r in ranges:
            s, e = max(start, r.start), min(end, r.end)
            if s >= e:
                continue
            covered += e - s
            for zs, ze, zone in split_zones(s, e):
                chunks.append(MemoryChunk(r.node, zs, ze, zone, r.hot_pluggable))
        uncovered += (end - start) - covered
    chunks.sort(key=lambda c: c.start)
    return chunks, uncovered


def _block_ranges(blocks) -> Tuple[SratRange, ...]:
    """Online memory blocks with a node, adjacent same-node blocks merged."""
    out: List[SratRange] = []
    for b in sorted(blocks, key=lambda b: b.start):
        if b.node is None:
            continue
        if out and out[-1].node == b.node and out[-1].end == b.start:
            out[-1] = SratRange(b.node, out[-1].start, b.end, False)
        else:
            out.append(SratRange(b.node, b.start, b.end, False))
    return tuple(out)


def memory_chunks(machine: Machine, srat_entries: Optional[Sequence[object]] = None) -> ChunkMap:
    """The chunk map of a machine. `srat_entries` overrides the machine's SRAT (for tests)."""
    notes: List[Note] = []
    mm = machine.memory
    online = mm.online_blocks()
    if mm.ram_source == "none":
        return ChunkMap((), "none", "none", (Note("chunks-unknown", "no memmap, iomem or memory blocks"),))
    if mm.ram_source == "memory-blocks":
        notes.append(Note("chunks-from-memory-blocks", "no firmware memory map and /proc/iomem unreadable: "
                          "RAM taken from memory blocks (%s bytes each), holes inside a block are not seen"
                          % mm.block_size))
    if srat_entries is None:
        srat = machine.tables.srat
        srat_entries = srat.entries if srat is not None else ()
    ranges = srat_ranges(srat_entries)
    node_source = "srat"
    if ranges:
        ranges, node_source = _ranges_the_kernel_used(machine.topology.node_ids, ranges, online, notes)
    if not ranges:
        ranges = _block_ranges(online)
        node_source = "memory-blocks"
        if not ranges:
            notes.append(Note("chunks-no-nodes", "neither SRAT memory ranges nor memory-block node links"))
            return ChunkMap((), mm.ram_source, "none", tuple(notes))
    chunks, uncovered = assign_nodes(mm.ram, ranges)
    if node_source == "srat" and any(c.hot_pluggable for c in chunks):
        chunks = _hotplug_nodes_from_blocks(chunks, _block_ranges(online), notes)
    if uncovered:
        notes.append(Note("chunks-ram-without-node", "%d bytes of RAM lie in no %s range" % (
            uncovered, "SRAT memory" if node_source == "srat" else "memory block")))
    return ChunkMap(tuple(chunks), mm.ram_source, node_source, tuple(notes))


def _ranges_the_kernel_used(kernel_nodes: Tuple[int, ...], ranges: Tuple[SratRange, ...], online,
                            notes: List[Note]) -> Tuple[Tuple[SratRange, ...], str]:
    """SRAT's ranges, unless the kernel did not number its nodes from SRAT: one node although SRAT has several
    (numa=off, or the kernel discarded SRAT and made one dummy node: dummy_numa_init in arch/x86/mm/numa.c and
    drivers/base/arch_numa.c), or memory blocks on other nodes than SRAT says (numa=fake's emulated nodes)."""
    if len(kernel_nodes) == 1 and len({r.node for r in ranges}) > 1:
        notes.append(Note("chunks-single-kernel-node", "SRAT describes %d nodes but the kernel has one (numa=off "
                          "or SRAT not used): all RAM is on node %d" % (len({r.node for r in ranges}),
                                                                        kernel_nodes[0])))
        whole = SratRange(kernel_nodes[0], min(r.start for r in ranges), max(r.end for r in ranges), False)
        return (whole,), "single-node"
    blocks = _block_ranges(online)
    cold = [r for r in ranges if not r.hot_pluggable]
    moved = [b for b in blocks for r in cold if r.start <= b.start and b.end <= r.end and r.node != b.node]
    if moved:
        notes.append(Note("chunks-nodes-from-blocks", "memory blocks sit on other nodes than SRAT says (%d bytes, "
                          "e.g. numa=fake's emulated nodes): nodes come from the memory blocks"
                          % sum(b.end - b.start for b in moved)))
        return blocks, "memory-blocks"
    return ranges, "srat"


def _hotplug_nodes_from_blocks(chunks: List[MemoryChunk], blocks: Sequence[SratRange],
                               notes: List[Note]) -> List[MemoryChunk]:
    # Memory hot-added into an SRAT hot-pluggable range gets its node from the memory device's _PXM, not from
    # SRAT (QEMU's SRAT gives the whole hotplug window to the last node, whatever node= each pc-dimm has), so
    # there the kernel's memory-block -> node link is the truth.
    out: List[MemoryChunk] = []
    moved = 0
    for c in chunks:
        if not c.hot_pluggable:
            out.append(c)
            continue
        pos = c.start
        for b in blocks:
            s, e = max(pos, b.start), min(c.end, b.end)
            if s >= e:
                continue
            if s > pos:
                out.append(MemoryChunk(c.node, pos, s, c.zone, True))
            out.append(MemoryChunk(b.node, s, e, c.zone, True))
            if b.node != c.node:
                moved += e - s
            pos = e
        if pos < c.end:
            out.append(MemoryChunk(c.node, pos, c.end, c.zone, True))
    if moved:
        notes.append(Note("chunks-hotplug-node-from-blocks", "%d bytes of hot-added memory are on another node than "
                          "SRAT's hot-pluggable range says (the memory device's _PXM wins)" % moved))
    return out
