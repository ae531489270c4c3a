"""Every SRAT/SLIT/HMAT we have (shared corpus, QEMU captures, sysfs_fixtures) decodes field for field as
Debian's iasl 20200925 disassembles it. iasl runs here, on the same bytes; its .dsl is parsed by iasl_oracle.

Where this iasl is too old (SRAT types 6 and 7 are "Unknown Subtable Type" to it, memory flag bit 3 and HMAT
ACPI 6.4 fields have no sub-line), the test checks instead that building the entry back from the construct
definitions gives the same bytes, so no field numaprobe decoded can be wrong without the test seeing it.
"""

from __future__ import annotations

import tarfile
from pathlib import Path
from typing import List, Tuple

import pytest

from iasl_oracle import IASL_OLD_SRAT_TYPES, KNOWN_VERSION, disassemble, expected_fields, iasl_version
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
    v = iasl_version()
    if v != KNOWN_VERSION:
        pytest.skip("field names are those of iasl %s, this iasl is %s" % (KNOWN_VERSION, v))


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
    expected = expected_fields(table)
    # compare one by one so a failure names the first differing field
    for got, want in zip(fields, expected):
        assert got == want, "iasl printed %r, numaprobe decoded %r" % (got, want)
    assert len(fields) == len(expected)

    bad_sum = [w for w in warnings if w.startswith("checksum should be")]
    assert table.checksum_ok == (not bad_sum)
    if bad_sum:
        assert bad_sum[0] == "checksum should be %02X" % table.header.checksum_expected
        assert "acpi-bad-checksum" in [n.code for n in table.notes]

    if table.signature == "SRAT":
        too_new = [e for e in table.entries if e.type in IASL_OLD_SRAT_TYPES]
        assert len([w for w in warnings if "Unknown SRAT subtable type" in w]) == len(too_new)
        for e in too_new:
            # iasl 20200925 prints only type and length: check every other field by building it back
            assert build_subtable(subtable_fields(e)) == data[e.offset:e.offset + e.length]
    if table.signature == "HMAT":
        for s in table.structures:
            # ACPI 6.4 type-1 flag bits 4-5 and Minimum Transfer Size have no iasl 20200925 sub-line
            assert build_structure(structure_fields(s)) == data[s.offset:s.offset + s.length]


@pytest.mark.parametrize("name,data", TABLES, ids=[n for n, _ in TABLES])
def test_rebuilt_from_decoded_fields_is_byte_identical(name, data):
    table = decode_table(data)
    assert _rebuild(table) == data[:table.length]
