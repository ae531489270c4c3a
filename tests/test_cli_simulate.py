"""simulate on captures: bookkeeping holds, domains are placed in order, bad specs exit 2 with one line."""

from __future__ import annotations

import json

import pytest

from oracles import qemu_tarballs
from numaprobe.analysis.chunks import memory_chunks
from numaprobe.model.gather import build_machine
from numaprobe.readers.buddyinfo import read_buddyinfo
from numaprobe.source.root import open_root

MiB = 1 << 20


def _capture(name):
    path = next((p for p in qemu_tarballs() if p.name.startswith(name)), None)
    if path is None:
        pytest.skip("capture %s absent from ../shared/corpus/qemu" % name)
    return str(path)


@pytest.mark.parametrize("seed", ["firmware", "live"])
def test_bookkeeping_on_a_capture(cli, seed):
    path = _capture("c-3node-memonly")
    code, out, err = cli("simulate", "--root", path, "--seed", seed, "--json",
                         "--domain", "a:vcpus=4,memory=1536M,nodes=0+1,policy=interleave",
                         "--domain", "b:vcpus=2,memory=600M,nodes=2,policy=balance")
    assert code == 0, err
    doc = json.loads(out)
    assert [d["name"] for d in doc["domains"]] == ["a", "b"]
    placed = {}
    for d in doc["domains"]:
        assert d["complete"] and d["bytes_placed"] == d["bytes_requested"] == sum(d["bytes_by_node"].values())
        for n, b in d["bytes_by_node"].items():
            placed[int(n)] = placed.get(int(n), 0) + b
    root = open_root(path)
    if seed == "firmware":
        cm = memory_chunks(build_machine(root))
        seeded = {n: sum(c.end // 4096 - -(-c.start // 4096) for c in cm.of_node(n)) * 4096 for n in cm.node_ids()}
    else:
        seeded = {}
        for z in read_buddyinfo(root):
            seeded[z.node] = seeded.get(z.node, 0) + z.free_pages() * 4096
        assert doc["synthetic_addresses"] and doc["top_order"] == 10
    for n in doc["heap"]:
        assert n["memory_total_bytes"] == seeded[n["id"]]
        assert n["memory_free_bytes"] + placed.get(n["id"], 0) == seeded[n["id"]]
        assert n["memory_free_bytes"] == sum(z["free_bytes"] for z in n["zones"])


def test_interleave_on_live_lists_is_even_across_two_nodes(cli):
    # Both nodes have far more than 768 MiB in order-9/10 blocks, so 2 MiB extents alternate 0,1,0,1...
    code, out, _ = cli("simulate", "--root", _capture("c-3node-memonly"), "--seed", "live", "--json",
                       "--domain", "a:vcpus=2,memory=1536M,nodes=0+1,policy=interleave")
    d = json.loads(out)["domains"][0]
    assert d["bytes_by_node"] == {"0": 768 * MiB, "1": 768 * MiB, "2": 0}
    assert d["extents_by_order"] == {"9": 768}
    assert d["local_fraction"] == 1.0
    # vCPU 0 on node 0, vCPU 1 on node 1; the QEMU command line sets dist 0<->1 to 20: (1 + 20/10) / 2 each.
    assert d["distance_weighted"] == pytest.approx((1 + 20 / 10) / 2, abs=1e-6)


@pytest.mark.parametrize("spec", ["a", "a:vcpus=2", "a:vcpus=x,memory=1G", "a:vcpus=2,memory=1Q",
                                  "a:vcpus=2,memory=1G,policy=best", "a:vcpus=2,memory=1G,nodes=0+9",
                                  "a:vcpus=2,memory=1G,colour=red"])
def test_bad_domain_specs_exit_2_with_one_line(cli, spec):
    code, out, err = cli("simulate", "--root", _capture("c-3node-memonly"), "--domain", spec)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "Traceback" not in err


@pytest.mark.parametrize("as_json", [True, False])
def test_a_domain_placed_only_in_part_is_exit_1(cli, as_json):
    # c-3node-memonly has about 3 GiB of RAM (QEMU -m): a 100 GiB domain cannot be placed whole
    args = ["simulate", "--root", _capture("c-3node-memonly"), "--domain", "big:vcpus=2,memory=100G"]
    code, out, err = cli(*(args + (["--json"] if as_json else [])))
    assert code == 1, err
    if as_json:
        doc = json.loads(out)
        d = doc["domains"][0]
        assert not d["complete"] and 0 < d["bytes_placed"] < d["bytes_requested"] == 100 << 30
        assert doc["complete"] is False
        assert all(set(n) == {"code", "message"} for n in doc["notes"])
        assert [n["code"] for n in doc["notes"]].count("partial-placement") == 1
    else:
        assert "note: big: only" in out and "of 102400 MiB placed" in out


def test_simulate_notes_are_code_and_message(cli):
    code, out, err = cli("simulate", "--root", _capture("c-3node-memonly"), "--json",
                         "--domain", "a:vcpus=1,memory=64M")
    doc = json.loads(out)
    assert code == 0 and doc["complete"] is True
    assert all(set(n) == {"code", "message"} for n in doc["notes"])
