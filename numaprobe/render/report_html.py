"""`numaprobe report`: one self-contained HTML page about a machine, to read at a glance and paste into a ticket.

No script, no font, no image is fetched: the styles are inline, the topology is inline SVG, the heat maps are
tables whose cells carry their numbers. It reads the same with JavaScript off and printed.

Why no template engine: the page is a dozen small sections, each a loop over model records; html.escape (via
svgkit.esc) on every interpolated value covers what Jinja2's autoescaping would, and a dependency fewer keeps
the Debian package and the pip install alike (python3-jinja2 would be the only library not on the brief's list).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from numaprobe import __version__
from numaprobe.model.topology import Topology
from numaprobe.notes import Note
from numaprobe.render import fold, heatmap
from numaprobe.render.svgkit import esc
from numaprobe.units import human_size
from numaprobe.render.topology_svg import PlacementView, topology_svg

SEVERITY_LABELS = (("error", "ERROR", "Errors"), ("warning", "WARNING", "Warnings"), ("info", "INFO", "Information"))

CSS = """
body{font-family:"DejaVu Sans",Verdana,sans-serif;color:#212529;margin:16px 20px;font-size:14px;max-width:1400px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:26px 0 8px;border-bottom:2px solid #dee2e6}
h3{font-size:15px;margin:14px 0 6px}.muted{color:#495057;font-size:12px}
dl.facts{display:grid;grid-template-columns:max-content auto;gap:2px 14px;margin:10px 0}
dl.facts dt{font-weight:bold}dl.facts dd{margin:0}
table.t{border-collapse:collapse;font-size:13px}table.t th,table.t td{border:1px solid #dee2e6;padding:3px 7px;
text-align:left;vertical-align:top}table.t th{background:#f1f3f5}table.t td.n{text-align:right;
font-variant-numeric:tabular-nums}
.tablewrap{overflow:auto;max-height:32em;display:inline-block;max-width:100%}
.sev{display:inline-block;font-weight:bold;font-size:11px;padding:1px 6px;border-radius:3px;color:#fff;
letter-spacing:.04em}.sev.error{background:#c92a2a}.sev.warning{background:#e67700;color:#000}
.sev.info{background:#1864ab}
.count{font-weight:bold}.ok{color:#2b8a3e;font-weight:bold}
.bar{display:inline-block;width:120px;height:10px;border:1px solid #495057;vertical-align:middle;background:#fff}
.bar span{display:block;height:100%;background:#495057}
.drawing{overflow:auto;max-width:100%;border:1px solid #dee2e6;padding:4px}
pre{background:#f8f9fa;border:1px solid #dee2e6;padding:8px;overflow:auto;font-size:12px}
.sr{position:absolute;left:-9999px}
@media print{.heatwrap,.tablewrap,.drawing{max-height:none;overflow:visible}}
""" + heatmap.CSS


@dataclass(frozen=True)
class ReportInput:
    """Everything the page shows; each part may be empty when the capture lacks it."""

    topology: Topology
    findings: Tuple = ()  # check's findings (code, severity, message, nodes, cpus)
    heap: Optional[object] = None  # analysis.heap.HeapReport: free memory per zone, huge pages
    performance: Tuple = ()  # analysis.hmat_nodes.NodePerformance tables
    placement: Optional[PlacementView] = None
    advice_text: Optional[str] = None  # advise's text answer, shown as is
    title: Optional[str] = None


def _name(topo: Topology) -> str:
    import os

    return topo.source.hostname or os.path.basename(topo.source.path.rstrip("/")) or "this host"


def _kind(n) -> str:
    if n.device_memory:
        return "device memory (%s)" % n.device_memory
    if n.cpus and n.has_memory:
        return "CPUs and memory"
    if n.has_memory:
        return "memory only (no CPU)" if not n.all_cpus else "memory, no online CPU"
    return "CPUs, no memory" if n.cpus else "empty (no CPU, no memory)"


def _summary(inp: ReportInput) -> str:
    topo = inp.topology
    online = topo.online_cpus
    kinds: dict = {}
    for n in topo.nodes:
        kinds.setdefault(_kind(n), []).append(n.id)
    facts = [("Source", "%s (%s)" % (topo.source.path, topo.source.kind)),
             ("Kernel", topo.source.kernel or "unknown"),
             ("NUMA nodes", "%d NUMA nodes: %s" % (len(topo.nodes), "; ".join(
                 "%s: %s" % (k, fold.id_range(v)) for k, v in kinds.items()))),
             ("Packages", str(len(topo.packages))),
             ("CPUs", "%d online of %d, %d cores" % (len(online), len(topo.cpus),
                                                     len({(c.package, c.core) for c in online}))),
             ("Memory", "%s, %s free" % (human_size(sum(n.memory_total_bytes or 0 for n in topo.nodes)),
                                         human_size(sum(n.memory_free_bytes or 0 for n in topo.nodes))))]
    rows = [n.distances for n in topo.nodes]
    if rows and all(r is not None for r in rows):
        facts.append(("Distances", ", ".join(str(d) for d in sorted({d for r in rows for d in r}))))
    counts = {s: sum(1 for f in inp.findings if f.severity == s) for s, _, _ in SEVERITY_LABELS}
    facts.append(("Findings", ", ".join("%d %s" % (counts[s], label.lower() + ("s" if counts[s] != 1 else ""))
                                        for s, label, _ in SEVERITY_LABELS)))
    body = "".join("<dt>%s</dt><dd>%s</dd>" % (esc(k), esc(v)) for k, v in facts)
    return '<dl class="facts">%s</dl>' % body


def _findings(findings: Sequence) -> str:
    if not findings:
        return '<p class="ok">No findings: the firmware tables and the kernel agree.</p>'
    out = []
    folded = fold.fold_findings(findings)
    for sev, label, heading in SEVERITY_LABELS:
        these = [f for f in folded if f.severity == sev]
        if not these:
            continue
        out.append('<h3>%s <span class="count">(%d)</span></h3><table class="t"><thead><tr><th>severity</th>'
                   '<th>code</th><th>where</th><th>what</th></tr></thead><tbody>' % (esc(heading), len(these)))
        for f in these:
            where = "; ".join(w for w in ("nodes " + fold.id_range(f.nodes) if f.nodes else "",
                                          "CPUs " + fold.id_range(f.cpus) if f.cpus else "") if w)
            out.append('<tr><td><span class="sev %s">%s</span></td><td><code>%s</code></td><td>%s</td><td>%s'
                       '</td></tr>' % (sev, label, esc(f.code), esc(where or "-"), esc(f.message)))
        out.append("</tbody></table>")
    return "".join(out)


def _distances(topo: Topology) -> str:
    if not topo.nodes or any(n.distances is None for n in topo.nodes):
        return "<p>The kernel gives no node distances.</p>"
    ids = list(topo.node_ids)
    values = [list(n.distances or ()) for n in topo.nodes]
    cells = [v for r in values for v in r]
    note = ""
    if any(values[i][j] != values[j][i] for i in range(len(ids)) for j in range(len(ids))
           if j < len(values[i]) and i < len(values[j])):
        note = '<p class="muted">Bold underlined cells differ from their mirror: the matrix is asymmetric.</p>'
    scroll = " The matrix scrolls inside its box; the node numbers stay in view." if len(ids) > 16 else ""
    return ('<p class="muted">Node distances as the kernel uses them (node/nodeN/distance, from the SLIT): '
            '10 is local; row = from, column = to. %d x %d.%s</p>%s%s%s' % (
                len(ids), len(ids), scroll, heatmap.legend(cells), heatmap.heat_table(
                    ids, ids, values, "node distances", mark_asymmetric=True), note))


def _performance(tables: Sequence) -> str:
    out = []
    for p in tables:
        cells = [v for r in p.values for v in r if v is not None]
        out.append("<h3>HMAT %s (%s)</h3>%s%s" % (
            esc(p.name), esc(p.unit), heatmap.legend(cells, p.unit, p.lower_is_better),
            heatmap.heat_table(p.initiators, p.targets, p.values, "HMAT " + p.name,
                               corner="initiator \\ target", lower_is_better=p.lower_is_better)))
    return "".join(out)


def _hugepages(pages) -> str:
    shown = ["%s: %d of %d free" % (human_size(h.size_bytes), h.free, h.total) for h in pages if h.total]
    return "; ".join(shown) or "-"


def _memory_rows(inp: ReportInput) -> List[str]:
    heap = {h.id: h for h in (inp.heap.nodes if inp.heap is not None else ())}
    rows = []
    for n in inp.topology.nodes:
        total, free = n.memory_total_bytes, n.memory_free_bytes
        used = "-"
        if total and free is not None:
            pct = 100.0 * (total - free) / total
            used = '<span class="bar" title="%.0f%% used"><span style="width:%.1f%%"></span></span> %.0f%%' % (
                pct, pct, pct)
        h = heap.get(n.id)
        zones = ", ".join("%s %s" % (z.name, human_size(z.free_bytes)) for z in h.zones) if h else "-"
        rows.append('<tr><th scope="row">%d</th><td>%s</td><td>%s</td><td class="n">%s</td><td class="n">%s</td>'
                    '<td>%s</td><td>%s</td><td>%s</td></tr>' % (
                        n.id, esc(_kind(n)), esc(fold.id_range(n.cpus) or "-"),
                        esc(human_size(total) if total else "-"), esc(human_size(free) if free is not None
                                                                       else "-"),
                        used, esc(_hugepages(h.hugepages if h else n.hugepages)), esc(zones or "-")))
    return rows


def _memory(inp: ReportInput) -> str:
    return ('<div class="tablewrap"><table class="t"><thead><tr><th>node</th><th>kind</th><th>CPUs</th>'
            '<th>size</th><th>free</th><th>used</th><th>huge pages</th><th>free by zone (buddy lists)</th></tr>'
            '</thead><tbody>%s</tbody></table></div>' % "".join(_memory_rows(inp)))


def _notes(notes: Sequence[Note]) -> str:
    if not notes:
        return ""
    items = "".join("<li><code>%s</code> %s</li>" % (esc(c), esc(m))
                    for c, m in fold.fold_messages([(n.code, n.message) for n in notes]))
    return "<h2>Notes from reading the machine</h2><ul>%s</ul>" % items


def _hex(value: Optional[str]) -> str:
    return (value or "?")[2:] if (value or "").startswith("0x") else value or "?"


def _devices(topo: Topology) -> str:
    from numaprobe.render.topology_svg import pci_kind

    shown = [d for d in topo.devices if pci_kind(d) != "bridge"]
    if not shown:
        return ""
    rows = "".join('<tr><td><code>%s</code></td><td>%s</td><td>%s</td><td>%s</td></tr>' % (
        esc(d.address), esc(pci_kind(d)), esc("%s:%s" % (_hex(d.vendor), _hex(d.device))),
        esc("node %d" % d.node if d.node is not None else "none (-1)")) for d in shown)
    return ('<h3>PCI devices (bridges left out)</h3><div class="tablewrap"><table class="t"><thead><tr>'
            '<th>address</th><th>kind</th><th>vendor:device</th><th>NUMA node</th></tr></thead><tbody>%s'
            '</tbody></table></div>' % rows)


def report_html(inp: ReportInput) -> str:
    """The whole page."""
    topo = inp.topology
    title = inp.title or "NUMA report: %s" % _name(topo)
    parts = ['<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
             '<meta name="viewport" content="width=device-width, initial-scale=1">'
             '<meta name="generator" content="numaprobe %s"><title>%s</title><style>%s</style></head><body>'
             % (esc(__version__), esc(title), CSS),
             "<h1>%s</h1>" % esc(title),
             '<p class="muted">numaprobe %s, read-only; every number on this page is in its cells and labels, '
             'colours only repeat them.</p>' % esc(__version__),
             _summary(inp), "<h2>Findings</h2>", _findings(inp.findings),
             "<h2>Topology</h2>", '<div class="drawing">%s</div>' % topology_svg(topo, inp.placement)]
    parts += ["<h2>Node distances</h2>", _distances(topo)]
    if inp.performance:
        parts += ["<h2>Memory performance (HMAT)</h2>",
                  '<p class="muted">From the firmware\'s HMAT, as Linux normalises it; rows are initiators '
                  '(CPUs), columns memory targets; "-" where the table gives no value.</p>',
                  _performance(inp.performance)]
    if inp.placement is not None or inp.advice_text:
        parts.append("<h2>Placement advice</h2>")
        if inp.placement is not None:
            parts.append("<p>Drawn on the topology above: %s.</p>" % esc(inp.placement.label))
        parts.append("<pre>%s</pre>" % esc(inp.advice_text or ""))
    parts += ["<h2>Memory and huge pages per node</h2>", _memory(inp), _devices(topo), _notes(topo.notes),
              "</body></html>\n"]
    return "".join(parts)
