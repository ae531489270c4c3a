"""Hand-built tables (from the construct definitions) for the walk's edge cases, the revision rule, the JSON
contract, acpidump text quirks and load_numa_tables' notes. Expected values are computed by hand."""

from __future__ import annotations

import errno
import json
import subprocess
import sys
import time

import pytest

from oracles import QEMU_CORPUS, REPO

from numaprobe.acpi import AcpiTableError, GenericTable, decode_table, load_numa_tables, read_acpidump_text
from numaprobe.acpi.header import build_table
from numaprobe.acpi.hmat import build_hmat
from numaprobe.acpi.slit import build_slit
from numaprobe.acpi.srat import build_srat, build_subtable

LAPIC = {"type": 0, "proximity_domain_lo": 1, "apic_id": 4, "flags": 1, "proximity_domain_hi": 0x000002}
MEM = {"type": 1, "proximity_domain": 0x0301, "base_address": 1 << 32, "range_length": 1 << 30, "flags": 0b11}


def codes(table):
    return [n.code for n in table.notes]


def test_import_does_not_load_construct():
    code = "import sys, numaprobe.acpi; assert 'construct' not in sys.modules, 'construct imported'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(REPO))


@pytest.mark.parametrize("revision,lapic_pxm,mem_pxm", [(1, 1, 1), (2, 0x201, 0x301), (3, 0x201, 0x301)])
def test_srat_revision_rule_as_linux(revision, lapic_pxm, mem_pxm):
    t = decode_table(build_srat([LAPIC, MEM], revision=revision))
    lapic, mem = t.entries
    assert (lapic.proximity_domain, lapic.proximity_domain_lo, lapic.proximity_domain_hi) == (lapic_pxm, 1, 2)
    assert (mem.proximity_domain, mem.proximity_domain_raw) == (mem_pxm, 0x301)
    assert (mem.enabled, mem.hot_pluggable, mem.non_volatile, mem.end_address) == (True, True, False, 0x140000000)


def test_srat_zero_length_stops_the_walk():
    zero = bytes([1, 0]) + bytes(38)
    t = decode_table(build_srat([LAPIC, zero, LAPIC]))
    assert len(t.entries) == 1 and codes(t) == ["srat-zero-length"]
    assert "0x40" in t.notes[0].message


def test_srat_subtable_past_the_end_stops_the_walk():
    past = build_subtable(MEM)[:30]  # length byte still says 40
    t = decode_table(build_srat([LAPIC, past]))
    assert len(t.entries) == 1 and codes(t) == ["srat-subtable-past-end"]


def test_srat_unknown_type_kept_raw_and_walk_continues():
    unknown = bytes([9, 6, 0xDE, 0xAD, 0xBE, 0xEF])
    t = decode_table(build_srat([unknown, LAPIC]))
    raw, lapic = t.entries
    assert (raw.type, raw.length, raw.raw, raw.enabled, raw.proximity_domain) == (9, 6, unknown, False, None)
    assert raw.to_json()["raw"] == "0906deadbeef" and lapic.apic_id == 4
    assert codes(t) == ["srat-unknown-type"]


def test_srat_short_and_long_subtables():
    short = build_subtable(MEM)[:20]
    short = bytes([1, 20]) + short[2:]
    long_x2 = bytearray(build_subtable({"type": 2, "proximity_domain": 7, "x2apic_id": 0x1234, "flags": 1}))
    long_x2[1] = 28
    t = decode_table(build_srat([short, bytes(long_x2) + bytes(4)]))
    assert codes(t) == ["srat-subtable-too-short", "srat-subtable-long"]
    assert t.entries[0].raw == short and t.entries[1].x2apic_id == 0x1234 and t.entries[1].apic_id == 0x1234


def test_odd_length_gicc_does_not_misalign():
    gicc = {"type": 3, "proximity_domain": 1, "acpi_processor_uid": 5, "flags": 1}
    t = decode_table(build_srat([gicc, gicc, {"type": 4, "proximity_domain": 1, "its_id": 3}, LAPIC]))
    assert [e.offset for e in t.entries] == [48, 66, 84, 96]
    assert [e.type for e in t.entries] == [3, 3, 4, 0] and not t.notes


def test_generic_initiator_acpi_handle():
    gi = {"type": 5, "device_handle_type": 0, "proximity_domain": 4,
          "device_handle": b"ACPI0016" + (7).to_bytes(4, "little") + bytes(4), "flags": 0b11}
    (e,) = decode_table(build_srat([gi])).entries
    assert (e.acpi_hid, e.acpi_uid, e.architectural_transactions, e.pci_segment) == ("ACPI0016", 7, True, None)
    j = e.to_json()
    assert j["acpi_hid"] == "ACPI0016" and "pci_bus" not in j


