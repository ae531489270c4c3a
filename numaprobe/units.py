"""Sizes as people write them and as numaprobe prints them: the one parser and the one formatter.

Units are powers of 1024 (K, M, G, T; "KiB", "MB" and "GB" mean the same), because every consumer of a size
numaprobe takes (libvirt's <memory unit='KiB'>, xl's MiB `memory=`, the kernel's page counts) is binary. A bare
number is refused rather than read as bytes: `--memory 1024` meant 1 GiB to whoever typed it, not 1024 bytes.
"""

from __future__ import annotations

import re
from typing import Optional

from numaprobe.errors import InputError

PAGE_BYTES = 4096  # the smallest thing any size can buy: one base page
_SHIFT = {"K": 10, "M": 20, "G": 30, "T": 40}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT])(?:i?B)?\s*$", re.IGNORECASE)
_EXAMPLE = "e.g. 512M or 16G (K, M, G, T are powers of 1024)"


def parse_size(text: Optional[str], what: str = "size") -> int:
    """'512M', '16G', '1T', '16GiB', '1.5G' -> bytes. No unit, a fraction of a byte, or less than one page: an
    InputError whose one line shows an example."""
    m = _SIZE.match(text or "")
    if not m:
        raise InputError("bad %s %r: give a number with a unit, %s" % (what, text, _EXAMPLE))
    whole, _, frac = m.group(1).partition(".")
    shift = _SHIFT[m.group(2).upper()]
    # exact integer arithmetic: float(1.3) * 2**30 is not a whole number of bytes even when the user meant one
    scale = 10 ** len(frac)
    numerator = int(whole + frac) << shift
    if numerator % scale:
        raise InputError("bad %s %r: not a whole number of bytes, %s" % (what, text, _EXAMPLE))
    value = numerator // scale
    if value < PAGE_BYTES:
        raise InputError("bad %s %r: less than one 4 KiB page, %s" % (what, text, _EXAMPLE))
    return value


_UNITS = (("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10))


def human_size(b: Optional[int], exact: bool = False) -> str:
    """Bytes for people: the largest binary unit the value reaches, whole when it is whole, else one decimal
    ('1.5 GiB'). exact=True picks the largest unit that divides the value (what ACPI ranges read best as:
    '1536 MiB' rather than '1.5 GiB'), one decimal of MiB only when none does."""
    if b is None:
        return "?"
    for unit, shift in _UNITS:
        if exact:
            if b >= 1 << shift and b % (1 << shift) == 0:
                return "%d %s" % (b >> shift, unit)
            continue
        if b >= 1 << shift:
            v = b / (1 << shift)
            return ("%d %s" % (v, unit)) if b % (1 << shift) == 0 else ("%.1f %s" % (v, unit))
    if exact and b >= 1 << 20:
        return "%.1f MiB" % (b / (1 << 20))
    return "%d B" % b
