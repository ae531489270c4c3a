"""Property tests: no byte string makes the decoders crash, hang or return something JSON cannot hold; tables
built from random valid entries with the construct definitions decode back to the same entries."""

from __future__ import annotations

import json
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from numaprobe.acpi import AcpiTableError, decode_table, read_acpidump_text
from numaprobe.acpi.hmat import build_hmat, structure_fields
from numaprobe.acpi.slit import build_slit
from numaprobe.acpi.srat import build_srat, subtable_fields

MAX_SECONDS = 2.0  # per decode, on a shared 2-core machine; real tables take milliseconds
u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u24 = st.integers(0, 0xFFFFFF)
u32 = st.integers(0, 0xFFFFFFFF)
u64 = st.integers(0, 2 ** 64 - 1)


def _with_header(sig: bytes, rest: bytes, fix_length: bool) -> bytes:
    data = sig + rest
    if fix_length and len(data) >= 8:
        data = data[:4] + len(data).to_bytes(4, "little") + data[8:]
    return data


table_bytes = st.one_of(
    st.binary(max_size=600),
    st.builds(_with_header, st.sampled_from([b"SRAT", b"SLIT", b"HMAT", b"APIC"]), st.binary(max_size=600),
              st.booleans()),
)


def _decode_bounded(data: bytes):
    start = time.monotonic()
    try:
        table = decode_table(data)
    except AcpiTableError as e:
        assert str(e) and "\n" not in str(e)
        table = None
    assert time.monotonic() - start < MAX_SECONDS
    return table


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table_bytes)
def test_any_bytes_decode_or_raise_the_documented_error(data):
    table = _decode_bounded(data)
    if table is not None:
        json.dumps(table.to_json())
        assert table.length >= 36


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([b"SRAT", b"HMAT"]), st.binary(max_size=200), u8, u32)
def test_any_subtable_stream_after_a_valid_start(sig, stream, type_code, count):
    # A valid fixed part, then random subtables: exercises the walk (zero/odd lengths, huge HMAT counts).
    head = bytes(12) if sig == b"SRAT" else bytes(4)
    if sig == b"HMAT" and len(stream) >= 20:
        stream = stream[:12] + count.to_bytes(4, "little") + count.to_bytes(4, "little") + stream[20:]
    data = build_srat([head[:0] + stream]) if sig == b"SRAT" else build_hmat([stream])
    table = _decode_bounded(data)
    assert table is not None and table.signature == sig.decode()
    json.dumps(table.to_json())


# -- random valid tables round trip ---------------------------------------------------------------------------

srat_subtables = st.one_of(
    st.fixed_dictionaries({"type": st.just(0), "proximity_domain_lo": u8, "apic_id": u8, "flags": u32,
                           "sapic_eid": u8, "proximity_domain_hi": u24, "clock_domain": u32}),
    st.fixed_dictionaries({"type": st.just(1), "proximity_domain": u32, "reserved1": u16, "base_address": u64,
                           "range_length": u64, "reserved2": u32, "flags": u32, "reserved3": u64}),
    st.fixed_dictionaries({"type": st.just(2), "reserved1": u16, "proximity_domain": u32, "x2apic_id": u32,
                           "flags": u32, "clock_domain": u32, "reserved2": u32}),
    st.fixed_dictionaries({"type": st.just(3), "proximity_domain": u32, "acpi_processor_uid": u32, "flags": u32,
                           "clock_domain": u32}),
    st.fixed_dictionaries({"type": st.just(4), "proximity_domain": u32, "reserved": u16, "its_id": u32}),
    st.fixed_dictionaries({"type": st.sampled_from([5, 6]), "reserved1": u8, "device_handle_type": u8,
                           "proximity_domain": u32, "device_handle": st.binary(min_size=16, max_size=16),
                           "flags": u32, "reserved2": u32}),
    st.fixed_dictionaries({"type": st.just(7), "reserved": u16, "proximity_domain": u32,
                           "acpi_processor_uid": u32, "flags": u32, "clock_domain": u32}),
)


def _with_length(d: dict) -> dict:
    from numaprobe.acpi.srat import SUBTABLE_LAYOUTS

    return dict(d, length=SUBTABLE_LAYOUTS[d["type"]].sizeof())


