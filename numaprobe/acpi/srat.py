"""SRAT, the System Resource Affinity Table (ACPI 6.6 section 5.2.16): which CPUs and memory ranges belong to
which proximity domain.

The construct structs below are the single description of each layout: ``decode_srat`` parses with them and
``build_srat`` (tests, fixtures) builds with them. Offsets and the names ``iasl -d`` prints are in
../shared/notes/acpi/layouts.md; ACPICA ``actbl3.h`` ``ACPI_SRAT_*`` has the same layouts.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

from construct import Bytes, Const, ConstructError, Default, Int8ul, Int16ul, Int24ul, Int32ul, Int64ul, Struct

from numaprobe.acpi._common import header_and_body
from numaprobe.acpi.header import HEADER_SIZE, build_table
from numaprobe.acpi.srat_entries import (  # noqa: F401 (the decoded forms are importable from here)
    SratCpuAffinity, SratEntry, SratEntryBase, SratGenericAffinity, SratGicItsAffinity, SratGiccAffinity,
    SratMemoryAffinity, SratRawEntry, SratRintcAffinity, SratTable, SratX2apicAffinity, SubtableType,
)
from numaprobe.notes import Note

SRAT_PREAMBLE_SIZE = HEADER_SIZE + 12

srat_preamble = Struct(
    # "Reserved, must be 1 for backward compatibility"; ACPICA calls it TableRevision. Linux ignores it and uses
    # the header revision for the proximity-domain width.
    "table_revision" / Default(Int32ul, 1),
    "reserved" / Default(Int64ul, 0),
)

subtable_header = Struct("type" / Int8ul, "length" / Int8ul)

# Type 0, ACPI 2.0 (proximity_domain_hi since ACPI 3.0).
cpu_affinity = Struct(
    "type" / Const(0, Int8ul),
    "length" / Default(Int8ul, 16),
    "proximity_domain_lo" / Int8ul,
    "apic_id" / Int8ul,
    "flags" / Int32ul,  # bit 0 enabled
    "sapic_eid" / Default(Int8ul, 0),
    "proximity_domain_hi" / Default(Int24ul, 0),
    "clock_domain" / Default(Int32ul, 0),
)

# Type 1, ACPI 2.0.
memory_affinity = Struct(
    "type" / Const(1, Int8ul),
    "length" / Default(Int8ul, 40),
    "proximity_domain" / Int32ul,
    "reserved1" / Default(Int16ul, 0),
    "base_address" / Int64ul,
    "range_length" / Int64ul,
    "reserved2" / Default(Int32ul, 0),
    "flags" / Int32ul,  # bit 0 enabled, 1 hot-pluggable, 2 non-volatile, 3 specific-purpose (ACPI 6.6)
    "reserved3" / Default(Int64ul, 0),
)

# Type 2, ACPI 4.0.
x2apic_affinity = Struct(
    "type" / Const(2, Int8ul),
    "length" / Default(Int8ul, 24),
    "reserved1" / Default(Int16ul, 0),
    "proximity_domain" / Int32ul,
    "x2apic_id" / Int32ul,
    "flags" / Int32ul,  # bit 0 enabled
    "clock_domain" / Default(Int32ul, 0),
    "reserved2" / Default(Int32ul, 0),
)

# Type 3, ACPI 5.1: 18 bytes, so every subtable after one is unaligned.
gicc_affinity = Struct(
    "type" / Const(3, Int8ul),
    "length" / Default(Int8ul, 18),
    "proximity_domain" / Int32ul,
    "acpi_processor_uid" / Int32ul,
    "flags" / Int32ul,  # bit 0 enabled
    "clock_domain" / Default(Int32ul, 0),
)

# Type 4, ACPI 6.2. No flags field.
gic_its_affinity = Struct(
    "type" / Const(4, Int8ul),
    "length" / Default(Int8ul, 12),
    "proximity_domain" / Int32ul,
    "reserved" / Default(Int16ul, 0),
    "its_id" / Int32ul,
)


def _generic_affinity(type_code: int) -> Struct:
    # Types 5 (Generic Initiator, ACPI 6.3) and 6 (Generic Port, ACPI 6.4) share one layout.
    return Struct(
        "type" / Const(type_code, Int8ul),
        "length" / Default(Int8ul, 32),
        "reserved1" / Default(Int8ul, 0),
        "device_handle_type" / Int8ul,  # 0 ACPI, 1 PCI
        "proximity_domain" / Int32ul,
        "device_handle" / Bytes(16),
        "flags" / Int32ul,  # bit 0 enabled, bit 1 architectural transactions (ACPI 6.4)
        "reserved2" / Default(Int32ul, 0),
    )


generic_initiator_affinity = _generic_affinity(5)
generic_port_affinity = _generic_affinity(6)

acpi_device_handle = Struct("hid" / Bytes(8), "uid" / Int32ul, "reserved" / Default(Bytes(4), b"\0" * 4))
pci_device_handle = Struct(
    "segment" / Int16ul,
    "bdf" / Int16ul,  # bus 15:8, device 7:3, function 2:0
    "reserved" / Default(Bytes(12), b"\0" * 12),
)

# Type 7, ACPI 6.6 (RISC-V).
rintc_affinity = Struct(
    "type" / Const(7, Int8ul),
    "length" / Default(Int8ul, 20),
    "reserved" / Default(Int16ul, 0),
    "proximity_domain" / Int32ul,
    "acpi_processor_uid" / Int32ul,
    "flags" / Int32ul,  # bit 0 enabled
    "clock_domain" / Default(Int32ul, 0),
)

ENABLED = 1 << 0
MEM_HOT_PLUGGABLE = 1 << 1
MEM_NON_VOLATILE = 1 << 2
MEM_SPECIFIC_PURPOSE = 1 << 3
GENERIC_ARCH_TRANSACTIONS = 1 << 1

HANDLE_ACPI = 0
HANDLE_PCI = 1


# -- decoding ---------------------------------------------------------------------------------------------------

def _flag(flags: int, bit: int) -> bool:
    return bool(flags & bit)


def _decode_cpu(c: Any, common: Dict[str, Any], revision: int) -> SratEntry:
    # Linux drivers/acpi/numa/srat.c acpi_numa_processor_affinity_init: revision 1 SRATs (ACPI 2.0) had
    # 8-bit domains, so the high bytes are only joined from revision 2 on.
    pxm = c.proximity_domain_lo if revision <= 1 else c.proximity_domain_lo | (c.proximity_domain_hi << 8)
    return SratCpuAffinity(enabled=_flag(c.flags, ENABLED), proximity_domain=pxm,
                           proximity_domain_lo=c.proximity_domain_lo, proximity_domain_hi=c.proximity_domain_hi,
                           apic_id=c.apic_id, sapic_eid=c.sapic_eid, clock_domain=c.clock_domain,
                           flags=c.flags, **common)


def _decode_memory(c: Any, common: Dict[str, Any], revision: int) -> SratEntry:
    # Linux acpi_numa_memory_affinity_init: "if (acpi_srat_revision <= 1) pxm &= 0xff".
    pxm = c.proximity_domain & 0xFF if revision <= 1 else c.proximity_domain
    return SratMemoryAffinity(enabled=_flag(c.flags, ENABLED), proximity_domain=pxm,
                              proximity_domain_raw=c.proximity_domain, base_address=c.base_address,
                              range_length=c.range_length, hot_pluggable=_flag(c.flags, MEM_HOT_PLUGGABLE),
                              non_volatile=_flag(c.flags, MEM_NON_VOLATILE),
                              specific_purpose=_flag(c.flags, MEM_SPECIFIC_PURPOSE), flags=c.flags,
                              reserved1=c.reserved1, reserved2=c.reserved2, reserved3=c.reserved3, **common)


def _decode_x2apic(c: Any, common: Dict[str, Any], revision: int) -> SratEntry:
    return SratX2apicAffinity(enabled=_flag(c.flags, ENABLED), proximity_domain=c.proximity_domain,
                              x2apic_id=c.x2apic_id, clock_domain=c.clock_domain, flags=c.flags,
                              reserved1=c.reserved1, reserved2=c.reserved2, **common)


def _decode_gicc(c: Any, common: Dict[str, Any], revision: int) -> SratEntry:
    return SratGiccAffinity(enabled=_flag(c.flags, ENABLED), proximity_domain=c.proximity_domain,
                            acpi_processor_uid=c.acpi_processor_uid, clock_domain=c.clock_domain,
                            flags=c.flags, **common)


def _decode_its(c: Any, common: Dict[str, Any], revision: int) -> SratEntry:
    return SratGicItsAffinity(enabled=True, proximity_domain=c.proximity_domain, its_id=c.its_id,
                              reserved=c.reserved, **common)


def _decode_generic(c: Any, common: Dict[str, Any], revision: int) -> SratEntry:
    handle = bytes(c.device_handle)
    extra: Dict[str, Any] = {}
    if c.device_handle_type == HANDLE_ACPI:
        h = acpi_device_handle.parse(handle)
        extra = dict(acpi_hid=bytes(h.hid).rstrip(b"\0").decode("latin-1"), acpi_uid=h.uid,
                     handle_reserved=bytes(h.reserved))
    elif c.device_handle_type == HANDLE_PCI:
        h = pci_device_handle.parse(handle)
        extra = dict(pci_segment=h.segment, pci_bdf=h.bdf, pci_bus=h.bdf >> 8, pci_device=(h.bdf >> 3) & 0x1F,
                     pci_function=h.bdf & 0x7, handle_reserved=bytes(h.reserved))
    return SratGenericAffinity(enabled=_flag(c.flags, ENABLED), proximity_domain=c.proximity_domain,
                               device_handle_type=c.device_handle_type, device_handle=handle,
                               architectural_transactions=_flag(c.flags, GENERIC_ARCH_TRANSACTIONS),
                               flags=c.flags, reserved1=c.reserved1, reserved2=c.reserved2, **extra, **common)


def _decode_rintc(c: Any, common: Dict[str, Any], revision: int) -> SratEntry:
    return SratRintcAffinity(enabled=_flag(c.flags, ENABLED), proximity_domain=c.proximity_domain,
                             acpi_processor_uid=c.acpi_processor_uid, clock_domain=c.clock_domain,
                             flags=c.flags, reserved=c.reserved, **common)


# One descriptor per subtable type; a new type is one entry here (with its struct above and its test).
SUBTABLE_TYPES: Dict[int, SubtableType] = {t.code: t for t in (
    SubtableType(0, "Processor Local APIC/SAPIC Affinity", cpu_affinity, SratCpuAffinity, _decode_cpu, ENABLED,
                 "cpu", "apic_id", "apic", "0x%02X", "apic"),
    SubtableType(1, "Memory Affinity", memory_affinity, SratMemoryAffinity, _decode_memory,
                 ENABLED | MEM_HOT_PLUGGABLE | MEM_NON_VOLATILE | MEM_SPECIFIC_PURPOSE, "memory"),
    SubtableType(2, "Processor Local x2APIC Affinity", x2apic_affinity, SratX2apicAffinity, _decode_x2apic, ENABLED,
                 "cpu", "x2apic_id", "apic", "0x%08X", "x2apic"),
    SubtableType(3, "GICC Affinity", gicc_affinity, SratGiccAffinity, _decode_gicc, ENABLED, "cpu",
                 "acpi_processor_uid", "uid", "0x%X", "uid"),
    # No flags field: always enabled.
    SubtableType(4, "GIC ITS Affinity", gic_its_affinity, SratGicItsAffinity, _decode_its, None, "device", "its_id",
                 "its", "%d", "its"),
    SubtableType(5, "Generic Initiator Affinity", generic_initiator_affinity, SratGenericAffinity, _decode_generic,
                 ENABLED | GENERIC_ARCH_TRANSACTIONS, "initiator"),
    SubtableType(6, "Generic Port Affinity", generic_port_affinity, SratGenericAffinity, _decode_generic,
                 ENABLED | GENERIC_ARCH_TRANSACTIONS, "port"),
    SubtableType(7, "RINTC Affinity", rintc_affinity, SratRintcAffinity, _decode_rintc, ENABLED, "cpu",
                 "acpi_processor_uid", "uid", "0x%X", "uid"),
)}

# Views of the descriptors, by type code.
SUBTABLE_LAYOUTS: Dict[int, Struct] = {code: t.layout for code, t in SUBTABLE_TYPES.items()}
TYPE_NAMES: Dict[int, str] = {code: t.name for code, t in SUBTABLE_TYPES.items()}
DEFINED_FLAGS: Dict[int, int] = {code: t.defined_flags for code, t in SUBTABLE_TYPES.items()
                                 if t.defined_flags is not None}


def subtable_type(code: int) -> Optional[SubtableType]:
    """The descriptor of an SRAT subtable type, None for a type numaprobe does not know."""
    return SUBTABLE_TYPES.get(code)


def _entry(type_code: int, c: Any, offset: int, length: int, revision: int) -> SratEntry:
    t = SUBTABLE_TYPES[type_code]
    return t.decode(c, dict(offset=offset, type=type_code, type_name=t.name, length=length), revision)


def _reserved_notes(e: SratEntry) -> List[Note]:
    """Reserved fields and flag bits that are not zero (fwts: SRATReservedNonZero / SRATReservedBitsNonZero)."""
    where = "SRAT %s at offset 0x%X" % (e.type_name, e.offset)
    notes: List[Note] = []
    defined = DEFINED_FLAGS.get(e.type)
    if defined is not None and e.flags & ~defined:
        notes.append(Note("srat-reserved-flags", "%s: flags 0x%08X set reserved bits 0x%08X"
                          % (where, e.flags, e.flags & ~defined)))
    if e.type == 1 and e.flags & MEM_SPECIFIC_PURPOSE:
        notes.append(Note("srat-specific-purpose", "%s: flags 0x%08X set bit 3 (specific-purpose memory), defined "
                          "only since ACPI 6.6; checkers for older versions (fwts) report it as a reserved bit"
                          % (where, e.flags)))
    for name in ("reserved", "reserved1", "reserved2", "reserved3", "handle_reserved"):
        v = getattr(e, name, None)
        if v is None:
            continue
        nonzero = any(v) if isinstance(v, bytes) else v != 0
        if nonzero:
            shown = v.hex() if isinstance(v, bytes) else "0x%X" % v
            notes.append(Note("srat-reserved-nonzero", "%s: reserved field %s is %s, must be zero"
                              % (where, name, shown)))
    return notes


def decode_srat(data: bytes) -> SratTable:
    """Decode an SRAT. Raises AcpiTableError only when not even the fixed 48-byte start is there."""
    header, body, notes = header_and_body(data, SRAT_PREAMBLE_SIZE, "SRAT")
    pre = srat_preamble.parse(body[HEADER_SIZE:SRAT_PREAMBLE_SIZE])
    if pre.table_revision != 1:
        notes.append(Note("srat-table-revision", "SRAT: the Table Revision field at offset 36 is %d, must be 1"
                          % pre.table_revision))
    if pre.reserved != 0:
        notes.append(Note("srat-reserved-nonzero", "SRAT: reserved field at offset 40 is 0x%X, must be zero"
                          % pre.reserved))
    if header.revision not in (1, 2, 3):
        notes.append(Note("srat-unknown-revision", "SRAT: header revision %d is not 1, 2 or 3; proximity domains "
                          "read as revision %s" % (header.revision, "1" if header.revision <= 1 else ">= 2")))
    entries: List[SratEntry] = []
    off = SRAT_PREAMBLE_SIZE
    end = len(body)
    while off < end:
        if end - off < 2:
            notes.append(Note("srat-trailing-bytes", "SRAT: %d byte(s) at offset 0x%X are too few for a subtable "
                              "header" % (end - off, off)))
            break
        type_code, length = body[off], body[off + 1]
        if length < 2:
            # Linux: "[SRAT:0x%02x] Invalid zero length"; iasl: "Invalid zero length subtable". Both stop there.
            notes.append(Note("srat-zero-length", "SRAT: subtable type %d at offset 0x%X has length %d; "
                              "walk stopped" % (type_code, off, length)))
            break
        if off + length > end:
            notes.append(Note("srat-subtable-past-end", "SRAT: subtable type %d at offset 0x%X has length %d, past "
                              "the table end at 0x%X; walk stopped" % (type_code, off, length, end)))
            break
        chunk = body[off:off + length]
        layout = SUBTABLE_LAYOUTS.get(type_code)
        if layout is None:
            notes.append(Note("srat-unknown-type", "SRAT: unknown subtable type %d at offset 0x%X (length %d) kept "
                              "as raw bytes" % (type_code, off, length)))
            entries.append(SratRawEntry(offset=off, type=type_code, type_name="Unknown", length=length,
                                        enabled=False, proximity_domain=None, raw=chunk))
        elif length < layout.sizeof():
            notes.append(Note("srat-subtable-too-short", "SRAT: %s at offset 0x%X has length %d, its layout needs "
                              "%d; kept as raw bytes" % (TYPE_NAMES[type_code], off, length, layout.sizeof())))
            entries.append(SratRawEntry(offset=off, type=type_code, type_name=TYPE_NAMES[type_code], length=length,
                                        enabled=False, proximity_domain=None, raw=chunk))
        else:
            if length > layout.sizeof():
                notes.append(Note("srat-subtable-long", "SRAT: %s at offset 0x%X has length %d, %d bytes more than "
                                  "its layout; the extra bytes are ignored"
                                  % (TYPE_NAMES[type_code], off, length, length - layout.sizeof())))
            try:
                c = layout.parse(chunk)
            except ConstructError as e:  # pragma: no cover - sizes were checked above
                from numaprobe.acpi.errors import AcpiTableError
                raise AcpiTableError("SRAT: cannot decode subtable at offset 0x%X: %s" % (off, e)) from None
            entry = _entry(type_code, c, off, length, header.revision)
            notes.extend(_reserved_notes(entry))
            entries.append(entry)
        off += length
    return SratTable(header=header, table_revision=pre.table_revision, reserved=pre.reserved,
                     entries=tuple(entries), notes=tuple(notes))


# -- building (tests, fixtures) --------------------------------------------------------------------------------

def build_subtable(fields: Dict[str, Any]) -> bytes:
    """Build one subtable from a dict with 'type' and that layout's fields (unset reserved fields are zero)."""
    layout = SUBTABLE_LAYOUTS[fields["type"]]
    return layout.build({k: v for k, v in fields.items() if k != "type"})


