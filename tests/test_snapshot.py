"""The snapshot round trip: a Machine written as JSON and read back is the same Machine, on every tree we have
(sysfs_fixtures, the QEMU corpus, hwloc's corpus with extra/), and every command gives the same answer from the
snapshot as from the tree. A snapshot holds the facts only: far smaller than the capture it came from."""

from __future__ import annotations

import functools
import json
import tarfile

import pytest

from oracles import FIXTURES, fixture_tarballs, hwloc_tarballs, qemu_tarballs
from test_cli_numastat import _two_node_tree

from numaprobe.analysis.chunks import memory_chunks
from numaprobe.analysis.crosscheck import crosscheck
from numaprobe.analysis.heap import heap_report
from numaprobe.analysis.physinfo import machine_physinfo
from numaprobe.model.gather import build_machine
from numaprobe.model.snapshot import dumps, loads
from numaprobe.render import numastat as render_numastat
from numaprobe.render import physinfo as render_physinfo
from numaprobe.render import probe as render_probe
from numaprobe.source.root import open_root


def every_tree():
    return (fixture_tarballs() + fixture_tarballs("edited") + fixture_tarballs("handmade") + qemu_tarballs()
            + hwloc_tarballs())


@functools.lru_cache(maxsize=None)
def machine_of(path):
    return build_machine(open_root(str(path)))


def documents(machine):
    """What probe, check, physinfo, numastat and tables print, as documents."""
    chunks = memory_chunks(machine)
    return {
        "probe": render_probe.topology_to_json(machine.topology, acpi=machine.tables.to_json(), chunks=chunks),
        "probe-text": render_probe.topology_to_text(machine.topology, chunks=chunks),
        "check": [f.to_json() for f in crosscheck(machine)],
        "physinfo": render_physinfo.to_json(machine_physinfo(machine)),
        "numastat": render_numastat.to_json(heap_report(machine)),
    }


def test_every_tree_is_there():
    # sysfs_fixtures 35, QEMU corpus 8, hwloc corpus 56 with extra/: a missing ../shared would pass vacuously.
    assert len(every_tree()) >= 90


@pytest.mark.parametrize("path", every_tree(), ids=lambda p: "%s/%s" % (p.parent.name, p.name))
def test_round_trip_is_equal(path):
    machine = machine_of(path)
    text = dumps(machine)
    again = loads(text)
    assert again == machine
    assert dumps(again) == text
    assert documents(again) == documents(machine)


@pytest.mark.parametrize("path", [p for p in every_tree() if "handmade" not in str(p)],
                         ids=lambda p: "%s/%s" % (p.parent.name, p.name))
def test_snapshot_is_far_smaller_than_its_capture(path):
    with tarfile.open(str(path)) as tf:
        captured = sum(m.size for m in tf.getmembers() if m.isfile())
    snapshot = len(dumps(machine_of(path)))
    # Measured on these trees: 3.5% to 24% of the captured bytes (hand-made trees of a dozen files aside).
    assert snapshot < captured * 0.3 or captured < 20000, (snapshot, captured)


def _same_answers(cli, tree, snapshot, *command):
    a = cli(*command, "--root", tree)
    b = cli(*command, "--root", snapshot)
    assert a == b, command
    return a


COMMANDS = (("probe",), ("probe", "--json"), ("check", "--json"), ("check",), ("physinfo", "--json"),
            ("numastat", "--format", "json"), ("numastat", "--format", "prometheus"), ("tables", "--json"),
            ("simulate", "--domain", "a:vcpus=2,memory=512M", "--json"),
            ("simulate", "--seed", "live", "--domain", "a:vcpus=1,memory=4M"),
            ("advise", "--vcpus", "2", "--memory", "512M", "--json"))


@pytest.mark.parametrize("name", ["2s2c-3node-hmat-cache.tar.gz", "2s2c-2node-memhotplug-2dimm.tar.gz",
                                  "edited/memory-node-mismatch.tar.gz"])
def test_every_command_answers_the_same_from_the_snapshot(cli, tmp_path, name):
    tree = str(FIXTURES / name)
    code, out, err = cli("snapshot", "--root", tree)
    assert code == 0 and err == ""
    doc = json.loads(out)
    assert doc["schema_version"] == 1 and doc["document"] == "numaprobe-snapshot"
    snap = tmp_path / "machine.json"
    snap.write_text(out)
    for command in COMMANDS:
        _same_answers(cli, tree, str(snap), *command)


def test_processes_and_guests_survive_the_round_trip(cli, tmp_path):
    tree = _two_node_tree(tmp_path / "tree")
    code, out, _ = cli("snapshot", "--root", tree)
    snap = tmp_path / "machine.json"
    snap.write_text(out)
    for command in (("numastat", "--pid", "4242", "--json"), ("numastat", "--name", "qemu"),
                    ("numastat", "--domain", "db", "--json"), ("numastat", "--domain", "web1"),
                    ("advise", "--vcpus", "1", "--memory", "64M", "--json")):
        code, out, err = _same_answers(cli, tree, str(snap), *command)
        assert code == 0, err
    # The hand count of the tree: 300 of 400 pages on node 0, threads last on CPUs 1 and 2.
    doc = json.loads(cli("numastat", "--pid", "4242", "--json", "--root", str(snap))[1])
    (p,) = doc["processes"]
    assert p["bytes_by_node"] == {"0": 300 * 4096, "1": 100 * 4096} and p["cpus_last_ran"] == [1, 2]


@pytest.mark.parametrize("text,why", [
    ('{"document": "numaprobe-snapshot", "schema_version": 99}', "schema_version 99"),
    ('{"document": "numaprobe-snapshot", "schema_version": 1, "topology": {}}', "malformed snapshot"),
    ('{"schema_version": 1, "findings": []}', "not a numaprobe snapshot"),
    ('{"document": "numaprobe-snapshot", ', "not JSON"),
])
def test_a_bad_snapshot_is_one_line_and_exit_2(cli, tmp_path, text, why):
    p = tmp_path / "bad.json"
    p.write_text(text)
    for command in (("probe",), ("check",), ("numastat",)):
        code, out, err = cli(*command, "--root", str(p))
        assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and why in err, err
