"""HMAT, the Heterogeneous Memory Attribute Table (ACPI 6.2+, section 5.2.28): memory proximity domain
attributes, latency/bandwidth between initiators and targets, memory-side caches.

Revision 1 (ACPI 6.2) and revision 2 (ACPI 6.3+) share the byte layout; revision 1's type 0 carried a
physical address range in what revision 2 calls Reserved3/Reserved4, and three flag bits instead of one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

from construct import Array, Const, ConstructError, Default, Int8ul, Int16ul, Int32ul, Int64ul, Rebuild, Struct, \
    len_, this

from numaprobe.acpi._common import FieldsJson, TableBase, header_and_body, optional
from numaprobe.acpi.header import HEADER_SIZE, AcpiHeader, build_table
from numaprobe.notes import Note

HMAT_PREAMBLE_SIZE = HEADER_SIZE + 4

hmat_preamble = Struct("reserved" / Default(Int32ul, 0))

structure_header = Struct("type" / Int16ul, "reserved" / Int16ul, "length" / Int32ul)

memory_attributes = Struct(
    "type" / Const(0, Int16ul),
    "reserved" / Default(Int16ul, 0),
    "length" / Default(Int32ul, 40),
    "flags" / Int16ul,  # rev 2: bit 0 initiator PD valid; rev 1: + bit 1 memory PD valid, bit 2 reservation hint
    "reserved1" / Default(Int16ul, 0),
    "initiator_proximity_domain" / Int32ul,
    "memory_proximity_domain" / Int32ul,
    "reserved2" / Default(Int32ul, 0),
    "reserved3" / Default(Int64ul, 0),  # rev 1: system physical address base
    "reserved4" / Default(Int64ul, 0),  # rev 1: system physical address length
)

locality = Struct(
    "type" / Const(1, Int16ul),
    "reserved" / Default(Int16ul, 0),
    "length" / Rebuild(Int32ul, lambda c: 32 + 4 * len(c.initiators) + 4 * len(c.targets) + 2 * len(c.entries)),
    "flags" / Int8ul,  # 3:0 memory hierarchy, 4 use minimum transfer size, 5 non-sequential transfers
    "data_type" / Int8ul,
    "min_transfer_size" / Default(Int8ul, 0),  # ACPI 6.4; iasl 20200925 prints it with reserved1 as one u16
    "reserved1" / Default(Int8ul, 0),
    "initiator_count" / Rebuild(Int32ul, len_(this.initiators)),
    "target_count" / Rebuild(Int32ul, len_(this.targets)),
    "reserved2" / Default(Int32ul, 0),
    "entry_base_unit" / Int64ul,
    "initiators" / Array(this.initiator_count, Int32ul),
    "targets" / Array(this.target_count, Int32ul),
    "entries" / Array(this.initiator_count * this.target_count, Int16ul),  # row-major: [initiator][target]
)
locality_head = Struct(*locality.subcons[:11])  # the fixed 32 bytes, read first to bound the arrays

memory_side_cache = Struct(
    "type" / Const(2, Int16ul),
    "reserved" / Default(Int16ul, 0),
    "length" / Rebuild(Int32ul, lambda c: 32 + 2 * len(c.smbios_handles)),
    "memory_proximity_domain" / Int32ul,
    "reserved1" / Default(Int32ul, 0),
    "cache_size" / Int64ul,  # bytes
    "cache_attributes" / Int32ul,
    "address_mode" / Default(Int16ul, 0),  # ACPI 6.5 (1 = extended linear); "Reserved2" in iasl 20200925
    "smbios_handle_count" / Rebuild(Int16ul, len_(this.smbios_handles)),
    "smbios_handles" / Array(this.smbios_handle_count, Int16ul),
)
memory_side_cache_head = Struct(*memory_side_cache.subcons[:9])

STRUCTURE_LAYOUTS = {0: memory_attributes, 1: locality, 2: memory_side_cache}
TYPE_NAMES = {
    0: "Memory Proximity Domain Attributes",
    1: "System Locality Latency and Bandwidth Information",
    2: "Memory Side Cache Information",
}
DATA_TYPES = ("access latency", "read latency", "write latency", "access bandwidth", "read bandwidth",
              "write bandwidth")
ASSOCIATIVITY = ("none", "direct mapped", "complex cache indexing")
WRITE_POLICY = ("none", "write-back", "write-through")
NOT_PROVIDED = 0
UNREACHABLE = 0xFFFF
U32_MAX = 0xFFFFFFFF


@dataclass(frozen=True)
class HmatStructureBase(FieldsJson):
    """What every structure carries: offset (from the table start), type, type_name, length and the reserved
    u16 of the structure header; each class adds its type's fields exactly as stored."""

    offset: int
    type: int
    type_name: str
    length: int
    reserved: int


