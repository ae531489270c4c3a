"""`numaprobe snapshot`: everything numaprobe knows about a machine, as one versioned JSON document that every
command reads back with --root FILE.json (docs/json.md, "snapshot")."""

from __future__ import annotations

from typing import Optional

import typer

from numaprobe.cli.common import emit, load_machine, root_option


def snapshot_command(root: Optional[str] = root_option()) -> None:
    """Print this host's (or a capture's) snapshot: topology, ACPI tables, memory map, kernel view, heap and
    processes, as JSON. Any command reads it back with --root FILE.json."""
    from numaprobe.model.snapshot import dumps

    emit(dumps(load_machine(root)))


def register(app: typer.Typer) -> None:
    app.command("snapshot")(snapshot_command)