def subtable_fields(entry: SratEntry) -> Any:
    """The inverse of decoding: the construct fields of a decoded entry (raw bytes for a raw entry), so that
    ``build_subtable(subtable_fields(e))`` gives back the subtable's bytes (up to its layout's size)."""
    if isinstance(entry, SratRawEntry):
        return entry.raw
    layout = SUBTABLE_LAYOUTS[entry.type]
    out: Dict[str, Any] = {"type": entry.type}
    for sub in layout.subcons:
        if sub.name == "type":
            continue
        if sub.name == "proximity_domain" and isinstance(entry, SratMemoryAffinity):
            out[sub.name] = entry.proximity_domain_raw  # the stored value, not the revision-1 masked one
        else:
            out[sub.name] = getattr(entry, sub.name)
    return out


def build_srat(subtables: Sequence[Any], revision: int = 3, table_revision: int = 1, reserved: int = 0,
               **header: Any) -> bytes:
    """An SRAT from subtable dicts (or raw bytes for unknown types), with a valid checksum unless one is given."""
    body = srat_preamble.build(dict(table_revision=table_revision, reserved=reserved))
    for s in subtables:
        body += s if isinstance(s, (bytes, bytearray)) else build_subtable(s)
    return build_table(b"SRAT", revision, body, **header)
