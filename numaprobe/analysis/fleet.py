"""Compare the machines of a fleet: group them by hardware model and name those whose NUMA shape differs from the
majority of their group, each with its reasons. A function of the rows (analysis/fleet_row.py) only.

The result is one plain, documented structure (docs/fleet.md, docs/json.md "fleet"): `fleet --json` prints it and
renderers (text, CSV, JSON lines, HTML) take it as it is.

Rules (docs/fleet.md has the reasoning):
- the group of a machine is its DMI "vendor product" (machines without DMI form one group);
- for each criterion, the group's majority value is the one more than half of the group's readable machines
  share; a machine differing from it is an outlier on that criterion. With no such value the criterion is
  "mixed" for the group and names nobody;
- criteria: node count, kernel NUMA mode, inferred SNC/NPS mode, error and warning finding codes; and when the
  node count is the group's: CPUs per node, CPU ids per node, memory per node, the distance matrix;
- memory per node differs when it is off the group's median for that node by more than a DIMM's worth:
  half the smallest DIMM a node of that size plausibly has, taken as 1/16 of the median (8 DIMMs a node), at
  least 64 MiB. A dead DIMM takes a whole DIMM away; identical machines differ by boot-time reservations
  (well under 1 %).
"""

from __future__ import annotations

from collections import Counter
from statistics import median
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from numaprobe import SCHEMA_VERSION

MIN_DIMM_TOLERANCE = 64 << 20
NO_DMI = None


