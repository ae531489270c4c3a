"""The placement search: hand-checked answers on the benchmark's
topologies (numbers worked out from the SLIT by hand, in the comments)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from numaprobe.advise import synthetic
from numaprobe.advise.decide import decide, place_sequence
from numaprobe.advise.inputs import placement_input
from numaprobe.advise.types import PlacementInput, PlacementRequest

G = 1 << 30


# Optimality against an independent brute force of docs/advice.md: tests/test_advise_oracle.py.


def test_asymmetric_keeps_to_the_cpu_nodes_while_they_hold_the_memory():
    # T4: 300 GiB for 8 vCPUs. The CPU nodes hold 192 + 128 GiB, so memory-only node 2 (a slower tier) is not
    # used: n0's 192 GiB, then 108 GiB of n1 (distance 21): D = (192*10 + 108*21) / 3000 = 1.396
    inp = placement_input(synthetic.asymmetric())
    p = decide(inp, PlacementRequest(8, 300 * G))
    assert p.chosen.nodes == (0, 1)
    assert dict(p.chosen.bytes_by_node) == {0: 192 * G, 1: 108 * G}
    assert p.chosen.distance_weighted == pytest.approx(1.396)
    assert "slow-tier-memory" not in [n.code for n in p.notes]
    # 400 GiB does not fit the CPU nodes (320): then node 2 joins, nearest first from node 0 (14 before 21):
    # 192 on n0, 208 on n2: D = (192*10 + 208*14) / 4000 = 1.208
    p = decide(inp, PlacementRequest(8, 400 * G))
    assert p.chosen.nodes == (0, 2) and dict(p.chosen.bytes_by_node) == {0: 192 * G, 2: 208 * G}
    assert p.chosen.distance_weighted == pytest.approx(1.208)
    assert "slow-tier-memory" in [n.code for n in p.notes]


def test_snc_keeps_a_two_node_domain_on_one_socket():
    # T2: 20 vCPUs need two 16-thread nodes; same socket costs 11, the other socket 21.
    # vCPUs filled nearest the memory: 16 on node 0 with all 100 GiB, the 4 that do not fit on node 1:
    # D = (16/20*10 + 4/20*11) / 10 = 1.02 (50/50 over the pair would give 1.05)
    p = decide(placement_input(synthetic.snc2()), PlacementRequest(20, 100 * G))
    assert p.chosen.nodes == (0, 1)
    assert p.chosen.distance_weighted == pytest.approx(1.02)
    assert dict(p.chosen.bytes_by_node) == {0: 100 * G, 1: 0}
    assert p.chosen.vcpus_by_node == ((0, 16), (1, 4))
    assert len([c for c in p.pinning if c < 16]) == 16 and len(p.pinning) == 20
    # the cpuset holds node 1's four pinned CPUs only (one thread per core), so floating threads keep 16 + 4
    assert p.cpus == tuple(range(16)) + (16, 18, 20, 22)
    assert not any("socket" in n.code for n in p.notes)


def test_spanning_domain_fills_the_node_next_to_its_memory_first():
    # T4, 32 vCPUs on 24 + 16 threads and 256 GiB: 24 vCPUs on node 0, only the 8 that do not fit on node 1.
    # Node 0 costs 0.75*10 + 0.25*21 = 12.75, node 1 0.75*21 + 0.25*10 = 18.25; node 0's 192 GiB first:
    # D = (192*12.75 + 64*18.25) / 2560 = 1.4125. In proportion to the CPUs (19.2 + 12.8 vCPUs) node 0 would
    # cost 14.4 and node 1 16.6: D = (192*14.4 + 64*16.6) / 2560 = 1.495.
    p = decide(placement_input(synthetic.asymmetric()), PlacementRequest(32, 256 * G))
    assert p.chosen.nodes == (0, 1) and p.chosen.vcpus_by_node == ((0, 24), (1, 8))
    assert dict(p.chosen.bytes_by_node) == {0: 192 * G, 1: 64 * G}
    assert p.chosen.distance_weighted == pytest.approx(1.4125)
    # the pinning realises that layout, and the cpuset holds only node 1's pinned CPUs (one thread per core)
    assert sorted(p.pinning[:24]) == list(range(24)) and p.pinning[24:] == tuple(range(24, 40, 2))
    assert p.cpus == tuple(range(25)) + tuple(range(26, 40, 2))
    assert "no-single-socket" in [n.code for n in p.notes]


def test_warning_when_no_placement_keeps_one_socket():
    p = decide(placement_input(synthetic.two_socket()), PlacementRequest(40, 300 * G))
    assert p.chosen.nodes == (0, 1)
    assert "warning: no placement keeps this domain on one socket" in [n.message for n in p.notes]


def test_device_pulls_towards_its_node():
    inp = placement_input(synthetic.nps4())
    assert decide(inp, PlacementRequest(4, 16 * G)).chosen.nodes == (0,)
    assert decide(inp, PlacementRequest(4, 16 * G, device_node=6)).chosen.nodes == (6,)
    # a 2-node domain with its device on node 6 stays on socket 1 and includes node 6
    two = decide(inp, PlacementRequest(20, 100 * G, device_node=6)).chosen.nodes
    assert 6 in two and all(n >= 4 for n in two)


def test_infeasible_says_what_is_missing_and_the_best_partial():
    p = decide(placement_input(synthetic.asymmetric()), PlacementRequest(64, 512 * G))
    assert not p.feasible
    assert p.missing == ("64 vCPUs asked, the host has 40 CPUs",)
    assert p.chosen is not None and "partial-option" in [n.code for n in p.notes]
    p = decide(placement_input(synthetic.snc2()), PlacementRequest(4, 600 * G))
    assert "600 GiB asked, 512 GiB of usable memory (short by 88 GiB)" in p.missing[0]


def test_hugepages_use_only_free_huge_pages():
    specs = [synthetic.NodeSpec(8, 64, 0, free_1g_pages=4), synthetic.NodeSpec(8, 64, 0, free_1g_pages=16)]
    topo = synthetic.make_topology(specs, [[10, 11], [11, 10]])
    p = decide(placement_input(topo), PlacementRequest(4, 8 * G, hugepage_bytes=G))
    assert p.chosen.nodes == (1,)
    assert not decide(placement_input(topo), PlacementRequest(4, 32 * G, hugepage_bytes=G)).feasible


def test_count_places_each_domain_seeing_the_others():
    # T3 nodes have 64 GiB: three 40 GiB domains cannot share a node, so they land on three nodes.
    ps = place_sequence(placement_input(synthetic.nps4()), [PlacementRequest(8, 40 * G)] * 3)
    nodes = [p.chosen.nodes for p in ps]
    assert len(set(nodes)) == 3 and all(len(n) == 1 for n in nodes)
    assert len(set(c for p in ps for c in p.pinning)) == 24


def test_committed_cpus_make_a_node_more_loaded():
    topo = synthetic.snc2()
    inp = placement_input(topo, committed_cpus=range(0, 16))
    p = decide(inp, PlacementRequest(16, 16 * G))
    assert p.chosen.nodes != (0,)


def test_large_machine_is_fast_enough_and_sane():
    import time
    inp = placement_input(synthetic.grid(8, 8, hop=2))
    t0 = time.perf_counter()
    p = decide(inp, PlacementRequest(40, 200 * G))
    assert time.perf_counter() - t0 < 1.0  # the 10 ms budget is measured by bench/placement, not here
    assert p.feasible and not p.exact and p.chosen.nodes == (0, 1, 2, 3)


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError):
        decide(placement_input(synthetic.snc2()), replace(PlacementRequest(1, G), mode="bogus"))
