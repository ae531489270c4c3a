"""Render `numastat`: JSON (docs/json.md), text (numastat-like tables), Prometheus textfile (node_exporter style)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

from numaprobe import SCHEMA_VERSION
from numaprobe.analysis.heap import HeapReport, ProcessPlacement
from numaprobe.readers.cpumask import format_cpulist

KERNEL_COUNTERS = ("numa_hit", "numa_miss", "numa_foreign", "interleave_hit", "local_node", "other_node")
MiB = float(1 << 20)


def heap_nodes_json(report: HeapReport) -> List[Dict[str, Any]]:
    return [{
        "id": n.id,
        "memory_total_bytes": n.memory_total_bytes,
        "memory_free_bytes": n.memory_free_bytes,
        "zones": [{"name": z.name, "free_blocks": list(z.free_blocks), "free_bytes": z.free_bytes} for z in n.zones],
        "hugepages": [{"size_bytes": h.size_bytes, "total": h.total, "free": h.free} for h in n.hugepages],
        "counters": dict(n.counters),
    } for n in report.nodes]


def _ratio(v: Optional[float]) -> Optional[float]:
    return None if v is None else round(v, 6)


def processes_json(procs: Sequence[ProcessPlacement]) -> List[Dict[str, Any]]:
    return [{
        "pid": p.pid,
        "name": p.name,
        "cmdline": list(p.cmdline),
        "bytes_by_node": {str(n): b for n, b in p.bytes_by_node},
        "bytes_by_node_and_kind": {str(n): dict(c) for n, c in p.categories_by_node},
        "cpus_allowed": list(p.cpus_allowed) if p.cpus_allowed is not None else None,
        "cpus_last_ran": list(p.last_cpus),
        "cpu_nodes": list(p.cpu_nodes),
        "local_fraction": _ratio(p.local_fraction),
        "distance_weighted": _ratio(p.distance_weighted),
        "numa_maps_readable": p.readable,
    } for p in procs]


def to_json(report: HeapReport, procs: Optional[Sequence[ProcessPlacement]] = None) -> Dict[str, Any]:
    doc: Dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "page_size": report.page_size,
        "nodes": heap_nodes_json(report),
        "notes": [{"code": n.code, "message": n.message} for n in report.notes],
    }
    if procs is not None:
        doc["processes"] = processes_json(procs)
    return doc



# -- text ---------------------------------------------------------------------------------------------------
def _table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> List[str]:
    # numastat's layout: a 16-wide left column, 16-wide right-aligned value columns, a dash rule.
    out = ["", title, "%-16s" % "" + "".join("%16s" % h for h in header),
           "%-16s" % "" + "".join(" " + "-" * 15 for _ in header)]
    for r in rows:
        out.append("%-16s" % r[0] + "".join("%16s" % v for v in r[1:]))
    return out


def _mb(v: Optional[int]) -> str:
    return "-" if v is None else "%.2f" % (v / MiB)


def to_text(report: HeapReport, procs: Optional[Sequence[ProcessPlacement]] = None) -> str:
    lines: List[str] = []
    if procs is not None:
        lines += _process_text(procs)
        return "\n".join(lines).lstrip("\n") + "\n"
    nodes = report.nodes
    header = ["Node %d" % n.id for n in nodes] + ["Total"]

    def total(vals):
        known = [v for v in vals if v is not None]
        return sum(known) if known else None

    rows = []
    for label, get in (("MemTotal", lambda n: n.memory_total_bytes), ("MemFree", lambda n: n.memory_free_bytes),
                       ("HeapFree", lambda n: sum(z.free_bytes for z in n.zones) if n.zones else None)):
        vals = [get(n) for n in nodes]
        rows.append([label] + [_mb(v) for v in vals] + [_mb(total(vals))])
    sizes = sorted({h.size_bytes for n in nodes for h in n.hugepages})
    for size in sizes:
        for kind in ("total", "free"):
            vals = [sum(getattr(h, kind) for h in n.hugepages if h.size_bytes == size) for n in nodes]
            label = "Huge%s_%s" % ("%dM" % (size >> 20) if size < 1 << 30 else "%dG" % (size >> 30), kind)
            rows.append([label] + [str(v) for v in vals] + [str(sum(vals))])
    lines += _table("Per-node memory (in MBs; huge pages in pages):", header, rows)
    rows = []
    for name in KERNEL_COUNTERS:
        vals = [dict(n.counters).get(name) for n in nodes]
        rows.append([name] + ["-" if v is None else str(v) for v in vals] + [str(total(vals) or 0)])
    lines += _table("Per-node numastat counters (allocations):", header, rows)
    max_orders = max((len(z.free_blocks) for n in nodes for z in n.zones), default=0)
    lines += ["", "Free heap per node, zone and order (free blocks, as /proc/buddyinfo):",
              "%-18s" % "node zone" + "".join("%7d" % o for o in range(max_orders)) + "%12s" % "free MB"]
    for n in nodes:
        for z in n.zones:
            lines.append("%-18s" % ("%d %s" % (n.id, z.name)) + "".join("%7d" % c for c in z.free_blocks)
                         + " " * 7 * (max_orders - len(z.free_blocks)) + "%12.2f" % (z.free_bytes / MiB))
    for note in report.notes:
        lines.append("note: %s" % note.message)
    return "\n".join(lines).lstrip("\n") + "\n"


def _process_text(procs: Sequence[ProcessPlacement]) -> List[str]:
    nodes = sorted({n for p in procs for n, _ in p.bytes_by_node} | {n for p in procs for n in p.cpu_nodes})
    header = ["Node %d" % n for n in nodes] + ["Total"]
    lines: List[str] = []
    for p in procs:
        cats = {n: dict(c) for n, c in p.categories_by_node}
        rows = []
        for label, keys in (("Huge", ("huge",)), ("Heap", ("heap",)), ("Stack", ("stack",)),
                            ("Private", ("file", "anon"))):
            vals = [sum(cats.get(n, {}).get(k, 0) for k in keys) for n in nodes]
            rows.append([label] + [_mb(v) for v in vals] + [_mb(sum(vals))])
        vals = [dict(p.bytes_by_node).get(n, 0) for n in nodes]
        rows.append(["Total"] + [_mb(v) for v in vals] + [_mb(sum(vals))])
        lines += _table("Per-node process memory usage (in MBs) for PID %d (%s)" % (p.pid, _printable(p.name)),
                        header, rows)
        if not p.readable:
            lines.append("numa_maps not readable (another user's process? run as root)")
        verdict = "n/a" if p.local_fraction is None else "%.1f%% on its CPUs' nodes, distance-weighted access %.3f (1 = all local)" % (
            100 * p.local_fraction, p.distance_weighted)
        lines.append("CPUs allowed %s (nodes %s), last ran on %s; locality: %s" % (
            format_cpulist(p.cpus_allowed or ()) or "-", format_cpulist(p.cpu_nodes) or "-",
            format_cpulist(p.last_cpus) or "-", verdict))
    return lines


def _printable(text: str) -> str:
    """Control characters escaped: any user can name a process "\x1b]0;..." (prctl) to drive our terminal."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


