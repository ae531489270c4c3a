"""HMAT against the kernel's nodeN/accessY files (drivers/acpi/numa/hmat.c)."""

from __future__ import annotations

from typing import Dict, List, Sequence, Tuple

from numaprobe.analysis.checks.base import WARNING, Finding, fmt_ids
from numaprobe.analysis.checks.context import CheckContext
from numaprobe.codes import HMAT_MISMATCH

_HMAT_ATTRS = {0: ("read_latency", "write_latency"), 1: ("read_latency",), 2: ("write_latency",),
               3: ("read_bandwidth", "write_bandwidth"), 4: ("read_bandwidth",), 5: ("write_bandwidth",)}


def hmat_perf(hmat) -> Dict[Tuple[int, int], Dict[str, int]]:
    """(initiator PXM, target PXM) -> {attribute: value as Linux normalises it} from memory-level structures."""
    perf: Dict[Tuple[int, int], Dict[str, int]] = {}
    for data_type, ini, tgt, v in hmat.memory_locality():
        for attr in _HMAT_ATTRS.get(data_type, ()):
            perf.setdefault((ini, tgt), {})[attr] = v
    return perf


def _best_initiators(perf, cands: Sequence[int], tpxm: int) -> Tuple[List[int], Dict[str, int]]:
    """Linux hmat.c: keep the initiators that are best (lowest latency, highest bandwidth) for every attribute."""
    keep = set(cands)
    best: Dict[str, int] = {}
    for attr in ("read_latency", "write_latency", "read_bandwidth", "write_bandwidth"):
        vals = {p: perf[(p, tpxm)][attr] for p in cands if attr in perf.get((p, tpxm), {})}
        if not vals:
            continue
        pick = min(vals.values()) if attr.endswith("latency") else max(vals.values())
        best[attr] = pick
        keep &= {p for p, v in vals.items() if v == pick}
    return sorted(keep), best


def _expected(ctx: CheckContext, perf, attached, access) -> Tuple[List[int], Dict[str, int]]:
    """(best initiator PXMs, their values) for one nodeN/accessY, or ([], {}) when sysfs need not show it."""
    pxm_node = ctx.pxm_node
    cpu_nodes = {n.id for n in ctx.topo.nodes if n.has_cpu}
    tpxm = ctx.node_pxm.get(access.node)
    if tpxm is None:
        return [], {}
    cands = [p for (p, t) in perf if t == tpxm and p in pxm_node]
    if access.access == 1:
        cands = [p for p in cands if pxm_node[p] in cpu_nodes]
    if tpxm in attached and attached[tpxm] in pxm_node:
        # A type-0 "attached initiator" pins the target's local initiator (hmat.c); access1 keeps it only when
        # that initiator's node has CPUs.
        if access.access == 1 and pxm_node[attached[tpxm]] not in cpu_nodes:
            return [], {}
        return [attached[tpxm]], perf.get((attached[tpxm], tpxm), {})
    return _best_initiators(perf, cands, tpxm)


def run_hmat(ctx: CheckContext) -> List[Finding]:
    access = ctx.kernel.access
    if not access:
        return []
    if ctx.hmat is None:
        if any(a.initiators for a in access):
            return [Finding(HMAT_MISMATCH, WARNING, "sysfs has accessN initiator links but there is no HMAT to "
                            "derive them from", nodes=tuple(sorted({a.node for a in access})))]
        return []
    perf = hmat_perf(ctx.hmat)
    attached = {s.memory_proximity_domain: s.initiator_proximity_domain for s in ctx.hmat.of_type(0)
                if s.initiator_pd_valid}
    out: List[Finding] = []
    for a in access:
        best_inits, values = _expected(ctx, perf, attached, a)
        problems = []
        want_nodes = tuple(sorted({ctx.pxm_node[p] for p in best_inits}))
        if want_nodes and a.initiators and want_nodes != a.initiators:
            problems.append("initiators: HMAT node(s) %s, sysfs %s" % (fmt_ids(want_nodes), fmt_ids(a.initiators)))
        for attr, v in sorted(values.items()):
            got = getattr(a, attr)
            if got is not None and got != v:
                problems.append("%s: HMAT %d, sysfs %d" % (attr, v, got))
        if problems:
            out.append(Finding(HMAT_MISMATCH, WARNING,
                               "node %d access%d differs from HMAT (%s): tiering and placement tools that read "
                               "sysfs get the wrong performance" % (a.node, a.access, "; ".join(problems)),
                               nodes=(a.node,)))
    return out
