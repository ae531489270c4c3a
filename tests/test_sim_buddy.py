"""Invariants of the buddy allocator (property-based) and small hand-computed cases."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numaprobe.sim.buddy import (
    FALLBACK_DISTANCE,
    FALLBACK_XEN,
    LINUX,
    XEN,
    AllocationError,
    BuddyAllocator,
    BuddyConfig,
    Chunk,
    aligned_blocks,
)

MiB = 1 << 20
GiB = 1 << 30
SMALL = BuddyConfig(4096, 5)  # 128 KiB top blocks: small heaps still use every order


def _zone_of(start: int) -> str:
    return "DMA" if start < 16 * MiB else "DMA32" if start < 4 * GiB else "Normal"


@st.composite
def heaps(draw):
    """2-4 nodes, each a few page-granular chunks at arbitrary (unaligned) addresses, in one zone each."""
    n_nodes = draw(st.integers(2, 4))
    chunks = []
    base = draw(st.integers(0, 64)) * 4096
    for node in range(n_nodes):
        zone = draw(st.sampled_from(["DMA32", "Normal"]))
        for _ in range(draw(st.integers(1, 2))):
            pages = draw(st.integers(1, 300))
            chunks.append(Chunk(node, zone, base, base + pages * 4096))
            base += (pages + draw(st.integers(1, 40))) * 4096
    dist = {}
    for a in range(n_nodes):
        for b in range(n_nodes):
            dist[(a, b)] = 10 if a == b else draw(st.integers(11, 40))
    return chunks, dist


def _snapshot(a):
    return {(n, z): a.free_blocks(n, z) for n in a.nodes for z in a.config.zones}


ops = st.lists(st.tuples(st.integers(0, 6), st.integers(0, 3), st.booleans(), st.sampled_from(
    [FALLBACK_DISTANCE, FALLBACK_XEN]), st.integers(0, 10 ** 6)), min_size=1, max_size=60)


@settings(max_examples=150, deadline=None)
@given(heaps(), ops)
def test_invariants_hold_under_random_alloc_and_free(heap, steps):
    chunks, dist = heap
    a = BuddyAllocator.from_chunks(chunks, SMALL, distances=dist)
    initial = _snapshot(a)
    seeded = {(n, z): a.seeded_pages(n, z) for n in a.nodes for z in a.config.zones}
    live = {}  # address -> (pages, node, zone)
    for order, node, exact, fallback, pick in steps:
        if live and pick % 3 == 0:
            addr = sorted(live)[pick % len(live)]
            b = a.free(addr)
            assert (1 << b.order, b.node, b.zone) == live.pop(addr)
            continue
        node %= len(a.nodes)
        order = min(order, SMALL.top_order)
        walk = (node,) if exact else a.fallback_nodes(node, fallback)
        # Xen walks every node in its first zone pass (no DMA zones) before a second pass over all zones.
        expected_first = [n for zs in a.zone_passes(fallback, None) for n in walk if a.capacity(n, order, zs)]
        b = a.alloc(order, node=node, exact=exact, fallback=fallback)
        if b is None:
            assert not expected_first
            continue
        # Fallback order: the first node of the rule that had room.
        assert b.node == expected_first[0]
        if exact:
            assert b.node == node
        assert b.address % (4096 << order) == 0
        assert b.address not in live
        live[b.address] = (1 << order, b.node, b.zone)
        # No two live blocks overlap.
        spans = sorted((ad, ad + p * 4096) for ad, (p, _, _) in live.items())
        assert all(e <= s2 for (_, e), (s2, _) in zip(spans, spans[1:]))
        # Free plus allocated equals what was seeded, per node and zone.
        for (n, z), total in seeded.items():
            used = sum(p for p, nn, zz in live.values() if (nn, zz) == (n, z))
            assert a.free_pages(n, z) + used == total
    for addr in list(live):
        a.free(addr)
    assert _snapshot(a) == initial


@settings(max_examples=100, deadline=None)
@given(heaps(), st.integers(0, 4), st.integers(1, 400), st.integers(0, 3), st.sampled_from([FALLBACK_DISTANCE,
                                                                                           FALLBACK_XEN]))
def test_bulk_extents_equal_single_allocations(heap, order, count, node, fallback):
    chunks, dist = heap
    bulk = BuddyAllocator.from_chunks(chunks, SMALL, distances=dist)
    single = BuddyAllocator.from_chunks(chunks, SMALL, distances=dist)
    node %= len(bulk.nodes)
    runs = bulk.alloc_extents(order, count, node=node, fallback=fallback)
    got_bulk = sorted((r.address + i * (4096 << order), r.node) for r in runs for i in range(r.count))
    got_single = []
    for _ in range(count):
        b = single.alloc(order, node=node, fallback=fallback)
        if b is None:
            break
        got_single.append((b.address, b.node))
    assert got_bulk == sorted(got_single)
    assert _snapshot(bulk) == _snapshot(single)
    for n in bulk.nodes:
        assert bulk.counters(n) == single.counters(n)
    initial = _snapshot(BuddyAllocator.from_chunks(chunks, SMALL, distances=dist))
    for r in runs:
        bulk.free_run(r)
    assert _snapshot(bulk) == initial


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.tuples(st.integers(0, 2), st.sampled_from(["DMA", "DMA32", "Normal"])),
                       st.lists(st.integers(0, 5), min_size=11, max_size=11), min_size=1, max_size=5),
       st.lists(st.tuples(st.integers(0, 10), st.integers(0, 2), st.booleans()), max_size=40))
def test_counts_seed_restores_exactly(counts, steps):
    a = BuddyAllocator.from_counts(counts)
    assert a.config.top_order == 10
    for (n, z), per_order in counts.items():
        assert a.free_counts(n, z) == tuple(per_order)
    live = []
    for order, node, free_one in steps:
        if free_one and live:
            a.free(live.pop(0))
            continue
        b = a.alloc(order, node=a.nodes[node % len(a.nodes)])
        if b is not None:
            live.append(b.address)
    for addr in live:
        a.free(addr)
    for (n, z), per_order in counts.items():
        assert a.free_counts(n, z) == tuple(per_order)


def test_aligned_blocks_split_unaligned_range():
    # pfns 3..37 with top order 3: 3 | 4-7 | 8-31 (3 top blocks) | 32-35 | 36
    assert list(aligned_blocks(3, 37, 3)) == [(3, 0, 1), (4, 2, 1), (8, 3, 3), (32, 2, 1), (36, 0, 1)]


def test_split_and_merge_by_hand():
    a = BuddyAllocator.from_chunks([Chunk(0, "Normal", 4 * GiB, 4 * GiB + 4 * MiB)], LINUX)
    assert a.free_counts(0, "Normal") == (0,) * 10 + (1,)
    b = a.alloc(0)
    assert b.address == 4 * GiB and b.zone == "Normal"
    # One order-10 block split down to order 0: one free buddy at each order 0..9.
    assert a.free_counts(0, "Normal") == (1,) * 10 + (0,)
    b2 = a.alloc(0)
    assert b2.address == 4 * GiB + 4096
    a.free(b.address)
    assert a.free_counts(0, "Normal") == (1,) * 10 + (0,)  # pfn 0 cannot merge: its buddy pfn 1 is in use
    a.free(b2.address)
    assert a.free_counts(0, "Normal") == (0,) * 10 + (1,)
    with pytest.raises(AllocationError):
        a.free(b2.address)


def test_zones_highest_first_then_lower_and_zone_limit():
    chunks = [Chunk(0, "DMA", 1 * MiB, 16 * MiB), Chunk(0, "DMA32", 16 * MiB, 32 * MiB),
              Chunk(0, "Normal", 4 * GiB, 4 * GiB + 8 * MiB)]
    a = BuddyAllocator.from_chunks(chunks, LINUX)
    assert a.alloc(10).zone == "Normal"
    assert a.alloc(10, zone_max="DMA32").zone == "DMA32"
    assert a.alloc(10, zone_max="DMA").zone == "DMA"
    assert a.alloc(10).zone == "Normal"
    assert a.alloc(10).zone == "DMA32"  # Normal is full: the same node's lower zones before any other node


def test_linux_zonelist_and_xen_order():
    # 4 nodes, node 3 memory-only. SLIT: 0-1 21, 0-2 21, 0-3 21; from 2, nodes 1 and 3 both at 21.
    d = {(a, b): 10 if a == b else 21 for a in range(4) for b in range(4)}
    a = BuddyAllocator(LINUX, [0, 1, 2, 3], distances=d, cpu_nodes=[0, 1, 2])
    # from 2: node 3 (21, CPU-less) < node 0/1 (21 +1 below local +1 has CPUs = 23), ties by id
    assert a.fallback_nodes(2, FALLBACK_DISTANCE) == (2, 3, 0, 1)
    assert a.fallback_nodes(0, FALLBACK_DISTANCE) == (0, 3, 1, 2)
    assert a.fallback_nodes(2, FALLBACK_XEN) == (2, 3, 0, 1)
    assert a.fallback_nodes(2, FALLBACK_XEN, affinity=(0, 2)) == (2, 0, 1, 3)
    assert a.fallback_nodes(1, FALLBACK_XEN, affinity=(0, 2)) == (1, 0, 2, 3)


def test_xen_spills_remote_before_dma32_linux_does_not():
    chunks = [Chunk(0, "DMA32", 16 * MiB, 2 * GiB), Chunk(0, "Normal", 4 * GiB, 5 * GiB),
              Chunk(1, "Normal", 5 * GiB, 6 * GiB)]
    for fallback, expected in ((FALLBACK_XEN, (1, "Normal")), (FALLBACK_DISTANCE, (0, "DMA32"))):
        a = BuddyAllocator.from_chunks(chunks, XEN)
        assert a.alloc(18, node=0, fallback=fallback).node == 0
        b = a.alloc(9, node=0, fallback=fallback)
        assert (b.node, b.zone) == expected


def test_counters_follow_zone_statistics():
    chunks = [Chunk(0, "Normal", 4 * GiB, 4 * GiB + 4 * MiB), Chunk(1, "Normal", 8 * GiB, 8 * GiB + 4 * MiB)]
    a = BuddyAllocator.from_chunks(chunks, LINUX)
    a.alloc(10, node=0)  # hit on 0
    a.alloc(10, node=0, cpu_node=1)  # wanted 0, node 0 full: miss on 1, foreign on 0; CPU on 1: local on 1
    assert a.alloc(10, node=0) is None
    c0, c1 = a.counters(0), a.counters(1)
    assert (c0.numa_hit, c0.numa_miss, c0.numa_foreign, c0.local_node, c0.other_node) == (1, 0, 1, 1, 0)
    assert (c1.numa_hit, c1.numa_miss, c1.numa_foreign, c1.local_node, c1.other_node) == (0, 1, 0, 1, 0)


def test_free_run_after_single_frees_inside_it():
    a = BuddyAllocator.from_chunks([Chunk(0, "Normal", 4 * GiB, 4 * GiB + 64 * MiB)], LINUX)
    initial = _snapshot(a)
    (run,) = a.alloc_extents(9, 20)
    assert run.count == 20 and a.is_allocated(run.address + 3 * (2 * MiB))
    a.free(run.address + 3 * (2 * MiB))
    a.free(run.address)
    assert not a.is_allocated(run.address) and a.allocated_extents() == 18
    with pytest.raises(AllocationError):
        a.free(run.address + 3 * (2 * MiB))
    a.free_run(run)
    assert a.allocated_extents() == 0 and _snapshot(a) == initial
