"""/proc/PID/numa_maps: where a process's memory lives, per node, split like `numastat -p`.

Each line is one mapping: "<addr> <policy> [file=PATH|heap|stack|huge] ... N0=12 N1=3 kernelpagesize_kB=4".
The N<node>=<pages> counts are in the mapping's kernel page size (hugetlb mappings count huge pages; THP in
anonymous mappings is counted in base pages). A mapping is classified once, as numastat.c does: "huge" first,
then heap, stack, then file-backed, else anonymous. numastat's "Private" row is file + anon.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from numaprobe.source.root import Root

CATEGORIES = ("huge", "heap", "stack", "file", "anon")
CAPTURE_DETAIL_FILES = ("numa_maps",)
CAPTURE_FILES = ("proc/meminfo",)  # Hugepagesize


@dataclass(frozen=True)
class NodeUsage:
    node: int
    huge: int = 0  # bytes
    heap: int = 0
    stack: int = 0
    file: int = 0
    anon: int = 0

    @property
    def private(self) -> int:
        return self.file + self.anon

    @property
    def total(self) -> int:
        return self.huge + self.heap + self.stack + self.file + self.anon


@dataclass(frozen=True)
class NumaMaps:
    nodes: Tuple[NodeUsage, ...]  # ascending node id, only nodes that hold pages
    mappings: int
    skipped_lines: int  # lines that did not look like a mapping

    @property
    def bytes_by_node(self) -> Dict[int, int]:
        return {u.node: u.total for u in self.nodes}

    @property
    def total(self) -> int:
        return sum(u.total for u in self.nodes)


def _category(tokens: List[str]) -> str:
    if any(t.startswith("huge") for t in tokens):
        return "huge"
    if "heap" in tokens:
        return "heap"
    if "stack" in tokens or any(t.startswith("stack:") for t in tokens):  # "stack:TID" before Linux 4.5
        return "stack"
    if any(t.startswith("file=") for t in tokens):
        return "file"
    return "anon"


def parse_numa_maps(text: Optional[str], page_size: int = 4096, huge_page_size: int = 2 << 20) -> NumaMaps:
    acc: Dict[int, Dict[str, int]] = {}
    mappings = skipped = 0
    for line in (text or "").splitlines():
        tokens = line.split()
        if len(tokens) < 2:
            continue
        try:
            int(tokens[0], 16)
        except ValueError:
            skipped += 1
            continue
        mappings += 1
        cat = _category(tokens[2:])
        unit = huge_page_size if cat == "huge" else page_size
        counts = []
        for t in tokens[2:]:
            if t.startswith("kernelpagesize_kB="):
                try:
                    unit = int(t.split("=", 1)[1]) * 1024
                except ValueError:
                    pass
            elif t.startswith("N") and "=" in t:
                k, _, v = t[1:].partition("=")
                if k.isdigit() and v.isdigit():
                    counts.append((int(k), int(v)))
        for node, pages in counts:
            d = acc.setdefault(node, dict.fromkeys(CATEGORIES, 0))
            d[cat] += pages * unit
    nodes = tuple(NodeUsage(n, **acc[n]) for n in sorted(acc))
    return NumaMaps(nodes, mappings, skipped)


def huge_page_size(root: Root) -> int:
    """Default huge page size from /proc/meminfo "Hugepagesize:", 2 MiB when unknown."""
    for line in (root.read_text("proc/meminfo") or "").splitlines():
        if line.startswith("Hugepagesize:"):
            try:
                return int(line.split()[1]) * 1024
            except (IndexError, ValueError):
                break
    return 2 << 20


def read_numa_maps(root: Root, pid: int, huge: Optional[int] = None) -> Optional[NumaMaps]:
    """None when the process is gone or its numa_maps is unreadable (another user's process, no NUMA kernel).
    `huge`: the default huge page size, when already known (huge_page_size)."""
    text = root.read_text("proc/%d/numa_maps" % pid)
    if text is None:
        return None
    return parse_numa_maps(text, huge_page_size=huge if huge is not None else huge_page_size(root))