@dataclass(frozen=True)
class HmatMemoryAttributes(HmatStructureBase):
    """Type 0. address_base/address_length (revision 1 only) are reserved3/reserved4 read the ACPI 6.2 way."""

    flags: int
    initiator_pd_valid: bool
    reserved1: int
    initiator_proximity_domain: int
    memory_proximity_domain: int
    reserved2: int
    reserved3: int
    reserved4: int
    memory_pd_valid: Optional[bool] = optional()
    reservation_hint: Optional[bool] = optional()
    address_base: Optional[int] = optional()
    address_length: Optional[int] = optional()


@dataclass(frozen=True)
class HmatLocality(HmatStructureBase):
    """Type 1. ``entries[i][t]`` is the raw u16 from initiator ``initiators[i]`` to target ``targets[t]``;
    ``values`` = entry x entry_base_unit in the table's unit (``unit``: ps for latency, MB/s for bandwidth, in
    revision 2); ``converted`` is what Linux's hmat_normalize() makes of it (ns / MB/s), None for 0 (not
    provided), 0xFFFF (unreachable) or an overflow of 32 bits."""

    flags: int
    memory_hierarchy: int
    use_min_transfer_size: bool
    non_sequential_transfers: bool
    data_type: int
    data_type_name: str
    min_transfer_size: int
    reserved1: int
    initiator_count: int
    target_count: int
    reserved2: int
    entry_base_unit: int
    initiators: Tuple[int, ...]
    targets: Tuple[int, ...]
    entries: Tuple[Tuple[int, ...], ...]
    values: Tuple[Tuple[Optional[int], ...], ...]
    unit: str
    converted: Tuple[Tuple[Optional[int], ...], ...]
    converted_unit: str


@dataclass(frozen=True)
class HmatMemorySideCache(HmatStructureBase):
    """Type 2. Attribute fields are the ACPI encodings (not Linux's sysfs enum values)."""

    memory_proximity_domain: int
    reserved1: int
    cache_size: int
    cache_attributes: int
    total_levels: int
    cache_level: int
    associativity: int
    write_policy: int
    line_size: int
    address_mode: int
    smbios_handle_count: int
    smbios_handles: Tuple[int, ...]


@dataclass(frozen=True)
class HmatRawStructure(HmatStructureBase):
    """A structure numaprobe does not interpret (unknown type or too short for its layout), kept whole."""

    raw: bytes


@dataclass(frozen=True)
class HmatTable(TableBase):
    header: AcpiHeader
    reserved: int
    structures: Tuple[Any, ...]
    notes: Tuple[Note, ...]

    def of_type(self, type_code: int) -> Tuple[Any, ...]:
        return tuple(s for s in self.structures if s.type == type_code)

    def memory_locality(self) -> Iterator[Tuple[int, int, int, int]]:
        """(data type, initiator PXM, target PXM, value as Linux normalises it) for every entry of the
        memory-level (hierarchy 0) System Locality structures, in table order; unreachable entries left out. The
        one walk the cross-check and the placement's latencies share."""
        for s in self.of_type(1):
            if getattr(s, "memory_hierarchy", None) != 0:
                continue
            for i, ini in enumerate(s.initiators):
                row = s.converted[i] if i < len(s.converted) else ()
                for t, tgt in enumerate(s.targets):
                    v = row[t] if t < len(row) else None
                    if v is not None:
                        yield s.data_type, ini, tgt, v

    def to_json(self) -> Dict[str, Any]:
        out = self.header_json()
        out["structures"] = [s.to_json() for s in self.structures]
        return out


