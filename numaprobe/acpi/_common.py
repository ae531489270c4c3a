"""Helpers shared by the SRAT, SLIT and HMAT decoders: notes, JSON conversion, header checks."""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, List, Tuple

from numaprobe.notes import Note

# No construct import here: GenericTable in __init__ uses TableBase and must stay cheap to import.


def to_jsonable(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Note):
        return {"code": value.code, "message": value.message}
    if dataclasses.is_dataclass(value) and hasattr(value, "to_json"):
        return value.to_json()
    return value


def fields_json(obj: Any, skip: Tuple[str, ...] = ()) -> Dict[str, Any]:
    """Every dataclass field of obj, bytes as hex, tuples as lists; None-valued optional fields left out."""
    out: Dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        if f.name in skip:
            continue
        v = getattr(obj, f.name)
        if v is None and f.metadata.get("omit_none"):
            continue
        out[f.name] = to_jsonable(v)
    return out


def optional(default: Any = None) -> Any:
    """A dataclass field that JSON leaves out while it is None (fields of one handle kind, one revision)."""
    return dataclasses.field(default=default, metadata={"omit_none": True})


class FieldsJson:
    """Mixin for decoded entries: to_json() is every field (see fields_json)."""

    def to_json(self) -> Dict[str, Any]:
        return fields_json(self)


class TableBase:
    """Mixin for decoded tables that hold ``header`` and ``notes``: header fields as attributes, JSON start."""

    signature = property(lambda self: self.header.signature)
    revision = property(lambda self: self.header.revision)
    length = property(lambda self: self.header.length)
    checksum_ok = property(lambda self: self.header.checksum_ok)

    def header_json(self) -> Dict[str, Any]:
        out = self.header.to_json()
        out["notes"] = [{"code": n.code, "message": n.message} for n in self.notes]
        return out


def header_and_body(data: bytes, min_size: int, what: str) -> Tuple[Any, bytes, List[Note]]:
    """Parse the header; return the table cut to its declared length and notes on length and checksum.

    Like Linux (ACPI_CHECKSUM_ABORT is FALSE) a bad checksum is reported and decoding continues.
    """
    from numaprobe.acpi.errors import AcpiTableError
    from numaprobe.acpi.header import parse_header

    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise AcpiTableError("expected the bytes of an ACPI table, got %s" % type(data).__name__)
    data = bytes(data)
    header = parse_header(data)
    notes: List[Note] = []
    if header.length > len(data):
        notes.append(Note("acpi-table-truncated", "%s: header says %d bytes but only %d are present; decoding those "
                          "(the checksum cannot be verified)" % (header.signature, header.length, len(data))))
    elif header.length < len(data):
        notes.append(Note("acpi-trailing-bytes", "%s: %d bytes after the table's declared length %d are ignored"
                          % (header.signature, len(data) - header.length, header.length)))
    body = data[:header.length]
    if len(body) < min_size:
        raise AcpiTableError("%s: %d bytes is shorter than the %d bytes every %s has"
                             % (header.signature, len(body), min_size, what))
    if not header.checksum_ok and header.length <= len(data):
        notes.append(Note("acpi-bad-checksum", "%s: checksum 0x%02X is incorrect, should be 0x%02X (the kernel uses "
                          "the table anyway)" % (header.signature, header.checksum, header.checksum_expected)))
    return header, body, notes


__all__ = ["FieldsJson", "TableBase", "fields_json", "header_and_body", "optional", "to_jsonable"]
