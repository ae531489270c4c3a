"""Where an allocation goes when its node is full: Linux's zonelists and Xen's get_free_buddy, as policy objects
the allocator is given (sim/buddy.py asks them for a node order and for the zone passes)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Dict, FrozenSet, List, Optional, Sequence, Tuple

if TYPE_CHECKING:  # pragma: no cover
    from numaprobe.sim.buddy import BuddyAllocator

FALLBACK_DISTANCE = "distance"  # Linux zonelists
FALLBACK_XEN = "xen"  # Xen get_free_buddy: next node id in the affinity mask, then the others


class FallbackPolicy(ABC):
    name: str

    @abstractmethod
    def node_order(self, heap: "BuddyAllocator", node: int, affinity: Optional[FrozenSet[int]]) -> Tuple[int, ...]:
        """The nodes a request preferring `node` walks, in order (with exact-node off)."""

    def zone_passes(self, zone_names: Sequence[str], all_zones: Tuple[int, ...]) -> Tuple[Tuple[int, ...], ...]:
        """Zone index lists tried, one tuple per pass; `all_zones` is every allowed zone, highest first."""
        return (all_zones,)


class LinuxFallback(FallbackPolicy):
    name = FALLBACK_DISTANCE

    def node_order(self, heap: "BuddyAllocator", node: int, affinity: Optional[FrozenSet[int]]) -> Tuple[int, ...]:
        # find_next_best_node() (mm/page_alloc.c): the local node first, then by distance, +1 for a node below
        # the local one ("prefer the next higher node"), +1 for a node with CPUs (prefer headless memory nodes
        # at equal distance) when we know which nodes have CPUs. node_load rotation is left out.
        def key(n: int) -> Tuple[int, int]:
            if n == node:
                return (-1, n)
            v = heap.distance(node, n) + (1 if n < node else 0)
            if heap.cpu_nodes is not None and n in heap.cpu_nodes:
                v += 1
            return (v, n)

        return tuple(sorted(heap.nodes, key=key))


class XenFallback(FallbackPolicy):
    """`low_zones`: the zones below Xen's dma_bitsize, which alloc_domheap_pages() skips in its first pass: a
    domain spills to a remote node before it dips into low memory. dma_bitsize is 32 when the first node spans
    16 GiB or more (heap_types.xen_dma_bitsize); a smaller machine keeps only DMA for last."""

    name = FALLBACK_XEN

    def __init__(self, low_zones: Tuple[str, ...] = ("DMA", "DMA32")) -> None:
        self.low_zones = low_zones

    def node_order(self, heap: "BuddyAllocator", node: int, affinity: Optional[FrozenSet[int]]) -> Tuple[int, ...]:
        # get_free_buddy(): start at the requested node; if it is outside the mask go to the mask's first node;
        # walk the mask in node-id order, wrapping, back to the start; then the nodes outside, in id order.
        mask = sorted(affinity & set(heap.nodes)) if affinity is not None else list(heap.nodes)
        outside = [n for n in heap.nodes if n not in set(mask)]
        order: List[int] = []
        if node in mask:
            i = mask.index(node)
            order = mask[i:] + mask[:i]
        else:
            order = [node] + mask
        order += [n for n in outside if n not in order]
        return tuple(order)

    def zone_passes(self, zone_names: Sequence[str], all_zones: Tuple[int, ...]) -> Tuple[Tuple[int, ...], ...]:
        index: Dict[str, int] = {z: i for i, z in enumerate(zone_names)}
        low = {index[z] for z in self.low_zones if z in index}
        first = tuple(z for z in all_zones if z not in low)
        if first and first != all_zones:
            return (first, all_zones)
        return (all_zones,)


DEFAULT_POLICIES: Tuple[FallbackPolicy, ...] = (LinuxFallback(), XenFallback())
