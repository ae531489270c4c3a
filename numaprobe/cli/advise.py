"""`numaprobe advise`: where to put a domain (VM, container, process), with ready-to-paste configuration."""

from __future__ import annotations

from enum import Enum
from typing import Optional

import typer

from numaprobe.cli.common import emit, json_option, load_machine, root_option


class Format(str, Enum):
    """Choices, so that --help, the man page and shell completion list the values."""

    text = "text"
    json = "json"
    numactl = "numactl"
    libvirt = "libvirt"
    xl = "xl"
    systemd = "systemd"


class Mode(str, Enum):
    strict = "strict"
    preferred = "preferred"
    interleave = "interleave"


def advise_command(
    vcpus: int = typer.Option(..., "--vcpus", help="vCPUs (or threads) of the domain."),
    memory: str = typer.Option(..., "--memory", help="Memory of the domain: 512M, 16G, 1T, 16GiB."),
    device: Optional[str] = typer.Option(None, "--device", metavar="PCI_ADDRESS",
                                         help="A PCI device the domain uses (0000:81:00.0): pulls it to its node."),
    hugepages: Optional[str] = typer.Option(None, "--hugepages", metavar="2M|1G",
                                            help="Back the memory with free huge pages of this size."),
    mode: Mode = typer.Option(Mode.strict.value, "--mode", case_sensitive=False,
                              help="Memory policy: strict, preferred or interleave."),
    count: int = typer.Option(1, "--count", help="Place this many such domains, one after another."),
    sample: Optional[float] = typer.Option(None, "--sample", metavar="SECONDS",
                                           help="Sample live CPU load for this long (live host only)."),
    fmt: Format = typer.Option(Format.text.value, "--format", case_sensitive=False,
                               help="text, json, numactl, libvirt, xl or systemd."),
    root: Optional[str] = root_option(),
    as_json: bool = json_option(),
) -> None:
    """The smallest, most compact, least loaded set of nodes for a domain; exit 1 if it cannot be placed."""
    from dataclasses import replace

    from numaprobe.advise import advice
    from numaprobe.render import advise as render
    from numaprobe.render.jsonout import dumps
    from numaprobe.advise.search import PlacementRequest
    from numaprobe.errors import InputError

    fmt = "json" if as_json else fmt.value
    mode = mode.value
    # "not (0 < x <= day)" also refuses nan (which sampled nothing) and inf/1e300 (time.sleep raised OverflowError).
    if sample is not None and (not 0 < sample <= 86400 or root is not None):
        raise InputError("--sample needs a number of seconds up to 86400 and the live host (no --root)")
    memory_bytes = advice.parse_size(memory)
    huge = advice.parse_hugepages(hugepages)
    advice.check_request(vcpus, memory_bytes, mode, count)
    machine = load_machine(root)
    topo = machine.topology
    req = PlacementRequest(vcpus=vcpus, memory_bytes=memory_bytes, hugepage_bytes=huge, mode=mode)
    if device:
        address, node = advice.device_node(topo, device)
        req = replace(req, device=address, device_node=node)
    inp = advice.input_from_machine(machine, sample)
    result = advice.advise(inp, req, count)
    if fmt == "json":
        emit(dumps(render.to_json(result)))
    elif fmt == "text":
        emit(render.to_text(result))
    else:
        emit(render.config_text(result, fmt))
    if not result.feasible:
        if fmt != "text":
            typer.echo(render.explain_infeasible(result), err=True)
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("advise")(advise_command)
