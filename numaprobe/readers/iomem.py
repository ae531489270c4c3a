"""/proc/iomem: the physical address map; numaprobe uses its top-level "System RAM" ranges.

Read by a non-root user, every address is printed as 0 (kernel.kptr_restrict-style hiding since 4.x); such a
file says nothing, and `readable` is False.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Tuple

from numaprobe.source.root import Root

CAPTURE_FILES = ("proc/iomem",)

_LINE = re.compile(r"^( *)([0-9a-fA-F]+)-([0-9a-fA-F]+) : (.*)$")


@dataclass(frozen=True)
class IomemEntry:
    start: int
    end: int  # exclusive
    name: str
    depth: int  # nesting level: 0 for top-level entries


@dataclass(frozen=True)
class Iomem:
    entries: Tuple[IomemEntry, ...]
    readable: bool  # False when missing or when every address was hidden (read without root)

    def system_ram(self) -> Tuple[Tuple[int, int], ...]:
        return tuple((e.start, e.end) for e in self.entries if e.depth == 0 and e.name == "System RAM")


def parse_iomem(text: Optional[str]) -> Iomem:
    entries = []
    for line in (text or "").splitlines():
        m = _LINE.match(line)
        if not m:
            continue
        start, last = int(m.group(2), 16), int(m.group(3), 16)
        if last < start:
            continue
        entries.append(IomemEntry(start, last + 1, m.group(4).strip(), len(m.group(1)) // 2))
    readable = any(e.start or e.end > 1 for e in entries)
    return Iomem(tuple(entries) if readable else (), readable)


def read_iomem(root: Root) -> Iomem:
    return parse_iomem(root.read_text("proc/iomem"))
