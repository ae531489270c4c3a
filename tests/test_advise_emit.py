"""The ready-to-paste configuration, checked by the tools that consume it: virt-xml-validate (libvirt's RNG
schema) and systemd-analyze verify. Both are installed by .ci/run; the tests skip with a reason without them."""

from __future__ import annotations

import subprocess

import pytest

from oracles import need_tool
from numaprobe.advise import emit, synthetic
from numaprobe.advise.search import PlacementRequest, decide, placement_input

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
def test_libvirt_domain_validates(name, make, req, tmp_path):
    exe = need_tool("virt-xml-validate")
    need_tool("xmllint")
    _, p = _placement(make, req)
    f = tmp_path / "domain.xml"
    f.write_text(emit.libvirt_domain(p))
    r = subprocess.run([exe, str(f), "domain"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr + f.read_text()


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
    _, p = _placement(synthetic.asymmetric, PlacementRequest(8, 300 * G, mode="preferred"))
    assert emit.numactl_command(p) == "numactl --physcpubind=0-23 --preferred-many=0,2 -- COMMAND"
    _, p = _placement(synthetic.nps4, PlacementRequest(32, 200 * G, mode="interleave"))
    assert "--interleave=0-3" in emit.numactl_command(p)


def test_xl_vnuma_when_memory_spans_cpu_nodes():
    # 20 vCPUs, 200 GiB on SNC2: two 16-thread nodes of socket 0 (same-socket distance 11), vCPUs filled
    # nearest first: 16 on node 0, 4 on node 1. Node 0 costs 0.8*10 + 0.2*11 = 10.2, node 1 10.8, so memory
    # fills node 0 first: 128 + 72 GiB, D = (128*10.2 + 72*10.8) / 2000 = 1.0416 (50/50 vCPUs: 1.05).
    inp, p = _placement(synthetic.snc2, PlacementRequest(20, 200 * G))
    assert p.chosen.distance_weighted == pytest.approx(1.0416)
    text = emit.xl_fragment(p, inp)
    assert 'cpus = "0-16,18,20,22"' in text and 'cpus_soft = "node:0,1"' in text
    assert '[ "pnode=0", "size=131072", "vcpus=0-15", "vdistances=10,11" ],' in text
    assert '[ "pnode=1", "size=73728", "vcpus=16-19", "vdistances=11,10" ]' in text
    # NPS4, 32 vCPUs and 200 GiB: the vCPUs need two nodes, the memory four; vCPUs stay on 0-1, nearer
    # to all of it (D 1.136 instead of 1.15), and nodes 2-3 (memory only) cannot be Xen vnodes.
    inp, p = _placement(synthetic.nps4, PlacementRequest(32, 200 * G))
    assert p.chosen.cpu_nodes == (0, 1) and p.chosen.distance_weighted == pytest.approx(2272 / 2000)
    text = emit.xl_fragment(p, inp)
    assert 'cpus = "0-31"' in text and "no vnuma (every Xen vnode needs vCPUs)" in text
    assert "vnuma = [" not in text
    # a CPU-less memory node cannot be a Xen vnode either
    inp, p = _placement(synthetic.asymmetric, PlacementRequest(8, 300 * G))
    text = emit.xl_fragment(p, inp)
    assert "vnuma = [" not in text and "# memory on nodes 0,2, vCPUs on 0" in text


@pytest.mark.oracle
@pytest.mark.parametrize("mode", ["strict", "preferred", "interleave"])
def test_numactl_runs_the_live_advice(cli, mode):
    """On this host, numactl itself accepts (and applies) the command line advise prints."""
    exe = need_tool("numactl")
    code, out, err = cli("advise", "--vcpus", "1", "--memory", "16M", "--mode", mode, "--format", "numactl")
    if code != 0:
        pytest.skip("no live placement on this host: %s" % err.strip())
    args = out.split()
    assert args[0] == "numactl" and args[-1] == "COMMAND"
    r = subprocess.run([exe] + args[1:-1] + ["true"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
