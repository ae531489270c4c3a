"""Every SRAT/SLIT/HMAT we have (shared corpus, QEMU captures, sysfs_fixtures) decodes field for field as the
installed iasl disassembles it (Debian 12's 20200925 or any newer one). iasl runs here, on the same bytes; its .dsl
is parsed by iasl_oracle.

What an iasl cannot show (to 20200925 SRAT types 6 and 7 are "Unknown Subtable Type", memory flag bit 3 and HMAT
ACPI 6.4 fields have no sub-line; memory flag bit 3 has none in any iasl yet), the test checks instead by building
the entry back from the construct definitions: the same bytes, so no field numaprobe decoded can be wrong without
the test seeing it.
"""

from __future__ import annotations

import tarfile
from pathlib import Path
from typing import List, Tuple

import pytest

from iasl_oracle import NEWER_SRAT_TYPES, disassemble, expected_fields, fields_mismatch, iasl_version
from oracles import ACPI_CORPUS, FIXTURES, QEMU_CORPUS

from numaprobe.acpi import decode_table
from numaprobe.acpi.hmat import build_hmat, build_structure, structure_fields
from numaprobe.acpi.slit import build_slit
from numaprobe.acpi.srat import build_srat, build_subtable, subtable_fields

SIGNATURES = ("SRAT", "SLIT", "HMAT")


def _corpus_files() -> List[Tuple[str, Path]]:
    if not ACPI_CORPUS.exists():
        return []
    out = []
    for p in sorted(ACPI_CORPUS.rglob("*")):
        # build/*.aml in rzwisler are iasl's own recompilations; the raw tables are named by signature
        if p.is_file() and p.name in SIGNATURES:
            out.append((str(p.relative_to(ACPI_CORPUS)), p))
    return out


def _tarball_tables(paths: List[Path]) -> List[Tuple[str, bytes]]:
    out = []
    for tb in paths:
        with tarfile.open(str(tb)) as tf:
            for m in tf.getmembers():
                parts = m.name.split("/")
                if m.isfile() and parts[-1] in SIGNATURES and parts[-2:-1] == ["tables"] and "acpi" in parts:
                    out.append(("%s:%s" % (tb.name, parts[-1]), tf.extractfile(m).read()))
    return out


def _all_tables() -> List[Tuple[str, bytes]]:
    tables = [(name, p.read_bytes()) for name, p in _corpus_files()]
    tables += _tarball_tables(sorted(QEMU_CORPUS.glob("*.tar.gz")) if QEMU_CORPUS.exists() else [])
    tables += _tarball_tables(sorted(FIXTURES.rglob("*.tar.gz")) if FIXTURES.exists() else [])
    return tables


TABLES = _all_tables()


def test_corpus_is_there():
    if not ACPI_CORPUS.exists():
        pytest.skip("../shared/corpus/acpi is absent")
    names = [n for n, _ in TABLES]
    assert sum(n.endswith("SRAT") for n in names) >= 12
    assert any(n.startswith("d-2node-hmat") and n.endswith("HMAT") for n in names)


@pytest.fixture(scope="module")
def iasl_ok():
    """Any iasl: fails (in CI) or skips (elsewhere) when there is none; its version goes in the test report."""
    return iasl_version()


def _unknown_srat_types(warnings: List[str]) -> List[int]:
    return [int(w.rsplit("0x", 1)[1], 16) for w in warnings if "Unknown SRAT subtable type" in w]


def _rebuild(t) -> bytes:
    h = t.header.build_args()
    if t.signature == "SRAT":
        return build_srat([subtable_fields(e) for e in t.entries], table_revision=t.table_revision,
                          reserved=t.reserved, **h)
    if t.signature == "HMAT":
        return build_hmat([structure_fields(s) for s in t.structures], reserved=t.reserved, **h)
    return build_slit(t.matrix, **h)


