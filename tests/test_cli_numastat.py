"""numastat: the free heap is buddyinfo's exactly on every capture; --pid on a live child; numa_maps parsing."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from oracles import fixture_tarballs, qemu_tarballs
from numaprobe.readers.numa_maps import parse_numa_maps
from numaprobe.source.root import open_root

CAPTURES = qemu_tarballs() + fixture_tarballs()
MiB = 1 << 20


def _raw_buddyinfo(root):
    """The file parsed here, independently of numaprobe's reader."""
    out = {}
    for line in root.read_text("proc/buddyinfo").splitlines():
        head, rest = line.split(", zone")
        words = rest.split()
        out[(int(head.split()[1]), words[0])] = [int(w) for w in words[1:]]
    return out


@pytest.mark.skipif(not CAPTURES, reason="no captures (../shared/corpus/qemu, sysfs_fixtures) present")
@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_free_heap_equals_buddyinfo(cli, path):
    code, out, err = cli("numastat", "--root", str(path), "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["schema_version"] == 1
    got = {(n["id"], z["name"]): z["free_blocks"] for n in doc["nodes"] for z in n["zones"]}
    assert got == _raw_buddyinfo(open_root(str(path)))
    for n in doc["nodes"]:
        for z in n["zones"]:
            assert z["free_bytes"] == sum(c << o for o, c in enumerate(z["free_blocks"])) * 4096
        assert set(n["counters"]) >= {"numa_hit", "numa_miss", "numa_foreign", "interleave_hit", "local_node",
                                      "other_node"}


@pytest.mark.skipif(not CAPTURES, reason="no captures present")
def test_prometheus_textfile_form(cli):
    code, out, _ = cli("numastat", "--root", str(CAPTURES[0]), "--format", "prometheus")
    assert code == 0
    names = set()
    for line in out.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, mtype = line.split()
            assert name not in names and name.startswith("numaprobe_")
            assert mtype in ("gauge", "counter") and (mtype != "counter" or name.endswith("_total"))
            names.add(name)
        elif line.startswith("#"):
            assert line.startswith("# HELP numaprobe_")
        else:
            metric = line.split("{")[0].split()[0]
            assert metric in names  # HELP/TYPE come before the samples
            float(line.rsplit(" ", 1)[1])
    assert "numaprobe_node_numa_hit_total" in names


CHILD = textwrap.dedent("""
    import sys
    buf = bytearray(64 << 20)
    for i in range(0, len(buf), 4096):
        buf[i] = 1
    print("ready", flush=True)
    sys.stdin.read()
""")


def test_pid_on_a_live_process_that_touched_memory(cli):
    import os

    if not os.path.exists("/proc/self/numa_maps"):
        pytest.skip("this kernel has no /proc/PID/numa_maps (CONFIG_NUMA off)")
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        code, out, err = cli("numastat", "--pid", str(child.pid), "--json")
        assert code == 0, err
        proc = json.loads(out)["processes"][0]
        nodes = json.loads(out)["nodes"]
        assert proc["pid"] == child.pid and proc["name"].startswith("python")
        # The test machine has one node: all 64 MiB (and the interpreter) are on node 0, local to its CPUs.
        if len(nodes) == 1:
            assert proc["bytes_by_node"]["0"] >= 64 * MiB
            assert proc["local_fraction"] == 1.0 and proc["distance_weighted"] == 1.0
        else:
            assert sum(proc["bytes_by_node"].values()) >= 64 * MiB
        assert proc["bytes_by_node_and_kind"]["0"]["anon"] + proc["bytes_by_node_and_kind"]["0"]["heap"] >= 64 * MiB
        code, text, _ = cli("numastat", "--pid", str(child.pid))
        assert "for PID %d" % child.pid in text and "Private" in text
    finally:
        child.stdin.close()
        child.wait(timeout=10)
    code, _, err = cli("numastat", "--pid", str(child.pid))
    assert code == 2 and "no such process" in err


# Two nodes, by hand: heap 3 pages on N0 and 5 on N1; a 2 MiB hugetlb mapping (N1=2 huge pages); a file
# mapping; the stack; an anonymous mapping with THP counted in base pages; a garbage line.
SAMPLE = """\
55872d1a5000 default heap anon=8 dirty=8 active=0 N0=3 N1=5 kernelpagesize_kB=4
5641fa851000 default file=/usr/bin/cat mapped=2 N0=2 kernelpagesize_kB=4
7f0000000000 bind:1 file=/dev/hugepages/x huge dirty=2 N1=2 kernelpagesize_kB=2048
7ffd4a3c1000 default stack anon=3 dirty=3 N0=3 kernelpagesize_kB=4
7f1000000000 interleave:0-1 anon=1024 dirty=1024 N0=512 N1=512 kernelpagesize_kB=4
not a mapping line
"""


def test_numa_maps_two_nodes_by_hand():
    m = parse_numa_maps(SAMPLE)
    n0, n1 = m.nodes
    assert (n0.node, n0.heap, n0.file, n0.stack, n0.anon, n0.huge) == (0, 3 * 4096, 2 * 4096, 3 * 4096,
                                                                       512 * 4096, 0)
    assert (n1.node, n1.heap, n1.file, n1.stack, n1.anon, n1.huge) == (1, 5 * 4096, 0, 0, 512 * 4096, 4 * MiB)
    assert m.bytes_by_node == {0: (3 + 2 + 3 + 512) * 4096, 1: (5 + 512) * 4096 + 4 * MiB}
    assert m.mappings == 5 and m.skipped_lines == 1
    # numastat -p's rows: Private = file + anon.
    assert n0.private == (2 + 512) * 4096


def test_numa_maps_huge_without_page_size_uses_the_huge_page_size():
    m = parse_numa_maps("7f0000000000 default file=/mnt/huge/f huge N2=3\n", huge_page_size=1 << 30)
    assert m.bytes_by_node == {2: 3 << 30}
    assert parse_numa_maps("").nodes == ()


def _write(base, files):
    import os

    for rel, text in files.items():
        p = os.path.join(str(base), rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb" if isinstance(text, bytes) else "w") as f:
            f.write(text)


def _two_node_tree(base):
    files = {"proc/meminfo": "MemTotal: 8388608 kB\nMemFree: 4194304 kB\nHugepagesize: 2048 kB\n",
             "proc/buddyinfo": "Node 0, zone   Normal  1 0 2\nNode 1, zone   Normal  0 3 0\n"}
    for n, cpus in ((0, "0-1"), (1, "2-3")):
        d = "sys/devices/system/node/node%d/" % n
        files[d + "cpulist"] = cpus + "\n"
        files[d + "distance"] = "10 21\n" if n == 0 else "21 10\n"
        files[d + "meminfo"] = "Node %d MemTotal: 4194304 kB\nNode %d MemFree: 2097152 kB\n" % (n, n)
        files[d + "numastat"] = "numa_hit %d\nnuma_miss 0\nnuma_foreign 0\ninterleave_hit 0\nlocal_node 1\n" \
                                "other_node 0\n" % (10 + n)
    for c in range(4):
        files["sys/devices/system/cpu/cpu%d/topology/physical_package_id" % c] = "%d\n" % (c // 2)
        files["sys/devices/system/cpu/cpu%d/topology/core_id" % c] = "%d\n" % (c % 2)
        files["sys/devices/system/cpu/cpu%d/topology/thread_siblings_list" % c] = "%d\n" % c
    files["sys/devices/system/cpu/online"] = "0-3\n"
    files["sys/devices/system/node/online"] = "0-1\n"
    # A guest confined to node 0's CPUs, its two threads last on CPUs 1 and 2; 300 pages on node 0, 100 on 1.
    files["proc/4242/status"] = "Name:\tqemu-system-x86\nCpus_allowed_list:\t0-1\nMems_allowed_list:\t0-1\n"
    files["proc/4242/cmdline"] = b"qemu-system-x86_64\0-name\0guest=web1,debug-threads=on\0-m\0001600\0"
    files["proc/4242/numa_maps"] = ("7f0000000000 default anon=400 dirty=400 N0=300 N1=100 kernelpagesize_kB=4\n")
    stat = "4242 (qemu-system-x86) S" + " 0" * 35 + " %d 0 0\n"
    files["proc/4242/task/4242/stat"] = stat % 1
    files["proc/4242/task/4243/stat"] = stat.replace("4242 ", "4243 ", 1) % 2
    files["run/libvirt/qemu/db.pid"] = "4242\n"
    _write(base, files)
    return str(base)


def test_domain_verdict_on_a_hand_made_two_node_tree(cli, tmp_path):
    root = _two_node_tree(tmp_path)
    for args in (("--domain", "web1"), ("--domain", "db"), ("--pid", "4242"), ("--name", "guest=web1")):
        code, out, err = cli("numastat", "--root", root, "--json", *args)
        assert code == 0, (args, err)
        p = json.loads(out)["processes"][0]
        assert p["pid"] == 4242 and p["cpus_allowed"] == [0, 1] and p["cpus_last_ran"] == [1, 2]
        assert p["bytes_by_node"] == {"0": 300 * 4096, "1": 100 * 4096}
        assert p["cpu_nodes"] == [0]
        assert p["local_fraction"] == 0.75
        # Thread on CPU 1 (node 0) sees 3/4 local + 1/4 at 21; thread on CPU 2 (node 1) the reverse.
        w0 = 0.75 + 0.25 * 21 / 10
        w1 = 0.75 * 21 / 10 + 0.25
        assert p["distance_weighted"] == pytest.approx((w0 + w1) / 2, abs=1e-6)
    code, _, err = cli("numastat", "--root", root, "--domain", "nosuch")
    assert code == 2 and "nosuch" in err