@settings(max_examples=150, deadline=None)
@given(st.lists(srat_subtables, max_size=12), st.sampled_from([1, 2, 3]))
def test_random_srat_entries_decode_back(subtables, revision):
    subtables = [_with_length(s) for s in subtables]
    table = decode_table(build_srat(subtables, revision=revision))
    assert table.checksum_ok and table.revision == revision
    assert [subtable_fields(e) for e in table.entries] == subtables
    for s, e in zip(subtables, table.entries):
        assert e.enabled == (bool(s["flags"] & 1) if s["type"] != 4 else True)
        if s["type"] == 0:
            hi = s["proximity_domain_hi"] if revision >= 2 else 0
            assert e.proximity_domain == s["proximity_domain_lo"] | hi << 8
        elif s["type"] == 1:
            assert e.proximity_domain == (s["proximity_domain"] if revision >= 2 else s["proximity_domain"] & 0xFF)
            assert (e.base_address, e.range_length, e.hot_pluggable, e.non_volatile, e.specific_purpose) == (
                s["base_address"], s["range_length"], bool(s["flags"] & 2), bool(s["flags"] & 4),
                bool(s["flags"] & 8))
        else:
            assert e.proximity_domain == s["proximity_domain"]


@st.composite
def hmat_structures(draw):
    kind = draw(st.sampled_from([0, 1, 2]))
    if kind == 0:
        return {"type": 0, "reserved": draw(u16), "length": 40, "flags": draw(u16), "reserved1": draw(u16),
                "initiator_proximity_domain": draw(u32), "memory_proximity_domain": draw(u32),
                "reserved2": draw(u32), "reserved3": draw(u64), "reserved4": draw(u64)}
    if kind == 1:
        i, t = draw(st.integers(0, 5)), draw(st.integers(0, 5))
        return {"type": 1, "reserved": draw(u16), "flags": draw(u8), "data_type": draw(u8),
                "min_transfer_size": draw(u8), "reserved1": draw(u8), "reserved2": draw(u32),
                "entry_base_unit": draw(u64), "initiators": draw(st.lists(u32, min_size=i, max_size=i)),
                "targets": draw(st.lists(u32, min_size=t, max_size=t)),
                "entries": draw(st.lists(u16, min_size=i * t, max_size=i * t))}
    n = draw(st.integers(0, 6))
    return {"type": 2, "reserved": draw(u16), "memory_proximity_domain": draw(u32), "reserved1": draw(u32),
            "cache_size": draw(u64), "cache_attributes": draw(u32), "address_mode": draw(u16),
            "smbios_handles": draw(st.lists(u16, min_size=n, max_size=n))}


def _without_counts(fields: dict) -> dict:
    # the builder computes length and counts from the lists; the random input leaves them out
    return {k: v for k, v in fields.items()
            if k not in ("initiator_count", "target_count", "smbios_handle_count") and not (
                k == "length" and fields["type"] != 0)}


@settings(max_examples=150, deadline=None)
@given(st.lists(hmat_structures(), max_size=6), st.sampled_from([1, 2]))
def test_random_hmat_structures_decode_back(structures, revision):
    table = decode_table(build_hmat(structures, revision=revision))
    assert [_without_counts(structure_fields(s)) for s in table.structures] == structures
    for s in table.of_type(1):
        assert len(s.entries) == len(s.initiators) and all(len(r) == len(s.targets) for r in s.entries)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 40).flatmap(lambda n: st.lists(st.lists(u8, min_size=n, max_size=n), min_size=n,
                                                     max_size=n)))
def test_random_slit_decodes_back(matrix):
    table = decode_table(build_slit(matrix))
    assert [list(r) for r in table.matrix] == matrix and table.localities == len(matrix)


def _acpidump_text(tables: dict) -> str:
    out = []
    for sig, data in tables.items():
        out.append("%s @ 0x0000000000000000" % sig)
        for off in range(0, len(data), 16):
            row = data[off:off + 16]
            text = "".join(chr(b) if 32 <= b < 127 else "." for b in row)
            out.append("  %04X: %-48s %s" % (off, " ".join("%02X" % b for b in row), text))
        out.append("")
    return "\n".join(out)


@settings(max_examples=60, deadline=None)
@given(st.lists(srat_subtables, max_size=6), st.lists(st.lists(st.just(10), min_size=3, max_size=3), min_size=3,
                                                       max_size=3))
def test_acpidump_text_round_trip(subtables, matrix):
    srat = build_srat([_with_length(s) for s in subtables])
    slit = build_slit(matrix)
    assert read_acpidump_text(_acpidump_text({"SRAT": srat, "SLIT": slit})) == {"SRAT": srat, "SLIT": slit}


acpidump_like = st.lists(st.one_of(
    st.sampled_from(["SRAT @ 0x0", "SLIT @ 0x00000000", "  0000: 53 52 41 54", "  0010: 00 01", "", "garbage"]),
    st.text(alphabet="0123456789abcdefSRAT @x: \t", max_size=60),
), max_size=40).map("\n".join)


@settings(max_examples=300, deadline=None)
@given(acpidump_like)
def test_any_text_reads_or_raises_the_documented_error(text):
    start = time.monotonic()
    try:
        tables = read_acpidump_text(text)
    except AcpiTableError:
        return
    assert time.monotonic() - start < MAX_SECONDS
    assert tables and all(isinstance(v, bytes) and v for v in tables.values())
    for data in tables.values():
        _decode_bounded(data)
