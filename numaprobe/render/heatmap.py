"""Matrices as HTML heat maps: every cell carries its number (colour only repeats it, for the eye), the header row
and column stay in view while a 64- or 256-node matrix scrolls inside its box (CSS overflow, no script)."""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence

from numaprobe.render.svgkit import esc

LEVELS = 9  # colour steps q0 (near, fast) .. q8 (far, slow)
# A sequential light-to-dark palette (ColorBrewer YlOrRd 9) and the text colour readable on each step.
PALETTE = ("#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#bd0026", "#800026")
INK = ("#212529",) * 5 + ("#ffffff",) * 4

CSS = "".join(".q%d{background:%s;color:%s}" % (k, PALETTE[k], INK[k]) for k in range(LEVELS)) + """
.heatwrap{overflow:auto;max-height:34em;max-width:100%;border:1px solid #ced4da;display:inline-block}
table.heat{border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:12px}
table.heat td,table.heat th{padding:2px 5px;text-align:right;border:1px solid #fff;min-width:2.2em}
table.heat thead th{position:sticky;top:0;background:#e9ecef;z-index:1}
table.heat tbody th{position:sticky;left:0;background:#e9ecef}
table.heat thead th.corner{left:0;z-index:2}
table.heat td.asym{font-weight:bold;text-decoration:underline}
table.heat td.none{background:#fff;color:#868e96}
.legend{font-size:12px;margin:.4em 0}.legend span{display:inline-block;padding:1px 6px;margin-right:4px;
border:1px solid #ced4da}
"""


def levels(values: Sequence[int], lower_is_better: bool = True) -> Dict[int, int]:
    """Each distinct value -> its colour step. Few distinct values (a SLIT's 10/12/20/32) get evenly spread
    steps by rank; many (HMAT nanoseconds) are placed linearly between the smallest and the largest."""
    distinct = sorted(set(values), reverse=not lower_is_better)
    if len(distinct) <= 1:
        return {v: 0 for v in distinct}
    if len(distinct) <= LEVELS:
        step = (LEVELS - 1) / (len(distinct) - 1)
        return {v: round(k * step) for k, v in enumerate(distinct)}
    lo, hi = distinct[0], distinct[-1]
    return {v: round((LEVELS - 1) * (v - lo) / (hi - lo)) for v in distinct}


def _cells(row: Sequence[Optional[int]], steps: Dict[int, int], marks: Sequence[bool]) -> str:
    out = []
    for v, asym in zip(row, marks):
        if v is None:
            out.append('<td class="none">-</td>')
        else:
            out.append('<td class="q%d%s">%d</td>' % (steps[v], " asym" if asym else "", v))
    return "".join(out)


def heat_table(rows: Sequence[int], cols: Sequence[int], values: Sequence[Sequence[Optional[int]]],
               caption: str, corner: str = "from \\ to", lower_is_better: bool = True,
               mark_asymmetric: bool = False) -> str:
    """A heat map table; asymmetric cells (a[i][j] != a[j][i]) are bold and underlined when asked."""
    known = [v for r in values for v in r if v is not None]
    steps = levels(known, lower_is_better)
    col_of = {c: k for k, c in enumerate(cols)}
    row_of = {r: k for k, r in enumerate(rows)}
    out = ['<div class="heatwrap"><table class="heat"><caption class="sr">%s</caption><thead><tr>'
           '<th class="corner" scope="col">%s</th>' % (esc(caption), esc(corner))]
    out += ['<th scope="col">%d</th>' % c for c in cols]
    out.append("</tr></thead><tbody>")
    for i, (r, row) in enumerate(zip(rows, values)):
        marks = [False] * len(row)
        if mark_asymmetric and r in col_of:
            # the mirror cell values[row of c][column of r], when the matrix has both
            marks = [c in row_of and row[k] != values[row_of[c]][col_of[r]] for k, c in enumerate(cols)]
        out.append('<tr><th scope="row">%d</th>%s</tr>' % (r, _cells(row, steps, marks)))
    out.append("</tbody></table></div>")
    return "".join(out)


def legend(values: Sequence[int], unit: str = "", lower_is_better: bool = True, limit: int = 12) -> str:
    """Each value with its colour and how many cells have it; a range when there are too many values."""
    steps = levels(values, lower_is_better)
    counts: Dict[int, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    suffix = " " + unit if unit else ""
    if len(counts) > limit:
        lo, hi = min(counts), max(counts)
        first, last = (lo, hi) if lower_is_better else (hi, lo)
        return '<p class="legend"><span class="q0">%d%s</span> (%s) to <span class="q%d">%d%s</span> (%s)</p>' % (
            first, esc(suffix), "best", LEVELS - 1, last, esc(suffix), "worst")
    items: List[str] = []
    for v in sorted(counts, reverse=not lower_is_better):
        items.append('<span class="q%d">%d%s</span>%d cell%s' % (steps[v], v, esc(suffix), counts[v],
                                                                 "" if counts[v] == 1 else "s"))
    return '<p class="legend">%s</p>' % " &nbsp; ".join(items)
