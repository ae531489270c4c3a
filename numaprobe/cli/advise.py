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


# Options as module constants keep advise_command's signature one line per option (typer 0.7 needs defaults,
# not Annotated).
_VCPUS = typer.Option(..., "--vcpus", help="vCPUs (or threads) of the domain.")
_MEMORY = typer.Option(..., "--memory", help="Memory of the domain, with a unit: 512M, 16G, 1T, 16GiB.")
_DEVICE = typer.Option(None, "--device", metavar="PCI_ADDRESS",
                       help="A PCI device the domain uses (0000:81:00.0): pulls it to its node.")
_HUGEPAGES = typer.Option(None, "--hugepages", metavar="2M|1G", help="Back the memory with free huge pages of this size.")
_MODE = typer.Option(Mode.strict.value, "--mode", case_sensitive=False,
                     help="Memory policy: strict, preferred or interleave.")
_COUNT = typer.Option(1, "--count", help="Place this many such domains, one after another.")
_SAMPLE = typer.Option(None, "--sample", metavar="SECONDS", help="Sample live CPU load for this long (live host only).")
_FORMAT = typer.Option(Format.text.value, "--format", case_sensitive=False,
                       help="text, json, numactl, libvirt, xl or systemd.")
_RESERVE = typer.Option(None, "--reserve", metavar="PCT",
                        help="Keep PCT% of each node's memory free instead of its zone high watermarks "
                             "(15 is numad's -u 85).")
_NODES = typer.Option(None, "--nodes", metavar="LIST",
                      help="Use only these nodes' memory (0-3,8), within the caller's cpuset.")
_CPUS = typer.Option(None, "--cpus", metavar="LIST", help="Use only these CPUs (0-15), within the caller's cpuset.")
_IGNORE_CPUSET = typer.Option(False, "--ignore-cpuset",
                              help="Plan for the whole machine, not the caller's (or the capture's) cpuset and "
                                   "affinity.")
_ALLOW_DEVICE_MEMORY = typer.Option(False, "--allow-device-memory",
                                    help="May use device memory: GPU memory nodes, soft-reserved ranges, "
                                         "memory-only nodes a device initiates.")
_LIBVIRT_VERSION = typer.Option("9.0", "--libvirt-version", metavar="X.Y",
                                help="The libvirt whose QEMU driver must start the XML (9.0: Debian 12); before "
                                     "9.3 'preferred' takes one host node.")


def advise_command(
    vcpus: int = _VCPUS,
    memory: str = _MEMORY,
    device: Optional[str] = _DEVICE,
    hugepages: Optional[str] = _HUGEPAGES,
    mode: Mode = _MODE,
    count: int = _COUNT,
    sample: Optional[float] = _SAMPLE,
    fmt: Format = _FORMAT,
    reserve: Optional[float] = _RESERVE,
    nodes: Optional[str] = _NODES,
    cpus: Optional[str] = _CPUS,
    ignore_cpuset: bool = _IGNORE_CPUSET,
    allow_device_memory: bool = _ALLOW_DEVICE_MEMORY,
    libvirt_version: str = _LIBVIRT_VERSION,
    root: Optional[str] = root_option(),
    as_json: bool = json_option(),
) -> None:
    """The smallest, most compact, least loaded set of nodes for a domain; exit 1 if it cannot be placed."""
    from numaprobe.advise import advice
    from numaprobe.advise.libvirt import parse_version
    from numaprobe.errors import InputError
    from numaprobe.units import parse_size

    fmt = "json" if as_json else fmt.value
    # "not (0 < x <= day)" also refuses nan (which sampled nothing) and inf/1e300 (time.sleep raised OverflowError).
    if sample is not None and (not 0 < sample <= 86400 or root is not None):
        raise InputError("--sample needs a number of seconds up to 86400 and the live host (no --root)")
    memory_bytes = parse_size(memory, "--memory")
    huge = advice.parse_hugepages(hugepages)
    advice.check_request(vcpus, memory_bytes, mode.value, count, huge)
    advice.check_reserve(reserve)
    try:
        version = parse_version(libvirt_version)
    except ValueError:
        raise InputError("bad --libvirt-version %r: use X.Y, e.g. 9.0" % libvirt_version) from None
    cpu_ids, node_ids = advice.parse_id_list(cpus, "--cpus"), advice.parse_id_list(nodes, "--nodes")
    result = _advise(root, vcpus, memory_bytes, huge, mode.value, device, count, sample, reserve, version,
                     (ignore_cpuset, cpu_ids, node_ids, allow_device_memory))
    _print(result, fmt)


def _advise(root, vcpus, memory_bytes, huge, mode, device, count, sample, reserve, version, limit_args):
    from dataclasses import replace

    from numaprobe.advise import advice
    from numaprobe.advise.capacity import caller_limits
    from numaprobe.advise.types import PlacementRequest

    machine = load_machine(root)
    topo = machine.topology
    req = PlacementRequest(vcpus=vcpus, memory_bytes=memory_bytes, hugepage_bytes=huge, mode=mode)
    if device:
        address, node = advice.device_node(topo, device)
        req = replace(req, device=address, device_node=node)
    inp = advice.input_from_machine(machine, sample, caller_limits(topo, *limit_args), reserve)
    return advice.advise(inp, req, count, version)


def _print(result, fmt: str) -> None:
    from numaprobe.render import advise as render
    from numaprobe.render.jsonout import dumps

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
