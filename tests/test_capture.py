"""capture → probe --root round trip on this machine, and capture's atomicity."""

from __future__ import annotations

import json
import os
import tarfile

from numaprobe.source.root import open_root

# Free memory moves between two reads of a live host; everything else must be identical.
VOLATILE = ("memory_free_bytes",)


def _strip(doc):
    doc.pop("source")
    doc["summary"].pop("memory_free_bytes")
    for n in doc["nodes"]:
        n.pop("memory_free_bytes")
        for h in n["hugepages"]:
            h.pop("free")
    return doc


def test_probe_of_live_equals_probe_of_its_capture(tmp_path, cli):
    out = tmp_path / "host.tar.gz"
    code, _, err = cli("capture", str(out))
    assert code == 0, err
    assert out.exists() and "wrote" in err
    code, live, _ = cli("probe", "--json")
    assert code == 0
    code, captured, _ = cli("probe", "--root", str(out), "--json")
    assert code == 0
    assert _strip(json.loads(live)) == _strip(json.loads(captured))


def test_capture_contents_and_manifest(tmp_path, cli):
    out = tmp_path / "host.tar.xz"
    assert cli("capture", str(out), "--pid", str(os.getpid()))[0] == 0
    with tarfile.open(out) as tf:
        names = set(tf.getnames())
        manifest = json.load(tf.extractfile("numaprobe-manifest.json"))
        links = [m for m in tf.getmembers() if m.issym()]
    for needed in ("proc/cpuinfo", "proc/meminfo", "proc/self/status", "proc/buddyinfo", "proc/zoneinfo",
                   "sys/devices/system/cpu/online"):
        assert needed in names, needed
    assert "proc/%d/numa_maps" % os.getpid() in names
    assert "proc/%d/task/%d/stat" % (os.getpid(), os.getpid()) in names
    assert manifest["numaprobe_version"] and manifest["kernel"] == os.uname().release
    assert manifest["files"] > 10
    # sysfs links (cpuN/nodeM, bus/pci/devices/*) stay links, with relative targets inside the tree
    assert all(not m.linkname.startswith("/") for m in links)
    open_root(str(out))  # the hostile-archive checks accept our own captures


def test_numastat_pid_reads_the_same_from_a_capture(tmp_path, cli):
    out = tmp_path / "pid.tar.gz"
    pid = str(os.getpid())
    assert cli("capture", str(out), "--pid", pid)[0] == 0
    code, live, err = cli("numastat", "--pid", pid, "--format", "json")
    assert code == 0, err
    code, captured, err = cli("numastat", "--root", str(out), "--pid", pid, "--format", "json")
    assert code == 0, err
    a, b = json.loads(live)["processes"][0], json.loads(captured)["processes"][0]
    assert a["pid"] == b["pid"] == int(pid) and a["name"] == b["name"]
    assert a["cpus_allowed"] == b["cpus_allowed"]
    # the test process's memory moves a little between the two reads; its node does not
    assert set(a["bytes_by_node"]) == set(b["bytes_by_node"])


def test_capture_refuses_bad_targets_and_leaves_nothing(tmp_path, cli):
    code, _, err = cli("capture", str(tmp_path / "no" / "such" / "dir.tar.gz"))
    assert code == 2 and len(err.strip().splitlines()) == 1
    code, _, err = cli("capture", str(tmp_path))
    assert code == 2 and "is a directory" in err
    assert os.listdir(tmp_path) == []


def test_capture_replaces_target_atomically(tmp_path, cli):
    out = tmp_path / "c.tar.gz"
    out.write_text("old")
    assert cli("capture", str(out))[0] == 0
    assert tarfile.is_tarfile(out)
    assert sorted(os.listdir(tmp_path)) == ["c.tar.gz"]  # no temporary file left behind


def test_lstopo_reads_our_capture_like_the_live_host(tmp_path, scratch_dir, cli):
    """A capture is a valid hwloc fsroot: lstopo on it sees the same nodes, CPUs and packages as numaprobe."""
    from oracles import lstopo_facts, unpack

    out = tmp_path / "host.tar.gz"
    assert cli("capture", str(out))[0] == 0
    tree = unpack(out, scratch_dir / "capture-lstopo")
    facts = lstopo_facts(tree)
    doc = json.loads(cli("probe", "--root", str(out), "--json")[1])
    assert set(facts.nodes) == {n["id"] for n in doc["nodes"]}
    for n in doc["nodes"]:
        assert facts.nodes[n["id"]][0] == tuple(n["cpus"])
        assert facts.nodes[n["id"]][1] == n["memory_total_bytes"]
    assert (facts.packages, facts.pus) == (doc["summary"]["packages"], doc["summary"]["cpus_online"])
