"""The Firmware Test Suite's SRAT/SLIT/HMAT self-test dumps: every structural problem fwts reports on the broken
dump (acpidump-0002) is a note on numaprobe's decoded table, and the valid dump (acpidump-0001) has none of the
serious ones. The dumps are read in their acpidump text form, through numaprobe's own reader."""

from __future__ import annotations

import re
from typing import List, Tuple

import pytest

from oracles import ACPI_CORPUS

from numaprobe.acpi import decode_table, read_acpidump_text

FWTS = [("SRAT", "fwts-srat-0001"), ("SLIT", "fwts-slit-0001"), ("HMAT", "fwts-hmat-0001")]

# fwts failure id -> the numaprobe note codes that report the same problem
CODES = {
    "SRATBadFieldValue": {"srat-table-revision"},
    "SRATReservedBitsNonZero": {"srat-reserved-flags", "srat-specific-purpose"},
    "SRATReservedNonZero": {"srat-reserved-nonzero"},
    "SLITBadCornerEntry": {"slit-bad-diagonal"},
    "SLITEntryReserved": {"slit-reserved-distance"},
    "HMATReservedNonZero": {"hmat-reserved-nonzero", "hmat-min-transfer-size"},
    "HMATReservedBitsNonZero": {"hmat-reserved-flags"},
    "HMATBadFDataType": {"hmat-bad-data-type"},
    "HMATBadBaseUnit": {"hmat-zero-base-unit"},
    "HMATBadCacheAttributeReserved": {"hmat-cache-attributes-reserved"},
}


def _dir(name: str):
    d = ACPI_CORPUS / "synthetic" / name
    if not d.exists():
        pytest.skip("../shared/corpus/acpi/synthetic/%s is absent" % name)
    return d


def fwts_failures(log: str) -> List[Tuple[str, str]]:
    """(failure id, text of the failure) from an fwts log, its wrapped lines joined."""
    body = " ".join(line[16:].strip() for line in log.splitlines())
    return re.findall(r"FAILED \[\w+\] (\w+): Test \d+, (.*?)(?= FAILED \[| SRAT | SLIT | HMAT | =====|$)", body)


def _numbers(text: str) -> List[int]:
    return [int(x, 16) if x.lower().startswith("0x") else int(x)
            for x in re.findall(r"0[xX][0-9A-Fa-f]+|\b\d+\b", text)]


def _decoded(sig: str, name: str, dump: str):
    text = (_dir(name) / dump / (dump + ".log")).read_text()
    return decode_table(read_acpidump_text(text)[sig])


@pytest.mark.parametrize("sig,name", FWTS)
def test_every_fwts_failure_is_a_note(sig, name):
    d = _dir(name)
    failures = fwts_failures((d / ("fwts-expected-%s-0002.log" % sig.lower())).read_text())
    assert len(failures) >= 3
    table = _decoded(sig, name, "acpidump-0002")
    for fid, text in failures:
        codes = CODES[fid]
        notes = [n for n in table.notes if n.code in codes]
        assert notes, "fwts %s (%s): no %s note" % (fid, text, codes)
        entry = re.search(r"Entry\[(\d+)\]\[(\d+)\]", text)
        got = re.search(r"got (0x[0-9a-fA-F]+|\d+)", text)
        if entry:
            assert any("entry[%s][%s]" % entry.groups() in n.message for n in notes), (fid, text)
        elif got and "below" not in text:
            value = _numbers(got.group(1))[0]
            assert any(value in _numbers(n.message) for n in notes), (fid, text, notes)
    if sig == "SRAT":  # "got below": the generic port's device handle reserved bytes
        assert any("handle_reserved" in n.message for n in table.notes)


@pytest.mark.parametrize("sig,name", FWTS)
def test_bad_checksum_reported_as_iasl_does(sig, name):
    d = _dir(name)
    iasl_log = (d / "acpidump-0002" / "iasl-d.log").read_text()
    m = re.search(r"Incorrect checksum in table \[%s\] - 0x([0-9A-F]{2}), should be 0x([0-9A-F]{2})" % sig, iasl_log)
    assert m
    table = _decoded(sig, name, "acpidump-0002")
    assert not table.checksum_ok
    assert (table.header.checksum, table.header.checksum_expected) == (int(m.group(1), 16), int(m.group(2), 16))
    assert "acpi-bad-checksum" in [n.code for n in table.notes]


@pytest.mark.parametrize("sig,name", FWTS)
def test_valid_dump_has_no_structural_problem(sig, name):
    d = _dir(name)
    assert "PASSED" in (d / ("fwts-expected-%s-0001.log" % sig.lower())).read_text()
    table = _decoded(sig, name, "acpidump-0001")
    assert table.checksum_ok
    serious = {"acpi-bad-checksum", "srat-zero-length", "srat-subtable-past-end", "srat-table-revision",
               "srat-reserved-flags", "slit-bad-diagonal", "slit-reserved-distance", "slit-truncated",
               "hmat-zero-length", "hmat-structure-past-end", "hmat-reserved-flags", "hmat-bad-data-type",
               "hmat-zero-base-unit", "hmat-cache-attributes-reserved"}
    assert not [n for n in table.notes if n.code in serious]
