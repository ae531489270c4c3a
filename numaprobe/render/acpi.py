"""Text rendering of decoded ACPI tables for people: a compact `iasl -d`, one line per entry."""

from __future__ import annotations

from typing import Any, Iterable, List, Optional, Sequence

from numaprobe.notes import Note
from numaprobe.units import human_size


def _size(n: int) -> str:
    return human_size(n, exact=True)


def _header(t: Any) -> str:
    h = t.header
    check = "checksum ok" if h.checksum_ok else "BAD checksum 0x%02X (should be 0x%02X)" % (h.checksum,
                                                                                          h.checksum_expected)
    return '%s  revision %d, %d bytes, %s, OEM "%s" "%s" rev 0x%X, creator "%s" 0x%X' % (
        h.signature, h.revision, h.length, check, h.oem_id, h.oem_table_id, h.oem_revision, h.creator_id,
        h.creator_revision)


def _state(e: Any) -> str:
    return "enabled" if e.enabled else "disabled"


def _srat_entry(e: Any) -> str:
    """One line per entry, by what its type's descriptor says it is; a type without a descriptor, or an entry
    kept raw, is shown as its bytes, never a crash."""
    from numaprobe.acpi.srat import subtable_type

    head = "  [0x%03X] %-36s" % (e.offset, e.type_name if e.type_name != "Unknown" else "Unknown type %d" % e.type)
    t = subtable_type(e.type)
    if hasattr(e, "raw") or t is None:
        raw = getattr(e, "raw", b"")
        return head + " length %d, raw %s" % (e.length, raw.hex())
    state = "  " + _state(e) if t.defined_flags is not None else ""
    if t.role == "memory":
        flags = [_state(e)] + [n for n, on in (("hot-pluggable", e.hot_pluggable), ("non-volatile", e.non_volatile),
                                               ("specific-purpose", e.specific_purpose)) if on]
        return head + " pxm %-4d 0x%016X-0x%016X (%s)  %s" % (
            e.proximity_domain, e.base_address, max(e.end_address - 1, e.base_address), _size(e.range_length),
            " ".join(flags))
    if t.id_field is not None:
        return head + " pxm %-4d %s %s%s" % (e.proximity_domain, t.id_label, t.id_format % getattr(e, t.id_field),
                                            state)
    if getattr(e, "pci_segment", None) is not None:
        dev = "pci %04x:%02x:%02x.%d" % (e.pci_segment, e.pci_bus, e.pci_device, e.pci_function)
    elif getattr(e, "acpi_hid", None) is not None:
        dev = "acpi %s uid %d" % (e.acpi_hid, e.acpi_uid)
    elif hasattr(e, "device_handle"):
        dev = "handle type %d %s" % (e.device_handle_type, e.device_handle.hex())
    else:
        dev = "type %d" % e.type
    return head + " pxm %-4d %s%s%s" % (e.proximity_domain, dev, state,
                                       " arch-transactions" if getattr(e, "architectural_transactions", False) else "")


def _matrix(rows: Sequence[Sequence[Optional[int]]], row_labels: Sequence[int], col_labels: Sequence[int],
            indent: str) -> List[str]:
    cells = [[("-" if v is None else str(v)) for v in row] for row in rows]
    width = max([len(str(c)) for c in col_labels] + [len(c) for row in cells for c in row] + [2])
    lw = max([len(str(r)) for r in row_labels] + [4])
    out = [indent + " " * (lw + 2) + " ".join(str(c).rjust(width) for c in col_labels)]
    for label, row in zip(row_labels, cells):
        out.append(indent + str(label).rjust(lw) + ": " + " ".join(c.rjust(width) for c in row))
    return out


def _hmat_structure(s: Any) -> List[str]:
    head = "  [0x%03X] " % s.offset
    if hasattr(s, "raw"):
        return [head + "%s type %d, length %d, raw %s" % (s.type_name, s.type, s.length, s.raw.hex())]
    if s.type == 0:
        init = ("attached initiator pxm %d" % s.initiator_proximity_domain if s.initiator_pd_valid
                else "no attached initiator")
        line = head + "Memory attributes: memory pxm %d, %s" % (s.memory_proximity_domain, init)
        if s.address_base is not None:
            line += ", range 0x%X (%s)" % (s.address_base, _size(s.address_length))
        return [line]
    if s.type == 1:
        level = "memory" if s.memory_hierarchy == 0 else "level-%d memory-side cache" % s.memory_hierarchy
        lines = [head + "%s (%s), base unit %d, in %s (initiator rows, target columns)"
                 % (s.data_type_name.capitalize(), level, s.entry_base_unit, s.converted_unit)]
        return lines + _matrix(s.converted, s.initiators, s.targets, "          ")
    from numaprobe.acpi.hmat import ASSOCIATIVITY, WRITE_POLICY

    assoc = ASSOCIATIVITY[s.associativity] if s.associativity < len(ASSOCIATIVITY) else "reserved"
    policy = WRITE_POLICY[s.write_policy] if s.write_policy < len(WRITE_POLICY) else "reserved"
    return [head + "Memory-side cache: memory pxm %d, %s, level %d of %d, %s, %s, line %d B%s"
            % (s.memory_proximity_domain, _size(s.cache_size), s.cache_level, s.total_levels, assoc, policy,
               s.line_size, (", SMBIOS handles %s" % " ".join("0x%04X" % h for h in s.smbios_handles))
               if s.smbios_handles else "")]


def table_text(t: Any) -> str:
    lines = [_header(t)]
    sig = t.signature
    if sig == "SRAT":
        lines.append("  table revision %d, %d entries (proximity domains as Linux reads them)"
                     % (t.table_revision, len(t.entries)))
        lines += [_srat_entry(e) for e in t.entries]
    elif sig == "SLIT":
        lines.append("  %d localities%s" % (t.localities, "" if t.linux_valid else " (Linux ignores this SLIT)"))
        n = len(t.matrix)
        # columns as decoded, not as claimed: a SLIT claiming 2^48 localities made a 2^48-label list (fuzzing)
        lines += _matrix(t.matrix, range(n), range(len(t.matrix[0]) if n else 0), "  ")
    elif sig == "HMAT":
        for s in t.structures:
            lines += _hmat_structure(s)
    lines += ["  note: %s" % n.message for n in t.notes]
    return "\n".join(lines) + "\n"


def tables_text(tables: Iterable[Any], notes: Iterable[Note] = ()) -> str:
    text = "\n".join(table_text(t) for t in tables) or "no NUMA tables\n"
    return text + "".join("note: %s\n" % n.message for n in notes)
