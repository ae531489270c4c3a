"""The allocator's vocabulary: its configuration, the ranges it is seeded with, what it hands out, the numastat
counters it keeps (by name), and the block arithmetic shared by Linux and Xen."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterable, List, NamedTuple, Optional, Tuple

from numaprobe.distance import LOCAL_DISTANCE, REMOTE_DISTANCE  # noqa: F401 (the allocator's defaults)
from numaprobe.model.zones import DMA32_LIMIT, ZONE_NAMES

@dataclass(frozen=True)
class BuddyConfig:
    page_size: int = 4096
    top_order: int = 10  # Linux MAX_ORDER-1 (orders 0..10, 4 MiB); Xen x86 uses 18 (1 GiB)
    zones: Tuple[str, ...] = ZONE_NAMES

    @property
    def top_block_bytes(self) -> int:
        return self.page_size << self.top_order


LINUX = BuddyConfig(4096, 10)
XEN = BuddyConfig(4096, 18)


@dataclass(frozen=True)
class Chunk:
    """A free physical range [start, end) in bytes, on one node, in one zone."""

    node: int
    zone: str
    start: int
    end: int

    @property
    def size(self) -> int:
        return self.end - self.start


class Block(NamedTuple):
    """An allocated (or freed) block; a NamedTuple because it is made on the hot path."""

    address: int
    order: int
    node: int
    zone: str


class ExtentRun(NamedTuple):
    """`count` contiguous extents of `order`, starting at `address` (bytes)."""

    address: int
    order: int
    count: int
    node: int
    zone: str


@dataclass(frozen=True)
class NumaCounters:
    """The kernel's per-node numastat counters (Documentation/admin-guide/numastat.rst, zone_statistics()).

    Like the kernel, one event per allocation whatever its order: numa_hit counts allocations that got the node
    they wanted; numa_miss those that landed here though another node was wanted; numa_foreign those that wanted
    this node and landed elsewhere; local_node / other_node those that landed here for a CPU on this / another
    node; interleave_hit interleaved allocations that got their target.
    """

    numa_hit: int = 0
    numa_miss: int = 0
    numa_foreign: int = 0
    interleave_hit: int = 0
    local_node: int = 0
    other_node: int = 0


class AllocationError(ValueError):
    """A free of an address that is not allocated, or a request the allocator cannot understand."""


# The numastat counters of a node, by position in the allocator's per-node list (the hot path indexes a list).
NUMA_HIT, NUMA_MISS, NUMA_FOREIGN, INTERLEAVE_HIT, LOCAL_NODE, OTHER_NODE = range(6)


def xen_dma_bitsize(chunks: Iterable[Chunk], page_size: int = 4096) -> Optional[int]:
    """Xen's arch_get_dma_bitsize() (x86): from the first node (in id order) with memory starting below 4 GiB,
    min(flsl(start_pfn + spanned_pages / 4 - 1) + PAGE_SHIFT, 32). None when no node starts below 4 GiB."""
    spans: Dict[int, List[int]] = {}
    for c in chunks:
        s = spans.setdefault(c.node, [c.start, c.end])
        s[0], s[1] = min(s[0], c.start), max(s[1], c.end)
    for node in sorted(spans):
        start, end = spans[node]
        if start < DMA32_LIMIT:
            pfn, spanned = start // page_size, (end - start) // page_size
            v = pfn + spanned // 4 - 1
            return min(v.bit_length() + page_size.bit_length() - 1, 32) if v > 0 else None
    return None


def aligned_blocks(start: int, end: int, top: int) -> Iterable[Tuple[int, int, int]]:
    """Split pfn range [start, end) greedily into naturally aligned blocks: yields (pfn, order, count).

    Top-order blocks come as one (pfn, top, count) run; the rest one by one, in ascending address order.
    """
    p = start
    while p < end:
        if p & ((1 << top) - 1) == 0 and end - p >= (1 << top):
            n = (end - p) >> top
            yield p, top, n
            p += n << top
            continue
        o = (p & -p).bit_length() - 1 if p else top
        o = min(o, top)
        while p + (1 << o) > end:
            o -= 1
        yield p, o, 1
        p += 1 << o
