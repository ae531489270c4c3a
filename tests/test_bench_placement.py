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


def test_numad_sizes_nodes_from_node_zero():
    # T5: node 5 has half the DIMMs; numad still assumes every node is node 0's size.
    topo = synthetic.nps4(halved_node=5)
    host = harness.Host(topo)
    ch = baselines.Numad().decide(host, 4, 40 * harness.GIB_UNITS)
    assert len(ch.nodes) == 1