def dimm_tolerance(median_bytes: float) -> int:
    return max(int(median_bytes) // 16, MIN_DIMM_TOLERANCE)


def _serious(row: Dict[str, Any]) -> Tuple[str, ...]:
    return tuple(c for c in row["finding_codes"] or () if not c.startswith("info:"))


def _nested(value: Any) -> Any:
    return tuple(_nested(v) for v in value) if isinstance(value, list) else value


def _majority(values: Sequence[Any]) -> Tuple[bool, Any]:
    """(True, value) when more than half of `values` are equal to value."""
    if not values:
        return False, None
    value, count = Counter(values).most_common(1)[0]
    return count * 2 > len(values), value


def _fmt_list(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, tuple):
        return "[" + ", ".join(_fmt_list(v) for v in value) + "]"
    return str(value)


# name, the row's value, whether it needs the group's node count
CRITERIA: Tuple[Tuple[str, Callable[[Dict[str, Any]], Any], bool], ...] = (
    ("node count", lambda r: r["nodes"], False),
    ("kernel NUMA mode", lambda r: r["numa_mode"], False),
    ("mode", lambda r: r["mode"], False),
    ("findings", _serious, False),
    ("CPUs per node", lambda r: _nested(r["cpus_per_node"]), True),
    ("CPU ids per node", lambda r: _nested(r["node_cpus"]), True),
    ("distance matrix", lambda r: _nested(r["distances"]), True),
)


def _reason(name: str, value: Any, majority: Any, share: str) -> str:
    if name == "findings":
        extra = sorted(set(value) - set(majority))
        missing = sorted(set(majority) - set(value))
        parts = (["has %s" % ", ".join(extra)] if extra else []) + (["lacks %s" % ", ".join(missing)] if missing
                                                                      else [])
        return "findings: %s (%s have %s)" % ("; ".join(parts), share, _fmt_list(majority) if majority else "none")
    return "%s: %s (%s have %s)" % (name, _fmt_list(value), share, _fmt_list(majority))


def _memory_reasons(rows: Sequence[Dict[str, Any]], reasons: List[List[str]], majority: Dict[str, Any]) -> None:
    count = len(rows[0]["memory_per_node_bytes"]) if rows else 0
    medians = []
    for j in range(count):
        values = [r["memory_per_node_bytes"][j] for r in rows if r["memory_per_node_bytes"][j] is not None]
        medians.append(median(values) if values else None)
    majority["memory_per_node_bytes"] = [None if m is None else int(m) for m in medians]
    for i, r in enumerate(rows):
        for j, (mem, med) in enumerate(zip(r["memory_per_node_bytes"], medians)):
            if mem is None or med is None:
                continue
            tol = dimm_tolerance(med)
            if abs(mem - med) > tol:
                reasons[i].append("memory of node %d: %d MiB, %s the group's median %d MiB by more than a DIMM's "
                                  "worth (%d MiB)" % (r["node_ids"][j], mem >> 20,
                                                      "below" if mem < med else "above", int(med) >> 20, tol >> 20))


def compare_group(rows: Sequence[Dict[str, Any]]) -> Tuple[Dict[str, Any], List[str], List[List[str]]]:
    """(majority values, criteria without a majority, the reasons of each row) for one group's readable rows."""
    reasons: List[List[str]] = [[] for _ in rows]
    majority: Dict[str, Any] = {}
    mixed: List[str] = []
    ok_count, node_count = _majority([r["nodes"] for r in rows])
    same_shape = [i for i, r in enumerate(rows) if ok_count and r["nodes"] == node_count]
    for name, key, needs_shape in CRITERIA:
        members = same_shape if needs_shape else list(range(len(rows)))
        ok, value = _majority([key(rows[i]) for i in members])
        if not ok:
            if members:
                mixed.append(name)
            continue
        majority[name] = value
        for i in members:
            if name == "CPU ids per node" and any(r.startswith("CPUs per node") for r in reasons[i]):
                continue  # the counts differ already: the ids say nothing more
            if key(rows[i]) != value:
                reasons[i].append(_reason(name, key(rows[i]), value, "%d of %d" % (
                    sum(1 for k in members if key(rows[k]) == value), len(members))))
    shaped = [rows[i] for i in same_shape]
    shaped_reasons = [reasons[i] for i in same_shape]
    _memory_reasons(shaped, shaped_reasons, majority)
    return majority, mixed, reasons


def _group_doc(model: Optional[str], rows: List[Dict[str, Any]]) -> Dict[str, Any]:
    readable = [r for r in rows if r["error"] is None]
    majority, mixed, reasons = compare_group(readable)
    for r, why in zip(readable, reasons):
        r["outlier"] = bool(why)
        r["outlier_reasons"] = why
    bios: Dict[Optional[str], Dict[str, Any]] = {}
    for r in readable:
        b = bios.setdefault(r["bios_version"], {"bios_version": r["bios_version"], "machines": 0, "findings": {}})
        b["machines"] += 1
        for code in _serious(r):
            b["findings"][code] = b["findings"].get(code, 0) + 1
    return {
        "model": model,
        "machines": len(rows),
        "majority": {k: (list(v) if isinstance(v, tuple) else v) for k, v in _json_ready(majority).items()},
        "mixed": mixed,
        "outliers": [r["path"] for r in readable if r["outlier"]],
        "bios_versions": sorted(bios.values(), key=lambda b: str(b["bios_version"])),
    }


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_json_ready(v) for v in value]
    return value


def compare_fleet(rows: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    """The fleet document: every row (with "group", "outlier", "outlier_reasons"), the groups and a summary."""
    machines = [dict(r) for r in rows]
    by_model: Dict[Optional[str], List[Dict[str, Any]]] = {}
    for r in machines:
        r["group"] = r.get("model")
        r["outlier"] = False
        r["outlier_reasons"] = []
        if r["error"] is None:  # an unreadable machine has no model; it is counted in the summary, not a group
            by_model.setdefault(r["group"], []).append(r)
    groups = [_group_doc(model, members) for model, members in
              sorted(by_model.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))]
    errors = sum(1 for r in machines if r["error"] is not None)
    outliers = sum(1 for r in machines if r["outlier"])
    return {
        "schema_version": SCHEMA_VERSION,
        "summary": {"machines": len(machines), "errors": errors, "outliers": outliers, "groups": len(groups),
                    "uniform": errors == 0 and outliers == 0},
        "groups": groups,
        "machines": machines,
    }