def linux_normalize(entry: int, base: int, data_type: int, revision: int) -> Optional[int]:
    """Linux drivers/acpi/numa/hmat.c hmat_normalize() (6.12), with None where Linux returns 0."""
    if entry in (NOT_PROVIDED, UNREACHABLE) or base > U32_MAX // entry:
        return None
    value = entry * base
    if revision == 1:
        # Revision 1 values are in units of the base unit / 10 for every data type, as Linux reads them.
        return None if value < 10 else -(-value // 10)
    if revision == 2 and data_type <= 2:
        return -(-value // 1000)  # picoseconds -> nanoseconds, rounded up
    return value


def _units(revision: int, data_type: int) -> Tuple[str, str]:
    if data_type > 5:
        return "unknown", "unknown"
    if data_type <= 2:
        return ("ps" if revision != 1 else "table units"), "ns"
    return ("MB/s" if revision != 1 else "table units"), "MB/s"


def _where(s: Any) -> str:
    return "HMAT %s at offset 0x%X" % (s.type_name, s.offset)


def _reserved(notes: List[Note], s: Any, names: Sequence[str]) -> None:
    for name in names:
        v = getattr(s, name)
        if v:
            notes.append(Note("hmat-reserved-nonzero", "%s: reserved field %s is 0x%X, must be zero"
                              % (_where(s), name, v)))


def _memory_attributes(c: Any, common: Dict[str, Any], revision: int, notes: List[Note]) -> HmatMemoryAttributes:
    rev1 = revision == 1
    s = HmatMemoryAttributes(
        reserved=c.reserved, flags=c.flags, initiator_pd_valid=bool(c.flags & 1), reserved1=c.reserved1,
        initiator_proximity_domain=c.initiator_proximity_domain, memory_proximity_domain=c.memory_proximity_domain,
        reserved2=c.reserved2, reserved3=c.reserved3, reserved4=c.reserved4,
        memory_pd_valid=bool(c.flags & 2) if rev1 else None, reservation_hint=bool(c.flags & 4) if rev1 else None,
        address_base=c.reserved3 if rev1 else None, address_length=c.reserved4 if rev1 else None, **common)
    defined = 0x7 if rev1 else 0x1
    if c.flags & ~defined:
        notes.append(Note("hmat-reserved-flags", "%s: flags 0x%04X set reserved bits 0x%04X"
                          % (_where(s), c.flags, c.flags & ~defined)))
    _reserved(notes, s, ("reserved", "reserved1", "reserved2") + (() if rev1 else ("reserved3", "reserved4")))
    if s.length != 40:
        notes.append(Note("hmat-bad-length", "%s: length %d, must be 40 (Linux ignores the whole HMAT)"
                          % (_where(s), s.length)))
    return s


def _locality(c: Any, common: Dict[str, Any], revision: int, notes: List[Note]) -> HmatLocality:
    i_count, t_count = c.initiator_count, c.target_count
    flat = list(c.entries)
    entries = tuple(tuple(flat[i * t_count:(i + 1) * t_count]) for i in range(i_count))
    base = c.entry_base_unit
    values = tuple(tuple(None if e in (NOT_PROVIDED, UNREACHABLE) else e * base for e in row) for row in entries)
    converted = tuple(tuple(linux_normalize(e, base, c.data_type, revision) if c.data_type <= 5 else None
                            for e in row) for row in entries)
    unit, converted_unit = _units(revision, c.data_type)
    s = HmatLocality(
        reserved=c.reserved, flags=c.flags, memory_hierarchy=c.flags & 0xF,
        use_min_transfer_size=bool(c.flags & 0x10), non_sequential_transfers=bool(c.flags & 0x20),
        data_type=c.data_type, data_type_name=DATA_TYPES[c.data_type] if c.data_type <= 5 else "reserved",
        min_transfer_size=c.min_transfer_size, reserved1=c.reserved1, initiator_count=i_count, target_count=t_count,
        reserved2=c.reserved2, entry_base_unit=base, initiators=tuple(c.initiators), targets=tuple(c.targets),
        entries=entries, values=values, unit=unit, converted=converted, converted_unit=converted_unit, **common)
    if c.flags & 0xC0:
        notes.append(Note("hmat-reserved-flags", "%s: flags 0x%02X set reserved bits 7:6" % (_where(s), c.flags)))
    if s.memory_hierarchy > 3:
        notes.append(Note("hmat-bad-memory-hierarchy", "%s: memory hierarchy %d is reserved (0-3 defined)"
                          % (_where(s), s.memory_hierarchy)))
    if c.data_type > 5:
        notes.append(Note("hmat-bad-data-type", "%s: data type %d is reserved (0-5 defined)"
                          % (_where(s), c.data_type)))
    if c.min_transfer_size:
        notes.append(Note("hmat-min-transfer-size", "%s: minimum transfer size is %d%s; the field exists only since "
                          "ACPI 6.4, checkers for older versions (fwts) report it as a reserved field"
                          % (_where(s), c.min_transfer_size,
                             "" if s.use_min_transfer_size else " but flag bit 4 (use it) is clear")))
    if base == 0:
        notes.append(Note("hmat-zero-base-unit", "%s: entry base unit is 0, so every value is 0" % _where(s)))
    _reserved(notes, s, ("reserved", "reserved1", "reserved2"))
    return s


def _memory_side_cache(c: Any, common: Dict[str, Any], notes: List[Note]) -> HmatMemorySideCache:
    a = c.cache_attributes
    s = HmatMemorySideCache(
        reserved=c.reserved, memory_proximity_domain=c.memory_proximity_domain, reserved1=c.reserved1,
        cache_size=c.cache_size, cache_attributes=a, total_levels=a & 0xF, cache_level=(a >> 4) & 0xF,
        associativity=(a >> 8) & 0xF, write_policy=(a >> 12) & 0xF, line_size=a >> 16,
        address_mode=c.address_mode, smbios_handle_count=c.smbios_handle_count,
        smbios_handles=tuple(c.smbios_handles), **common)
    bad = []
    if s.total_levels > 3:
        bad.append("total cache levels %d" % s.total_levels)
    if s.cache_level > 3:
        bad.append("cache level %d" % s.cache_level)
    if s.associativity > 2:
        bad.append("associativity %d" % s.associativity)
    if s.write_policy > 2:
        bad.append("write policy %d" % s.write_policy)
    if bad:
        notes.append(Note("hmat-cache-attributes-reserved", "%s: cache attributes 0x%08X use reserved values (%s)"
                          % (_where(s), a, ", ".join(bad))))
    _reserved(notes, s, ("reserved", "reserved1"))
    if s.address_mode > 1:
        notes.append(Note("hmat-reserved-nonzero", "%s: address mode (reserved before ACPI 6.5) is 0x%X, "
                          "only 0 or 1 are defined" % (_where(s), s.address_mode)))
    return s


def _needed(type_code: int, chunk: bytes) -> int:
    """Bytes a structure's layout needs, from its counts (read with the fixed-size head of the layout)."""
    if type_code == 0:
        return memory_attributes.sizeof()
    if type_code == 1:
        if len(chunk) < 32:
            return 32
        h = locality_head.parse(chunk)
        return 32 + 4 * h.initiator_count + 4 * h.target_count + 2 * h.initiator_count * h.target_count
    if len(chunk) < 32:
        return 32
    return 32 + 2 * memory_side_cache_head.parse(chunk).smbios_handle_count


def decode_hmat(data: bytes) -> HmatTable:
    header, body, notes = header_and_body(data, HMAT_PREAMBLE_SIZE, "HMAT")
    revision = header.revision
    pre = hmat_preamble.parse(body[HEADER_SIZE:HMAT_PREAMBLE_SIZE])
    if revision not in (1, 2):
        # Linux hmat.c: "Ignoring: Unknown revision:%d"
        notes.append(Note("hmat-unknown-revision", "HMAT: revision %d is neither 1 nor 2; Linux ignores the table; "
                          "decoded with the revision 2 layout" % revision))
    if pre.reserved:
        notes.append(Note("hmat-reserved-nonzero", "HMAT: reserved field at offset 36 is 0x%X" % pre.reserved))
    structures: List[Any] = []
    off, end = HMAT_PREAMBLE_SIZE, len(body)
    while off < end:
        if end - off < 8:
            notes.append(Note("hmat-trailing-bytes", "HMAT: %d byte(s) at offset 0x%X are too few for a structure "
                              "header" % (end - off, off)))
            break
        h = structure_header.parse(body[off:off + 8])
        if h.length < 8:
            notes.append(Note("hmat-zero-length", "HMAT: structure type %d at offset 0x%X has length %d; walk "
                              "stopped" % (h.type, off, h.length)))
            break
        if off + h.length > end:
            notes.append(Note("hmat-structure-past-end", "HMAT: structure type %d at offset 0x%X has length %d, past "
                              "the table end at 0x%X; walk stopped" % (h.type, off, h.length, end)))
            break
        chunk = body[off:off + h.length]
        name = TYPE_NAMES.get(h.type, "Unknown")
        common = dict(offset=off, type=h.type, type_name=name, length=h.length)
        layout = STRUCTURE_LAYOUTS.get(h.type)
        need = _needed(h.type, chunk) if layout is not None else 0
        if layout is None or need > h.length:
            if layout is None:
                notes.append(Note("hmat-unknown-type", "HMAT: unknown structure type %d at offset 0x%X (length %d) "
                                  "kept as raw bytes" % (h.type, off, h.length)))
            else:
                notes.append(Note("hmat-structure-too-short", "HMAT: %s at offset 0x%X has length %d, its counts "
                                  "need %d; kept as raw bytes" % (name, off, h.length, need)))
            structures.append(HmatRawStructure(reserved=h.reserved, raw=chunk, **common))
        else:
            if need < h.length:
                notes.append(Note("hmat-structure-long", "HMAT: %s at offset 0x%X has length %d, %d bytes more than "
                                  "its layout; the extra bytes are ignored" % (name, off, h.length, h.length - need)))
            try:
                c = layout.parse(chunk)
            except ConstructError as e:  # pragma: no cover - sizes were checked above
                from numaprobe.acpi.errors import AcpiTableError
                raise AcpiTableError("HMAT: cannot decode structure at offset 0x%X: %s" % (off, e)) from None
            if h.type == 0:
                structures.append(_memory_attributes(c, common, revision, notes))
            elif h.type == 1:
                structures.append(_locality(c, common, revision, notes))
            else:
                structures.append(_memory_side_cache(c, common, notes))
        off += h.length
    return HmatTable(header=header, reserved=pre.reserved, structures=tuple(structures), notes=tuple(notes))


# -- building (tests, fixtures) --------------------------------------------------------------------------------

def build_structure(fields: Dict[str, Any]) -> bytes:
    """One HMAT structure from a dict with 'type' and that layout's fields; for type 1 give ``entries`` flat
    (row-major) or as rows."""
    fields = dict(fields)
    layout = STRUCTURE_LAYOUTS[fields.pop("type")]
    if "entries" in fields and fields["entries"] and isinstance(fields["entries"][0], (list, tuple)):
        fields["entries"] = [e for row in fields["entries"] for e in row]
    return layout.build(fields)


def structure_fields(s: Any) -> Any:
    """The inverse of decoding: the construct fields of a decoded structure (raw bytes for a raw one)."""
    if isinstance(s, HmatRawStructure):
        return s.raw
    out: Dict[str, Any] = {"type": s.type}
    for sub in STRUCTURE_LAYOUTS[s.type].subcons:
        if sub.name == "type":
            continue
        v = getattr(s, sub.name)
        if sub.name == "entries":
            v = [e for row in v for e in row]
        out[sub.name] = list(v) if isinstance(v, tuple) else v
    return out


def build_hmat(structures: Sequence[Any], revision: int = 2, reserved: int = 0, **header: Any) -> bytes:
    """An HMAT from structure dicts (or raw bytes), with a valid checksum unless one is given."""
    body = hmat_preamble.build(dict(reserved=reserved))
    for s in structures:
        body += s if isinstance(s, (bytes, bytearray)) else build_structure(s)
    return build_table(b"HMAT", revision, body, **header)
