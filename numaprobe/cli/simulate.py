"""`numaprobe simulate`: place domains on a simulated heap seeded from this host (or a capture)."""

from __future__ import annotations

from enum import Enum
from typing import List, Optional

import typer

from numaprobe.cli.common import emit, json_option, load_machine, root_option


class Seed(str, Enum):
    """A choice, so that --help, the man page and shell completion list the values."""

    firmware = "firmware"
    live = "live"


def simulate_command(
    domains: List[str] = typer.Option(..., "--domain", "-d", metavar="NAME:vcpus=N,memory=SIZE[,nodes=K][,policy=P]",
                                      help="A domain to place, in order (repeatable). nodes: a count or a list "
                                           "like 0+2; policy: local, balance (default), interleave or exact."),
    seed: Seed = typer.Option(Seed.firmware.value, "--seed", case_sensitive=False,
                             help="firmware: all RAM free, as a hypervisor's heap at boot; live: the free lists "
                                  "of /proc/buddyinfo now."),
    root: Optional[str] = root_option(),
    as_json: bool = json_option(),
) -> None:
    """Where each domain's memory would land, its locality, and the heap left per node, zone and order; exit 1
    when a domain could be placed only in part."""
    from numaprobe.errors import InputError
    from numaprobe.render.jsonout import dumps
    from numaprobe.render import simulate as render
    from numaprobe.sim.buddy import AllocationError
    from numaprobe.sim.populate import populate
    from numaprobe.sim.seed import parse_domain, seed_allocator

    seed = seed.value
    requests = [parse_domain(d) for d in domains]
    alloc, notes = seed_allocator(load_machine(root), seed)
    placements = []
    for req in requests:
        try:
            placements.append(populate(alloc, req))
        except AllocationError as e:
            raise InputError("domain %s: %s" % (req.name, e)) from None
    if as_json:
        emit(dumps(render.to_json(alloc, seed, placements, notes)))
    else:
        emit(render.to_text(alloc, seed, placements, notes))
    if not all(p.complete for p in placements):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate_command)
