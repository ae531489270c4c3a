"""A tiny run of bench/placement (the full one is run by hand) and hand-checked baseline behaviour."""

from __future__ import annotations

import random
import sys

import pytest

from oracles import REPO

sys.path[:0] = [str(REPO / "bench" / "placement")]

import baselines  # noqa: E402
import harness  # noqa: E402
import run  # noqa: E402

from numaprobe.advise import synthetic  # noqa: E402


def test_tiny_benchmark_numaprobe_has_no_policy_rejections_and_no_gap():
    topo = synthetic.snc2()
    host_units = sum(harness.Host(topo).seeded)
    trace = harness.churn_trace(host_units, random.Random(17), 0.85, 300, harness.flavor_scale(topo))
    results = {}
    for pol in baselines.all_policies():
        results[pol.name] = run.run_churn(topo, pol, trace, 0, check_gap=True).summary()
    mine = results["N numaprobe"]
    assert mine["rej_policy"] == 0 and mine["gap_max"] == pytest.approx(0.0, abs=1e-12)
    # everyone saw the same trace: the same unavoidable rejections for policies that never refuse on their own
    assert results["B0 xen-none"]["rej_unavoidable"] == mine["rej_unavoidable"]
    # no placement policy at all stripes every domain over both sockets: D = (10 + 11 + 21 + 21) / 40
    assert results["B0 xen-none"]["d_mean"] == pytest.approx(1.575)
    assert mine["d_p95"] <= min(s["d_p95"] for n, s in results.items() if s["rej_policy"] == 0)


def test_libxl_never_targets_the_memory_only_node_but_xenopsd_may():
    topo = synthetic.asymmetric()
    host = harness.Host(topo)
    # 8 vCPUs, 300 GiB: libxl's candidates have CPUs (n0, n1); xenopsd keys {n0, n2} by max distance 14 < 21
    units = 300 * harness.GIB_UNITS
    libxl = baselines.Libxl().decide(host, 8, units)
    assert libxl.nodes == (0, 1)
    x = baselines.Xenopsd()
    x.reset(host, 0)
    ch = x.decide(host, 8, units)
    assert ch.nodes == (0, 2) and ch.cpu_nodes == (0,)  # soft affinity from CPUs drops the CPU-less node


def test_numad_sizing():
    # node 0 is the small one: numad's node-0 sizing asks ceil(100 / 32) = 4 (capped at 3) nodes for 100 GiB,
    # the honest rule one 128 GiB node
    topo = synthetic.make_topology([synthetic.NodeSpec(16, 32, 0), synthetic.NodeSpec(16, 128, 0),
                                    synthetic.NodeSpec(16, 128, 1)], [[10, 11, 21], [11, 10, 21], [21, 21, 10]])
    host = harness.Host(topo, reserve=False)
    assert len(baselines.Numad(node0_sizing=True).decide(host, 4, 100 * harness.GIB_UNITS).nodes) == 3
    assert len(baselines.Numad().decide(host, 4, 100 * harness.GIB_UNITS).nodes) == 1


def test_locality_uses_numaprobes_pinned_layout_and_the_cpu_spread_for_others():
    # T4, 32 vCPUs, 192 GiB on node 0 and 64 on node 1. Pinned 24 + 8 (numaprobe's layout): node 0 costs
    # 0.75*10 + 0.25*21 = 12.75, node 1 18.25, D = (192*12.75 + 64*18.25) / 2560 = 1.4125. Floating over both
    # CPU nodes in proportion to their 24 + 16 threads (every baseline, as before): 14.4 and 16.6, D = 1.495.
    topo = synthetic.asymmetric()
    host = harness.Host(topo)
    by_node = {0: 192 * harness.GIB_UNITS, 1: 64 * harness.GIB_UNITS}

    def domain(share, pinned):
        return harness.Domain(1, 32, sum(by_node.values()), 0.5, (0, 1), (0, 1), share, [], by_node,
                              pinned=pinned)

    assert harness.locality(host, domain({0: 24.0, 1: 8.0}, True)) == pytest.approx(1.4125)
    spread = harness.spread_vcpus(host, (0, 1), 32)
    assert harness.locality(host, domain(spread, False)) == pytest.approx(1.495)
    # the pinned formula agrees with the old one when the layout is the CPU spread
    assert harness.locality(host, domain(spread, True)) == pytest.approx(1.495)
