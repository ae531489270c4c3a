"""SRAT types 6 and 7 against ACPICA, an independent source of bytes and values (Debian's iasl 20200925 knows
neither: it prints "Unknown Subtable Type").

Source: github.com/acpica/acpica at commit 6e8959f1cf52979225711080e0d58383d686adf3 (ACPI_CA_VERSION 0x20260408):
- source/compiler/dttemplate.h `TemplateSrat[]`: the bytes below, verbatim (0xD2 bytes, subtables of types
  0, 1, 2, 3, 4, 5 and 7; ACPICA's template has no type 6);
- source/include/actbl3.h: ACPI_SRAT_RINTC_AFFINITY (Header, u16 Reserved, u32 ProximityDomain,
  u32 AcpiProcessorUid, u32 Flags, u32 ClockDomain; ACPI_SRAT_RINTC_ENABLED = 1) and ACPI_SRAT_GENERIC_AFFINITY,
  "Common structure for SRAT subtable types 5: ACPI_SRAT_TYPE_GENERIC_AFFINITY, 6:
  ACPI_SRAT_TYPE_GENERIC_PORT_AFFINITY" (u8 Reserved, u8 DeviceHandleType, u32 ProximityDomain,
  u8 DeviceHandle[16], u32 Flags (bit 0 enabled, bit 1 ACPI_SRAT_ARCHITECTURAL_TRANSACTIONS), u32 Reserved1);
- source/common/dmtbinfo3.c: AcpiDmTableInfoSrat6 is ACPI_DM_SRAT_GENERIC_AFFINITY, the same field list as
  AcpiDmTableInfoSrat5; AcpiDmTableInfoSrat7 lists Reserved, Proximity Domain, Acpi Processor UID, Flags
  (Enabled), Clock Domain.
The expected values are those fields read by hand from the template bytes at the offsets actbl3.h gives.
"""

from __future__ import annotations

import struct

from numaprobe.acpi import decode_table

TEMPLATE_SRAT = bytes([
    0x53, 0x52, 0x41, 0x54, 0xD2, 0x00, 0x00, 0x00, 0x03, 0xB6, 0x49, 0x4E, 0x54, 0x45, 0x4C, 0x20,
    0x54, 0x65, 0x6D, 0x70, 0x6C, 0x61, 0x74, 0x65, 0x01, 0x00, 0x00, 0x00, 0x49, 0x4E, 0x54, 0x4C,
    0x29, 0x06, 0x18, 0x20, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x10, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0xFC, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x18, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x03, 0x12, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x04, 0x0C, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05, 0x20,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x14,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00,
])


def _checksum(table: bytearray) -> bytes:
    table[9] = 0
    table[9] = (-sum(table)) & 0xFF
    return bytes(table)


def test_template_header_and_layout():
    t = decode_table(TEMPLATE_SRAT)
    assert t.checksum_ok  # dttemplate.h's byte 9 (0xB6) makes the sum 0
    assert (t.header.revision, t.table_revision, t.length) == (3, 1, 0xD2)
    assert [(e.offset, e.type, e.length) for e in t.entries] == [
        (0x30, 0, 0x10), (0x40, 1, 0x28), (0x68, 2, 0x18), (0x80, 3, 0x12), (0x92, 4, 0x0C), (0x9E, 5, 0x20),
        (0xBE, 7, 0x14)]
    assert not t.notes


def test_template_type_7_rintc_values():
    rintc = decode_table(TEMPLATE_SRAT).entries[-1]
    # +2 Reserved 0000, +4 ProximityDomain 0, +8 AcpiProcessorUid 0, +12 Flags 00000001, +16 ClockDomain 0
    assert (rintc.reserved, rintc.proximity_domain, rintc.acpi_processor_uid, rintc.flags, rintc.enabled,
            rintc.clock_domain) == (0, 0, 0, 1, True, 0)


def test_template_other_types_values():
    e = decode_table(TEMPLATE_SRAT).entries
    assert (e[0].apic_id, e[0].proximity_domain, e[0].flags) == (0, 0, 1)
    # Memory: Base 0, Length 0x0009FC00 (bytes 0x50-0x57: 00 FC 09 00 ...), Flags 1
    assert (e[1].base_address, e[1].range_length, e[1].flags, e[1].enabled) == (0, 0x9FC00, 1, True)
    assert (e[2].x2apic_id, e[2].flags) == (0, 1)
    assert (e[3].acpi_processor_uid, e[3].flags) == (0, 1)
    assert e[4].its_id == 1  # bytes 0x9A-0x9D: 01 00 00 00
    assert (e[5].device_handle_type, e[5].device_handle, e[5].flags, e[5].enabled) == (0, bytes(16), 0, False)


def _generic(kind: int) -> bytes:
    """The template's type-5 subtable (offsets 0x9E-0xBD) with the subtable type and fields set: PXM 2, an ACPI
    device handle (_HID "ACPI0016", the CXL host bridge a generic port names, _UID 7), Flags = enabled |
    architectural transactions."""
    sub = bytearray(TEMPLATE_SRAT[0x9E:0xBE])
    sub[0] = kind
    struct.pack_into("<BBI", sub, 2, 0, 0, 2)
    sub[8:24] = b"ACPI0016" + struct.pack("<I", 7) + bytes(4)
    struct.pack_into("<II", sub, 24, 3, 0)
    return bytes(sub)


def test_type_6_generic_port_has_the_generic_initiator_layout():
    for kind in (5, 6):
        table = bytearray(TEMPLATE_SRAT[:0x30]) + _generic(kind)
        struct.pack_into("<I", table, 4, len(table))
        (gp,) = decode_table(_checksum(table)).entries
        assert (gp.type, gp.length, gp.proximity_domain, gp.device_handle_type) == (kind, 0x20, 2, 0)
        assert (gp.acpi_hid, gp.acpi_uid, gp.enabled, gp.architectural_transactions) == ("ACPI0016", 7, True, True)
        assert (gp.flags, gp.reserved1, gp.reserved2) == (3, 0, 0)


def test_type_6_and_7_take_no_node_as_cpus_but_type_7_does():
    """drivers/acpi/numa/srat.c acpi_numa_init(): pass 1 walks types 0, 2, 3, 5 and 7 (RINTC, ACPI 6.6); a generic
    port (6) is read by hmat.c only, so its PXM gets no node from SRAT's CPU pass."""
    from numaprobe.analysis.pxm import pxm_to_node

    rintc = bytearray(TEMPLATE_SRAT[0xBE:0xD2])
    struct.pack_into("<I", rintc, 4, 4)  # PXM 4
    table = bytearray(TEMPLATE_SRAT[:0x30]) + _generic(6) + bytes(rintc)
    struct.pack_into("<I", table, 4, len(table))
    assert pxm_to_node(decode_table(_checksum(table)).entries) == {4: 0}
