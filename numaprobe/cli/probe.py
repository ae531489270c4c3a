"""`numaprobe probe`: the machine's NUMA topology, like `numactl -H` and more."""

from __future__ import annotations

from typing import Optional

import typer

from numaprobe.cli.common import emit, json_option, open_root_or_fail, root_option


def probe_command(root: Optional[str] = root_option(), as_json: bool = json_option()) -> None:
    """Nodes, CPUs, memory, distances, packages and devices of this host or a capture."""
    from numaprobe.model.build import build_topology
    from numaprobe.render import probe as render

    src = open_root_or_fail(root)
    topo = build_topology(src)
    if as_json:
        emit(render.dumps(render.topology_to_json(topo, acpi=_acpi_block(src))))
    else:
        emit(render.topology_to_text(topo))


def _acpi_block(src):
    """Decoded SRAT/SLIT/HMAT; each absent or unreadable table is null with a note saying why."""
    from numaprobe.acpi import load_numa_tables

    return load_numa_tables(src).to_json()


def register(app: typer.Typer) -> None:
    app.command("probe")(probe_command)