@pytest.mark.oracle
@pytest.mark.parametrize("name,data", TABLES, ids=[n for n, _ in TABLES])
def test_decode_equals_iasl(name, data, iasl_ok, scratch_dir):
    work = scratch_dir / ("iasl-" + name.replace("/", "_").replace(":", "_"))
    work.mkdir()
    fields, warnings = disassemble(data, work)
    table = decode_table(data)
    why = fields_mismatch(fields, expected_fields(table))  # names the first differing field
    assert why is None, "iasl %s: %s" % (iasl_ok, why)

    bad_sum = [w for w in warnings if w.startswith("checksum should be")]
    assert table.checksum_ok == (not bad_sum)
    if bad_sum:
        assert bad_sum[0] == "checksum should be %02X" % table.header.checksum_expected
        assert "acpi-bad-checksum" in [n.code for n in table.notes]

    if table.signature == "SRAT":
        too_new = [e for e in table.entries if e.type in NEWER_SRAT_TYPES]
        unknown = _unknown_srat_types(warnings)  # types this iasl does not know: one warning per entry
        assert sorted(unknown) == sorted(e.type for e in too_new if e.type in unknown)
        for e in too_new:
            # an older iasl prints only type and length: check every field by building it back, for any iasl
            assert build_subtable(subtable_fields(e)) == data[e.offset:e.offset + e.length]
    if table.signature == "HMAT":
        for s in table.structures:
            # ACPI 6.4 type-1 flag bits 4-5 and Minimum Transfer Size have no sub-line in iasl 20200925
            assert build_structure(structure_fields(s)) == data[s.offset:s.offset + s.length]


@pytest.mark.parametrize("name,data", TABLES, ids=[n for n, _ in TABLES])
def test_rebuilt_from_decoded_fields_is_byte_identical(name, data):
    table = decode_table(data)
    assert _rebuild(table) == data[:table.length]


@pytest.mark.oracle
def test_fields_newer_than_acpi_6_3_round_trip(iasl_ok, scratch_dir):
    """Older iasl (20200925) cannot check these, so they are built from the construct definitions and decoded back,
    and compared with whatever this iasl prints of them:
    SRAT type 6 (generic port, ACPI handle) and 7 (RINTC), memory flag bit 3 (specific-purpose, ACPI 6.6),
    generic-initiator bit 1 (architectural transactions, ACPI 6.4), HMAT type 1 flag bits 4-5 and Minimum
    Transfer Size (ACPI 6.4), HMAT type 2 Address Mode (ACPI 6.5)."""
    port = {"type": 6, "device_handle_type": 0, "proximity_domain": 9,
            "device_handle": b"ACPI0016" + (3).to_bytes(4, "little") + bytes(4), "flags": 0b11}
    rintc = {"type": 7, "proximity_domain": 2, "acpi_processor_uid": 17, "flags": 1, "clock_domain": 4}
    sp_mem = {"type": 1, "proximity_domain": 1, "base_address": 1 << 40, "range_length": 1 << 34, "flags": 0b1001}
    gi = {"type": 5, "device_handle_type": 1, "proximity_domain": 3,
          "device_handle": bytes([0, 0, 0x08, 0x81]) + bytes(12), "flags": 0b11}
    srat = build_srat([port, rintc, sp_mem, gi])
    work = scratch_dir / "newer"
    work.mkdir()
    fields, warnings = disassemble(srat, work)
    t = decode_table(srat)
    # what iasl sees: 20200925 knows neither type 6 nor 7 and shows bits 3 and 1 only in the hex Flags value;
    # newer ones decode both types and name bit 1; none names bit 3 (dmtbinfo3.c AcpiDmTableInfoSrat1)
    assert set(_unknown_srat_types(warnings)) <= {6, 7} and len(set(_unknown_srat_types(warnings))) == len(
        _unknown_srat_types(warnings))
    why = fields_mismatch(fields, expected_fields(t))
    assert why is None, "iasl %s: %s" % (iasl_ok, why)
    assert not any(f.name == "Specific Purpose" for f in fields)
    p, r, m, g = t.entries
    assert (p.acpi_hid, p.acpi_uid, p.proximity_domain, p.enabled, p.architectural_transactions) == (
        "ACPI0016", 3, 9, True, True)
    assert (r.acpi_processor_uid, r.proximity_domain, r.clock_domain, r.enabled) == (17, 2, 4, True)
    assert (m.specific_purpose, m.hot_pluggable, m.enabled) == (True, False, True)
    assert (g.pci_bus, g.pci_device, g.pci_function, g.architectural_transactions) == (0x81, 1, 0, True)
    assert [build_subtable(subtable_fields(e)) for e in t.entries] == [build_subtable(s) for s in
                                                                       (port, rintc, sp_mem, gi)]

    loc = {"type": 1, "flags": 0x30, "data_type": 4, "min_transfer_size": 64, "entry_base_unit": 1,
           "initiators": [0], "targets": [1], "entries": [[100]]}
    cache = {"type": 2, "memory_proximity_domain": 1, "cache_size": 1 << 30, "cache_attributes": 0x00402111,
             "address_mode": 1, "smbios_handles": []}
    hmat = build_hmat([loc, cache])
    fields, _ = disassemble(hmat, work, "HMAT")
    h = decode_table(hmat)
    why = fields_mismatch(fields, expected_fields(h))
    assert why is None, "iasl %s: %s" % (iasl_ok, why)
    s1, s2 = h.structures
    assert (s1.use_min_transfer_size, s1.non_sequential_transfers, s1.min_transfer_size) == (True, True, 64)
    assert s1.converted == ((100,),) and s1.converted_unit == "MB/s"
    assert (s2.address_mode, s2.write_policy, s2.associativity, s2.line_size) == (1, 2, 1, 64)
    assert [build_structure(structure_fields(s)) for s in h.structures] == [build_structure(loc),
                                                                             build_structure(cache)]


