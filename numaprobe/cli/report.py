"""`numaprobe report`: one self-contained HTML page about this host or a capture (render/report_html.py)."""

from __future__ import annotations

from typing import Dict, Optional

import typer

from numaprobe.cli.common import load_machine, root_option

ADVISE_KEYS = ("vcpus", "memory", "hugepages", "mode", "device")
ADVISE_HELP = ("Draw where advise would put a domain: vcpus=N,memory=SIZE and, comma-separated after them, "
               "optionally hugepages=2M|1G, mode=strict|preferred|interleave, device=PCI_ADDRESS (the options of "
               "`numaprobe advise`).")


def parse_advise(spec: str) -> Dict[str, str]:
    """'vcpus=16,memory=64G' -> {'vcpus': '16', 'memory': '64G'}; vcpus and memory are required."""
    from numaprobe.errors import InputError

    out: Dict[str, str] = {}
    for part in (p.strip() for p in spec.split(",")):
        key, sep, value = part.partition("=")
        key = key.strip().lower()
        if not sep or key not in ADVISE_KEYS or not value.strip() or key in out:
            raise InputError("bad --advise %r: use vcpus=N,memory=SIZE[,hugepages=..][,mode=..][,device=..]"
                             % spec)
        out[key] = value.strip()
    if "vcpus" not in out or "memory" not in out:
        raise InputError("bad --advise %r: vcpus= and memory= are required" % spec)
    if not out["vcpus"].isdigit():
        raise InputError("bad --advise %r: vcpus must be a whole number" % spec)
    return out


def _advice(machine, spec: Dict[str, str]):
    """(PlacementView or None, advise's text) for the request, decided as `numaprobe advise` decides it."""
    from dataclasses import replace

    from numaprobe.advise import advice
    from numaprobe.advise.types import PlacementRequest
    from numaprobe.render import advise as render_advise
    from numaprobe.render.topology_svg import PlacementView
    from numaprobe.units import human_size, parse_size

    topo = machine.topology
    vcpus, memory = int(spec["vcpus"]), parse_size(spec["memory"], "memory in --advise")
    mode = spec.get("mode", "strict").lower()
    huge = advice.parse_hugepages(spec.get("hugepages"))
    advice.check_request(vcpus, memory, mode, 1, huge)
    req = PlacementRequest(vcpus=vcpus, memory_bytes=memory, hugepage_bytes=huge, mode=mode)
    if "device" in spec:
        address, node = advice.device_node(topo, spec["device"])
        req = replace(req, device=address, device_node=node)
    result = advice.advise(advice.input_from_machine(machine), req, 1)
    text = render_advise.to_text(result)
    p, split = result.placements[0], result.splits[0]
    if not p.feasible or p.chosen is None:
        return None, text
    label = "%d vCPUs, %s on nodes %s" % (vcpus, human_size(memory), ",".join(map(str, p.chosen.nodes)))
    return PlacementView(label, frozenset(p.pinning), dict(p.chosen.vcpus_by_node),
                         {n: b for n, b in split.items() if b}), text


def build_report(root: Optional[str], advise: Optional[str] = None):
    """The ReportInput of a machine: topology, check findings, heap, HMAT tables, and the placement if asked."""
    from numaprobe.analysis.crosscheck import crosscheck
    from numaprobe.analysis.heap import heap_report
    from numaprobe.analysis.hmat_nodes import hmat_node_performance
    from numaprobe.render.report_html import ReportInput

    spec = parse_advise(advise) if advise is not None else None
    machine = load_machine(root)
    placement, advice_text = _advice(machine, spec) if spec is not None else (None, None)
    return ReportInput(topology=machine.topology, findings=crosscheck(machine), heap=heap_report(machine),
                       performance=hmat_node_performance(machine.tables), placement=placement,
                       advice_text=advice_text)


def check_output(path: str) -> None:
    """Refuse an -o target before any work: like `capture`, only a new or a regular file is replaced (as root,
    renaming over /dev/null would replace the device node; a symlink would send the page somewhere else)."""
    import os

    from numaprobe.errors import InputError

    if path == "-":
        return
    if not path:
        raise InputError("an output file name is needed (or - for standard output)")
    target = os.path.abspath(path)
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        raise InputError("%s: directory %s does not exist" % (path, folder))
    if os.path.isdir(target):
        raise InputError("%s is a directory: name the HTML file to write" % path)
    if os.path.islink(target) or os.path.lexists(target) and not os.path.isfile(target):
        raise InputError("%s exists and is not a regular file; refusing to replace it" % path)


def write_output(path: str, text: str) -> None:
    """Write where the user asked, and only there: '-' is standard output; a file is written under a temporary
    name beside it and renamed into place, so a reader never sees half a page. A failure is one line, exit 2."""
    import os
    import sys
    import tempfile

    from numaprobe.errors import InputError

    check_output(path)
    if path == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    target = os.path.abspath(path)
    folder = os.path.dirname(target)
    try:
        fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(target) + ".", suffix=".partial", dir=folder)
    except OSError as e:
        raise InputError("cannot write in %s: %s" % (folder, e.strerror or e)) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        umask = os.umask(0o022)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; the page gets the mode open() would have given it
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise


def report_command(
    output: str = typer.Option(..., "--output", "-o", metavar="FILE",
                               help="The HTML file to write ('-' for standard output)."),
    advise: Optional[str] = typer.Option(None, "--advise", metavar="vcpus=N,memory=SIZE", help=ADVISE_HELP),
    root: Optional[str] = root_option(),
) -> None:
    """One self-contained HTML page (no network, no script): topology drawing, distance heat map, HMAT,
    free memory and huge pages per node, check findings, and optionally an advise placement."""
    from numaprobe.render.report_html import report_html

    check_output(output)
    write_output(output, report_html(build_report(root, advise)))


def register(app: typer.Typer) -> None:
    app.command("report")(report_command)
