"""Each hand-made oddity tree (sysfs_fixtures/handmade, see its README) becomes its note, and the facts around
it are still right: nothing crashes, nothing is silently lost."""

from __future__ import annotations

import json

import pytest

from oracles import FIXTURES

HANDMADE = FIXTURES / "handmade"

CASES = {
    "cpu-absent-from-cpu-dir": "cpu-not-in-sysfs",
    "cpu-offline": "offline-cpus",
    "cpulist-missing": "node-cpulist-missing",
    "distance-rows-long": "distance-row-long",
    "distance-rows-short": "distance-row-short",
    "empty-has-cpu": "has-cpu-empty",
    "node-without-distance": "distance-missing",
    "nul-terminated": "nul-terminated-values",
    "package-id-minus-one": "package-id-unusable",
    "sparse-node-ids": "sparse-node-ids",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_oddity_becomes_its_note(name, cli):
    tarball = HANDMADE / (name + ".tar.gz")
    if not tarball.exists():
        pytest.skip("fixture %s not built" % tarball)
    code, out, err = cli("probe", "--root", str(tarball), "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert CASES[name] in {n["code"] for n in doc["notes"]}
    # Facts that hold on every tree: each online CPU is in exactly one node and one package.
    online = [c for c in doc["cpus"] if c["online"]]
    in_nodes = [c for n in doc["nodes"] for c in n["cpus"]]
    assert sorted(in_nodes) == sorted(c["id"] for c in online if c["node"] is not None)
    assert all(c["package"] is not None for c in online)
    assert len({c["package"] for c in online}) == doc["summary"]["packages"]


def test_distance_rows_long_are_truncated_not_dropped(cli):
    tarball = HANDMADE / "distance-rows-long.tar.gz"
    if not tarball.exists():
        pytest.skip("fixture not built")
    doc = json.loads(cli("probe", "--root", str(tarball), "--json")[1])
    n = len(doc["nodes"])
    assert all(len(node["distances"]) == n for node in doc["nodes"])
    assert all(node["distances"][i] == 10 for i, node in enumerate(doc["nodes"]))


def test_sparse_node_ids_keep_kernel_ids_and_order(cli):
    tarball = HANDMADE / "sparse-node-ids.tar.gz"
    if not tarball.exists():
        pytest.skip("fixture not built")
    doc = json.loads(cli("probe", "--root", str(tarball), "--json")[1])
    assert [n["id"] for n in doc["nodes"]] == [0, 2]
    assert doc["nodes"][1]["distances"][1] == 10


def test_nul_terminated_values_parse_like_clean_ones(cli):
    tarball = HANDMADE / "nul-terminated.tar.gz"
    if not tarball.exists():
        pytest.skip("fixture not built")
    doc = json.loads(cli("probe", "--root", str(tarball), "--json")[1])
    assert doc["summary"]["cpus_online"] > 0
    assert all(n["distances"] is not None for n in doc["nodes"])


def test_nodes_not_covering_memtotal_are_noted(cli):
    """hwloc's offline-cpu0-node0: node 0 is offline, so node 1 holds half of MemTotal."""
    from oracles import HWLOC_CORPUS

    tarball = HWLOC_CORPUS / "offline-cpu0-node0.tar.bz2"
    if not tarball.exists():
        pytest.skip("shared corpus absent")
    doc = json.loads(cli("probe", "--root", str(tarball), "--json")[1])
    assert [n["id"] for n in doc["nodes"]] == [1]
    assert "node-memory-sum" in {n["code"] for n in doc["notes"]}
    # the same note must not fire where per-node totals exceed MemTotal by the usual present/managed gap
    doc = json.loads(cli("probe", "--root", str(HWLOC_CORPUS / "8em64t-2s2ca2c.tar.bz2"), "--json")[1])
    assert "node-memory-sum" not in {n["code"] for n in doc["notes"]}
