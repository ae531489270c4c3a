"""`numaprobe fleet PATH...`: many machines (captures, sosreports, snapshots) compared; outliers named."""

from __future__ import annotations

from enum import Enum
from typing import List, Optional

import typer


class Format(str, Enum):
    text = "text"
    csv = "csv"
    jsonl = "jsonl"


def fleet_command(
    paths: List[str] = typer.Argument(..., metavar="PATH...", help="Capture tarballs or directories, sosreports "
                                      "and snapshots (.json); directories are searched recursively."),
    fmt: Format = typer.Option(Format.text.value, "--format", case_sensitive=False,
                               help="text: a table and the outliers; csv: one row per machine; jsonl: one JSON "
                                    "object per machine (docs/fleet.md)."),
    as_json: bool = typer.Option(False, "--json", help="Print the whole fleet document (groups, outliers, every "
                                                       "machine) as versioned JSON (docs/json.md)."),
    jobs: int = typer.Option(0, "--jobs", "-j", min=0, help="Local worker processes (0: one per usable core)."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", metavar="ADDRESS",
                                            help="Run on this Dask distributed scheduler (tcp://host:8786) instead "
                                                 "of local processes; the paths must be readable by the workers."),
    no_progress: bool = typer.Option(False, "--no-progress", help="No progress bar (there is none unless stderr "
                                                                  "is a terminal and the run takes over 1 s)."),
    html: Optional[str] = typer.Option(None, "--html", metavar="FILE",
                                       help="Also write the fleet as one self-contained HTML page: groups, "
                                            "outliers with their reasons, every machine (docs/report.md)."),
) -> None:
    """Group machines by hardware model and name those whose NUMA shape differs from their group's majority.

    Exit 0: uniform; 1: outliers or unreadable machines; 2: misuse.
    """
    from numaprobe.analysis.fleet import compare_fleet
    from numaprobe.cli.fleet_run import run

    if html is not None:
        from numaprobe.cli.report import check_output

        check_output(html)  # a bad target is refused before the run, not after it
    rows = run(paths, jobs=jobs, scheduler=scheduler, show_progress=not no_progress)
    doc = compare_fleet(rows)
    if html is not None:
        from numaprobe.cli.report import write_output
        from numaprobe.render.fleet_html import fleet_html

        write_output(html, fleet_html(doc))
    if html != "-":  # with --html -, the page is the output
        _emit(doc, fmt, as_json)
    raise typer.Exit(0 if doc["summary"]["uniform"] else 1)


def _emit(doc, fmt: "Format", as_json: bool) -> None:
    from numaprobe.cli.common import emit
    from numaprobe.render import fleet as render
    from numaprobe.render.jsonout import dumps

    if as_json:
        emit(dumps(doc))
    elif fmt == Format.csv:
        emit(render.to_csv(doc))
    elif fmt == Format.jsonl:
        emit(render.to_jsonl(doc))
    else:
        emit(render.to_text(doc))


def register(app: typer.Typer) -> None:
    app.command("fleet")(fleet_command)
