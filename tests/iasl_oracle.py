"""iasl (acpica-tools) as an oracle for the ACPI decoders: run ``iasl -d``/``iasl`` and read the fields it prints.

``parse_dsl`` reads both forms iasl writes: disassembly (``[030h 0048   1]  Name : Value``) and data-table
source/templates (``[0001]  Name : Value``); flag sub-lines (``Enabled : 1``) have no bracket. Values are turned
into Python values (hex ints, strings, byte/row tuples) so tests compare them with the decoded dataclasses.
``expected_fields`` lists, for a decoded table, the fields iasl prints, in its order and with its names: the
mapping from iasl's names to numaprobe's attributes lives here, on the test side, written from
../shared/notes/acpi/iasl.md and ACPICA's source/common/dmtbinfo1.c (HMAT) and dmtbinfo3.c (SRAT), not derived
from numaprobe's code. Any iasl will do: Debian 12's 20200925 and newer ones print the same field names; newer
ones decode more (SRAT types 6 and 7, the generic-affinity Architectural Transactions flag, HMAT Minimum Transfer
Size and Address Mode). Where versions differ, the expectation is a ``OneOf`` of what each prints, and
``fields_mismatch`` takes whichever this iasl printed, so no version is pinned and every printed field is compared.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, List, Optional, Tuple

from oracles import need_tool

_DIS = re.compile(r"^\[([0-9A-F]+)h (\d{4,}) +([0-9A-F]+h|\d+)\] +(.+?) : (.*)$")
_SRC = re.compile(r"^\[(\d+)\] +(.+?) : (.*)$")
_SUB = re.compile(r"^ +([A-Za-z].*?) : (.*)$")


@dataclass(frozen=True)
class Field:
    offset: Optional[int]  # None for flag sub-lines and in source files
    name: str  # whitespace collapsed: "Locality 0"
    value: Any


@dataclass(frozen=True)
class OneOf:
    """What different iasl versions print at one place: each choice is one version's fields (() = nothing)."""

    choices: Tuple[Tuple[Field, ...], ...]


def newer(*fields: Field) -> OneOf:
    """Fields only iasl versions newer than Debian 12's 20200925 print."""
    return OneOf(((), tuple(fields)))


def _first_name(choice) -> Optional[str]:
    first = choice[0]
    return _first_name(first.choices[-1]) if isinstance(first, OneOf) else first.name


def _choose(choices, printed: List[Field], i: int):
    nxt = printed[i].name if i < len(printed) else None
    for choice in choices:
        if choice and _first_name(choice) == nxt:
            return choice
    return () if () in choices else None


def _same(got: Field, want: Field) -> bool:
    offsets = got.offset is None or want.offset is None or got.offset == want.offset
    return offsets and got.name == want.name and got.value == want.value


def _match(printed: List[Field], expected, i: int) -> Tuple[int, Optional[str]]:
    for exp in expected:
        if isinstance(exp, OneOf):
            choice = _choose(exp.choices, printed, i)
            if choice is None:
                return i, "iasl printed %r where numaprobe expects %r" % (printed[i] if i < len(printed) else None,
                                                                          exp)
            i, why = _match(printed, choice, i)
            if why:
                return i, why
        elif i >= len(printed) or not _same(printed[i], exp):
            return i, "iasl printed %r, numaprobe decoded %r" % (printed[i] if i < len(printed) else None, exp)
        else:
            i += 1
    return i, None


def fields_mismatch(printed: List[Field], expected: List[Any]) -> Optional[str]:
    """None when iasl printed exactly the expected fields (taking, at each OneOf, the choice this iasl made: the one
    whose first field it printed next), else what differs first. Offsets are compared where both sides have one."""
    i, why = _match(printed, expected, 0)
    if why is None and i < len(printed):
        why = "iasl printed more than numaprobe decoded: %r" % printed[i:]
    return why


def iasl_version() -> str:
    exe = need_tool("iasl")
    out = subprocess.run([exe, "-v"], capture_output=True, text=True).stdout
    m = re.search(r"version (\d{8})", out)
    return m.group(1) if m else "unknown"


