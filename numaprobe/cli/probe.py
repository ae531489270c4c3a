"""`numaprobe probe`: the machine's NUMA topology, like `numactl -H` and more."""

from __future__ import annotations

from typing import Optional


def probe_command(root: Optional[str] = None, as_json: bool = False) -> None:
    """Nodes, CPUs, memory, distances, packages and devices of this host or a capture."""
    import sys

    from numaprobe.analysis.chunks import memory_chunks
    from numaprobe.model.gather import load_machine
    from numaprobe.render import probe as render
    from numaprobe.render.jsonout import dumps

    machine = load_machine(root)
    topo = machine.topology
    chunks = memory_chunks(machine)
    if as_json:
        text = dumps(render.topology_to_json(topo, acpi=machine.tables.to_json(), chunks=chunks))
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
