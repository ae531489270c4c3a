"""A deterministic binary buddy allocator per node, zone and order: the model behind `simulate`.

It mirrors Linux's `mm/page_alloc.c` and Xen's `xen/common/page_alloc.c` closely enough to answer "where would
this memory come from", and it is pure: no I/O, no randomness, the same calls give the same addresses.

Cost grows with the blocks touched, never with the pages:

- free lists below the top order are insertion-ordered dicts of block start pfns (O(1) pop, O(1) buddy lookup);
- the top order keeps *runs* of contiguous top-order blocks, so a 4 TiB node is one entry, not a million;
- `alloc_extents` hands out many equal extents at once, returning contiguous runs, and is equivalent to the
  same number of single `alloc` calls with the same request (tested).

Two seeds:

- `from_chunks`: real addresses from the firmware memory map; every free block has an address, frees merge buddies.
- `from_counts`: the counts of `/proc/buddyinfo`. Those have no addresses, so blocks get *synthetic* addresses,
  each lower-order block placed so that its buddy is a hole: blocks never merge beyond what was seeded, and
  freeing everything restores the seeded lists exactly.

Simplifications (documented, deliberate): no watermarks, no migrate types, no per-CPU lists, no scrubbing, no
claims; Linux's `node_load` rotation of equal-distance nodes is left out (ties go to the lower node id).
"""

from __future__ import annotations

import bisect
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from numaprobe.model.zones import ZONE_NAMES  # noqa: F401 (importable from here, as before)
from numaprobe.ranges import merge_ranges
from numaprobe.sim.buddy_free import FreeingAndViews
from numaprobe.sim.fallback import (  # noqa: F401
    DEFAULT_POLICIES, FALLBACK_DISTANCE, FALLBACK_XEN, FallbackPolicy, LinuxFallback, XenFallback,
)
from numaprobe.sim.heap_types import (  # noqa: F401 (the allocator's vocabulary, importable from here)
    INTERLEAVE_HIT, LINUX, LOCAL_DISTANCE, LOCAL_NODE, NUMA_FOREIGN, NUMA_HIT, NUMA_MISS, OTHER_NODE,
    REMOTE_DISTANCE, XEN, AllocationError, Block, BuddyConfig, Chunk, ExtentRun, NumaCounters, aligned_blocks,
    xen_dma_bitsize,
)


class _Zone:
    __slots__ = ("node", "zi", "name", "ctr", "lists", "runs", "ntop", "mask", "avail", "seeded")

    def __init__(self, node: int, zi: int, name: str, ctr: List[int], top: int) -> None:
        self.node = node
        self.zi = zi
        self.name = name
        self.ctr = ctr  # the node's counters, shared by its zones (hot path: no dict lookup)
        self.lists: List[Dict[int, None]] = [{} for _ in range(top)]
        self.runs: List[List[int]] = []  # top-order blocks: [start_pfn, count], used from the end
        self.ntop = 0
        self.mask = 0  # bit j set when order j has a free block
        self.avail = 0  # free pages
        self.seeded = 0


