"""`capture --snapshot FILE.json`: kilobytes per host instead of a tarball, read back by --root and by fleet."""

from __future__ import annotations

import json
import re

import fleet_fixtures as ff


def _block(text: str):
    out = []
    for line in text.splitlines():
        if not line.strip():
            break
        if not re.match(r"node \d+ free: ", line):
            out.append(line)
    return out


def test_snapshot_of_this_host_reads_back_as_the_host(cli, scratch_dir):
    path = scratch_dir / "host.json"
    code, out, err = cli("capture", "--snapshot", str(path))
    assert code == 0 and out == "" and "wrote snapshot" in err
    doc = json.loads(path.read_text())
    assert doc["document"] == "numaprobe-snapshot" and "dmi" in doc and "cpu_vendor" in doc
    assert path.stat().st_size < 1 << 20  # kilobytes, not a tarball's megabytes
    _, live, _ = cli("probe")
    _, back, _ = cli("probe", "--root", str(path))
    assert _block(back) == _block(live)


def test_tarball_and_snapshot_together(cli, scratch_dir):
    tar, snap = scratch_dir / "both.tar.gz", scratch_dir / "both.json"
    code, _, err = cli("capture", "--no-dmesg", "--snapshot", str(snap), str(tar))
    assert code == 0 and tar.exists() and snap.exists()
    code, doc_out, _ = cli("fleet", "--json", str(tar), str(snap))
    doc = json.loads(doc_out)
    assert [m["kind"] for m in doc["machines"]] == ["tarball", "snapshot"]
    a, b = doc["machines"]
    for key in ("nodes", "node_cpus", "distances", "mode", "numa_mode", "hostname", "kernel", "model"):
        assert a[key] == b[key], key


def test_refused_snapshot_target_writes_nothing(cli, scratch_dir):
    d = scratch_dir / "refused"
    d.mkdir()
    tar = d / "c.tar.gz"
    code, out, err = cli("capture", "--snapshot", str(d / "no" / "dir" / "x.json"), str(tar))
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert list(d.iterdir()) == []  # the tarball was not written either


def test_fleet_of_snapshots_names_the_planted_ones(cli, scratch_dir):
    """Snapshots of the planted fleet (numaprobe snapshot --root each tarball) give the tarballs' outliers."""
    paths = ff.build_fleet(scratch_dir / "fleet-tars", normal=4, other_model=0)
    snaps = scratch_dir / "fleet-snaps"
    snaps.mkdir()
    for name, tar in paths.items():
        code, out, _ = cli("snapshot", "--root", str(tar))
        assert code == 0
        (snaps / (name + ".json")).write_text(out)
    code, out, _ = cli("fleet", "--json", str(snaps))
    doc = json.loads(out)
    assert {m["hostname"] for m in doc["machines"] if m["outlier"]} == set(ff.PLANTS)
    assert {m["kind"] for m in doc["machines"]} == {"snapshot"}
    assert {m["model"] for m in doc["machines"]} == {"QEMU Standard PC (Q35 + ICH9, 2009)"}
