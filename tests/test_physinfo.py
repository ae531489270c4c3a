"""`numaprobe physinfo`: hwloc corpus machines with hand-computed figures, and every QEMU capture against the
topology its QEMU command line sets (-smp, -numa cpu/node, pc-dimm), mapped to kernel nodes through dmesg."""

from __future__ import annotations

import json
import re
from collections import Counter
from fractions import Fraction

import pytest

from oracles import FIXTURES, HWLOC_CORPUS, fixture_tarballs, need_shared, qemu_tarballs

from numaprobe.analysis.physinfo import machine_physinfo
from numaprobe.model.gather import build_machine
from numaprobe.render.physinfo import to_json
from numaprobe.source.root import open_root


def hwloc(name):
    return machine_physinfo(build_machine(open_root(str(need_shared(HWLOC_CORPUS / (name + ".tar.bz2"))))))


# name: (nr_cpus, nr_nodes, cores_per_socket, threads_per_core, sockets_per_node, legacy, legacy note expected)
# Figures worked out by hand from lstopo 2.9's NAME.output in the hwloc corpus.
HWLOC = {
    # 8 nodes of 2 single-core packages: several packages per node; the old formula is right here.
    "16ia64-8n2s": (16, 8, 1, 1, {n: 2 for n in range(8)}, 2, False),
    # 4 packages each split over 2 nodes (Magny-Cours): half a package per node; old formula 64/(8*8*2) = 0.
    "64amd64-4s2n4ca2co": (64, 8, 8, 2, {n: Fraction(1, 2) for n in range(8)}, 0, True),
    # 4 nodes of 4 six-core packages.
    "96em64t-4n4d3ca2co": (96, 4, 6, 1, {n: 4 for n in range(4)}, 4, False),
    # 16 nodes of 4 dual-core packages plus a CPU-less node 16: old formula 128/(17*2*1) = 3.
    "128ia64-17n4s2c": (128, 17, 2, 1, {**{n: 4 for n in range(16)}, 16: 0}, 3, True),
    # 4 packages with CPUs 2,5,13,14 offline: cores 2,1,2,2; threads 1 or 2; old formula 12/(1*2*2) = 3.
    "16em64t-4s2c2t-offlines": (12, 1, (2, 1, 2, 2), (1, 2), {0: 4}, 3, True),
    # 2 packages each split over 2 CPU nodes, 7 CPU-less (memory or initiator-only) nodes.
    "fakememinitiators-1np2c+1npp+gi": (8, 11, 4, 1, {**{n: Fraction(1, 2) for n in range(4)},
                                                       **{n: 0 for n in range(4, 11)}}, 0, True),
}


@pytest.mark.parametrize("name", sorted(HWLOC))
def test_hwloc_machine(name):
    nr_cpus, nr_nodes, cps, tpc, spn, legacy, noted = HWLOC[name]
    p = hwloc(name)
    assert (p.nr_cpus, p.nr_nodes, p.cores_per_socket, p.threads_per_core) == (nr_cpus, nr_nodes, cps, tpc)
    assert dict(p.sockets_per_node) == spn
    assert sum(dict(p.sockets_per_node).values()) == len(p.packages)
    assert p.legacy_sockets_per_node == legacy
    assert ("legacy-sockets-per-node-wrong" in {n.code for n in p.notes}) == noted
    assert len(p.cpu_topology) == nr_cpus


def test_offline_cpus_make_lists_with_notes():
    p = hwloc("16em64t-4s2c2t-offlines")
    codes = {n.code for n in p.notes}
    assert {"cores-per-socket-differ", "threads-per-core-differ"} <= codes
    doc = to_json(p)
    assert doc["cores_per_socket"] == [2, 1, 2, 2] and doc["threads_per_core"] == [1, 2]
    assert doc["max_cpu_id"] == 15 and 2 not in [r["cpu"] for r in doc["cpu_topology"]]