def test_srat_json_contract_keys():
    entries = [LAPIC, MEM, {"type": 2, "proximity_domain": 1, "x2apic_id": 9, "flags": 1},
               {"type": 3, "proximity_domain": 1, "acpi_processor_uid": 2, "flags": 1},
               {"type": 4, "proximity_domain": 1, "its_id": 3},
               {"type": 6, "device_handle_type": 1, "proximity_domain": 2,
                "device_handle": (1).to_bytes(2, "little") + (0x0418).to_bytes(2, "little") + bytes(12), "flags": 1},
               {"type": 7, "proximity_domain": 3, "acpi_processor_uid": 8, "flags": 1}]
    j = json.loads(json.dumps(decode_table(build_srat(entries)).to_json()))
    for key in ("signature", "revision", "length", "checksum_ok", "oem_id", "oem_table_id", "notes", "entries"):
        assert key in j
    need = {0: {"apic_id", "sapic_eid", "clock_domain"},
            1: {"base_address", "range_length", "hot_pluggable", "non_volatile", "specific_purpose"},
            2: {"x2apic_id", "clock_domain"}, 3: {"acpi_processor_uid", "clock_domain"}, 4: {"its_id"},
            6: {"device_handle_type", "pci_segment", "pci_bus", "pci_device", "pci_function"},
            7: {"acpi_processor_uid", "clock_domain"}}
    for e in j["entries"]:
        assert {"type", "type_name", "length", "enabled", "proximity_domain"} <= set(e)
        assert need[e["type"]] <= set(e), e
    port = j["entries"][5]
    assert (port["pci_segment"], port["pci_bus"], port["pci_device"], port["pci_function"]) == (1, 4, 3, 0)


def test_slit_notes_and_linux_validity():
    t = decode_table(build_slit([[10, 20], [20, 10]]))
    assert t.linux_valid and not t.notes and t.distance(1, 0) == 20 and t.distance(2, 0) is None
    bad = decode_table(build_slit([[11, 5], [10, 10]]))
    assert codes(bad) == ["slit-bad-diagonal", "slit-remote-is-local", "slit-reserved-distance",
                          "slit-ignored-by-linux"]
    assert not bad.linux_valid


def test_slit_truncated_keeps_complete_rows():
    data = build_slit([[10, 20, 30], [20, 10, 30], [30, 30, 10]])[:44 + 4]
    data = data[:4] + len(data).to_bytes(4, "little") + data[8:]
    t = decode_table(data)
    assert t.localities == 3 and t.matrix == ((10, 20, 30),) and "slit-truncated" in codes(t)


def test_slit_huge_locality_count_is_bounded():
    data = build_table(b"SLIT", 1, (2 ** 63).to_bytes(8, "little") + bytes(16))
    start = time.monotonic()
    t = decode_table(data)
    assert time.monotonic() - start < 1 and t.matrix == () and "slit-truncated" in codes(t)


def test_hmat_huge_counts_kept_raw_quickly():
    loc = bytearray(build_hmat([{"type": 1, "flags": 0, "data_type": 0, "entry_base_unit": 1, "initiators": [0],
                                 "targets": [0], "entries": [[5]]}])[40:])
    loc[12:20] = (0xFFFFFFFF).to_bytes(4, "little") * 2
    start = time.monotonic()
    t = decode_table(build_hmat([bytes(loc)]))
    assert time.monotonic() - start < 1
    assert codes(t) == ["hmat-structure-too-short"] and t.structures[0].raw == bytes(loc)


def test_hmat_zero_length_and_unknown_type():
    zero = (0).to_bytes(2, "little") + bytes(2) + (0).to_bytes(4, "little")
    t = decode_table(build_hmat([zero]))
    assert codes(t) == ["hmat-zero-length"] and t.structures == ()
    unknown = (7).to_bytes(2, "little") + bytes(2) + (12).to_bytes(4, "little") + b"\x01\x02\x03\x04"
    t = decode_table(build_hmat([unknown]))
    assert codes(t) == ["hmat-unknown-type"] and t.structures[0].to_json()["raw"] == unknown.hex()


def test_hmat_latency_conversion_as_linux():
    lat = {"type": 1, "flags": 0, "data_type": 1, "entry_base_unit": 1000, "initiators": [0, 1], "targets": [2],
           "entries": [[150], [0xFFFF]]}
    t2 = decode_table(build_hmat([lat], revision=2)).structures[0]
    assert t2.values == ((150000,), (None,)) and t2.converted == ((150,), (None,)) and t2.unit == "ps"
    t1 = decode_table(build_hmat([lat], revision=1)).structures[0]
    assert t1.converted == ((15000,), (None,))  # revision 1: DIV_ROUND_UP(value, 10), as Linux 6.12
    over = decode_table(build_hmat([dict(lat, entry_base_unit=2 ** 40)])).structures[0]
    assert over.converted == ((None,), (None,))  # Linux returns 0 when entry x base overflows 32 bits


@pytest.mark.parametrize("data,message", [
    (b"", "shorter than the 36-byte"),
    (b"SRAT" + bytes(20), "shorter than the 36-byte"),
    (b"srat" + bytes(60), "not an ACPI table"),
    (b"SRAT" + (20).to_bytes(4, "little") + bytes(40), "shorter than the header"),
    (build_table(b"SRAT", 3, bytes(4)), "48 bytes every SRAT"),
    (build_table(b"HMAT", 2, b""), "40 bytes every HMAT"),
])
def test_undecodable_bytes_raise_the_documented_error(data, message):
    with pytest.raises(AcpiTableError, match=message):
        decode_table(data)
    assert issubclass(AcpiTableError, ValueError)


