"""Inputs that bench/fuzz (atheris) found to crash or hang a parser, kept so the fix stays fixed.

Each test names the target that found it and the input as bytes; the fuzzing report is docs/fuzzing.md.
"""

from __future__ import annotations

import time

import pytest

from numaprobe.acpi import AcpiTableError, decode_table
from numaprobe.readers.cpumask import parse_cpulist, parse_cpumask


def test_cpumask_with_a_sign_is_malformed_not_an_endless_loop():
    # target cpumask, input b"-9\n": int("-9", 16) is -9, and shifting a negative number right never reaches 0.
    assert parse_cpumask("-9") is None
    assert parse_cpumask("-0") == ()  # int("-0", 16) is 0: an empty mask, as "0" is
    assert parse_cpumask("+f") == (0, 1, 2, 3)


def test_cpumask_of_a_million_bits_is_linear():
    started = time.monotonic()
    ids = parse_cpumask("f" * (1 << 18))  # 2^20 bits, the largest accepted
    assert len(ids) == 1 << 20 and ids[:3] == (0, 1, 2)
    assert time.monotonic() - started < 5


def test_cpulist_repeating_the_largest_range_costs_one_expansion():
    started = time.monotonic()
    ids = parse_cpulist("0-1048576," * 20000)
    assert len(ids) == 1048577 and ids[-1] == 1048576
    assert time.monotonic() - started < 5
    assert parse_cpulist("8,0-3,2-5,1") == (0, 1, 2, 3, 4, 5, 8)


@pytest.mark.parametrize("first", [0xB2, 0xB3, 0xB9])
def test_table_signature_with_latin1_superscript_digit_is_refused(first):
    # target acpi_decode: b"\xb2MAT..." passed the signature check (chr(0xB2) '²'.isdigit() is True) and then
    # .decode("ascii") raised UnicodeDecodeError instead of AcpiTableError.
    data = bytes([first]) + b"MAT" + (0xB6).to_bytes(4, "little") + b"\x00\x36INTEL TEMPLAT" + bytes(160)
    with pytest.raises(AcpiTableError, match="not an ACPI table"):
        decode_table(data)


def test_acpidump_text_of_blanks_is_linear():
    # found by bench/fuzz/scale.py: the title regex backtracked quadratically on a line of blanks (256 KB: 77 s)
    from numaprobe.acpi import read_acpidump_text

    started = time.monotonic()
    for blank in (" " * 262144, "\t " * 131072, "SRAT" + " " * 262144):
        with pytest.raises(AcpiTableError):
            read_acpidump_text(blank)
    assert time.monotonic() - started < 5


def test_slit_claiming_2_to_the_48_localities_renders_without_exhausting_memory(tmp_path, cli):
    # target commands (OOM at 1.1 GB): the text renderer labelled columns range(localities) as claimed, not as
    # decoded; the table itself decodes to 0 complete rows with a slit-truncated note
    from numaprobe.acpi.header import build_table

    path = tmp_path / "SLIT"
    path.write_bytes(build_table(b"SLIT", 1, (1 << 48).to_bytes(8, "little") + b"\x0a\x14\x14\x0a"))
    started = time.monotonic()
    code, out, err = cli("tables", str(path))
    assert code == 0, err
    assert "281474976710656 localities" in out
    assert time.monotonic() - started < 5
