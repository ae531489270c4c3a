"""Giving blocks back to the buddy allocator (merging buddies as Linux's __free_one_page and Xen's free_heap_pages
do) and its read-only views: free counts per order, free pages, blocks, counters."""

from __future__ import annotations

import bisect
from typing import Dict, List, Optional, Tuple

from numaprobe.sim.heap_types import AllocationError, Block, ExtentRun, NumaCounters, aligned_blocks


class FreeingAndViews:
    """A mixin of BuddyAllocator: it uses the allocator's zones, allocation maps and counters."""

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

    def _free_block(self, z: "_Zone", p: int, k: int) -> None:
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
