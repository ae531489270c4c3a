"""Domain population: hand-computed scenarios on an asymmetric host, and batching == extent-by-extent."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numaprobe.sim.buddy import FALLBACK_DISTANCE, FALLBACK_XEN, XEN, BuddyAllocator, BuddyConfig, Chunk
from numaprobe.sim.populate import DomainRequest, populate, release

GiB = 1 << 30
MiB = 1 << 20

# Node 0: 4 GiB, node 1: 2 GiB (smaller than the domains below), node 2: 4 GiB and no CPU.
# SLIT (asymmetric sizes, symmetric distances): 0-1 21, 0-2 30, 1-2 25.
DIST = {(0, 0): 10, (0, 1): 21, (0, 2): 30, (1, 0): 21, (1, 1): 10, (1, 2): 25, (2, 0): 30, (2, 1): 25, (2, 2): 10}
CHUNKS = [Chunk(0, "Normal", 4 * GiB, 8 * GiB), Chunk(1, "Normal", 8 * GiB, 10 * GiB),
          Chunk(2, "Normal", 10 * GiB, 14 * GiB)]


def host():
    return BuddyAllocator.from_chunks(CHUNKS, XEN, distances=DIST, cpu_nodes=[0, 1])


def counters(a, node):
    c = a.counters(node)
    return c.numa_hit, c.numa_miss, c.numa_foreign, c.interleave_hit


def test_local_spills_to_nearest_by_zonelist():
    a = host()
    p = populate(a, DomainRequest("d", vcpus=4, memory_bytes=3 * GiB, node_list=(1,), policy="local"))
    # Node 1 holds two 1 GiB extents; node 1's zonelist is 1, then 0 (21 +1 below +1 CPUs = 23), then 2 (25).
    assert p.by_node == {0: 1 * GiB, 1: 2 * GiB, 2: 0}
    assert p.extents_by_order == ((18, 3),)
    assert p.local_fraction == pytest.approx(2 / 3)
    assert p.distance_weighted == pytest.approx(2 / 3 + (1 / 3) * 21 / 10)
    assert counters(a, 1) == (2, 0, 1, 0)
    assert counters(a, 0) == (0, 1, 0, 0)


def test_balance_round_robin_then_rest_of_mask_then_outside():
    a = host()
    p = populate(a, DomainRequest("d", vcpus=4, memory_bytes=7 * GiB, node_list=(0, 1), policy="balance"))
    # last_alloc_node starts at 0: extents go 1,0,1,0; node 1 is full so 0,0; both full so node 2.
    assert p.by_node == {0: 4 * GiB, 1: 2 * GiB, 2: 1 * GiB}
    assert p.vcpu_nodes == (0, 0, 1, 1)
    assert p.local_fraction == pytest.approx(6 / 7)
    from_0 = (4 + 2 * 21 / 10 + 1 * 30 / 10) / 7
    from_1 = (4 * 21 / 10 + 2 + 1 * 25 / 10) / 7
    assert p.distance_weighted == pytest.approx((from_0 + from_1) / 2)
    # Extents 5 and 6 wanted node 1 and got 0; extent 7 wanted 1 and got 2.
    assert counters(a, 0) == (2, 2, 0, 0)
    assert counters(a, 1) == (2, 0, 3, 0)
    assert counters(a, 2) == (0, 1, 0, 0)


def test_interleave_target_advances_and_full_target_falls_back_by_distance():
    a = host()
    p = populate(a, DomainRequest("d", vcpus=2, memory_bytes=7 * GiB, node_list=(0, 1), policy="interleave"))
    # Targets 0,1,0,1,0,1,0: extent 6 (target 1, full) goes to 0; extent 7 (target 0, full; 1 full) to 2.
    assert p.by_node == {0: 4 * GiB, 1: 2 * GiB, 2: 1 * GiB}
    assert counters(a, 0) == (3, 1, 1, 3)
    assert counters(a, 1) == (2, 0, 1, 2)
    assert counters(a, 2) == (0, 1, 0, 0)


def test_exact_fails_rather_than_going_remote():
    a = host()
    p = populate(a, DomainRequest("d", vcpus=2, memory_bytes=7 * GiB, node_list=(0, 1), policy="exact"))
    # 3.5 GiB per node: node 0 takes 3 x 1 GiB + 256 x 2 MiB; node 1 only has its 2 GiB.
    assert p.by_node == {0: 3 * GiB + 512 * MiB, 1: 2 * GiB, 2: 0}
    assert dict(p.extents_by_order) == {18: 5, 9: 256}
    assert not p.complete
    assert p.bytes_placed == 5 * GiB + 512 * MiB
    assert counters(a, 2) == (0, 0, 0, 0)


def test_domains_in_order_and_release_restores_heap():
    a = host()
    before = {n: a.free_blocks(n, "Normal") for n in a.nodes}
    p1 = populate(a, DomainRequest("a", vcpus=2, memory_bytes=3 * GiB + 6 * MiB + 8192, nodes=1, policy="local"))
    # nodes=1 picks the CPU node with the most free memory: node 0 (4 GiB) over node 1 (2 GiB).
    assert p1.nodes_requested == (0,)
    assert dict(p1.extents_by_order) == {18: 3, 9: 3, 0: 2}
    p2 = populate(a, DomainRequest("b", vcpus=2, memory_bytes=2 * GiB, nodes=1, policy="local"))
    assert p2.nodes_requested == (1,)
    assert p2.by_node[1] == 2 * GiB
    release(a, p1)
    release(a, p2)
    assert {n: a.free_blocks(n, "Normal") for n in a.nodes} == before


SMALL = BuddyConfig(4096, 6)


@st.composite
def small_hosts(draw):
    n = draw(st.integers(2, 4))
    chunks, base = [], 0
    for node in range(n):
        pages = draw(st.integers(0, 400))
        if pages:
            chunks.append(Chunk(node, draw(st.sampled_from(["DMA32", "Normal"])), base, base + pages * 4096))
        base += (pages + draw(st.integers(0, 70))) * 4096
    dist = {(x, y): 10 if x == y else draw(st.integers(11, 40)) for x in range(n) for y in range(n)}
    return chunks, dist, n


@settings(max_examples=150, deadline=None)
@given(small_hosts(), st.sampled_from(["balance", "interleave"]), st.integers(1, 1200), st.data())
def test_batched_round_robin_equals_extent_by_extent(hostspec, policy, pages, data):
    chunks, dist, n = hostspec
    nodes = tuple(sorted(data.draw(st.sets(st.integers(0, n - 1), min_size=1))))
    a = BuddyAllocator.from_chunks(chunks, SMALL, nodes=range(n), distances=dist)
    ref = BuddyAllocator.from_chunks(chunks, SMALL, nodes=range(n), distances=dist)
    p = populate(a, DomainRequest("d", vcpus=2, memory_bytes=pages * 4096, node_list=nodes, policy=policy),
                 extent_orders=[3, 0])
    got = {x: 0 for x in ref.nodes}
    last, cursor = 0, 0
    for order in (3, 0):
        k = (pages - sum(got.values())) >> order
        for _ in range(k):
            if policy == "balance":
                wanted = next((x for x in nodes if x > last), nodes[0])
                b = ref.alloc(order, node=wanted, fallback=FALLBACK_XEN, affinity=nodes, cpu_node=wanted)
            else:
                wanted = nodes[cursor]
                cursor = (cursor + 1) % len(nodes)
                b = ref.alloc(order, node=wanted, fallback=FALLBACK_DISTANCE, cpu_node=wanted, interleave=True)
            if b is None:
                break
            last = b.node
            got[b.node] += 1 << order
    assert p.by_node == {x: pg * 4096 for x, pg in got.items()}
    for x in ref.nodes:
        assert a.counters(x) == ref.counters(x)
        assert a.free_pages(x) == ref.free_pages(x)
