"""The common ACPI table header (ACPI 6.5 section 5.2.6) and the checksum rule.

Layout from ACPICA ``ACPI_TABLE_HEADER`` (actbl.h); field names follow the spec, the comment gives the name
``iasl -d`` prints. Strings are kept as raw bytes here: firmware pads with NULs as often as with spaces (the
EPYC SRAT in the corpus has ``"AMD\\0\\0\\0"``), and the raw form is what a rebuilt table must reproduce.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional

from construct import Bytes, ConstructError, Int8ul, Int32ul, Struct

from numaprobe.acpi.errors import AcpiTableError

HEADER_SIZE = 36

acpi_header = Struct(
    "signature" / Bytes(4),  # Signature
    "length" / Int32ul,  # Table Length: the whole table, header included
    "revision" / Int8ul,  # Revision: the table's own revision, which Linux uses (SRAT PXM width, HMAT layout)
    "checksum" / Int8ul,  # Checksum: makes all Length bytes sum to 0 mod 256
    "oem_id" / Bytes(6),  # Oem ID
    "oem_table_id" / Bytes(8),  # Oem Table ID
    "oem_revision" / Int32ul,  # Oem Revision
    "creator_id" / Bytes(4),  # Asl Compiler ID
    "creator_revision" / Int32ul,  # Asl Compiler Revision
)


def acpi_string(raw: bytes) -> str:
    """An ACPI fixed-width name as people read it, by iasl's rule (AcpiUtCheckAndRepairAscii): cut at the first
    NUL, any other non-printable byte shown as a space (the HP DL360 G7 SRAT's creator id is D2 04 00 00)."""
    name = raw.split(b"\x00", 1)[0]
    return "".join(chr(b) if 0x20 <= b < 0x7F else " " for b in name)


def table_checksum(data: bytes) -> int:
    """Sum of all bytes mod 256; 0 for a valid table."""
    return sum(data) & 0xFF


def expected_checksum(data: bytes) -> int:
    """The value byte 9 must hold so that the table sums to 0 (what iasl prints as 'should be')."""
    rest = (sum(data) - data[9]) & 0xFF
    return (-rest) & 0xFF


@dataclass(frozen=True)
class AcpiHeader:
    signature: str
    length: int
    revision: int
    checksum: int
    checksum_ok: bool
    checksum_expected: int
    oem_id: str
    oem_table_id: str
    oem_revision: int
    creator_id: str
    creator_revision: int
    raw_oem_id: bytes
    raw_oem_table_id: bytes
    raw_creator_id: bytes

    def build_args(self) -> Dict[str, Any]:
        """Keyword arguments for build_table (and build_srat/slit/hmat) that reproduce this header."""
        return dict(revision=self.revision, oem_id=self.raw_oem_id, oem_table_id=self.raw_oem_table_id,
                    oem_revision=self.oem_revision, creator_id=self.raw_creator_id,
                    creator_revision=self.creator_revision, checksum=self.checksum)

    def to_json(self) -> Dict[str, Any]:
        return {
            "signature": self.signature,
            "revision": self.revision,
            "length": self.length,
            "checksum": self.checksum,
            "checksum_ok": self.checksum_ok,
            "oem_id": self.oem_id,
            "oem_table_id": self.oem_table_id,
            "oem_revision": self.oem_revision,
            "creator_id": self.creator_id,
            "creator_revision": self.creator_revision,
        }


def _valid_signature(sig: bytes) -> bool:
    """ACPICA AcpiUtValidNameChar: A-Z, 0-9 and '_' ('!' only last). Rejects text files named by mistake."""
    # 0x30-0x39, not chr(b).isdigit(): that accepts Latin-1 superscripts (0xB2 '²'), whose .decode("ascii") then
    # raised UnicodeDecodeError (found by bench/fuzz).
    return len(sig) == 4 and all(0x30 <= b <= 0x39 or 0x41 <= b <= 0x5A or b == 0x5F or (b == 0x21 and i == 3)
                                 for i, b in enumerate(sig))


def parse_header(data: bytes) -> AcpiHeader:
    """Decode the 36-byte header. ``data`` must be the table cut to its usable length (see split_table)."""
    if len(data) < HEADER_SIZE:
        raise AcpiTableError("%d bytes is shorter than the %d-byte ACPI table header" % (len(data), HEADER_SIZE))
    try:
        c = acpi_header.parse(data[:HEADER_SIZE])
    except ConstructError as e:  # pragma: no cover - 36 bytes always parse
        raise AcpiTableError("cannot decode the ACPI header: %s" % e) from None
    if not _valid_signature(c.signature):
        raise AcpiTableError("not an ACPI table: signature %r is not four of A-Z, 0-9, _" % bytes(c.signature))
    if c.length < HEADER_SIZE:
        raise AcpiTableError("%s: header length %d is shorter than the header itself"
                             % (c.signature.decode("ascii"), c.length))
    body = data[:c.length]
    return AcpiHeader(
        signature=c.signature.decode("ascii"),
        length=c.length,
        revision=c.revision,
        checksum=c.checksum,
        # a truncated table cannot be verified: its missing bytes are unknown
        checksum_ok=table_checksum(body) == 0 and len(body) == c.length,
        checksum_expected=expected_checksum(body),
        oem_id=acpi_string(c.oem_id),
        oem_table_id=acpi_string(c.oem_table_id),
        oem_revision=c.oem_revision,
        creator_id=acpi_string(c.creator_id),
        creator_revision=c.creator_revision,
        raw_oem_id=bytes(c.oem_id),
        raw_oem_table_id=bytes(c.oem_table_id),
        raw_creator_id=bytes(c.creator_id),
    )


def build_table(signature: bytes, revision: int, body: bytes, oem_id: bytes = b"NUMAPR",
                oem_table_id: bytes = b"TESTTBL ", oem_revision: int = 1, creator_id: bytes = b"NPRB",
                creator_revision: int = 1, checksum: Optional[int] = None) -> bytes:
    """Prefix ``body`` with a header built from acpi_header; the checksum is computed unless given (tests and
    fixtures: a given one reproduces a broken table)."""
    length = HEADER_SIZE + len(body)
    head = acpi_header.build(dict(signature=signature, length=length, revision=revision, checksum=0,
                                  oem_id=oem_id, oem_table_id=oem_table_id, oem_revision=oem_revision,
                                  creator_id=creator_id, creator_revision=creator_revision))
    table = bytearray(head + body)
    table[9] = expected_checksum(bytes(table)) if checksum is None else checksum
    return bytes(table)