def test_json_fractions_add_up():
    doc = to_json(hwloc("64amd64-4s2n4ca2co"))
    assert doc["sockets_per_node"] == {str(n): 0.5 for n in range(8)}
    assert doc["sockets_per_node_fraction"]["0"] == "1/2"
    assert doc["legacy_sockets_per_node"] == 0


# -- QEMU captures ------------------------------------------------------------------------------------------------

SIZE = re.compile(r"^(\d+)([KMGT]?)$")


def _bytes(text):
    m = SIZE.match(text)
    return int(m.group(1)) << {"": 20, "K": 10, "M": 20, "G": 30, "T": 40}[m.group(2)]  # QEMU's default: MiB


def _opts(text):
    head, _, rest = text.partition(",")
    out = {}
    for kv in ([head] if "=" in head else []) + rest.split(","):
        k, _, v = kv.partition("=")
        if k:
            out[k] = v
    return head if "=" not in head else None, out


def qemu_topology(cmdline, dmesg):
    """From QEMU's command line: per Linux CPU id its socket and kernel node; per kernel node its memory."""
    args = cmdline.split()
    smp, numa_cpus, backends, node_mem, dimms = None, [], {}, {}, []
    for flag, val in zip(args, args[1:]):
        if flag == "-smp":
            head, o = _opts(val)
            smp = dict(cpus=int(head or o.get("cpus")), sockets=int(o.get("sockets", 1)),
                       cores=int(o.get("cores", 1)), threads=int(o.get("threads", 1)))
        elif flag == "-object" and val.startswith("memory-backend"):
            _, o = _opts(val)
            backends[o["id"]] = _bytes(o["size"])
        elif flag == "-numa":
            kind, o = _opts(val)
            if kind == "node":
                node_mem[int(o["nodeid"])] = o.get("memdev")
            elif kind == "cpu":
                numa_cpus.append(o)
        elif flag == "-device" and val.startswith("pc-dimm"):
            _, o = _opts(val)
            dimms.append(o)
    # x86 q35 and arm64 virt number CPUs socket-major: index = (socket * cores + core) * threads + thread.
    per_socket = smp["cores"] * smp["threads"]
    cpus = []
    for i in range(smp["cpus"]):
        socket, core = i // per_socket, (i // smp["threads"]) % smp["cores"]
        node = None
        for o in numa_cpus:
            if int(o["socket-id"]) == socket and int(o.get("core-id", core)) == core:
                node = int(o["node-id"])
        cpus.append((i, socket, node))
    pxm_node = {int(p): int(n) for p, n in re.findall(r"SRAT: PXM (\d+) -> APIC 0x[0-9a-f]+ -> Node (\d+)", dmesg)}
    pxm_node.update({int(p): int(n) for n, p in re.findall(r"SRAT: Node (\d+) PXM (\d+) \[mem", dmesg)})
    if "SRAT" not in dmesg:
        pxm_node = {p: p for p in node_mem}  # device tree: node ids are QEMU's
    if "Faking a node at" in dmesg:
        # The kernel's one-node fallback (numa=off, or NUMA init failed): every QEMU node is node 0
        # (dummy_numa_init in arch/x86/mm/numa.c and drivers/base/arch_numa.c).
        pxm_node = {p: 0 for p in node_mem}
    mem = Counter()
    for q, dev in node_mem.items():
        if dev:
            mem[pxm_node[q]] += backends[dev]
    for d in dimms:
        mem[pxm_node[int(d["node"])]] += backends[d["memdev"]]
    return smp, [(c, s, pxm_node.get(n) if n is not None else None) for c, s, n in cpus], mem


def capture_trees():
    return [p for p in qemu_tarballs() + fixture_tarballs()]


