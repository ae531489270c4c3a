"""Headless Chromium (Debian's `chromium`, installed by .ci/setup) as the oracle for the HTML report and the SVG:
what it renders is what an admin sees. Each run starts a browser (about a second), so tests share runs.

PNG decoding uses zlib from the standard library (8-bit RGB/RGBA, the only kinds Chromium writes)."""

from __future__ import annotations

import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path
from typing import List, Optional, Tuple

from oracles import SCRATCH, need_tool

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars")


def _run(url: str, extra: List[str], timeout: int = 120) -> subprocess.CompletedProcess:
    exe = need_tool("chromium")
    profile = tempfile.mkdtemp(prefix="numaprobe-chromium-", dir=str(SCRATCH) if SCRATCH else None)
    try:
        return subprocess.run([exe, *FLAGS, "--user-data-dir=" + profile, *extra, url], capture_output=True,
                              timeout=timeout)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def dump_dom(path: Path) -> str:
    """The DOM after Chromium parsed and laid out the file, serialised (what --dump-dom prints)."""
    proc = _run(path.resolve().as_uri(), ["--dump-dom"])
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-2000:]
    return proc.stdout.decode("utf-8")


def screenshot(path: Path, png: Path, width: int = 1280, height: int = 900) -> bytes:
    proc = _run(path.resolve().as_uri(), ["--window-size=%d,%d" % (width, height), "--screenshot=%s" % png])
    assert proc.returncode == 0 and png.exists(), proc.stderr.decode(errors="replace")[-2000:]
    return png.read_bytes()


def _unfilter(raw: bytes, width: int, height: int, bpp: int) -> List[bytearray]:
    stride = width * bpp
    rows: List[bytearray] = []
    prev = bytearray(stride)
    pos = 0
    for _ in range(height):
        kind = raw[pos]
        line = bytearray(raw[pos + 1:pos + 1 + stride])
        pos += 1 + stride
        if kind == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif kind == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, prev))
        elif kind == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prev[i], prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(line)
        prev = line
    return rows


def decode_png(data: bytes) -> Tuple[int, int, List[Tuple[int, int, int]]]:
    """(width, height, RGB pixels row by row)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    assert header is not None
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    bpp = 3 if colour == 2 else 4
    rows = _unfilter(zlib.decompress(idat), width, height, bpp)
    pixels = [tuple(row[i:i + 3]) for row in rows for i in range(0, len(row), bpp)]
    return width, height, pixels  # type: ignore[return-value]


def ink(pixels, background: Optional[Tuple[int, int, int]] = (255, 255, 255)) -> Tuple[float, int]:
    """(share of pixels that are not the background, number of distinct colours)."""
    other = sum(1 for p in pixels if p != background)
    return other / max(len(pixels), 1), len(set(pixels))
