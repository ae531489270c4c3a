"""`numaprobe fleet`: planted outliers are named, exactly, each with its reason; identical machines give none.

The fleets are copies of one real QEMU capture with one edit each (tests/fleet_fixtures.py), so the expected
outliers are known by construction, not from numaprobe's output.
"""

from __future__ import annotations

import csv
import io
import json
import sys

import pytest

import fleet_fixtures as ff
from oracles import FIXTURES, SHARED

HOTSOS = SHARED / "corpus" / "sosreport" / "hotsos-kubernetes"
# (plant, what its reason must say)
EXPECTED = {
    "short-memory": "memory of node 1: ",
    "snc-off": "mode: SNC off (9 of 10 have SNC-4)",
    "moved-cpu": "CPUs per node: [1, 3, 2, 2]",
    "edited-distance": "distance matrix: [[10, 11, 13, 12], ",
}


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    from oracles import SCRATCH
    import tempfile
    from pathlib import Path

    base = Path(tempfile.mkdtemp(prefix="fleet-", dir=str(SCRATCH) if SCRATCH else None))
    return base, ff.build_fleet(base / "fleet")


def _doc(cli, *args):
    code, out, err = cli("fleet", "--json", *args)
    return code, json.loads(out), err


def test_exactly_the_planted_machines_are_named_each_with_its_reason(cli, planted):
    base, paths = planted
    code, doc, err = _doc(cli, str(base / "fleet"))
    assert code == 1, err
    named = {m["hostname"]: m for m in doc["machines"] if m["outlier"]}
    assert set(named) == set(EXPECTED)
    for host, reason in EXPECTED.items():
        assert any(r.startswith(reason) for r in named[host]["outlier_reasons"]), named[host]["outlier_reasons"]
    # the short node is below the group's median by more than a DIMM's worth, and only node 1 is
    assert [r for r in named["short-memory"]["outlier_reasons"] if r.startswith("memory")] == [
        r for r in named["short-memory"]["outlier_reasons"] if r.startswith("memory of node 1: ") and "below" in r]
    assert any("node count: 1 (9 of 10 have 4)" == r for r in named["snc-off"]["outlier_reasons"])
    groups = {g["model"]: g for g in doc["groups"]}
    assert set(groups) == {"QEMU Standard PC (Q35 + ICH9, 2009)", "QEMU 2-socket test box"}
    assert groups["QEMU 2-socket test box"]["outliers"] == []
    assert groups["QEMU Standard PC (Q35 + ICH9, 2009)"]["majority"]["node count"] == 4
    assert doc["summary"] == {"machines": 13, "errors": 0, "outliers": 4, "groups": 2, "uniform": False}


def test_identical_machines_have_no_outliers_and_exit_0(cli, planted):
    base, paths = planted
    normal = [str(paths["normal-%d" % i]) for i in range(6)] + [str(paths["other-%d" % i]) for i in range(3)]
    code, doc, _ = _doc(cli, *normal)
    assert code == 0
    assert doc["summary"]["uniform"] and doc["summary"]["outliers"] == 0
    assert all(not m["outlier"] and m["outlier_reasons"] == [] for m in doc["machines"])


@pytest.mark.parametrize("plant", sorted(ff.PLANTS))
def test_one_plant_among_identical_hosts_is_the_only_outlier(cli, planted, plant):
    base, paths = planted
    fleet = [str(paths["normal-%d" % i]) for i in range(4)] + [str(paths[plant])]
    code, doc, _ = _doc(cli, *fleet)
    assert code == 1
    assert [m["hostname"] for m in doc["machines"] if m["outlier"]] == [plant]


def test_bad_captures_are_rows_with_errors_not_the_end(cli, planted, scratch_dir):
    base, paths = planted
    truncated = scratch_dir / "truncated.tar.gz"
    truncated.write_bytes(paths["normal-0"].read_bytes()[:2000])
    not_json = scratch_dir / "notes.json"
    not_json.write_text("{not json")
    args = [str(paths["normal-0"]), str(paths["normal-1"]), str(truncated), str(not_json),
            str(scratch_dir / "absent.tar.gz"), str(paths["normal-2"])]
    code, doc, err = _doc(cli, *args)
    assert code == 1 and "Traceback" not in err
    rows = {m["path"]: m for m in doc["machines"]}
    assert [m["path"] for m in doc["machines"]] == args
    for bad in args[2:5]:
        assert rows[bad]["error"], bad
        assert rows[bad]["outlier"] is False
    assert doc["summary"]["errors"] == 3 and doc["summary"]["outliers"] == 0
    code, out, _ = cli("fleet", *args)
    assert "%s  ERROR: " % str(truncated) in out.replace("  " * 20, "  ") or "ERROR: " in out


