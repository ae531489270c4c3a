"""`numaprobe check`: firmware NUMA tables (SRAT/SLIT/HMAT) against what the kernel exposes."""

from __future__ import annotations

from typing import Optional

import typer

from numaprobe.cli.common import emit, json_option, load_machine, root_option


def check_command(root: Optional[str] = root_option(), as_json: bool = json_option()) -> None:
    """Report each disagreement between firmware tables and the kernel. Exit 0: no errors, 1: errors, 2: misuse."""

    from numaprobe import SCHEMA_VERSION
    from numaprobe.analysis.crosscheck import crosscheck, summarize
    from numaprobe.render.jsonout import dumps

    findings = crosscheck(load_machine(root))
    summary = summarize(findings)
    if as_json:
        doc = {"schema_version": SCHEMA_VERSION, "findings": [f.to_json() for f in findings], "summary": summary}
        emit(dumps(doc))
    else:
        emit(render_text(findings, summary))
    raise typer.Exit(1 if summary["errors"] else 0)


def render_text(findings, summary) -> str:
    """One line per finding; findings that differ only in the node they name are one line naming the nodes as a
    range (render/fold.py), and node and CPU lists are ranges ("nodes 0-63")."""
    from numaprobe.readers.cpumask import format_cpulist
    from numaprobe.render.fold import fold_findings

    lines = []
    for f in fold_findings(findings):
        where = []
        if f.nodes:
            where.append("nodes " + format_cpulist(f.nodes))
        if f.cpus:
            where.append("cpus " + format_cpulist(f.cpus))
        lines.append("%-7s %s%s: %s" % (f.severity, f.code, " [%s]" % "; ".join(where) if where else "", f.message))
    lines.append("%d error(s), %d warning(s), %d info(s)" % (summary["errors"], summary["warnings"],
                                                             summary["infos"]))
    return "\n".join(lines) + "\n"


def register(app: typer.Typer) -> None:
    app.command("check")(check_command)
