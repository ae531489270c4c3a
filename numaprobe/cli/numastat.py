"""`numaprobe numastat`: free heap per node/zone/order, node totals, huge pages, the kernel's NUMA counters;
with --pid/--name/--domain, where processes' memory lives (numa_maps) against the CPUs they run on."""

from __future__ import annotations

from enum import Enum
from typing import List, Optional

import typer

from numaprobe.cli.common import emit, json_option, load_machine, root_option


class Format(str, Enum):
    """A choice, so that --help, the man page and shell completion list the values."""

    text = "text"
    json = "json"
    prometheus = "prometheus"


def numastat_command(
    fmt: Format = typer.Option(Format.text.value, "--format", case_sensitive=False,
                               help="text, json or prometheus (node_exporter textfile)."),
    pids: Optional[List[int]] = typer.Option(None, "--pid", "-p", metavar="PID",
                                             help="Show this process's memory per node (repeatable)."),
    name: Optional[str] = typer.Option(None, "--name", metavar="PATTERN",
                                       help="Processes whose command line contains PATTERN (as numastat -p)."),
    domain: Optional[str] = typer.Option(None, "--domain", metavar="NAME",
                                         help="A QEMU/KVM guest by name (-name guest=NAME, or libvirt's pid file)."),
    root: Optional[str] = root_option(),
    as_json: bool = json_option(),
) -> None:
    """Per-node memory and allocator state, like numastat and xen_numastat's heap view."""
    from numaprobe.analysis.heap import heap_report
    from numaprobe.render.jsonout import dumps
    from numaprobe.render import numastat as render

    fmt = Format.json if as_json else fmt
    machine = load_machine(root, detail_pids=pids, name_pattern=name, guest=domain)
    report = heap_report(machine)
    procs = None
    if pids or name is not None or domain is not None:
        procs = _placements(machine, list(pids or []), name, domain)
    if fmt is Format.json:
        emit(dumps(render.to_json(report, procs)))
    elif fmt is Format.prometheus:
        emit(render.to_prometheus(report, procs))
    else:
        emit(render.to_text(report, procs))


def _placements(machine, wanted: List[int], name: Optional[str], domain: Optional[str]):
    from numaprobe.analysis.heap import process_placements
    from numaprobe.errors import InputError
    from numaprobe.model.processes import guest_pids, matching_name

    if name is not None:
        import os

        exclude = (os.getpid(),) if machine.topology.source.kind == "live" else ()
        found = matching_name(machine.processes, name, exclude)
        if not found:
            raise InputError("no process matches %r" % name)
        wanted += found
    if domain is not None:
        found = guest_pids(machine.processes, machine.libvirt_pids, domain)
        if not found:
            raise InputError("no QEMU/KVM guest named %r (no -name guest=%s, no libvirt pid file)" % (domain, domain))
        wanted += found
    wanted = sorted(set(wanted))
    procs = process_placements(machine, wanted)
    missing = sorted(set(wanted) - {p.pid for p in procs})
    if missing and not procs:
        raise InputError("no such process: %s" % ", ".join(str(p) for p in missing))
    for pid in missing:
        typer.echo("numaprobe: warning: process %d vanished or is unreadable" % pid, err=True)
    return procs


def register(app: typer.Typer) -> None:
    app.command("numastat")(numastat_command)
