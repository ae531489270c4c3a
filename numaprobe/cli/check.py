"""`numaprobe check`: firmware NUMA tables (SRAT/SLIT/HMAT) against what the kernel exposes."""

from __future__ import annotations

from typing import Optional

import typer

from numaprobe.cli.common import emit, json_option, load_machine, root_option


def check_command(root: Optional[str] = root_option(), as_json: bool = json_option()) -> None:
    """Report each disagreement between firmware tables and the kernel. Exit 0: no errors, 1: errors, 2: misuse."""

    from numaprobe import SCHEMA_VERSION
    from numaprobe.analysis.crosscheck import check_machine, summarize
    from numaprobe.render.jsonout import dumps

    report = check_machine(load_machine(root))
    findings = report.findings
    summary = summarize(findings)
    if as_json:
        doc = {"schema_version": SCHEMA_VERSION, "findings": [f.to_json() for f in findings], "summary": summary,
               "checks": [r.to_json() for r in report.runs]}
        emit(dumps(doc))
    else:
        emit(render_text(findings, summary))
    raise typer.Exit(1 if summary["errors"] else 0)


def _line(f, lead: str) -> str:
    from numaprobe.readers.cpumask import format_cpulist

    where = []
    if f.nodes:
        where.append("nodes " + format_cpulist(f.nodes))
    if f.cpus:
        where.append("cpus " + format_cpulist(f.cpus))
    return "%s%s%s: %s" % (lead, f.code, " [%s]" % "; ".join(where) if where else "", f.message)


def render_text(findings, summary) -> str:
    """One line per finding; findings that differ only in the node they name are one line naming the nodes as a
    range (render/fold.py), and node and CPU lists are ranges ("nodes 0-63"). A root cause's consequences
    follow it, indented and marked as not counted."""
    from numaprobe.render.fold import fold_findings

    lines = []
    for f in fold_findings(findings):
        lines.append(_line(f, "%-7s " % f.severity))
        for c in fold_findings(f.consequences):
            # Only follows from the root cause above: shown, not counted.
            lines.append(_line(c, "        consequence (%s, not counted) " % c.severity))
    lines.append("%d error(s), %d warning(s), %d info(s)" % (summary["errors"], summary["warnings"],
                                                             summary["infos"]))
    return "\n".join(lines) + "\n"


def register(app: typer.Typer) -> None:
    app.command("check")(check_command)