_LAPIC = {"type": 0, "proximity_domain_lo": 1, "apic_id": 4, "flags": 1}
_MEM = {"type": 1, "proximity_domain": 1, "base_address": 0, "range_length": 1 << 30, "flags": 1}


@pytest.mark.oracle
@pytest.mark.parametrize("case,subtables,stop_code", [
    ("zero-length", [_LAPIC, bytes([1, 0]) + bytes(38), _LAPIC], "srat-zero-length"),
    ("past-the-end", [_LAPIC, build_subtable(_MEM)[:30]], "srat-subtable-past-end"),
    ("too-short", [_LAPIC, bytes([1, 20]) + bytes(18), _LAPIC], None),
    ("unknown-type", [bytes([9, 6, 1, 2, 3, 4]), _LAPIC], None),
])
def test_broken_walk_stops_where_iasl_stops(case, subtables, stop_code, iasl_ok, scratch_dir):
    """iasl prints the header of the subtable it stops at (zero length, running past the end) and goes on past
    a short or unknown one by its length; numaprobe stops (with a note) or goes on at the same places."""
    data = build_srat(subtables)
    work = scratch_dir / ("walk-" + case)
    work.mkdir()
    fields, _ = disassemble(data, work)
    iasl_offsets = [f.offset for f in fields if f.name == "Subtable Type"]
    table = decode_table(data)
    ours = [e.offset for e in table.entries]
    codes = [n.code for n in table.notes]
    if stop_code:
        assert stop_code in codes and ours == iasl_offsets[:-1]
        assert "offset 0x%X" % iasl_offsets[-1] in [n for n in table.notes if n.code == stop_code][0].message
    else:
        assert ours == iasl_offsets


def test_version_differences_are_matched_not_ignored():
    """One HMAT type-1 structure as iasl 20200925 prints it and as newer iasl does (dmtbinfo1.c AcpiDmTableInfoHmat1:
    flag bits 4-5 and Minimum Transfer Size named): both match numaprobe's decoding; a wrong value or a missing
    field in either does not."""
    from iasl_oracle import Field as F

    s = decode_table(build_hmat([{"type": 1, "flags": 0x31, "data_type": 0, "min_transfer_size": 64,
                                  "entry_base_unit": 1, "initiators": [0], "targets": [1], "entries": [[100]]}]))
    (st,) = s.structures
    o = st.offset
    head = [F(o, "Structure Type", 1), F(o + 2, "Reserved", 0), F(o + 4, "Length", st.length),
            F(o + 8, "Flags (decoded below)", 0x31), F(None, "Memory Hierarchy", 1)]
    tail = [F(o + 12, "Initiator Proximity Domains #", 1), F(o + 16, "Target Proximity Domains #", 1),
            F(o + 20, "Reserved2", 0), F(o + 24, "Entry Base Unit", 1), F(o + 32, "Initiator Proximity Domain List", 0),
            F(o + 36, "Target Proximity Domain List", 1), F(o + 40, "Entry", 100)]
    old = head + [F(o + 9, "Data Type", 0), F(o + 10, "Reserved1", 64)] + tail
    new = head + [F(None, "Use Minimum Transfer Size", 1), F(None, "Non-sequential Transfers", 1),
                  F(o + 9, "Data Type", 0), F(o + 10, "Minimum Transfer Size", 64), F(o + 11, "Reserved1", 0)] + tail
    expected = expected_fields(s)[10:]  # after the table header (9 fields) and the HMAT's Reserved field
    assert fields_mismatch(old, expected) is None
    assert fields_mismatch(new, expected) is None
    wrong = list(new)
    wrong[7] = F(o + 9, "Data Type", 1)
    assert "Data Type" in fields_mismatch(wrong, expected)
    assert fields_mismatch(new[:-1], expected) is not None
    assert fields_mismatch(old + [F(None, "Bogus", 0)], expected) is not None