class BuddyAllocator(FreeingAndViews):
    """Per node, per zone, per order free lists; see the module docstring. Freeing and the read-only views are
    in sim/buddy_free.py."""

    def __init__(self, config: BuddyConfig, nodes: Sequence[int],
                 distances: Optional[Mapping[Tuple[int, int], int]] = None,
                 cpu_nodes: Optional[Iterable[int]] = None, synthetic: bool = False,
                 policies: Sequence[FallbackPolicy] = DEFAULT_POLICIES) -> None:
        """`policies`: the fallback rules requests may name (fallback="distance" or "xen"), e.g. an
        XenFallback with the low zones of this machine's dma_bitsize."""
        self.config = config
        self.top = config.top_order
        self.nodes: Tuple[int, ...] = tuple(sorted(set(nodes)))
        self._ni = {n: i for i, n in enumerate(self.nodes)}
        self._nz = len(config.zones)
        self._zi = {z: i for i, z in enumerate(config.zones)}
        self._counters = {n: [0] * 6 for n in self.nodes}  # indexed NUMA_HIT .. OTHER_NODE
        self._ps = config.page_size
        self._zones = [_Zone(n, z, config.zones[z], self._counters[n], self.top)
                       for n in self.nodes for z in range(self._nz)]
        self._dist = dict(distances or {})
        self.cpu_nodes = frozenset(cpu_nodes) if cpu_nodes is not None else None
        self.synthetic = synthetic
        self._single: Dict[int, Tuple[int, _Zone]] = {}  # pfn -> (order, zone)
        self._runs: Dict[int, Tuple[int, int, _Zone]] = {}  # start pfn -> (order, count, zone)
        self._run_starts: List[int] = []
        self._order_cache: Dict[tuple, Tuple[int, ...]] = {}
        self._plans: Dict[tuple, tuple] = {}
        self._policies: Dict[str, FallbackPolicy] = {p.name: p for p in policies}

    # -- construction ------------------------------------------------------------------------------------
    @classmethod
    def from_chunks(cls, chunks: Iterable[Chunk], config: BuddyConfig = LINUX, nodes: Optional[Sequence[int]] = None,
                    distances: Optional[Mapping[Tuple[int, int], int]] = None,
                    cpu_nodes: Optional[Iterable[int]] = None,
                    policies: Sequence[FallbackPolicy] = DEFAULT_POLICIES) -> "BuddyAllocator":
        chunks = list(chunks)
        node_ids = set(nodes or ()) | {c.node for c in chunks}
        a = cls(config, sorted(node_ids), distances, cpu_nodes, policies=policies)
        ps = config.page_size
        by_zone: Dict[Tuple[int, int], List[Tuple[int, int]]] = {}
        for c in chunks:
            if c.zone not in a._zi:
                raise AllocationError("unknown zone %r" % c.zone)
            s, e = -(-c.start // ps), c.end // ps
            if e > s:
                by_zone.setdefault((a._ni[c.node], a._zi[c.zone]), []).append((s, e))
        for (ni, zi), ranges in by_zone.items():
            blocks = [b for s, e in merge_ranges(ranges) for b in aligned_blocks(s, e, a.top)]
            a._seed(a._zones[ni * a._nz + zi], blocks)
        return a

    @classmethod
    def from_counts(cls, counts: Mapping[Tuple[int, str], Sequence[int]], config: Optional[BuddyConfig] = None,
                    nodes: Optional[Sequence[int]] = None,
                    distances: Optional[Mapping[Tuple[int, int], int]] = None,
                    cpu_nodes: Optional[Iterable[int]] = None) -> "BuddyAllocator":
        """Seed from free block counts per (node, zone name), indexed by order (buddyinfo's columns)."""
        if config is None:
            width = max((len(v) for v in counts.values()), default=LINUX.top_order + 1)
            config = BuddyConfig(LINUX.page_size, width - 1)
        node_ids = set(nodes or ()) | {n for n, _ in counts}
        a = cls(config, sorted(node_ids), distances, cpu_nodes, synthetic=True)
        top = a.top
        base = 0
        for (node, zone), per_order in sorted(counts.items(), key=lambda kv: (kv[0][0], a._zi.get(kv[0][1], 99))):
            if zone not in a._zi:
                raise AllocationError("unknown zone %r" % zone)
            if len(per_order) > top + 1:
                raise AllocationError("%d orders do not fit top order %d" % (len(per_order), top))
            blocks = []
            ntop = per_order[top] if len(per_order) > top else 0
            if ntop:
                blocks.append((base, top, ntop))
                base += ntop << top
            # Each lower-order block sits in a slot twice its size whose other half is a hole, so it never
            # merges with another seeded block.
            for o in range(min(len(per_order), top) - 1, -1, -1):
                for _ in range(per_order[o]):
                    blocks.append((base, o, 1))
                    base += 2 << o
            base = -(-base >> top) << top
            a._seed(a._zones[a._ni[node] * a._nz + a._zi[zone]], blocks)
        return a

    def _seed(self, z: _Zone, blocks: List[Tuple[int, int, int]]) -> None:
        # Inserted from the highest address down: lists pop the last inserted, so the lowest address goes first.
        for p, o, n in sorted(blocks, reverse=True):
            if o == self.top:
                z.runs.append([p, n])
                z.ntop += n
            else:
                z.lists[o][p] = None
            z.mask |= 1 << o
            z.avail += n << o
        z.seeded = z.avail

    # -- fallback orders -----------------------------------------------------------------------------------
    def distance(self, a: int, b: int) -> int:
        d = self._dist.get((a, b))
        if d is None:
            return LOCAL_DISTANCE if a == b else REMOTE_DISTANCE
        return d

    def policy(self, fallback: Union[str, FallbackPolicy]) -> FallbackPolicy:
        if isinstance(fallback, FallbackPolicy):
            return fallback
        try:
            return self._policies[fallback]
        except (KeyError, TypeError):
            raise AllocationError("unknown fallback rule %r" % (fallback,)) from None

    def fallback_nodes(self, node: int, fallback: Union[str, FallbackPolicy] = FALLBACK_DISTANCE,
                       affinity: Optional[Iterable[int]] = None) -> Tuple[int, ...]:
        """The node order a request preferring `node` walks (with exact-node off)."""
        aff = frozenset(affinity) if affinity is not None else None
        key = (node, fallback, aff)
        got = self._order_cache.get(key)
        if got is not None:
            return got
        if node not in self._ni:
            raise AllocationError("unknown node %r" % node)
        got = self.policy(fallback).node_order(self, node, aff)
        self._order_cache[key] = got
        return got

    def zone_passes(self, fallback: Union[str, FallbackPolicy],
                    zone_max: Optional[str]) -> Tuple[Tuple[int, ...], ...]:
        """Zone index lists tried, highest first, one tuple per pass."""
        hi = self._nz - 1 if zone_max is None else self._zone_index(zone_max)
        return self.policy(fallback).zone_passes(self.config.zones, tuple(range(hi, -1, -1)))

    def _zone_index(self, zone: str) -> int:
        try:
            return self._zi[zone]
        except KeyError:
            raise AllocationError("unknown zone %r" % zone) from None

    # -- allocation ---------------------------------------------------------------------------------------
    def alloc(self, order: int, node: Optional[int] = None, zone_max: Optional[str] = None, exact: bool = False,
              fallback: str = FALLBACK_DISTANCE, affinity: Optional[Iterable[int]] = None,
              cpu_node: Optional[int] = None, interleave: bool = False) -> Optional[Block]:
        """One block of 2**order pages, or None. `node=None` means cpu_node's node, else the first node."""
        if node is None:
            node = cpu_node if cpu_node is not None else self.nodes[0]
        if cpu_node is None:
            cpu_node = node
        try:
            plan = self._plans[(node, fallback, affinity, exact, zone_max)]
        except (KeyError, TypeError):
            plan = self._plan(node, fallback, affinity, exact, zone_max)
        if not 0 <= order <= self.top:
            raise AllocationError("order %d outside 0..%d" % (order, self.top))
        for zlist in plan:
            for z in zlist:
                m = z.mask >> order
                if m:
                    p = self._take_one(z, order, order + (m & -m).bit_length() - 1)
                    self._single[p] = (order, z)
                    got = z.node
                    c = z.ctr  # count_event(), inlined: this is the hot path
                    if got == node:
                        c[NUMA_HIT] += 1
                        if interleave:
                            c[INTERLEAVE_HIT] += 1
                    else:
                        c[NUMA_MISS] += 1
                        self._counters[node][NUMA_FOREIGN] += 1
                    c[LOCAL_NODE if got == cpu_node else OTHER_NODE] += 1
                    return Block(p * self._ps, order, got, z.name)
        return None

    def _plan(self, node: Optional[int], fallback: str, affinity, exact: bool, zone_max: Optional[str]):
        if node not in self._ni:
            raise AllocationError("unknown node %r" % node)
        order_nodes = (node,) if exact else self.fallback_nodes(node, fallback, affinity)
        plan = tuple(tuple(self._zones[self._ni[n] * self._nz + zi] for n in order_nodes for zi in zones)
                     for zones in self.zone_passes(fallback, zone_max))
        try:
            self._plans[(node, fallback, affinity, exact, zone_max)] = plan
        except TypeError:  # an unhashable affinity (a list): fine, just not cached
            pass
        return plan

    def _take_one(self, z: _Zone, k: int, j: int) -> int:
        """Take the block at order j (the lowest non-empty one >= k) and split it down to k."""
        top = self.top
        if j == top:
            run = z.runs[-1]
            p = run[0]
            run[0] += 1 << top
            run[1] -= 1
            if run[1] == 0:
                z.runs.pop()
            z.ntop -= 1
            if z.ntop == 0:
                z.mask &= ~(1 << top)
        else:
            d = z.lists[j]
            p = d.popitem()[0]
            if not d:
                z.mask &= ~(1 << j)
        lists = z.lists
        while j > k:
            j -= 1
            lists[j][p + (1 << j)] = None
            z.mask |= 1 << j
        z.avail -= 1 << k
        return p

    def alloc_extents(self, order: int, count: int, node: Optional[int] = None, zone_max: Optional[str] = None,
                      exact: bool = False, fallback: str = FALLBACK_DISTANCE,
                      affinity: Optional[Iterable[int]] = None, cpu_node: Optional[int] = None,
                      interleave: bool = False) -> List[ExtentRun]:
        """Up to `count` extents of `order`, as `count` single allocations with this request would get them.

        Stops at the first extent that cannot be had (like Xen's populate_physmap); the runs say how many.
        """
        if not 0 <= order <= self.top:
            raise AllocationError("order %d outside 0..%d" % (order, self.top))
        if count <= 0:
            return []
        if node is None:
            node = cpu_node if cpu_node is not None else self.nodes[0]
        if node not in self._ni:
            raise AllocationError("unknown node %r" % node)
        if cpu_node is None:
            cpu_node = node
        order_nodes = (node,) if exact else self.fallback_nodes(node, fallback, affinity)
        out: List[ExtentRun] = []
        need = count
        for zones in self.zone_passes(fallback, zone_max):
            for n in order_nodes:
                if need == 0:
                    break
                got = self.take(n, order, need, zones)
                if got:
                    k = sum(r.count for r in got)
                    need -= k
                    out.extend(got)
                    self.count_event(node, n, cpu_node, k, interleave)
            if need == 0:
                break
        return out

    def count_event(self, wanted: int, got: int, cpu_node: int, k: int = 1, interleave: bool = False) -> None:
        """Add k allocations to the counters as zone_statistics() (and alloc_page_interleave()) would."""
        c = self._counters[got]
        if got == wanted:
            c[NUMA_HIT] += k
            if interleave:
                c[INTERLEAVE_HIT] += k
        else:
            c[NUMA_MISS] += k
            self._counters[wanted][NUMA_FOREIGN] += k
        c[LOCAL_NODE if got == cpu_node else OTHER_NODE] += k

    def capacity(self, node: int, order: int, zones: Sequence[int]) -> int:
        """How many extents of `order` node could hand out from these zone indexes."""
        base = self._ni[node] * self._nz
        top = self.top
        total = 0
        for zi in zones:
            z = self._zones[base + zi]
            if z.avail < (1 << order):
                continue
            total += z.ntop << (top - order)
            for j in range(order, top):
                total += len(z.lists[j]) << (j - order)
        return total

    def take(self, node: int, order: int, count: int, zones: Sequence[int]) -> List[ExtentRun]:
        """Take up to `count` extents from one node, zones in the order given; no counters, no fallback."""
        base = self._ni[node] * self._nz
        out: List[ExtentRun] = []
        for zi in zones:
            if count == 0:
                break
            z = self._zones[base + zi]
            for p, c in self._take_zone(z, order, count):
                count -= c
                self._record(p, order, c, z)
                out.append(ExtentRun(p * self.config.page_size, order, c, z.node, self.config.zones[z.zi]))
        return out

    def _take_zone(self, z: _Zone, k: int, n: int) -> List[Tuple[int, int]]:
        """(start pfn, extents) pieces taken from one zone, in the order single allocations would get them."""
        top = self.top
        taken: List[Tuple[int, int]] = []
        while n > 0:
            m = z.mask >> k
            if not m:
                break
            j = k + (m & -m).bit_length() - 1
            per = 1 << (j - k)
            if j == top:
                run = z.runs[-1]
                p = run[0]
                nb = min(run[1], n // per) if n >= per else 1
                run[0] += nb << top
                run[1] -= nb
                if run[1] == 0:
                    z.runs.pop()
                z.ntop -= nb
                if z.ntop == 0:
                    z.mask &= ~(1 << top)
            else:
                d = z.lists[j]
                p = d.popitem()[0]
                nb = 1
                if not d:
                    z.mask &= ~(1 << j)
            if n >= nb * per:
                c = nb * per
            else:
                # Part of one block: the first n extents, the tail goes back as aligned blocks, exactly what
                # n single allocations splitting it would leave (each order below j holds at most one of them).
                c = n
                for bp, bo, _ in aligned_blocks(p + (c << k), p + (1 << j), top):
                    z.lists[bo][bp] = None
                    z.mask |= 1 << bo
            z.avail -= c << k
            n -= c
            if taken and taken[-1][0] + (taken[-1][1] << k) == p:
                taken[-1] = (taken[-1][0], taken[-1][1] + c)
            else:
                taken.append((p, c))
        return taken

    def _record(self, p: int, order: int, count: int, z: _Zone) -> None:
        if count == 1:
            self._single[p] = (order, z)
        else:
            self._runs[p] = (order, count, z)
            bisect.insort(self._run_starts, p)
