"""The text form of ``acpidump`` (what users paste into bug reports, and what fwts' test data uses):

    SRAT @ 0x0000000000000000
      0000: 53 52 41 54 1C 01 00 00 03 9E 41 4D 44 20 20 20  SRAT......AMD
      ...

Each table is a signature line followed by offset-prefixed rows of up to 16 hex bytes and an ASCII column
(separated from the bytes by two or more spaces). Plain Python, no construct: this module stays cheap to import.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional

from numaprobe.acpi.errors import AcpiTableError

# "SRAT @ 0x...", also "SSDT @ 0x..." repeated, and acpidump -b style "DSDT @ 0x0" lines.
# (?=\S): the signature may hold spaces, so without it a long run of blanks backtracked quadratically (a 256 KB line
# of spaces took 77 s; found by the scale check in docs/fuzzing.md).
_TITLE = re.compile(r"^\s*(?=\S)([A-Za-z0-9_!$ ]{4})\s+@\s+0x[0-9A-Fa-f]+\s*$")
# Bytes are separated by one space (a tab in one fwts test file); the ASCII column starts after two or more, so it never reads as bytes.
_ROW = re.compile(r"^\s*([0-9A-Fa-f]{4,16}):((?:[ \t][0-9A-Fa-f]{2}){1,16})(?:\s{2,}.*|\s*)$")
MAX_TABLE_BYTES = 16 * 1024 * 1024


def read_acpidump_text(text: str) -> Dict[str, bytes]:
    """Every table in an acpidump text dump, by signature (the first table wins when one repeats, e.g. SSDT).

    Raises AcpiTableError when the text holds no table, or a table's rows are not contiguous.
    """
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    tables: Dict[str, bytes] = {}
    name: Optional[str] = None
    buf: List[bytes] = []
    size = 0

    def finish() -> None:
        if name is not None and buf and name not in tables:
            tables[name] = _cut(name, b"".join(buf))

    for lineno, line in enumerate(text.splitlines(), 1):
        m = _TITLE.match(line)
        if m:
            finish()
            name, buf, size = m.group(1), [], 0
            continue
        if name is None:
            continue
        r = _ROW.match(line)
        if not r:
            continue
        addr = int(r.group(1), 16)
        if addr != size:
            raise AcpiTableError("acpidump text line %d: %s row at offset 0x%X, expected 0x%X"
                                 % (lineno, name.strip(), addr, size))
        chunk = bytes.fromhex(r.group(2))
        size += len(chunk)
        if size > MAX_TABLE_BYTES:
            raise AcpiTableError("acpidump text: table %s is larger than %d bytes" % (name.strip(), MAX_TABLE_BYTES))
        buf.append(chunk)
    finish()
    if not tables:
        raise AcpiTableError("no table found in acpidump text (expected lines like 'SRAT @ 0x...' then hex rows)")
    return tables


def _cut(name: str, data: bytes) -> bytes:
    """A table's bytes, cut to its header length when the dump has more (FACS and some dumps pad rows)."""
    if len(data) >= 8:
        length = int.from_bytes(data[4:8], "little")
        if 36 <= length < len(data):
            return data[:length]
    return data


def looks_like_acpidump_text(data: bytes) -> bool:
    """True when the start of a file looks like acpidump's text form rather than a raw table."""
    head = data[:4096].decode("latin-1")
    return any(_TITLE.match(line) for line in head.splitlines()[:50])
