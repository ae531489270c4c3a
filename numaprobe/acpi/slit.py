"""SLIT, the System Locality Information Table (ACPI 6.6 section 5.2.17): relative distances between
proximity domains, row i = from locality i, column j = to locality j, 10 = local.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

from construct import Array, Int8ul, Int64ul, Rebuild, Struct, len_, this

from numaprobe.acpi._common import TableBase, header_and_body
from numaprobe.acpi.header import HEADER_SIZE, AcpiHeader, build_table
from numaprobe.distance import LOCAL_DISTANCE
from numaprobe.notes import Note

SLIT_PREAMBLE_SIZE = HEADER_SIZE + 8
UNREACHABLE = 0xFF

slit_preamble = Struct("locality_count" / Int64ul)

slit_body = Struct(
    "locality_count" / Rebuild(Int64ul, len_(this.matrix)),
    "matrix" / Array(this.locality_count, Array(this.locality_count, Int8ul)),
)


@dataclass(frozen=True)
class SlitTable(TableBase):
    header: AcpiHeader
    localities: int
    matrix: Tuple[Tuple[int, ...], ...]  # complete rows only; fewer than `localities` when the table is short
    notes: Tuple[Note, ...]

    def distance(self, from_pxm: int, to_pxm: int) -> Optional[int]:
        try:
            return self.matrix[from_pxm][to_pxm]
        except IndexError:
            return None

    @property
    def linux_valid(self) -> bool:
        """Linux slit_valid(): every diagonal entry 10 and every other entry > 10, else the SLIT is ignored."""
        n = self.localities
        if len(self.matrix) != n:
            return False
        return all((v == LOCAL_DISTANCE) if i == j else (v > LOCAL_DISTANCE)
                   for i, row in enumerate(self.matrix) for j, v in enumerate(row))

    def to_json(self) -> Dict[str, Any]:
        out = self.header_json()
        out["localities"] = self.localities
        out["matrix"] = [list(r) for r in self.matrix]
        out["linux_valid"] = self.linux_valid
        return out


def _matrix_notes(matrix: Sequence[Sequence[int]]) -> List[Note]:
    notes: List[Note] = []
    reserved = []
    for i, row in enumerate(matrix):
        for j, v in enumerate(row):
            if i == j and v != LOCAL_DISTANCE:
                # fwts SLITBadCornerEntry; ACPI: "the diagonal elements ... are normalized to a value of 10".
                notes.append(Note("slit-bad-diagonal", "SLIT: entry[%d][%d] is %d (0x%02X), must be 10"
                                  % (i, j, v, v)))
            elif i != j and v < LOCAL_DISTANCE:
                reserved.append((i, j, v))
            elif i != j and v == LOCAL_DISTANCE:
                notes.append(Note("slit-remote-is-local", "SLIT: entry[%d][%d] is 10, the local distance, between "
                                  "different localities" % (i, j)))
    for i, j, v in reserved:
        # fwts SLITEntryReserved: values 0-9 are reserved by the specification.
        notes.append(Note("slit-reserved-distance", "SLIT: entry[%d][%d] is %d (0x%02X), a reserved value (0-9)"
                          % (i, j, v, v)))
    return notes


def decode_slit(data: bytes) -> SlitTable:
    header, body, notes = header_and_body(data, SLIT_PREAMBLE_SIZE, "SLIT")
    n = slit_preamble.parse(body[HEADER_SIZE:SLIT_PREAMBLE_SIZE]).locality_count
    room = len(body) - SLIT_PREAMBLE_SIZE
    rows = n if n * n <= room else (room // n if n else 0)
    if rows < n:
        # iasl: "**** Not enough room in table for all localities"
        notes.append(Note("slit-truncated", "SLIT: %d localities need %d bytes of entries, the table has %d; "
                          "%d complete row(s) decoded" % (n, n * n, room, rows)))
    elif room > n * n:
        notes.append(Note("slit-length-mismatch", "SLIT: %d bytes after the %dx%d matrix" % (room - n * n, n, n)))
    raw = body[SLIT_PREAMBLE_SIZE:SLIT_PREAMBLE_SIZE + rows * n]
    matrix = tuple(tuple(raw[r * n:(r + 1) * n]) for r in range(rows))
    if n == 0:
        notes.append(Note("slit-empty", "SLIT: locality count is 0"))
    notes.extend(_matrix_notes(matrix))
    table = SlitTable(header=header, localities=n, matrix=matrix, notes=tuple(notes))
    if n and not table.linux_valid:
        notes.append(Note("slit-ignored-by-linux", "SLIT: Linux rejects this table ('SLIT table looks invalid. Not "
                          "used.') and falls back to distances 10/20"))
        table = SlitTable(header=header, localities=n, matrix=matrix, notes=tuple(notes))
    return table


def build_slit(matrix: Sequence[Sequence[int]], revision: int = 1, **header: Any) -> bytes:
    """A SLIT with a valid checksum from a square matrix (tests, fixtures)."""
    body = slit_body.build(dict(matrix=[list(r) for r in matrix]))
    return build_table(b"SLIT", revision, body, **header)
