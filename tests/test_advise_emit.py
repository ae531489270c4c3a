"""The ready-to-paste configuration, checked by the tools that consume it: virt-xml-validate (libvirt's RNG
schema) and systemd-analyze verify. Both are installed by .ci/run; the tests skip with a reason without them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from oracles import REPO, need_tool
from xl_rules import parse_xl
from libvirt_rules import virsh_define_all
from numaprobe.advise import emit, libvirt, synthetic
from numaprobe.advise.decide import decide
from numaprobe.advise.inputs import placement_input
from numaprobe.advise.types import PlacementRequest

G = 1 << 30
CASES = [("snc2", synthetic.snc2, PlacementRequest(20, 100 * G)),
         ("nps4-interleave", synthetic.nps4, PlacementRequest(32, 200 * G, mode="interleave")),
         ("asym-preferred", synthetic.asymmetric, PlacementRequest(8, 300 * G, mode="preferred")),
         ("2s-1G", lambda: synthetic.make_topology(
             [synthetic.NodeSpec(8, 64, 0, free_1g_pages=16), synthetic.NodeSpec(8, 64, 1, free_1g_pages=16)],
             [[10, 21], [21, 10]]), PlacementRequest(4, 8 * G, hugepage_bytes=G))]


def _placement(make, req):
    inp = placement_input(make())
    return inp, decide(inp, req)


@pytest.mark.oracle
@pytest.mark.parametrize("name,make,req", CASES, ids=[c[0] for c in CASES])
def test_libvirt_domain_validates_against_the_schema_and_libvirt(name, make, req, tmp_path):
    exe = need_tool("virt-xml-validate")
    need_tool("xmllint")
    need_tool("virsh")
    inp, p = _placement(make, req)
    f = tmp_path / "domain.xml"
    f.write_text(libvirt.libvirt_domain(p, inp, name="np-" + name))
    r = subprocess.run([exe, str(f), "domain"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr + f.read_text()
    got = virsh_define_all([("np-" + name, f.read_text())], tmp_path)
    assert got["np-" + name] == req.memory_bytes // 1024, got


@pytest.mark.oracle
@pytest.mark.parametrize("name,make,req", CASES, ids=[c[0] for c in CASES])
def test_systemd_unit_verifies(name, make, req, tmp_path):
    exe = need_tool("systemd-analyze")
    _, p = _placement(make, req)
    f = tmp_path / "numaprobe-advice-test.service"
    f.write_text(emit.systemd_unit(p))
    r = subprocess.run([exe, "verify", str(f)], capture_output=True, text=True)
    # systemd 252 exits 0 on unparsable properties and only complains on stderr, naming the file
    assert r.returncode == 0 and f.name not in r.stderr, r.stderr


def test_systemd_check_catches_a_bad_property(tmp_path):
    exe = need_tool("systemd-analyze")
    f = tmp_path / "bad.service"
    f.write_text("[Service]\nExecStart=/bin/true\nNUMAPolicy=bogus\n")
    r = subprocess.run([exe, "verify", str(f)], capture_output=True, text=True)
    assert f.name in r.stderr


def test_numactl_lines():
    _, p = _placement(synthetic.snc2, PlacementRequest(20, 100 * G))
    # 16 vCPUs on node 0 next to the memory, the other 4 on one thread per core of node 1 (16, 18, 20, 22)
    assert emit.numactl_command(p) == "numactl --physcpubind=0-16,18,20,22 --membind=0 -- COMMAND"
    # T4, 8 vCPUs and 300 GiB: node 0's 192 GiB and 108 GiB of CPU node 1 (memory-only node 2 is a slower
    # tier, used only when the CPU nodes are short); a second line says numactl has no guest cells
    _, p = _placement(synthetic.asymmetric, PlacementRequest(8, 300 * G, mode="preferred"))
    first, second = emit.numactl_command(p).splitlines()
    assert first == "numactl --physcpubind=0-23 --preferred-many=0-1 -- COMMAND"
    assert second.startswith("# numactl cannot express a guest NUMA topology")
    _, p = _placement(synthetic.nps4, PlacementRequest(32, 200 * G, mode="interleave"))
    assert "--interleave=0-3" in emit.numactl_command(p)


def test_xl_vnuma_when_memory_spans_nodes():
    # 20 vCPUs, 200 GiB on SNC2: two 16-thread nodes of socket 0 (same-socket distance 11), vCPUs filled
    # nearest first: 16 on node 0, 4 on node 1. Node 0 costs 0.8*10 + 0.2*11 = 10.2, node 1 10.8, so memory
    # fills node 0 first: 128 + 72 GiB = 131072 + 73728 MiB, exactly memory = 204800.
    inp, p = _placement(synthetic.snc2, PlacementRequest(20, 200 * G))
    assert p.chosen.distance_weighted == pytest.approx(1.0416)
    text = emit.xl_fragment(p, inp)
    assert "memory = 204800" in text
    cfg = parse_xl(text)
    # one hard affinity per vCPU: vCPUs 0-15 on node 0's CPUs, 16-19 on one thread per core of node 1
    assert sorted(int(c) for c in cfg["cpus"][:16]) == list(range(16)) and cfg["cpus"][16:] == ["16", "18", "20", "22"]
    assert '[ "pnode=0", "size=131072", "vcpus=0-15", "vdistances=10,11" ],' in text
    assert '[ "pnode=1", "size=73728", "vcpus=16-19", "vdistances=11,10" ]' in text
    # NPS4, 32 vCPUs and 200 GiB: the vCPUs need two nodes, the memory four; vCPUs stay on 0-1; nodes 2-3
    # are vnodes without vCPUs (libxl_vnuma.c only wants every vCPU in one vnode): 64 * 3 + 8 GiB.
    inp, p = _placement(synthetic.nps4, PlacementRequest(32, 200 * G))
    assert p.chosen.cpu_nodes == (0, 1) and p.chosen.distance_weighted == pytest.approx(2272 / 2000)
    cfg = parse_xl(emit.xl_fragment(p, inp))
    sizes = {dict(x.split("=") for x in v)["pnode"]: int(dict(x.split("=") for x in v)["size"]) for v in cfg["vnuma"]}
    assert sum(sizes.values()) == 200 * 1024 and len(sizes) == 4
    assert all("vcpus=" not in " ".join(v) for v in cfg["vnuma"][2:])
def _live_advice(*args, taskset=None):
    cmd = ([shutil.which("taskset"), "-c", taskset] if taskset else []) + [
        sys.executable, "-m", "numaprobe", "advise", *args]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.oracle
@pytest.mark.parametrize("taskset", [None, "1"])
@pytest.mark.parametrize("mode", ["strict", "preferred", "interleave"])
def test_numactl_runs_the_live_advice(mode, taskset):
    """On this host, numactl itself accepts (and applies) the command line advise prints, also inside a
    `taskset -c 1` shell, where the advice must stay inside that affinity."""
    exe = need_tool("numactl")
    need_tool("taskset")
    r = _live_advice("--vcpus", "1", "--memory", "16M", "--mode", mode, "--format", "numactl", taskset=taskset)
    assert r.returncode == 0, r.stderr
    args = r.stdout.splitlines()[0].split()
    assert args[0] == "numactl" and args[-1] == "COMMAND"
    if taskset:
        assert "--physcpubind=1" in args
    run = ([shutil.which("taskset"), "-c", taskset] if taskset else []) + [exe] + args[1:-1] + ["true"]
    done = subprocess.run(run, capture_output=True, text=True)
    assert done.returncode == 0, (args, done.stderr)


def test_more_vcpus_than_the_callers_affinity_is_exit_1():
    need_tool("taskset")
    r = _live_advice("--vcpus", "2", "--memory", "16M", "--format", "numactl", taskset="1")
    assert r.returncode == 1 and r.stdout.strip() == "" and "within the caller's cpuset" in r.stderr
    r = _live_advice("--vcpus", "2", "--memory", "16M", "--format", "numactl", "--ignore-cpuset", taskset="1")
    assert r.returncode == 0 and "--physcpubind=1" not in r.stdout
