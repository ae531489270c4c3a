"""`numaprobe probe`: the machine's NUMA topology, like `numactl -H` and more."""

from __future__ import annotations

from typing import Optional


def probe_command(root: Optional[str] = None, as_json: bool = False) -> None:
    """Nodes, CPUs, memory, distances, packages and devices of this host or a capture."""
    import sys

    from numaprobe.acpi import load_numa_tables
    from numaprobe.analysis.chunks import memory_chunks
    from numaprobe.model.build import build_topology
    from numaprobe.render import probe as render
    from numaprobe.render.jsonout import dumps
    from numaprobe.source.root import open_root

    src = open_root(root)
    topo = build_topology(src)
    # SRAT is decoded once: for the acpi block and for the per-node memory chunks.
    tables = load_numa_tables(src)
    chunks = memory_chunks(src, srat_entries=tables.srat.entries if tables.srat is not None else ())
    if as_json:
        text = dumps(render.topology_to_json(topo, acpi=tables.to_json(), chunks=chunks))
    else:
        text = render.topology_to_text(topo, chunks=chunks)
    sys.stdout.write(text)
    sys.stdout.flush()


def register(app) -> None:
    from numaprobe.cli.common import json_option, root_option

    # typer reads the signature; the plain function above stays importable without typer (cli/entry.py).
    def probe(root: Optional[str] = root_option(), as_json: bool = json_option()) -> None:
        """Nodes, CPUs, memory, distances, packages and devices of this host or a capture."""
        probe_command(root, as_json)

    app.command("probe")(probe)