# -- Prometheus textfile ------------------------------------------------------------------------------------
def _esc(v: str) -> str:
    return v.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def to_prometheus(report: HeapReport, procs: Optional[Sequence[ProcessPlacement]] = None) -> str:
    """node_exporter textfile collector format: numaprobe_ prefix, base units (bytes), HELP and TYPE once each."""
    metrics: Dict[str, List[str]] = {}
    meta: Dict[str, tuple] = {}

    def add(name: str, mtype: str, help_text: str, labels: Dict[str, Any], value: Any) -> None:
        if value is None:
            return
        meta.setdefault(name, (mtype, help_text))
        lab = ",".join('%s="%s"' % (k, _esc(str(v))) for k, v in labels.items())
        metrics.setdefault(name, []).append("%s{%s} %s" % (name, lab, value) if lab else "%s %s" % (name, value))

    for n in report.nodes:
        node = {"node": n.id}
        add("numaprobe_node_memory_total_bytes", "gauge", "Memory the kernel manages on the node (MemTotal).",
            node, n.memory_total_bytes)
        add("numaprobe_node_memory_free_bytes", "gauge", "Free memory on the node (MemFree).", node,
            n.memory_free_bytes)
        for z in n.zones:
            add("numaprobe_node_zone_free_bytes", "gauge", "Free memory in the zone's buddy free lists.",
                {"node": n.id, "zone": z.name}, z.free_bytes)
            for order, count in enumerate(z.free_blocks):
                add("numaprobe_node_zone_free_blocks", "gauge",
                    "Free buddy blocks of 2^order pages in the zone (/proc/buddyinfo).",
                    {"node": n.id, "zone": z.name, "order": order}, count)
        for h in n.hugepages:
            lab = {"node": n.id, "size_bytes": h.size_bytes}
            add("numaprobe_node_hugepages", "gauge", "Huge pages reserved on the node.", lab, h.total)
            add("numaprobe_node_hugepages_free", "gauge", "Free huge pages on the node.", lab, h.free)
        for name, value in n.counters:
            if name in KERNEL_COUNTERS:
                add("numaprobe_node_%s_total" % name, "counter",
                    "Kernel NUMA allocation counter %s (node/nodeN/numastat), in allocations." % name, node, value)
    for p in procs or ():
        for n, b in p.bytes_by_node:
            add("numaprobe_process_memory_bytes", "gauge", "Process memory resident on the node (numa_maps).",
                {"pid": p.pid, "name": p.name, "node": n}, b)
        add("numaprobe_process_local_ratio", "gauge",
            "Share of the process memory on the nodes of the CPUs it may run on.", {"pid": p.pid, "name": p.name},
            None if p.local_fraction is None else round(p.local_fraction, 6))
        add("numaprobe_process_distance_weighted_access_ratio", "gauge",
            "Mean SLIT distance / 10 of the memory from the CPUs the threads last ran on (1 = all local).",
            {"pid": p.pid, "name": p.name}, None if p.distance_weighted is None else round(p.distance_weighted, 6))
    out: List[str] = []
    for name, lines in metrics.items():
        mtype, help_text = meta[name]
        out += ["# HELP %s %s" % (name, help_text), "# TYPE %s %s" % (name, mtype)] + lines
    return "\n".join(out) + "\n"