def test_mixed_inputs_sosreports_and_capture_directories(cli, planted, scratch_dir):
    import tarfile

    base, paths = planted
    unpacked = scratch_dir / "tree" / "host-a"
    with tarfile.open(str(paths["normal-0"])) as tf:
        tf.extractall(str(unpacked))
    sos = FIXTURES / "sos" / "sosreport-vm-debian12-sos4.0.tar.xz"
    code, doc, _ = _doc(cli, str(scratch_dir / "tree"), str(sos), str(HOTSOS))
    kinds = {m["path"]: m["kind"] for m in doc["machines"]}
    assert kinds == {str(unpacked): "directory", str(sos): "sosreport", str(HOTSOS): "sosreport"}
    hotsos = next(m for m in doc["machines"] if m["path"] == str(HOTSOS))
    # from the report's dmidecode (System Information, BIOS Information), read by hand
    assert hotsos["model"] == "OpenStack Foundation OpenStack Nova"
    assert hotsos["bios_version"] == "1.10.2-1ubuntu1"
    assert hotsos["hostname"] == "juju-110cc2-k8stest-4"
    assert hotsos["kernel"] == "5.4.0-99-generic"
    assert hotsos["cpus_per_node"] == [2] and hotsos["nodes"] == 1


def test_csv_and_jsonl_carry_one_documented_record_per_machine(cli, planted):
    base, paths = planted
    code, out, _ = cli("fleet", "--format", "jsonl", str(base / "fleet"))
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) == 13
    for rec in lines:
        assert rec["schema_version"] == 1
        assert isinstance(rec["path"], str) and isinstance(rec["outlier"], bool)
        assert isinstance(rec["outlier_reasons"], list) and all(isinstance(r, str) for r in rec["outlier_reasons"])
    assert {r["hostname"] for r in lines if r["outlier"]} == set(EXPECTED)
    code, out, _ = cli("fleet", "--format", "csv", str(base / "fleet"))
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 13
    assert {r["hostname"] for r in rows if r["outlier"] == "yes"} == set(EXPECTED)
    snc = next(r for r in rows if r["hostname"] == "snc-0")
    assert snc["cpus_per_node"] == "2 2 2 2" and snc["distance_classes"] == "10 11 12" and snc["mode"] == "SNC-4"


def test_text_table_names_outliers_with_reasons(cli, planted):
    base, paths = planted
    code, out, _ = cli("fleet", str(base / "fleet"))
    assert code == 1
    head = out.splitlines()[0].split()
    assert head[:6] == ["PATH", "HOST", "MODEL", "BIOS", "KERNEL", "NODES"]
    tail = out[out.index("outliers:"):]
    for host, reason in EXPECTED.items():
        assert "%s.tar.gz (group QEMU Standard PC (Q35 + ICH9, 2009)):" % host in tail
        assert "    - " + reason in tail
    assert out.rstrip().endswith("13 machine(s) in 2 group(s): 4 outlier(s), 0 unreadable")


def test_local_processes_and_one_process_agree(cli, planted):
    base, _ = planted
    _, one, _ = _doc(cli, "--jobs", "1", str(base / "fleet"))
    _, many, _ = _doc(cli, "--jobs", "2", str(base / "fleet"))
    assert one == many


def test_without_dask_the_scheduler_option_says_how_to_install_it(cli, planted, monkeypatch):
    base, _ = planted
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    code, out, err = cli("fleet", "--scheduler", "tcp://127.0.0.1:1", str(base / "fleet"))
    assert code == 2 and out == ""
    assert "apt install python3-distributed" in err and "pip install distributed" in err
    assert len(err.strip().splitlines()) == 1


def test_terminal_escapes_in_a_capture_never_reach_the_terminal(cli, scratch_dir):
    esc = "\x1b]0;pwned\x07\x1b[2J"
    m = ff.machine(ff.BASE, "host" + esc, dict(ff.DMI, product_name="Box" + esc))
    path = ff.write(m, scratch_dir / "escapes.tar.gz")
    for fmt in ("text", "csv"):
        code, out, err = cli("fleet", "--format", fmt, str(path), str(path))
        assert code == 0 and "\x1b" not in out + err and "\x07" not in out + err
        assert "host\\x1b]0;pwned" in out


def test_machines_with_the_same_firmware_tables_share_one_decode(planted):
    from numaprobe.model.gather import load_machine

    base, paths = planted
    a, b = load_machine(str(paths["normal-0"])), load_machine(str(paths["normal-1"]))
    other = load_machine(str(paths["other-0"]))
    assert a.acpi.reads == b.acpi.reads and a.tables is b.tables
    assert other.tables is not a.tables and other.tables.srat.entries != a.tables.srat.entries
