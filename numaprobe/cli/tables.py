"""`numaprobe tables`: the SRAT, SLIT and HMAT exactly as firmware wrote them."""

from __future__ import annotations

from typing import List, Optional

import typer

from numaprobe.cli.common import emit, json_option, load_machine, root_option


def tables_command(
    files: Optional[List[str]] = typer.Argument(
        None, metavar="[FILE]...",
        help="Raw table files (as copied from /sys/firmware/acpi/tables) or acpidump text files; without any, "
             "the NUMA tables of this host or of --root."),
    root: Optional[str] = root_option(),
    as_json: bool = json_option(),
) -> None:
    """Decode the ACPI NUMA tables (SRAT, SLIT, HMAT): every entry, with notes on what firmware got wrong."""

    from numaprobe import SCHEMA_VERSION
    from numaprobe.acpi import AcpiTableError
    from numaprobe.render.jsonout import dumps
    from numaprobe.acpi.files import read_table_file
    from numaprobe.errors import InputError
    from numaprobe.render.acpi import tables_text

    notes = ()
    if files:
        if root is not None:
            raise InputError("give table FILEs or --root, not both")
        tables = []
        for path in files:
            try:
                tables += read_table_file(path)
            except AcpiTableError as e:
                raise InputError(str(e)) from None
    else:
        found = load_machine(root).tables
        tables = [t for t in (found.srat, found.slit, found.hmat) if t is not None]
        notes = found.notes
    if as_json:
        doc = {"schema_version": SCHEMA_VERSION, "tables": [t.to_json() for t in tables],
               "notes": [{"code": n.code, "message": n.message} for n in notes]}
        emit(dumps(doc))
    else:
        emit(tables_text(tables, notes))


def register(app: typer.Typer) -> None:
    app.command("tables")(tables_command)