def _value(name: str, raw: str) -> Any:
    raw = raw.strip()
    if raw.startswith('"'):
        return raw[1:raw.index('"', 1)]
    raw = raw.split("/*")[0].strip()  # 'Checksum : 9E     /* Incorrect checksum, should be EC */'
    m = re.match(r"^([0-9A-Fa-f]+) \[.*\]$", raw)  # 'Subtable Type : 01 [Memory Affinity]'
    if m:
        return int(m.group(1), 16)
    if name.startswith("Locality ") or name == "Device Handle":
        return tuple(int(x, 16) for x in raw.replace("\\", " ").split())
    return int(raw, 16)


def parse_dsl(text: str) -> Tuple[List[Field], List[str]]:
    """(fields, warnings): warnings are iasl's '****' lines (unknown subtable, zero length, not enough room)."""
    fields: List[Field] = []
    warnings: List[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if line.startswith("Raw Table Data"):
            break
        if "****" in line:
            warnings.append(line.strip())
            continue
        bad = re.search(r"Incorrect checksum, should be ([0-9A-F]{2})", line)
        if bad:
            warnings.append("checksum should be %s" % bad.group(1))
        m = _DIS.match(line)
        if m:
            offset, name, raw = int(m.group(1), 16), m.group(4), m.group(5)
        else:
            m = _SRC.match(line)
            if m:
                offset, name, raw = None, m.group(2), m.group(3)
            else:
                m = _SUB.match(line)
                if not m or line.lstrip().startswith(("*", "/*")):
                    continue
                offset, name, raw = None, m.group(1), m.group(2)
        while raw.rstrip().endswith("\\") and i < len(lines):  # SLIT rows over 16 entries continue
            raw = raw.rstrip()[:-1] + " " + lines[i].strip()
            i += 1
        name = " ".join(name.split())
        fields.append(Field(offset, name, _value(name, raw)))
    return fields, warnings


def disassemble(data: bytes, workdir: Path, name: str = "TABLE") -> Tuple[List[Field], List[str]]:
    exe = need_tool("iasl")
    path = workdir / name
    path.write_bytes(data)
    proc = subprocess.run([exe, "-d", str(path)], cwd=str(workdir), capture_output=True, text=True)
    dsl = workdir / (name + ".dsl")
    assert dsl.exists(), "iasl -d failed: %s %s" % (proc.stdout, proc.stderr)
    return parse_dsl(dsl.read_text(errors="replace"))


def compile_source(source: str, workdir: Path, name: str) -> bytes:
    """Compile data-table source with iasl; returns the .aml bytes."""
    exe = need_tool("iasl")
    src = workdir / (name + ".asl")
    src.write_text(source)
    aml = workdir / (name + ".aml")
    if aml.exists():
        aml.unlink()
    proc = subprocess.run([exe, str(src)], cwd=str(workdir), capture_output=True, text=True)
    assert aml.exists(), "iasl failed on %s: %s %s" % (name, proc.stdout, proc.stderr)
    return aml.read_bytes()


def template(signature: str, workdir: Path) -> str:
    """`iasl -T SIG` output (the file is deleted first: iasl asks before overwriting)."""
    exe = need_tool("iasl")
    out = workdir / (signature.lower() + ".asl")
    if out.exists():
        out.unlink()
    subprocess.run([exe, "-T", signature], cwd=str(workdir), capture_output=True, text=True, stdin=subprocess.DEVNULL)
    return out.read_text()


# -- what iasl prints for a decoded table ------------------------------------------------------------------

def _header(t: Any) -> List[Field]:
    h = t.header
    return [Field(0, "Signature", h.signature), Field(4, "Table Length", h.length), Field(8, "Revision", h.revision),
            Field(9, "Checksum", h.checksum), Field(10, "Oem ID", h.oem_id), Field(16, "Oem Table ID", h.oem_table_id),
            Field(24, "Oem Revision", h.oem_revision), Field(28, "Asl Compiler ID", h.creator_id),
            Field(32, "Asl Compiler Revision", h.creator_revision)]


# SRAT subtable types iasl 20200925 does not know ("Unknown SRAT subtable type": it prints type and length only);
# newer iasl decodes them (dmtbinfo3.c AcpiDmTableInfoSrat6, Srat7).
NEWER_SRAT_TYPES = (6, 7)


def _srat_entry(e: Any) -> List[Field]:
    o = e.offset
    out = [Field(o, "Subtable Type", e.type), Field(o + 1, "Length", e.length)]
    F = Field
    if e.type == 0 and hasattr(e, "apic_id"):
        out += [F(o + 2, "Proximity Domain Low(8)", e.proximity_domain_lo), F(o + 3, "Apic ID", e.apic_id),
                F(o + 4, "Flags (decoded below)", e.flags), F(None, "Enabled", int(e.enabled)),
                F(o + 8, "Local Sapic EID", e.sapic_eid), F(o + 9, "Proximity Domain High(24)", e.proximity_domain_hi),
                F(o + 12, "Clock Domain", e.clock_domain)]
    elif e.type == 1 and hasattr(e, "base_address"):
        out += [F(o + 2, "Proximity Domain", e.proximity_domain_raw), F(o + 6, "Reserved1", e.reserved1),
                F(o + 8, "Base Address", e.base_address), F(o + 16, "Address Length", e.range_length),
                F(o + 24, "Reserved2", e.reserved2), F(o + 28, "Flags (decoded below)", e.flags),
                F(None, "Enabled", int(e.enabled)), F(None, "Hot Pluggable", int(e.hot_pluggable)),
                F(None, "Non-Volatile", int(e.non_volatile)), F(o + 32, "Reserved3", e.reserved3)]
    elif e.type == 2 and hasattr(e, "x2apic_id"):
        out += [F(o + 2, "Reserved1", e.reserved1), F(o + 4, "Proximity Domain", e.proximity_domain),
                F(o + 8, "Apic ID", e.x2apic_id), F(o + 12, "Flags (decoded below)", e.flags),
                F(None, "Enabled", int(e.enabled)), F(o + 16, "Clock Domain", e.clock_domain),
                F(o + 20, "Reserved2", e.reserved2)]
    elif e.type == 3 and hasattr(e, "acpi_processor_uid"):
        out += [F(o + 2, "Proximity Domain", e.proximity_domain), F(o + 6, "Acpi Processor UID", e.acpi_processor_uid),
                F(o + 10, "Flags (decoded below)", e.flags), F(None, "Enabled", int(e.enabled)),
                F(o + 14, "Clock Domain", e.clock_domain)]
    elif e.type == 4 and hasattr(e, "its_id"):
        out += [F(o + 2, "Proximity Domain", e.proximity_domain), F(o + 6, "Reserved", e.reserved),
                F(o + 8, "ITS ID", e.its_id)]
    elif e.type in (5, 6) and hasattr(e, "device_handle"):
        body = [F(o + 2, "Reserved1", e.reserved1), F(o + 3, "Device Handle Type", e.device_handle_type),
                F(o + 4, "Proximity Domain", e.proximity_domain), F(o + 8, "Device Handle", tuple(e.device_handle)),
                F(o + 24, "Flags (decoded below)", e.flags), F(None, "Enabled", int(e.enabled)),
                newer(F(None, "Architectural Transactions", int(e.architectural_transactions))),
                F(o + 28, "Reserved2", e.reserved2)]
        out += body if e.type == 5 else [OneOf(((), tuple(body)))]  # type 6: newer iasl only
    elif e.type == 7 and hasattr(e, "acpi_processor_uid"):
        out.append(newer(F(o + 2, "Reserved", e.reserved), F(o + 4, "Proximity Domain", e.proximity_domain),
                         F(o + 8, "Acpi Processor UID", e.acpi_processor_uid),
                         F(o + 12, "Flags (decoded below)", e.flags), F(None, "Enabled", int(e.enabled)),
                         F(o + 16, "Clock Domain", e.clock_domain)))
    return out


def _hmat_structure(s: Any) -> List[Field]:
    o, F = s.offset, Field
    out = [F(o, "Structure Type", s.type), F(o + 2, "Reserved", s.reserved), F(o + 4, "Length", s.length)]
    if s.type == 0 and hasattr(s, "flags"):
        out += [F(o + 8, "Flags (decoded below)", s.flags), F(None, "Processor Proximity Domain Valid", s.flags & 1),
                F(o + 10, "Reserved1", s.reserved1),
                F(o + 12, "Attached Initiator Proximity Domain", s.initiator_proximity_domain),
                F(o + 16, "Memory Proximity Domain", s.memory_proximity_domain), F(o + 20, "Reserved2", s.reserved2),
                F(o + 24, "Reserved3", s.reserved3), F(o + 32, "Reserved4", s.reserved4)]
    elif s.type == 1 and hasattr(s, "entries"):
        out += [F(o + 8, "Flags (decoded below)", s.flags), F(None, "Memory Hierarchy", s.memory_hierarchy),
                newer(F(None, "Use Minimum Transfer Size", (s.flags >> 4) & 1),
                      F(None, "Non-sequential Transfers", (s.flags >> 5) & 1)),
                F(o + 9, "Data Type", s.data_type),
                # 20200925 prints ACPI 6.4's Minimum Transfer Size and the reserved byte as one u16
                OneOf(((F(o + 10, "Reserved1", s.min_transfer_size | (s.reserved1 << 8)),),
                       (F(o + 10, "Minimum Transfer Size", s.min_transfer_size), F(o + 11, "Reserved1", s.reserved1)))),
                F(o + 12, "Initiator Proximity Domains #", s.initiator_count),
                F(o + 16, "Target Proximity Domains #", s.target_count), F(o + 20, "Reserved2", s.reserved2),
                F(o + 24, "Entry Base Unit", s.entry_base_unit)]
        p = o + 32
        for pd in s.initiators:
            out.append(F(p, "Initiator Proximity Domain List", pd))
            p += 4
        for pd in s.targets:
            out.append(F(p, "Target Proximity Domain List", pd))
            p += 4
        for row in s.entries:
            for v in row:
                out.append(F(p, "Entry", v))
                p += 2
    elif s.type == 2 and hasattr(s, "smbios_handles"):
        out += [F(o + 8, "Memory Proximity Domain", s.memory_proximity_domain), F(o + 12, "Reserved1", s.reserved1),
                F(o + 16, "Memory Side Cache Size", s.cache_size),
                F(o + 24, "Cache Attributes (decoded below)", s.cache_attributes),
                F(None, "Total Cache Levels", s.total_levels), F(None, "Cache Level", s.cache_level),
                F(None, "Cache Associativity", s.associativity), F(None, "Write Policy", s.write_policy),
                F(None, "Cache Line Size", s.line_size),
                # ACPI 6.5's Address Mode: 20200925 calls it Reserved2
                OneOf(((F(o + 28, "Reserved2", s.address_mode),), (F(o + 28, "Address Mode", s.address_mode),))),
                F(o + 30, "SMBIOS Handle #", s.smbios_handle_count)]
        for k, hnd in enumerate(s.smbios_handles):
            out.append(F(o + 32 + 2 * k, "SMBIOS Handle", hnd))
    return out


def expected_fields(t: Any) -> List[Field]:
    out = _header(t)
    if t.signature == "SRAT":
        out += [Field(36, "Table Revision", t.table_revision), Field(40, "Reserved", t.reserved)]
        for e in t.entries:
            out += _srat_entry(e)
    elif t.signature == "SLIT":
        out.append(Field(36, "Localities", t.localities))
        n = t.localities
        out += [Field(44 + i * n, "Locality %d" % i, tuple(row)) for i, row in enumerate(t.matrix)]
    elif t.signature == "HMAT":
        out.append(Field(36, "Reserved", t.reserved))
        for s in t.structures:
            out += _hmat_structure(s)
    return out


def without_offsets(fields: List[Field]) -> List[Tuple[str, Any]]:
    return [(f.name, f.value) for f in fields]


def without_names(fields: List[Any], names: Tuple[str, ...]) -> List[Any]:
    """fields (printed or expected) minus those called one of names, inside OneOf choices too."""
    out: List[Any] = []
    for f in fields:
        if isinstance(f, OneOf):
            out.append(OneOf(tuple(tuple(without_names(list(c), names)) for c in f.choices)))
        elif f.name not in names:
            out.append(f)
    return out