def test_not_bytes_raise_the_documented_error():
    with pytest.raises(AcpiTableError):
        decode_table("SRAT")


def test_truncated_and_padded_tables_decode_with_notes():
    srat = build_srat([LAPIC, MEM])
    t = decode_table(srat[:-8])
    assert "acpi-table-truncated" in codes(t) and not t.checksum_ok and len(t.entries) == 1
    t = decode_table(srat + b"\0" * 3)
    assert codes(t) == ["acpi-trailing-bytes"] and t.checksum_ok


def test_other_signature_is_header_only():
    t = decode_table(build_table(b"APIC", 5, bytes(8), oem_id=b"AMD\0\0\0"))
    assert isinstance(t, GenericTable) and t.header.oem_id == "AMD" and t.to_json()["signature"] == "APIC"


def test_acpidump_text_quirks():
    text = ("Some banner\n\nSRAT @ 0x0000000000000000\n"
            "  0000: 53 52 41 54 30 00 00 00 03 00 41 42 43 44 45 46  SRAT0.....ABCDEF\n"
            "  0010: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  AB CD EF ........\n"
            "  0020: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  ................\n"
            "  0030: 12 34  AB CD\n")
    tables = read_acpidump_text(text)
    assert list(tables) == ["SRAT"] and len(tables["SRAT"]) == 0x30  # cut to the header length 0x30
    with pytest.raises(AcpiTableError, match="no table"):
        read_acpidump_text("hello\n")
    with pytest.raises(AcpiTableError, match="offset 0x20, expected 0x10"):
        read_acpidump_text("SRAT @ 0x0\n  0000: " + "00 " * 16 + "\n  0020: 00\n")


class _FakeRoot:
    def __init__(self, files, denied=()):
        self.files, self.denied = files, denied

    def is_dir(self, rel):
        return True

    def read_bytes(self, rel, limit=0):
        name = rel.rsplit("/", 1)[-1]
        if name in self.denied:
            raise PermissionError(errno.EACCES, "Permission denied", rel)
        if name not in self.files:
            raise FileNotFoundError(errno.ENOENT, "No such file", rel)
        return self.files[name]


def test_load_numa_tables_notes():
    found = load_numa_tables(_FakeRoot({"SRAT": build_srat([LAPIC]), "SLIT": b"SLIT junk"}, denied=("HMAT",)))
    assert found.srat is not None and found.slit is None and found.hmat is None
    assert [n.code for n in found.notes] == ["acpi-table-undecodable", "acpi-table-unreadable"]
    assert "readable only by root" in found.notes[1].message
    j = json.loads(json.dumps(found.to_json()))
    assert j["slit"] is None and j["srat"]["entries"][0]["apic_id"] == 4
    absent = load_numa_tables(_FakeRoot({}))
    assert [n.code for n in absent.notes] == ["acpi-table-absent"] * 3


def test_load_numa_tables_from_a_qemu_capture():
    tb = QEMU_CORPUS / "e-uneven-sparse-pxm.tar.gz"
    if not tb.exists():
        pytest.skip("../shared/corpus/qemu is absent")
    from numaprobe.source.root import open_root

    found = load_numa_tables(open_root(str(tb)))
    cmdline = (QEMU_CORPUS / "README.md").read_text()
    assert "proximity domain 5" in cmdline  # the capture's ground truth: CPUs and memory in PXM 0 and 5
    cpu_pxms = {e.proximity_domain for e in found.srat.cpus if e.enabled}
    mem_pxms = {e.proximity_domain for e in found.srat.memory if e.enabled}
    assert cpu_pxms == {0, 5} and mem_pxms == {0, 5}
    assert found.slit.localities == 6 and [n.code for n in found.notes] == ["acpi-table-absent"]


def test_qemu_hotplug_range_matches_its_command_line():
    import re
    import tarfile

    tb = QEMU_CORPUS / "f-memhotplug.tar.gz"
    if not tb.exists():
        pytest.skip("../shared/corpus/qemu is absent")
    with tarfile.open(str(tb)) as tf:
        cmdline = tf.extractfile("qemu-cmdline.txt").read().decode()
        srat = decode_table(tf.extractfile("sys/firmware/acpi/tables/SRAT").read())
    m = re.search(r"-m (\d+)G,slots=(\d+),maxmem=(\d+)G", cmdline)
    ram, slots, maxmem = (int(g) for g in m.groups())
    (hot,) = [e for e in srat.memory if e.hot_pluggable]
    # QEMU's SRAT covers the whole device-memory region: maxmem - ram, plus 1 GiB alignment room per slot
    assert hot.enabled and hot.proximity_domain == 1 and hot.base_address == 4 << 30
    assert hot.range_length == (maxmem - ram + slots) << 30
