"""ACPI NUMA tables (SRAT, SLIT, HMAT) decoded exactly as firmware wrote them.

Public API (importing this module is cheap: construct is only imported when a table is decoded):

* :class:`AcpiTableError` -- the one exception, a ValueError, raised for bytes that cannot be decoded at all.
* :func:`decode_table` -- bytes of one table -> frozen ``SratTable`` / ``SlitTable`` / ``HmatTable``, or a
  ``GenericTable`` (header only) for any other signature. Problems inside a decodable table (bad checksum,
  zero-length subtable, reserved bits) are ``notes`` on the result, never exceptions.
* :func:`read_acpidump_text` -- acpidump's text form -> ``{signature: bytes}``.
* :func:`load_numa_tables` -- SRAT/SLIT/HMAT of a :class:`numaprobe.source.root.Root` -> :class:`NumaTables`.

Layouts live in srat.py, slit.py, hmat.py (construct structs, used to decode and to build test tables),
header.py (common header and checksum). Ground truth: ../shared/notes/acpi/layouts.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, Optional, Sequence, Tuple

from numaprobe.acpi._common import TableBase
from numaprobe.acpi.acpidump import read_acpidump_text
from numaprobe.acpi.errors import AcpiTableError
from numaprobe.notes import Note

if TYPE_CHECKING:  # pragma: no cover
    from numaprobe.acpi.header import AcpiHeader
    from numaprobe.acpi.hmat import HmatTable
    from numaprobe.acpi.slit import SlitTable
    from numaprobe.acpi.srat import SratTable
    from numaprobe.source.root import Root

NUMA_SIGNATURES = ("SRAT", "SLIT", "HMAT")
TABLES_DIR = "sys/firmware/acpi/tables"
CAPTURE_TREES = (TABLES_DIR,)  # read_numa_tables (root-only on a live host: a user's capture lacks them)

__all__ = [
    "AcpiTableError", "GenericTable", "NumaTables", "NUMA_SIGNATURES", "decode_numa_tables", "decode_table",
    "load_numa_tables", "read_numa_tables", "TableRead",
    "read_acpidump_text",
]


@dataclass(frozen=True)
class GenericTable(TableBase):
    """Any table other than SRAT/SLIT/HMAT: only the common header is decoded."""

    header: "AcpiHeader"
    notes: Tuple[Note, ...]

    def to_json(self) -> Dict[str, Any]:
        return self.header_json()


def decode_table(data: bytes) -> Any:
    """Decode the bytes of one ACPI table (as in /sys/firmware/acpi/tables/NAME).

    Returns SratTable, SlitTable, HmatTable or GenericTable, all frozen, each with ``to_json()``.
    Raises AcpiTableError (with a one-line message) when the bytes are not a decodable table.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise AcpiTableError("expected the bytes of an ACPI table, got %s" % type(data).__name__)
    data = bytes(data)
    sig = data[:4]
    if sig == b"SRAT":
        from numaprobe.acpi.srat import decode_srat

        return decode_srat(data)
    if sig == b"SLIT":
        from numaprobe.acpi.slit import decode_slit

        return decode_slit(data)
    if sig == b"HMAT":
        from numaprobe.acpi.hmat import decode_hmat

        return decode_hmat(data)
    from numaprobe.acpi._common import header_and_body

    header, _, notes = header_and_body(data, 36, "ACPI table")
    return GenericTable(header=header, notes=tuple(notes))


@dataclass(frozen=True)
class NumaTables:
    """The NUMA tables of one machine; a table is None when absent, unreadable or undecodable (see notes)."""

    srat: Optional["SratTable"]
    slit: Optional["SlitTable"]
    hmat: Optional["HmatTable"]
    notes: Tuple[Note, ...]

    def to_json(self) -> Dict[str, Any]:
        return {
            "srat": self.srat.to_json() if self.srat is not None else None,
            "slit": self.slit.to_json() if self.slit is not None else None,
            "hmat": self.hmat.to_json() if self.hmat is not None else None,
            "notes": [{"code": n.code, "message": n.message} for n in self.notes],
        }


@dataclass(frozen=True)
class TableRead:
    """One NUMA table as read: its bytes, or the note saying why there are none (absent, unreadable)."""

    signature: str
    data: Optional[bytes]
    note: Optional[Note] = None


def read_numa_tables(root: "Root") -> Tuple[TableRead, ...]:
    """The bytes of sys/firmware/acpi/tables/{SRAT,SLIT,HMAT} through ``root``:

    * absent -> no bytes + note ``acpi-table-absent`` (no NUMA firmware table, or no ACPI at all: device-tree arm64)
    * not readable (the files are mode 0400 root on a live host) -> no bytes + note ``acpi-table-unreadable``
    """
    out = []
    have_dir = root.is_dir(TABLES_DIR)
    for sig in NUMA_SIGNATURES:
        rel = TABLES_DIR + "/" + sig
        try:
            out.append(TableRead(sig, root.read_bytes(rel)))
            continue
        except FileNotFoundError:
            why = "this machine has no %s" % sig if have_dir else "no ACPI tables at all (%s missing)" % TABLES_DIR
            note = Note("acpi-table-absent", "%s: %s" % (sig, why))
        except PermissionError:
            note = Note("acpi-table-unreadable", "%s: /%s is readable only by root; run as root to decode it"
                        % (sig, rel))
        except OSError as e:
            note = Note("acpi-table-unreadable", "%s: cannot read /%s: %s" % (sig, rel, e.strerror or e))
        out.append(TableRead(sig, None, note))
    return tuple(out)


def decode_numa_tables(reads: Sequence[TableRead]) -> NumaTables:
    """Decode what read_numa_tables read. Never raises for a table: one that cannot be decoded is None with a
    note ``acpi-table-undecodable`` giving the error."""
    found: Dict[str, Any] = {}
    notes = []
    for r in reads:
        sig = r.signature
        if r.data is None:
            notes.append(r.note)
            continue
        try:
            table = decode_table(r.data)
        except AcpiTableError as e:
            notes.append(Note("acpi-table-undecodable", "%s: %s" % (sig, e)))
            continue
        if table.signature != sig:
            notes.append(Note("acpi-table-undecodable", "%s: the file holds a %s table" % (sig, table.signature)))
            continue
        found[sig] = table
    return NumaTables(srat=found.get("SRAT"), slit=found.get("SLIT"), hmat=found.get("HMAT"), notes=tuple(notes))


def load_numa_tables(root: "Root") -> NumaTables:
    """Read and decode the NUMA tables of ``root`` (read_numa_tables, then decode_numa_tables)."""
    return decode_numa_tables(read_numa_tables(root))


_LAZY = {
    "SratTable": "srat", "SlitTable": "slit", "HmatTable": "hmat", "AcpiHeader": "header",
    "decode_srat": "srat", "decode_slit": "slit", "decode_hmat": "hmat",
}


def __getattr__(name: str) -> Any:
    # PEP 562: the table classes are importable from here without making `import numaprobe.acpi` load construct.
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError("module 'numaprobe.acpi' has no attribute %r" % name)
    import importlib

    return getattr(importlib.import_module("numaprobe.acpi." + mod), name)