@pytest.mark.parametrize("path", capture_trees(), ids=lambda p: p.name)
def test_qemu_capture_matches_its_command_line(path):
    root = open_root(str(path))
    smp, cpus, mem = qemu_topology(root.read_text("qemu-cmdline.txt"), root.read_text("dmesg.txt") or "")
    p = machine_physinfo(build_machine(root))
    assert p.nr_cpus == smp["cpus"]
    if "numa=fake" in (root.read_text("proc/cmdline") or ""):
        # numa=fake deals CPUs round-robin to the fake nodes and the scheduler then drops SMT siblings that land
        # on different nodes ("smt-sibling CPU #0 is not on the same node"): each thread shows as a core.
        assert p.cores_per_socket * p.threads_per_core == smp["cores"] * smp["threads"]
    else:
        assert p.cores_per_socket == smp["cores"] and p.threads_per_core == smp["threads"]
    spn = dict(p.sockets_per_node)
    assert sum(spn.values()) == smp["sockets"]
    rows = {r.cpu: r for r in p.cpu_topology}
    # CPUs that share a QEMU socket share a package, and no two sockets do.
    assert len({(s, rows[c].socket) for c, s, _ in cpus}) == smp["sockets"]
    if not mem or "numa=fake" in (root.read_text("proc/cmdline") or ""):
        return  # no -numa: one node, or numa=fake's split: nothing more the command line says
    want = Counter()
    for c, s, node in cpus:
        want[node] += Fraction(1, smp["cores"] * smp["threads"])
        assert rows[c].node == node
    assert spn == {n: want.get(n, 0) for n in spn}
    assert set(spn) == set(want) | set(mem)
    for n, size in dict(p.node_to_memory).items():
        # MemTotal is what is left after firmware holes and the kernel's own reservations.
        if mem[n] == 0:
            assert not size  # a -numa node without memdev: a memoryless node
        else:
            assert 0.75 * mem[n] < (size or 0) <= mem[n], (n, size, mem[n])


def test_qemu_split_package_counts_halves():
    p = machine_physinfo(build_machine(open_root(str(FIXTURES / "2s4c-uneven-sparse-pxm3-node-splits-package.tar.gz"))))
    # -numa cpu: socket 0 and cores 0-1 of socket 1 on PXM 3 (kernel node 0), cores 2-3 of socket 1 on PXM 0.
    assert dict(p.sockets_per_node) == {0: Fraction(3, 2), 1: Fraction(1, 2)}
    assert p.legacy_sockets_per_node == 1
    assert "legacy-sockets-per-node-wrong" in {n.code for n in p.notes}


def test_physinfo_cli_text_and_json(cli):
    path = str(FIXTURES / "2s2c-3node-memonly-pxm1.tar.gz")
    code, out, err = cli("physinfo", "--root", path, "--json")
    assert code == 0 and err == ""
    doc = json.loads(out)
    for key in ("schema_version", "nr_cpus", "nr_nodes", "cores_per_socket", "threads_per_core", "cpu_khz",
                "total_memory_bytes", "free_memory_bytes", "sockets_per_node", "legacy_sockets_per_node",
                "node_to_cpu", "node_to_memory", "node_distances", "cpu_topology", "notes"):
        assert key in doc
    # PXM 1 has memory only and becomes node 2: 0 sockets there; the old formula 4/(3*2*1) = 0.
    assert doc["sockets_per_node"] == {"0": 1, "1": 1, "2": 0} and doc["legacy_sockets_per_node"] == 0
    assert doc["node_to_cpu"] == {"0": [0, 1], "1": [2, 3], "2": []}
    assert doc["node_distances"]["0"] == [10, 21, 17]
    assert doc["node_to_dma32_memory"]["1"] == 0 and doc["node_to_dma32_memory"]["0"] > 0
    code, text, _ = cli("physinfo", "--root", path)
    assert code == 0
    assert "sockets_per_node       : 0:1 1:1 2:0\n" in text
    assert "cpu:    core    socket     node\n  0:       0        0        0\n" in text
    assert re.search(r"^   2: +\d+ +\d+      17,28,10$", text, re.M)
    assert cli("physinfo", "--root", "/nonexistent/capture")[0] == 2
