"""`numaprobe physinfo`: Xen's physinfo and numainfo (`xl info -n`) for this host or a capture, with a
sockets_per_node that is counted per node."""

from __future__ import annotations

from typing import Optional

import typer

from numaprobe.cli.common import emit, json_option, load_machine, root_option


def physinfo_command(root: Optional[str] = root_option(), as_json: bool = json_option()) -> None:
    """CPUs, sockets per node, memory per node and distances, laid out like `xl info -n`."""
    from numaprobe.analysis.physinfo import machine_physinfo
    from numaprobe.render.jsonout import dumps
    from numaprobe.render.physinfo import to_json, to_text

    info = machine_physinfo(load_machine(root))
    emit(dumps(to_json(info)) if as_json else to_text(info))


def register(app: typer.Typer) -> None:
    app.command("physinfo")(physinfo_command)
