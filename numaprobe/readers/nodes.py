"""sys/devices/system/node: which nodes exist, their CPUs, memory, distances and huge pages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional, Tuple

from numaprobe.readers.cpumask import parse_cpulist, parse_cpumask
from numaprobe.readers.meminfo import read_node_meminfo
from numaprobe.source.root import Root

NODE_DIR = "sys/devices/system/node"
CAPTURE_TREES = (NODE_DIR,)  # cpulist/cpumap, distance, meminfo, numastat, hugepages, accessN, memoryN links
_NODE_RE = re.compile(r"^node(\d+)$")
_HUGE_RE = re.compile(r"^hugepages-(\d+)kB$")


@dataclass(frozen=True)
class RawHugePages:
    size_bytes: int
    total: Optional[int]
    free: Optional[int]


@dataclass(frozen=True)
class RawNode:
    id: int
    cpus: Optional[Tuple[int, ...]]  # None when neither cpulist nor cpumap is readable
    cpus_from: str  # "cpulist", "cpumap" or "none"
    memory_total_bytes: Optional[int]
    memory_free_bytes: Optional[int]
    distance_row: Optional[Tuple[int, ...]]  # as the file says, length unchecked
    hugepages: Tuple[RawHugePages, ...]
    # what the kernel can reclaim without swapping: Inactive(file) + SReclaimable; None when neither is listed
    memory_reclaimable_bytes: Optional[int] = None


def list_node_dirs(root: Root) -> Tuple[int, ...]:
    return tuple(sorted(int(m.group(1)) for m in map(_NODE_RE.match, root.try_listdir(NODE_DIR)) if m))


def read_node_state(root: Root, state: str) -> Optional[Tuple[int, ...]]:
    """node/online, node/possible, node/has_cpu, node/has_memory, node/has_normal_memory (cpulist syntax)."""
    return parse_cpulist(root.read_text("%s/%s" % (NODE_DIR, state)))


def parse_distance_row(text: Optional[str]) -> Optional[Tuple[int, ...]]:
    if text is None:
        return None
    try:
        row = tuple(int(v) for v in text.split())
    except ValueError:
        return None
    return row or None


def read_node_hugepages(root: Root, node_id: int) -> Tuple[RawHugePages, ...]:
    base = "%s/node%d/hugepages" % (NODE_DIR, node_id)
    out: List[RawHugePages] = []
    for name in root.try_listdir(base):
        m = _HUGE_RE.match(name)
        if not m:
            continue
        total = root.read_text("%s/%s/nr_hugepages" % (base, name))
        free = root.read_text("%s/%s/free_hugepages" % (base, name))
        out.append(RawHugePages(
            size_bytes=int(m.group(1)) * 1024,
            total=int(total) if total and total.isdigit() else None,
            free=int(free) if free and free.isdigit() else None,
        ))
    return tuple(sorted(out, key=lambda h: h.size_bytes))


def read_node(root: Root, node_id: int) -> RawNode:
    base = "%s/node%d" % (NODE_DIR, node_id)
    cpus = parse_cpulist(root.read_text(base + "/cpulist"))
    cpus_from = "cpulist"
    if cpus is None:
        # Kernels before 2.6.2x have no cpulist in node dirs; hwloc itself only ever reads cpumap.
        cpus = parse_cpumask(root.read_text(base + "/cpumap"))
        cpus_from = "cpumap" if cpus is not None else "none"
    mem = read_node_meminfo(root, node_id)
    return RawNode(
        id=node_id,
        cpus=cpus,
        cpus_from=cpus_from,
        memory_total_bytes=mem.get("MemTotal"),
        memory_free_bytes=mem.get("MemFree"),
        distance_row=parse_distance_row(root.read_text(base + "/distance")),
        hugepages=read_node_hugepages(root, node_id),
        memory_reclaimable_bytes=(mem.get("Inactive(file)", 0) + mem.get("SReclaimable", 0)
                                  if "Inactive(file)" in mem or "SReclaimable" in mem else None),
    )
