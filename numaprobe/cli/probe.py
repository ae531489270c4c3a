"""`numaprobe probe`: the machine's NUMA topology, like `numactl -H` and more."""

from __future__ import annotations

from typing import Optional


def probe_command(root: Optional[str] = None, as_json: bool = False) -> None:
    """Nodes, CPUs, memory, distances, packages and devices of this host or a capture."""
    import sys

    from numaprobe.model.build import build_topology
    from numaprobe.render import probe as render
    from numaprobe.source.root import open_root

    src = open_root(root)
    topo = build_topology(src)
    if as_json:
        text = render.dumps(render.topology_to_json(topo, acpi=_acpi_block(src)))
    else:
        text = render.topology_to_text(topo)
    sys.stdout.write(text)
    sys.stdout.flush()


def _acpi_block(src):
    """Decoded SRAT/SLIT/HMAT; each absent or unreadable table is null with a note saying why."""
    from numaprobe.acpi import load_numa_tables

    return load_numa_tables(src).to_json()


def register(app) -> None:
    from numaprobe.cli.common import json_option, root_option

    # typer reads the signature; the plain function above stays importable without typer (cli/entry.py).
    def probe(root: Optional[str] = root_option(), as_json: bool = json_option()) -> None:
        """Nodes, CPUs, memory, distances, packages and devices of this host or a capture."""
        probe_command(root, as_json)

    app.command("probe")(probe)
