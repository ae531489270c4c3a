"""What every check shares: the Finding record and the formatting of ids, ranges and sizes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Tuple

from numaprobe.codes import ERROR, INFO, SEVERITIES, WARNING  # noqa: F401  (re-exported for the checks)
from numaprobe.distance import LOCAL_DISTANCE, REMOTE_DISTANCE  # noqa: F401  (re-exported for the checks)
from numaprobe.ranges import Range
from numaprobe.readers.cpumask import format_cpulist

UNREACHABLE = 0xFF
MiB = 1 << 20
# Linux 6.12 memblock_validate_numa_coverage(SZ_1M): up to 1 MiB of RAM without a node is tolerated.
COVERAGE_SLACK = MiB


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str  # error | warning | info
    message: str
    nodes: Tuple[int, ...] = ()
    cpus: Tuple[int, ...] = ()
    ranges: Tuple[Range, ...] = ()
    # Findings that only follow from this one (a root cause): reported with it, not counted on their own.
    consequences: Tuple["Finding", ...] = ()

    def to_json(self) -> dict:
        return {"code": self.code, "severity": self.severity, "message": self.message, "nodes": list(self.nodes),
                "cpus": list(self.cpus), "ranges": [{"start": s, "end": e} for s, e in self.ranges],
                "consequences": [c.to_json() for c in self.consequences]}


def fmt_ids(ids: Iterable[int]) -> str:
    return format_cpulist(sorted(set(ids))) or "none"


def fmt_range(r: Range) -> str:
    return "[mem %#010x-%#010x]" % (r[0], r[1] - 1)


def fmt_size(n: int) -> str:
    return "%d MiB" % (n // MiB) if n >= MiB else "%d KiB" % (n // 1024)
