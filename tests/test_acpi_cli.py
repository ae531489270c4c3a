"""`numaprobe tables`: live/--root capture, raw table files, acpidump text files, text and JSON, bad input."""

from __future__ import annotations

import json

import pytest

from oracles import ACPI_CORPUS, QEMU_CORPUS

from numaprobe.acpi import decode_table


def _need(path):
    if not path.exists():
        pytest.skip("%s is absent" % path)
    return str(path)


def test_tables_of_a_capture_json(cli):
    tb = _need(QEMU_CORPUS / "d-2node-hmat.tar.gz")
    code, out, err = cli("tables", "--root", tb, "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["schema_version"] == 1 and doc["notes"] == []
    assert [t["signature"] for t in doc["tables"]] == ["SRAT", "SLIT", "HMAT"]
    hmat = doc["tables"][2]
    cache = [s for s in hmat["structures"] if s["type"] == 2]
    assert cache[0]["cache_size"] == 16 << 20 and cache[0]["memory_proximity_domain"] == 1  # 16 MiB cache, node 1


def test_capture_without_acpi_says_why(cli):
    tb = _need(QEMU_CORPUS / "arm64-a-2node-dt.tar.gz")
    code, out, _ = cli("tables", "--root", tb, "--json")
    doc = json.loads(out)
    assert code == 0 and doc["tables"] == [] and {n["code"] for n in doc["notes"]} == {"acpi-table-absent"}
    code, out, _ = cli("tables", "--root", tb)
    assert out.startswith("no NUMA tables\n") and "no ACPI tables at all" in out


def test_raw_and_acpidump_files_text(cli):
    raw = ACPI_CORPUS / "real" / "hp-proliant-dl360-g7-2s-intel-60DCEE46526A" / "SRAT"
    dump = ACPI_CORPUS / "synthetic" / "fwts-slit-0001" / "acpidump-0002" / "acpidump-0002.log"
    code, out, err = cli("tables", _need(raw), _need(dump))
    assert code == 0, err
    assert out.startswith('SRAT  revision 1, 1392 bytes, checksum ok, OEM "HP    " "Proliant"')
    assert "\nSLIT  revision 1, 108 bytes, BAD checksum 0x20 (should be 0xAA)" in out
    assert "note: SLIT: entry[7][7] is 254 (0xFE), must be 10" in out


def test_files_json_equals_library(cli):
    raw = _need(ACPI_CORPUS / "synthetic" / "rzwisler-hmat-rev1-config1" / "HMAT")
    code, out, _ = cli("tables", raw, "--json")
    with open(raw, "rb") as f:
        assert json.loads(out)["tables"] == [json.loads(json.dumps(decode_table(f.read()).to_json()))]


@pytest.mark.parametrize("content", [b"", b"hello world, not a table at all" * 3, b"SRAT\x10\x00\x00\x00"])
def test_undecodable_file_one_line_exit_2(cli, tmp_path, content):
    bad = tmp_path / "bad.bin"
    bad.write_bytes(content)
    code, out, err = cli("tables", str(bad))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and str(bad) in err and "Traceback" not in err


def test_missing_file_and_file_with_root(cli, tmp_path):
    code, _, err = cli("tables", str(tmp_path / "nope"))
    assert code == 2 and err.count("\n") == 1
    code, _, err = cli("tables", str(tmp_path / "nope"), "--root", str(tmp_path))
    assert code == 2 and "not both" in err
