"""`numaprobe fleet ... --html FILE`: the fleet document (analysis/fleet.py, docs/fleet.md) as one self-contained
HTML page: the summary, then each hardware-model group with its majority shape, its BIOS versions and their
findings, and its machines, outliers first, each with its reasons. Like the machine report, nothing is fetched
and nothing needs a script; outliers and unreadable machines say so in words (OUTLIER, ERROR), not only by colour.

A pure function of the documented dict `fleet --json` prints, so it reads exactly what users can read."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

from numaprobe import __version__
from numaprobe.render import heatmap
from numaprobe.render.report_html import CSS as REPORT_CSS
from numaprobe.render.svgkit import esc
from numaprobe.units import human_size

CSS = REPORT_CSS + """
tr.outlier td{background:#fff4e6}tr.outlier.listed td{background:#fff9f2}
tr.outlier td:first-child{border-left:4px solid #e8590c}
tr.error td{background:#fff5f5}tr.error td:first-child{border-left:4px solid #c92a2a}
.sev.outlier{background:#e8590c;color:#000}.sev.ok{background:#2b8a3e}
svg.mem{vertical-align:middle}svg.mem rect{fill:#495057}svg.mem rect.odd{fill:url(#np-fleet-hatch);stroke:#e8590c}
ul.reasons{margin:0;padding-left:1.2em}td.nowrap{white-space:nowrap}
"""
# Above this many nodes a machine's memory is a range of values, not one bar per node.
MAX_BARS = 64


def _memory_bars(values: Sequence[Optional[int]], majority: Optional[Sequence[Optional[int]]]) -> str:
    """Memory per node as tiny bars (a dead DIMM shows as a short one); nodes off the group's majority are
    hatched and outlined, and the title gives every value."""
    known = [v for v in values if v]
    if not known:
        return "-"
    title = ", ".join("%d: %s" % (i, human_size(v) if v else "none") for i, v in enumerate(values))
    text = "%s per node" % _range_text(known)
    if len(values) > MAX_BARS:
        return '<span title="%s">%s</span>' % (esc(title), esc(text))
    from numaprobe.analysis.fleet import dimm_tolerance

    top = max(known)
    bars = []
    for i, v in enumerate(values):
        h = 16.0 * (v or 0) / top
        median = majority[i] if majority is not None and len(majority) == len(values) else None
        # off the group's median by more than a DIMM's worth: the rule that names the outlier (analysis/fleet.py)
        odd = median is not None and abs((v or 0) - median) > dimm_tolerance(median)
        bars.append('<rect x="%d" y="%.1f" width="5" height="%.1f"%s/>' % (
            i * 7, 16 - h, h, ' class="odd"' if odd else ""))
    return ('<svg class="mem" width="%d" height="16" role="img" aria-label="%s"><title>%s</title>%s</svg> %s' % (
        7 * len(values), esc(text), esc(title), "".join(bars), esc(text)))


def _range_text(values: Sequence[int]) -> str:
    lo, hi = human_size(min(values)), human_size(max(values))
    if lo == hi:
        return lo
    if lo.split()[1:] == hi.split()[1:]:  # one unit: "459.1-503.3 MiB"
        return "%s-%s" % (lo.split()[0], hi)
    return "%s-%s" % (lo, hi)


def _summary(doc: Dict[str, Any]) -> str:
    s = doc["summary"]
    verdict = ('<span class="sev ok">UNIFORM</span> every machine matches its group' if s["uniform"] else
               '<span class="sev outlier">NOT UNIFORM</span> %d outlier(s), %d unreadable' % (
                   s["outliers"], s["errors"]))
    facts = [("Machines", str(s["machines"])), ("Groups (hardware models)", str(s["groups"])),
             ("Outliers", str(s["outliers"])), ("Unreadable", str(s["errors"]))]
    body = "".join("<dt>%s</dt><dd>%s</dd>" % (esc(k), esc(v)) for k, v in facts)
    return '<p>%s</p><dl class="facts">%s</dl>' % (verdict, body)


def _shown(key: str, value: Any) -> str:
    """One majority value as HTML: a distance matrix as a heat map, memory as a range, lists compact."""
    square = isinstance(value, list) and value and all(isinstance(r, list) and len(r) == len(value) for r in value)
    if square and "distance" in key:
        ids = list(range(len(value)))
        return heatmap.heat_table(ids, ids, value, key)
    if isinstance(value, list) and value and all(isinstance(v, int) for v in value) and "memory" in key:
        return esc(_range_text(value) + " per node (median of each node)")
    if isinstance(value, list) and not value:
        return "none"
    if isinstance(value, list) and len(value) > 16:
        return esc("%d values (fleet --json has them)" % len(value))
    if isinstance(value, list):
        return esc(", ".join(str(v) for v in value))
    return esc(value)


def _majority(group: Dict[str, Any]) -> str:
    rows = []
    for key, value in group.get("majority", {}).items():
        rows.append("<tr><th>%s</th><td>%s</td></tr>" % (esc(key.replace("_", " ")), _shown(key, value)))
    mixed = group.get("mixed") or []
    if mixed:
        rows.append("<tr><th>mixed (no majority)</th><td>%s</td></tr>" % esc(", ".join(mixed)))
    return '<table class="t"><tbody>%s</tbody></table>' % "".join(rows) if rows else ""


def _bios(group: Dict[str, Any]) -> str:
    rows = "".join("<tr><td>%s</td><td class=\"n\">%d</td><td>%s</td></tr>" % (
        esc(b["bios_version"] or "unknown"), b["machines"],
        esc(", ".join("%s (%d)" % (c, n) for c, n in sorted(b["findings"].items())) or "none"))
        for b in group.get("bios_versions", ()))
    return ('<table class="t"><thead><tr><th>BIOS version</th><th>machines</th><th>error and warning findings '
            '(machines)</th></tr></thead><tbody>%s</tbody></table>' % rows) if rows else ""


def _machine_row(r: Dict[str, Any], majority_memory) -> str:
    if r.get("error") is not None:
        return ('<tr class="error"><td><span class="sev error">ERROR</span></td><td><code>%s</code></td>'
                '<td colspan="7">%s</td></tr>' % (esc(r["path"]), esc(r["error"])))
    f = r.get("findings") or {}
    reasons = "".join("<li>%s</li>" % esc(x) for x in r.get("outlier_reasons") or ())
    distances = ", ".join(map(str, r.get("distance_classes") or ())) + (" · %s" % r["mode"] if r.get("mode") else "")
    cells = [  # (class, HTML)
        ("", '<span class="sev outlier">OUTLIER</span>' if r.get("outlier") else "ok"),
        ("", "<code>%s</code><br>%s" % (esc(r["path"]), esc(r.get("hostname") or ""))),
        ("", esc("%s / %s" % (r.get("bios_version") or "?", r.get("kernel") or "?"))),
        ("n", esc(r.get("nodes"))), ("n", esc(r.get("cpus"))),
        ("nowrap", _memory_bars(r.get("memory_per_node_bytes") or [], majority_memory)),
        ("", esc(distances)), ("", esc("%d E, %d W, %d I" % (f.get("errors", 0), f.get("warnings", 0),
                                                            f.get("infos", 0)))),
        ("", '<ul class="reasons">%s</ul>' % reasons if reasons else "-")]
    row = "".join('<td class="%s">%s</td>' % (c, h) if c else "<td>%s</td>" % h for c, h in cells)
    return "<tr%s>%s</tr>" % (' class="outlier"' if r.get("outlier") else "", row)


def _machines(rows: List[Dict[str, Any]], majority_memory) -> str:
    ordered = sorted(rows, key=lambda r: (r.get("error") is None, not r.get("outlier"), r["path"]))
    body = "".join(_machine_row(r, majority_memory) for r in ordered)
    return ('<div class="tablewrap"><table class="t"><thead><tr><th>status</th><th>machine</th>'
            '<th>BIOS / kernel</th><th>nodes</th><th>CPUs</th><th>memory per node</th><th>distances · mode</th>'
            '<th>findings</th><th>why it is an outlier</th></tr></thead><tbody>%s</tbody></table></div>' % body)


def _outlier_list(rows: List[Dict[str, Any]]) -> str:
    items = "".join('<tr class="outlier listed"><td><span class="sev outlier">OUTLIER</span></td>'
                    '<td><code>%s</code></td><td>%s</td><td><ul class="reasons">%s</ul></td></tr>' % (
                        esc(r["path"]), esc(r.get("group") or "no DMI"),
                        "".join("<li>%s</li>" % esc(x) for x in r.get("outlier_reasons") or ())) for r in rows)
    return ('<table class="t"><thead><tr><th>status</th><th>machine</th><th>group</th><th>why</th></tr></thead>'
            '<tbody>%s</tbody></table>' % items)


def _group(group: Dict[str, Any], rows: List[Dict[str, Any]]) -> str:
    name = group.get("model") or "machines without DMI (no model)"
    majority_memory = None
    for key, value in group.get("majority", {}).items():
        if "memory" in key and isinstance(value, list):
            majority_memory = value
    outliers = len(group.get("outliers") or ())
    return "".join([
        "<h2>%s <span class=\"muted\">%d machine(s), %d outlier(s)</span></h2>" % (
            esc(name), group.get("machines", len(rows)), outliers),
        "<h3>What most of them look like</h3>", _majority(group), _bios(group),
        "<h3>Machines</h3>", _machines(rows, majority_memory)])


def fleet_html(doc: Dict[str, Any]) -> str:
    """The whole page for a fleet document."""
    machines = doc.get("machines", [])
    by_group: Dict[Any, List[Dict[str, Any]]] = {}
    for r in machines:
        if r.get("error") is None:
            by_group.setdefault(r.get("group"), []).append(r)
    title = "NUMA fleet: %d machines" % doc["summary"]["machines"]
    parts = ['<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="generator" '
             'content="numaprobe %s"><title>%s</title><style>%s</style></head><body><h1>%s</h1>' % (
                 esc(__version__), esc(title), CSS, esc(title)),
             '<svg width="0" height="0" style="position:absolute"><defs><pattern id="np-fleet-hatch" width="4" '
             'height="4" patternUnits="userSpaceOnUse"><rect width="4" height="4" fill="#ffd8a8"/><path d="M0 4L4 0"'
             ' stroke="#e8590c"/></pattern></defs></svg>',
             _summary(doc)]
    broken = [r for r in machines if r.get("error") is not None]
    if broken:
        parts += ["<h2>Unreadable <span class=\"muted\">%d</span></h2>" % len(broken), _machines(broken, None)]
    outliers = [r for r in machines if r.get("outlier")]
    if outliers:
        parts += ["<h2>Outliers <span class=\"muted\">%d, by group below</span></h2>" % len(outliers),
                  _outlier_list(outliers)]
    # groups with outliers first: they are what the page is opened for
    for group in sorted(doc.get("groups", []), key=lambda g: -len(g.get("outliers") or ())):
        parts.append(_group(group, by_group.get(group.get("model"), [])))
    parts.append('<p class="muted">numaprobe %s; the same document as <code>fleet --json</code> '
                 '(docs/json.md).</p></body></html>\n' % esc(__version__))
    return "".join(parts)
