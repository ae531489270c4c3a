"""Parsers for the kernel's two CPU-set notations: lists ("0-3,8,10-11") and hex masks ("00000000,0000000f")."""

from __future__ import annotations

from typing import Optional, Tuple

# A list or mask naming CPUs beyond this is treated as corrupt rather than allocating a huge range.
MAX_CPU_ID = 1 << 20


def parse_cpulist(text: Optional[str]) -> Optional[Tuple[int, ...]]:
    """'0-3,8' -> (0, 1, 2, 3, 8); '' -> (); None or malformed -> None."""
    if text is None:
        return None
    text = text.replace("\x00", "").strip()
    if not text:
        return ()
    ranges = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        stride = 1
        if ":" in part:  # kernel range syntax with stride: "0-31:2/4" (cpuset.cpus); take the plain range
            part, _, _ = part.partition(":")
        lo, sep, hi = part.partition("-")
        try:
            a = int(lo)
            b = int(hi) if sep else a
        except ValueError:
            return None
        if a < 0 or b < a or b > MAX_CPU_ID:
            return None
        ranges.append((a, b))
    # Merge before expanding: a hostile file repeating "0-1048576" must cost one expansion, not one per repeat.
    ids = []
    for a, b in sorted(ranges):
        if ids and a <= ids[-1]:
            a = ids[-1] + 1
        ids.extend(range(a, b + 1, stride))
    return tuple(ids)


def parse_cpumask(text: Optional[str]) -> Optional[Tuple[int, ...]]:
    """'00000000,0000000f' -> (0, 1, 2, 3). Words are 32-bit, most significant first, as in sysfs."""
    if text is None:
        return None
    text = text.replace("\x00", "").strip()
    if not text:
        return ()
    try:
        value = int(text.replace(",", ""), 16)
    except ValueError:
        return None
    # int(..., 16) accepts a sign: "-9" once looped forever below (fuzzing, bench/fuzz); a mask is never negative.
    if value < 0 or value.bit_length() > MAX_CPU_ID:
        return None
    # Find the set bits in the binary digits (C speed); shifting a 2^20-bit integer bit by bit is quadratic,
    # and visiting every digit of a 1024-bit mask with a handful of bits set was half of building a topology.
    digits = bin(value)[:1:-1]
    ids = []
    i = digits.find("1")
    while i >= 0:
        ids.append(i)
        i = digits.find("1", i + 1)
    return tuple(ids)


def format_cpulist(ids) -> str:
    """(0, 1, 2, 3, 8) -> '0-3,8', the form numactl and the kernel print."""
    ids = sorted(set(ids))
    out = []
    i = 0
    while i < len(ids):
        j = i
        while j + 1 < len(ids) and ids[j + 1] == ids[j] + 1:
            j += 1
        out.append(str(ids[i]) if i == j else "%d-%d" % (ids[i], ids[j]))
        i = j + 1
    return ",".join(out)
