"""/proc/buddyinfo: free blocks per node, zone and order ("Node 0, zone   Normal   3 2 1 ...")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

from numaprobe.source.root import Root

CAPTURE_FILES = ("proc/buddyinfo",)


@dataclass(frozen=True)
class BuddyZone:
    node: int
    zone: str
    free_blocks: Tuple[int, ...]  # indexed by order

    def free_pages(self) -> int:
        return sum(n << o for o, n in enumerate(self.free_blocks))


def parse_buddyinfo(text: Optional[str]) -> Tuple[BuddyZone, ...]:
    """Every well-formed line; lines that do not parse are skipped (a truncated capture, a future format)."""
    out = []
    for line in (text or "").splitlines():
        head, sep, rest = line.partition(", zone")
        words = head.split()
        if not sep or len(words) != 2 or words[0] != "Node":
            continue
        fields = rest.split()
        try:
            node = int(words[1])
            counts = tuple(int(x) for x in fields[1:])
        except ValueError:
            continue
        if not fields or any(c < 0 for c in counts):
            continue
        out.append(BuddyZone(node, fields[0], counts))
    return tuple(out)


def read_buddyinfo(root: Root) -> Tuple[BuddyZone, ...]:
    return parse_buddyinfo(root.read_text("proc/buddyinfo"))
