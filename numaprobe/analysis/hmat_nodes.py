"""The firmware's HMAT as node x node tables (initiator node rows, target node columns), for people to read:
latency in ns and bandwidth in MB/s as Linux normalises them (drivers/acpi/numa/hmat.c hmat_normalize()), the
proximity domains numbered as nodes by Linux's rule (analysis/pxm.py). Only memory-level (hierarchy 0)
structures, the ones Linux publishes in node/nodeN/accessN; a pair the table leaves out stays None: nothing is
estimated here (advise does its own filling in, from the SLIT)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional, Tuple

from numaprobe.analysis.checks.hmat import hmat_perf as hmat_perf_by_pxm
from numaprobe.analysis.pxm import pxm_to_node

# (shown name, unit, sysfs-style attributes that carry it)
_KINDS = (("latency", "ns", ("read_latency", "write_latency")),
          ("bandwidth", "MB/s", ("read_bandwidth", "write_bandwidth")))


@dataclass(frozen=True)
class NodePerformance:
    name: str  # "read latency", "access bandwidth", ...
    unit: str  # ns | MB/s
    initiators: Tuple[int, ...]  # node ids of the rows
    targets: Tuple[int, ...]  # node ids of the columns
    values: Tuple[Tuple[Optional[int], ...], ...]
    lower_is_better: bool


def _matrix(by_node: Dict[Tuple[int, int], Dict[str, int]], attr: str):
    pairs = [(i, t) for (i, t), attrs in by_node.items() if attr in attrs]
    rows = tuple(sorted({i for i, _ in pairs}))
    cols = tuple(sorted({t for _, t in pairs}))
    return rows, cols, tuple(tuple(by_node.get((i, t), {}).get(attr) for t in cols) for i in rows)


def hmat_node_performance(tables) -> Tuple[NodePerformance, ...]:
    """Latency and bandwidth tables of a NumaTables (acpi.load_numa_tables); () without HMAT or SRAT.
    Read and write are one "access" table when the firmware gives them equal (HMAT data types 0 and 3)."""
    if tables is None or tables.hmat is None or tables.srat is None:
        return ()
    node_of = pxm_to_node(tables.srat.entries)
    by_node: Dict[Tuple[int, int], Dict[str, int]] = {}
    for (ipxm, tpxm), attrs in hmat_perf_by_pxm(tables.hmat).items():
        if ipxm in node_of and tpxm in node_of:
            by_node[(node_of[ipxm], node_of[tpxm])] = attrs
    out = []
    for name, unit, (read, write) in _KINDS:
        r, w = _matrix(by_node, read), _matrix(by_node, write)
        if r[2] and r == w:
            out.append(NodePerformance("access " + name, unit, r[0], r[1], r[2], name == "latency"))
            continue
        for label, (rows, cols, values) in (("read " + name, r), ("write " + name, w)):
            if values:
                out.append(NodePerformance(label, unit, rows, cols, values, name == "latency"))
    return tuple(out)
