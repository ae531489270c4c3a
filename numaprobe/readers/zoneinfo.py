"""/proc/zoneinfo: per node and zone, free pages, watermarks and the spanned/present/managed page counts.

present - managed is what the kernel took for itself at boot (struct pages, the kernel image, crash kernel,
memblock reservations): the reason a node's MemTotal is smaller than its RAM.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional, Tuple

from numaprobe.source.root import Root

CAPTURE_FILES = ("proc/zoneinfo",)


@dataclass(frozen=True)
class ZoneInfo:
    node: int
    zone: str
    free_pages: Optional[int]
    min_pages: Optional[int]
    low_pages: Optional[int]
    high_pages: Optional[int]
    spanned_pages: Optional[int]
    present_pages: Optional[int]
    managed_pages: Optional[int]
    start_pfn: Optional[int]


_FIELDS = {"free": "free_pages", "min": "min_pages", "low": "low_pages", "high": "high_pages",
           "spanned": "spanned_pages", "present": "present_pages", "managed": "managed_pages",
           "start_pfn:": "start_pfn"}


def parse_zoneinfo(text: Optional[str]) -> Tuple[ZoneInfo, ...]:
    out = []
    cur: Optional[Dict[str, object]] = None
    for line in (text or "").splitlines():
        if line.startswith("Node "):
            if cur is not None:
                out.append(ZoneInfo(**cur))  # type: ignore[arg-type]
            cur = None
            head, sep, rest = line.partition(", zone")
            try:
                node = int(head.split()[1])
            except (IndexError, ValueError):
                continue
            if sep and rest.split():
                cur = {"node": node, "zone": rest.split()[0]}
                cur.update({v: None for v in _FIELDS.values()})
            continue
        if cur is None:
            continue
        words = line.split()
        if words[:2] == ["pages", "free"] and len(words) >= 3:
            words = words[1:]  # "  pages free     3712" (6.x) vs "  free 3712"
        if len(words) == 2 and words[0] in _FIELDS and cur.get(_FIELDS[words[0]]) is None:
            try:
                cur[_FIELDS[words[0]]] = int(words[1])
            except ValueError:
                pass
    if cur is not None:
        out.append(ZoneInfo(**cur))  # type: ignore[arg-type]
    return tuple(out)


def read_zoneinfo(root: Root) -> Tuple[ZoneInfo, ...]:
    return parse_zoneinfo(root.read_text("proc/zoneinfo"))
