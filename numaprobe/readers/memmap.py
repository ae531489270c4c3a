"""sys/firmware/memmap/N/{start,end,type}: the firmware (e820/EFI) memory map as the kernel received it.

Unlike /proc/iomem it is readable without root and is not trimmed by "mem=" or kernel reservations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

from numaprobe.source.root import Root

MEMMAP_DIR = "sys/firmware/memmap"
CAPTURE_TREES = (MEMMAP_DIR,)


@dataclass(frozen=True)
class MemmapEntry:
    start: int
    end: int  # exclusive (the file holds the last byte)
    type: str  # "System RAM", "Reserved", "ACPI Tables", ...

    @property
    def is_ram(self) -> bool:
        return self.type == "System RAM"


def _hex(text: Optional[str]) -> Optional[int]:
    try:
        return int(text, 16) if text else None
    except ValueError:
        return None


def read_memmap(root: Root) -> Tuple[MemmapEntry, ...]:
    """Entries sorted by start; entries with unreadable or inverted bounds are skipped."""
    out = []
    for name in root.try_listdir(MEMMAP_DIR):
        if not name.isdigit():
            continue
        base = "%s/%s/" % (MEMMAP_DIR, name)
        start, last = _hex(root.read_text(base + "start")), _hex(root.read_text(base + "end"))
        if start is None or last is None or last < start:
            continue
        out.append(MemmapEntry(start, last + 1, root.read_text(base + "type") or ""))
    return tuple(sorted(out, key=lambda e: (e.start, e.end)))
