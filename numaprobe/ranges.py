"""Half-open address ranges [start, end): the one merge and subtraction every module uses."""

from __future__ import annotations

from typing import Iterable, List, Sequence, Tuple

Range = Tuple[int, int]


def merge_ranges(ranges: Iterable[Range]) -> Tuple[Range, ...]:
    """Sorted, with overlapping and touching ranges joined and empty ones dropped."""
    out: List[List[int]] = []
    for s, e in sorted(r for r in ranges if r[1] > r[0]):
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return tuple((s, e) for s, e in out)


def subtract_ranges(ranges: Sequence[Range], holes: Sequence[Range]) -> Tuple[Range, ...]:
    """What of `ranges` no range of `holes` covers, merged."""
    out = []
    merged_holes = merge_ranges(holes)
    for s, e in merge_ranges(ranges):
        cur = s
        for hs, he in merged_holes:
            if he <= cur or hs >= e:
                continue
            if hs > cur:
                out.append((cur, hs))
            cur = max(cur, he)
        if cur < e:
            out.append((cur, e))
    return tuple(out)


def overlaps(a: Range, b: Range) -> bool:
    return a[0] < b[1] and b[0] < a[1]
