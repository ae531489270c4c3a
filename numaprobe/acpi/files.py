"""Tables from files a user names: raw tables (as copied from /sys/firmware/acpi/tables or `acpidump -b`) or
acpidump's text form, from which the NUMA tables are picked."""

from __future__ import annotations

from typing import Any, List

from numaprobe.acpi import NUMA_SIGNATURES, decode_table
from numaprobe.acpi.acpidump import looks_like_acpidump_text, read_acpidump_text
from numaprobe.acpi.errors import AcpiTableError

MAX_FILE_BYTES = 64 * 1024 * 1024  # a whole acpidump of a large server is a few MB of text


def read_table_file(path: str) -> List[Any]:
    """The decoded tables in one file: one for a raw table, the SRAT/SLIT/HMAT (in that order) of a dump.

    Raises AcpiTableError naming the file for anything that cannot be read or decoded.
    """
    from numaprobe.source.root import read_regular_file

    try:
        data = read_regular_file(path, MAX_FILE_BYTES)
    except OSError as e:
        raise AcpiTableError("%s: %s" % (path, e.strerror or e)) from None
    try:
        if looks_like_acpidump_text(data):
            dump = read_acpidump_text(data.decode("latin-1"))
            tables = [decode_table(dump[sig]) for sig in NUMA_SIGNATURES if sig in dump]
            if not tables:
                raise AcpiTableError("acpidump text holds no SRAT, SLIT or HMAT (tables: %s)"
                                     % ", ".join(sorted(s.strip() for s in dump)))
            return tables
        return [decode_table(data)]
    except AcpiTableError as e:
        raise AcpiTableError("%s: %s" % (path, e)) from None
