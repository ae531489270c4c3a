"""probe --json against Debian's lstopo 2.9 on every captured machine we have (the hwloc corpus, QEMU captures,
our own sysfs_fixtures): node set, each node's CPUs and memory, distances, and package/core/PU counts."""

from __future__ import annotations

import json

import pytest

from oracles import (HWLOC_CORPUS, fixture_tarballs, hwloc_tarballs, lstopo_facts, parse_env_file, qemu_tarballs,
                     unpack)

# Cases where hwloc deliberately differs from the kernel's plain view. Each names the note numaprobe must give.
HWLOC_DIFFERS = {
    # hwloc drops nodes whose cpusets overlap an earlier node's ("buggy BIOS"); the kernel listed them.
    "8em64t-2s2ca2c-buggynuma": {"nodes": "overlapping-node-cpus"},
    # AMD family 15h compute units: hwloc makes each thread of a CU its own Core; the kernel calls them siblings.
    "64amd64-4s2n4ca2co": {"cores": "amd-compute-units"},
    # numa=fake=2: both fake nodes list all CPUs; hwloc drops node 1, the kernel's cpuN/nodeM links split them.
    "2s2c2t-nonuma-numafake2": {"nodes": "overlapping-node-cpus"},
    # numa=fake=4 on 2 real nodes: fake nodes 2 and 3 list the CPUs of real nodes 0 and 1 again; hwloc drops them.
    "2s2c2t-2node-numafake4": {"nodes": "overlapping-node-cpus"},
    # hwloc 2.9 folds package 3 into its identical L3/NUMA level on this machine (hwloc's own expected output,
    # 40intel64-4n10c+pci-conflicts.output, shows 3 packages); the kernel's physical_package_id says 4.
    "40intel64-4n10c+pci-conflicts": {"packages": None},
}
# A note that explains, whatever the tree, why hwloc's count or set differs.
CONDITIONAL = {
    "core-info-missing": "cores",  # hwloc makes no Core without sibling masks; numaprobe counts CPUs
    "package-info-missing": "packages",
}

TREES = [pytest.param(p, id=p.name.split(".tar")[0]) for p in hwloc_tarballs() + qemu_tarballs()
         + fixture_tarballs() + fixture_tarballs("edited") + fixture_tarballs("handmade")]


@pytest.mark.oracle
@pytest.mark.parametrize("tarball", TREES)
def test_probe_agrees_with_lstopo(tarball, scratch_dir, cli):
    name = tarball.name.split(".tar")[0]
    tree = unpack(tarball, scratch_dir / "lstopo" / name)
    env = parse_env_file(HWLOC_CORPUS / (name + ".env")) if tarball.parent == HWLOC_CORPUS else {}
    env.pop("HWLOC_PCI_LOCALITY", None)
    facts = lstopo_facts(tree, env)

    code, out, err = cli("probe", "--root", str(tarball), "--json")
    assert code == 0, err
    doc = json.loads(out)
    notes = {n["code"] for n in doc["notes"]}
    differs = HWLOC_DIFFERS.get(name, {})
    for what, note in differs.items():
        if note is not None:
            assert note in notes, "%s: hwloc differs on %s; numaprobe must say %s" % (name, what, note)
    differs = dict(differs)
    for note, what in CONDITIONAL.items():
        if note in notes:
            differs[what] = note

    ours = {n["id"]: n for n in doc["nodes"]}
    if "nodes" not in differs:
        # hwloc hides GPU memory nodes on POWER by default; numaprobe keeps every node the kernel shows.
        gpu_nodes = {int(n["message"].split()[0][4:]) for n in doc["notes"] if n["code"] == "gpu-memory-node"}
        assert set(ours) - gpu_nodes == set(facts.nodes) - gpu_nodes, "node sets differ"
    for nid, (cpuset, memory) in facts.nodes.items():
        if nid not in ours:
            continue
        node = ours[nid]
        if node["cpus"] and notes & {"node-straddles-packages", "hmat-initiators", "overlapping-node-cpus"}:
            # hwloc widens such nodes (to the machine, by HMAT initiators, or keeps overlapping cpumaps).
            assert set(node["cpus"]) <= set(cpuset), "node%d CPUs" % nid
        elif node["cpus"]:
            assert tuple(node["cpus"]) == cpuset, "node%d CPUs" % nid
        else:
            # hwloc attaches a CPU-less node to the CPUs of its nearest initiator; the kernel gives it none.
            assert "cpuless-node" in notes
        assert (node["memory_total_bytes"] or 0) == memory, "node%d memory" % nid

    if facts.distances is not None:
        ids = [n["id"] for n in doc["nodes"]]
        for i in ids:
            assert ours[i]["distances"] is not None, "node%d distances missing" % i
            for k, j in enumerate(ids):
                if (i, j) in facts.distances:
                    assert ours[i]["distances"][k] == facts.distances[(i, j)], "distance %d->%d" % (i, j)
    elif len(ours) > 1 and "nodes" not in differs:
        # hwloc drops the whole matrix when any row is unusable; numaprobe keeps the good rows and says why.
        assert notes & {"distance-missing", "distance-row-short", "distance-row-long"} or \
            all(n["distances"] is not None for n in doc["nodes"])

    summary = doc["summary"]
    if "packages" not in differs:
        assert summary["packages"] == facts.packages
    assert summary["cpus_online"] == facts.pus
    if "cores" not in differs:
        assert summary["cores"] == facts.cores
