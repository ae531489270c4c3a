"""Render the fleet document (analysis/fleet.py): a text table for people, CSV for spreadsheets, JSON lines for
pipelines (one machine a line, docs/fleet.md), and the whole document as JSON (`--json`)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any, Dict, List, Optional, Sequence

from numaprobe import SCHEMA_VERSION

CSV_FIELDS = ("path", "kind", "error", "hostname", "model", "bios_version", "bios_date", "kernel", "numa_mode",
              "nodes", "packages", "cpus", "cpus_per_node", "memory_per_node_bytes", "distance_classes", "mode",
              "hugepages", "errors", "warnings", "infos", "finding_codes", "group", "outlier", "outlier_reasons")
TEXT_COLUMNS = ("PATH", "HOST", "MODEL", "BIOS", "KERNEL", "NODES", "CPUS/NODE", "GIB/NODE", "DISTANCES", "MODE",
                "HUGEPAGES", "FINDINGS", "OUTLIER")


def printable(text: str) -> str:
    """Control characters escaped: a capture's host name or DMI string is someone else's text, and must not drive
    the reader's terminal ("\x1b]0;..."), nor split a CSV record."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _join(values: Optional[Sequence[Any]], sep: str = " ") -> str:
    return "" if values is None else sep.join(str(v) for v in values)


def _gib(values: Optional[Sequence[Optional[int]]]) -> str:
    return _join(["?" if v is None else "%.1f" % (v / (1 << 30)) for v in values or ()])


def _huge(pages: Optional[Dict[str, int]]) -> str:
    return _join(["%s=%d" % (k, v) for k, v in (pages or {}).items() if v]) or "-"


def _findings(row: Dict[str, Any]) -> str:
    f = row.get("findings")
    if not f:
        return "-"
    return "%dE %dW %dI" % (f["errors"], f["warnings"], f["infos"])


def _text_cells(row: Dict[str, Any]) -> List[str]:
    if row["error"] is not None:
        return [row["path"], "ERROR: " + row["error"]]
    return [row["path"], row["hostname"] or "-", row["model"] or "-", row["bios_version"] or "-",
            row["kernel"] or "-", str(row["nodes"]), _join(row["cpus_per_node"], ","),
            _join(_gib(row["memory_per_node_bytes"]).split(), ","), _join(row["distance_classes"], ",") or "-",
            row["mode"], _huge(row["hugepages"]), _findings(row), "yes" if row["outlier"] else "-"]


def to_text(doc: Dict[str, Any]) -> str:
    rows = [[printable(c) for c in _text_cells(r)] for r in doc["machines"]]
    full = [r for r in rows if len(r) == len(TEXT_COLUMNS)]
    widths = [max([len(c)] + [len(r[i]) for r in full]) for i, c in enumerate(TEXT_COLUMNS)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(TEXT_COLUMNS, widths)).rstrip()]
    for r in rows:
        if len(r) == len(TEXT_COLUMNS):
            lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        else:
            lines.append("  ".join([r[0].ljust(widths[0])] + r[1:]))
    outliers = [m for m in doc["machines"] if m["outlier"]]
    if outliers:
        lines.append("")
        lines.append("outliers:")
        for m in outliers:
            lines.append(printable("  %s (group %s):" % (m["path"], m["group"] or "without DMI")))
            lines.extend(printable("    - " + reason) for reason in m["outlier_reasons"])
    for g in doc["groups"]:
        if g["mixed"]:
            lines.append(printable("group %s: no majority for %s" % (g["model"] or "without DMI",
                                                                    ", ".join(g["mixed"]))))
    s = doc["summary"]
    lines.append("")
    lines.append("%d machine(s) in %d group(s): %d outlier(s), %d unreadable" % (
        s["machines"], s["groups"], s["outliers"], s["errors"]))
    return "\n".join(lines) + "\n"


def _csv_value(row: Dict[str, Any], name: str) -> str:
    if name in ("errors", "warnings", "infos"):
        return "" if row.get("findings") is None else str(row["findings"][name])
    value = row.get(name)
    if value is None:
        return ""
    if name == "hugepages":
        return _join(["%s=%d" % kv for kv in value.items()])
    if name == "outlier_reasons":
        return _join(value, "; ")
    if name == "outlier":
        return "yes" if value else "no"
    if isinstance(value, list):
        return _join(value)
    return str(value)


def to_csv(doc: Dict[str, Any]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_FIELDS)
    for row in doc["machines"]:
        w.writerow([printable(_csv_value(row, name)) for name in CSV_FIELDS])
    return buf.getvalue()


def to_jsonl(doc: Dict[str, Any]) -> str:
    return "".join(json.dumps(dict(schema_version=SCHEMA_VERSION, **row), sort_keys=False) + "\n"
                   for row in doc["machines"])
