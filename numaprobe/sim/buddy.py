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
from dataclasses import dataclass
from typing import Dict, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Tuple

from numaprobe.model.zones import DMA32_LIMIT, ZONE_NAMES


FALLBACK_DISTANCE = "distance"  # Linux zonelists
FALLBACK_XEN = "xen"  # Xen get_free_buddy: next node id in the affinity mask, then the others

LOCAL_DISTANCE = 10
REMOTE_DISTANCE = 20


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


class BuddyAllocator:
    """Per node, per zone, per order free lists; see the module docstring."""

    def __init__(self, config: BuddyConfig, nodes: Sequence[int],
                 distances: Optional[Mapping[Tuple[int, int], int]] = None,
                 cpu_nodes: Optional[Iterable[int]] = None, synthetic: bool = False) -> None:
        self.config = config
        self.top = config.top_order
        self.nodes: Tuple[int, ...] = tuple(sorted(set(nodes)))
        self._ni = {n: i for i, n in enumerate(self.nodes)}
        self._nz = len(config.zones)
        self._zi = {z: i for i, z in enumerate(config.zones)}
        self._counters = {n: [0] * 6 for n in self.nodes}
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
        # Zones below Xen's dma_bitsize, skipped by its first pass. dma_bitsize is 32 when the first node spans
        # 16 GiB or more (see xen_dma_bitsize); callers seeding a smaller machine narrow this to ("DMA",).
        self.xen_low_zones: Tuple[str, ...] = ("DMA", "DMA32")

    # -- construction ------------------------------------------------------------------------------------
    @classmethod
    def from_chunks(cls, chunks: Iterable[Chunk], config: BuddyConfig = LINUX, nodes: Optional[Sequence[int]] = None,
                    distances: Optional[Mapping[Tuple[int, int], int]] = None,
                    cpu_nodes: Optional[Iterable[int]] = None) -> "BuddyAllocator":
        chunks = list(chunks)
        node_ids = set(nodes or ()) | {c.node for c in chunks}
        a = cls(config, sorted(node_ids), distances, cpu_nodes)
        ps = config.page_size
        by_zone: Dict[Tuple[int, int], List[Tuple[int, int]]] = {}
        for c in chunks:
            if c.zone not in a._zi:
                raise AllocationError("unknown zone %r" % c.zone)
            s, e = -(-c.start // ps), c.end // ps
            if e > s:
                by_zone.setdefault((a._ni[c.node], a._zi[c.zone]), []).append((s, e))
        for (ni, zi), ranges in by_zone.items():
            ranges.sort()
            merged: List[List[int]] = []
            for s, e in ranges:
                if merged and s <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], e)
                else:
                    merged.append([s, e])
            blocks = [b for s, e in merged for b in aligned_blocks(s, e, a.top)]
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

    def fallback_nodes(self, node: int, fallback: str = FALLBACK_DISTANCE,
                       affinity: Optional[Iterable[int]] = None) -> Tuple[int, ...]:
        """The node order a request preferring `node` walks (with exact-node off)."""
        aff = frozenset(affinity) if affinity is not None else None
        key = (node, fallback, aff)
        got = self._order_cache.get(key)
        if got is not None:
            return got
        if node not in self._ni:
            raise AllocationError("unknown node %r" % node)
        if fallback == FALLBACK_DISTANCE:
            got = self._linux_zonelist(node)
        elif fallback == FALLBACK_XEN:
            got = self._xen_order(node, aff)
        else:
            raise AllocationError("unknown fallback rule %r" % fallback)
        self._order_cache[key] = got
        return got

    def _linux_zonelist(self, local: int) -> Tuple[int, ...]:
        # find_next_best_node() (mm/page_alloc.c): the local node first, then by distance, +1 for a node below
        # the local one ("prefer the next higher node"), +1 for a node with CPUs (prefer headless memory nodes
        # at equal distance) when we know which nodes have CPUs. node_load rotation is left out.
        def key(n: int) -> Tuple[int, int]:
            if n == local:
                return (-1, n)
            v = self.distance(local, n) + (1 if n < local else 0)
            if self.cpu_nodes is not None and n in self.cpu_nodes:
                v += 1
            return (v, n)

        return tuple(sorted(self.nodes, key=key))

    def _xen_order(self, node: int, aff: Optional[frozenset]) -> Tuple[int, ...]:
        # get_free_buddy(): start at the requested node; if it is outside the mask go to the mask's first node;
        # walk the mask in node-id order, wrapping, back to the start; then the nodes outside, in id order.
        mask = sorted(aff & set(self.nodes)) if aff is not None else list(self.nodes)
        out = [n for n in self.nodes if n not in set(mask)]
        order: List[int] = []
        if node in mask:
            i = mask.index(node)
            order = mask[i:] + mask[:i]
        else:
            order = [node] + mask
        order += [n for n in out if n not in order]
        return tuple(order)

    def zone_passes(self, fallback: str, zone_max: Optional[str]) -> Tuple[Tuple[int, ...], ...]:
        """Zone index lists tried, highest first, one tuple per pass."""
        hi = self._nz - 1 if zone_max is None else self._zone_index(zone_max)
        all_zones = tuple(range(hi, -1, -1))
        if fallback == FALLBACK_XEN:
            # alloc_domheap_pages(): a first pass above dma_bitsize, then everything: a domain spills to a
            # remote node before it dips into low memory. See xen_low_zones.
            low = {self._zi[z] for z in self.xen_low_zones if z in self._zi}
            first = tuple(z for z in all_zones if z not in low)
            if first and first != all_zones:
                return (first, all_zones)
        return (all_zones,)

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
                        c[0] += 1
                        if interleave:
                            c[3] += 1
                    else:
                        c[1] += 1
                        self._counters[node][2] += 1
                    c[4 if got == cpu_node else 5] += 1
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
            c[0] += k
            if interleave:
                c[3] += k
        else:
            c[1] += k
            self._counters[wanted][2] += k
        if got == cpu_node:
            c[4] += k
        else:
            c[5] += k

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

    # -- free -----------------------------------------------------------------------------------------------
    def free(self, address: int) -> Block:
        """Free the allocated extent starting at `address`; merges buddies. Returns what was freed."""
        p, rem = divmod(address, self._ps)
        if rem:
            raise AllocationError("address %#x is not page aligned" % address)
        got = self._single.pop(p, None)
        if got is not None:
            order, z = got
        else:
            i = bisect.bisect_right(self._run_starts, p) - 1
            if i < 0:
                raise AllocationError("address %#x is not allocated" % address)
            s = self._run_starts[i]
            order, count, z = self._runs[s]
            off = p - s
            if off >= count << order or off & ((1 << order) - 1):
                raise AllocationError("address %#x is not allocated" % address)
            del self._runs[s]
            del self._run_starts[i]
            idx = off >> order
            if idx:
                self._record(s, order, idx, z)
            if count - idx - 1:
                self._record(p + (1 << order), order, count - idx - 1, z)
        self._free_block(z, p, order)
        return Block(address, order, z.node, z.name)

    def free_run(self, run: ExtentRun) -> None:
        """Free every extent of a run returned by alloc_extents (or a piece of one still allocated)."""
        ps = self.config.page_size
        p = run.address // ps
        if run.count == 1:
            self.free(run.address)
            return
        got = self._runs.get(p)
        if got is None or got[0] != run.order or got[1] != run.count:
            # The run was split by single frees meanwhile: free what is still allocated, extent by extent.
            for i in range(run.count):
                addr = run.address + (i << run.order) * ps
                if self.is_allocated(addr):
                    self.free(addr)
            return
        order, count, z = got
        del self._runs[p]
        del self._run_starts[bisect.bisect_left(self._run_starts, p)]
        for bp, bo, n in aligned_blocks(p, p + (count << order), self.top):
            if bo == self.top:
                z.runs.append([bp, n])
                z.ntop += n
                z.mask |= 1 << bo
                z.avail += n << bo
            else:
                self._free_block(z, bp, bo)

    def is_allocated(self, address: int) -> bool:
        """True when an allocated extent starts at `address`."""
        p, rem = divmod(address, self.config.page_size)
        if rem:
            return False
        if p in self._single:
            return True
        i = bisect.bisect_right(self._run_starts, p) - 1
        if i < 0:
            return False
        s = self._run_starts[i]
        order, count, _ = self._runs[s]
        off = p - s
        return off < count << order and not off & ((1 << order) - 1)

    def _free_block(self, z: _Zone, p: int, k: int) -> None:
        z.avail += 1 << k
        top = self.top
        lists = z.lists
        while k < top:
            d = lists[k]
            b = p ^ (1 << k)
            if b in d:
                del d[b]
                if not d:
                    z.mask &= ~(1 << k)
                p &= ~(1 << k)
                k += 1
            else:
                break
        if k == top:
            z.runs.append([p, 1])
            z.ntop += 1
        else:
            lists[k][p] = None
        z.mask |= 1 << k

    # -- views --------------------------------------------------------------------------------------------
    def free_counts(self, node: int, zone: str) -> Tuple[int, ...]:
        """Free blocks per order 0..top, as buddyinfo prints them."""
        z = self._zones[self._ni[node] * self._nz + self._zone_index(zone)]
        return tuple(len(d) for d in z.lists) + (z.ntop,)

    def free_pages(self, node: int, zone: Optional[str] = None) -> int:
        base = self._ni[node] * self._nz
        if zone is not None:
            return self._zones[base + self._zone_index(zone)].avail
        return sum(self._zones[base + i].avail for i in range(self._nz))

    def seeded_pages(self, node: int, zone: str) -> int:
        return self._zones[self._ni[node] * self._nz + self._zone_index(zone)].seeded

    def free_blocks(self, node: int, zone: str) -> List[Tuple[int, int]]:
        """Every free block as (address, order), sorted. O(blocks): for tests and small heaps."""
        z = self._zones[self._ni[node] * self._nz + self._zone_index(zone)]
        ps = self.config.page_size
        out = [(p * ps, o) for o, d in enumerate(z.lists) for p in d]
        out += [((s + (i << self.top)) * ps, self.top) for s, n in z.runs for i in range(n)]
        return sorted(out)

    def zones_of(self, node: int) -> Tuple[str, ...]:
        """Zone names of a node that were seeded with memory."""
        base = self._ni[node] * self._nz
        return tuple(self.config.zones[i] for i in range(self._nz) if self._zones[base + i].seeded)

    def allocated_extents(self) -> int:
        return len(self._single) + sum(c for _, c, _ in self._runs.values())

    def counters(self, node: int) -> NumaCounters:
        return NumaCounters(*self._counters[node])
