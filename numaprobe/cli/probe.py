"""`numaprobe probe`: the machine's NUMA topology, like `numactl -H` and more; `--format svg` draws it."""

from __future__ import annotations

from enum import Enum
from typing import Optional


class Format(str, Enum):
    """A choice, so that --help, the man page and shell completion list the values."""

    text = "text"
    json = "json"
    svg = "svg"


def probe_command(root: Optional[str] = None, as_json: bool = False, fmt: str = "text") -> None:
    """Nodes, CPUs, memory, distances, packages and devices of this host or a capture."""
    import sys

    from numaprobe.model.gather import load_machine

    fmt = "json" if as_json else fmt
    machine = load_machine(root)
    topo = machine.topology
    if fmt == "svg":
        from numaprobe.render.topology_svg import topology_svg

        text = topology_svg(topo) + "\n"
    else:
        from numaprobe.analysis.chunks import memory_chunks
        from numaprobe.render import probe as render
        from numaprobe.render.jsonout import dumps

        chunks = memory_chunks(machine)
        if fmt == "json":
            text = dumps(render.topology_to_json(topo, acpi=machine.tables.to_json(), chunks=chunks))
        else:
            text = render.topology_to_text(topo, chunks=chunks)
    sys.stdout.write(text)
    sys.stdout.flush()


def register(app) -> None:
    import typer

    from numaprobe.cli.common import json_option, root_option

    # typer reads the signature; the plain function above stays importable without typer (cli/entry.py).
    def probe(root: Optional[str] = root_option(), as_json: bool = json_option(),
              fmt: Format = typer.Option(Format.text.value, "--format", case_sensitive=False,
                                         help="text (numactl -H first), json, or svg (the topology drawing).")
              ) -> None:
        """Nodes, CPUs, memory, distances, packages and devices of this host or a capture."""
        probe_command(root, as_json, fmt.value if isinstance(fmt, Format) else str(fmt))

    app.command("probe")(probe)
