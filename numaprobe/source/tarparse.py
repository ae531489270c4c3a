"""A small, strict tar reader for capture archives: bounded decompression and ustar/GNU/pax headers.

Python's tarfile costs ~12 us per member header and reads compressed streams without an output bound; a capture
of a 256-CPU machine has ~2,000 members and a hostile one may be a compression bomb. This reader decompresses
with a hard bound on the output, then walks 512-byte headers by slicing, verifying each checksum.
"""

from __future__ import annotations

from typing import Iterator, List, NamedTuple, Optional, Tuple

from numaprobe.errors import InputError, UnsafeArchiveError

BLOCK = 512
_CHUNK = 1 << 16
# Concatenated compressed streams: pbzip2 writes one per 900 kB block, ~300 within the 256 MiB output bound.
MAX_STREAMS = 1 << 16

REGULAR, DIRECTORY, SYMLINK, HARDLINK, SPECIAL = "f", "d", "l", "h", "s"
_TYPES = {b"0": REGULAR, b"\0": REGULAR, b"7": REGULAR, b"5": DIRECTORY, b"2": SYMLINK, b"1": HARDLINK,
          b"3": SPECIAL, b"4": SPECIAL, b"6": SPECIAL}


class TarMember(NamedTuple):
    """One member's header, as the walk found it (a NamedTuple: one per member, 16,000 in the largest tree)."""

    name: str
    kind: str  # REGULAR, DIRECTORY, SYMLINK, HARDLINK, SPECIAL
    size: int
    linkname: str
    offset: int  # of the data in the decompressed archive


def _decompressor(kind: str):
    """A factory of fresh decompressors for one stream of this compression."""
    if kind == "gzip":
        import zlib

        return lambda: zlib.decompressobj(16 + zlib.MAX_WBITS)
    if kind == "bzip2":
        import bz2

        return bz2.BZ2Decompressor
    import lzma

    return lzma.LZMADecompressor


def _one_stream(dec, kind: str, raw: bytes, pos: int, total: int, limit: int, out: List[bytes],
                what: str) -> Tuple[int, int]:
    """Decompress one stream starting at raw[pos] into out; returns the input position after what it read and
    the bytes out holds."""
    pending = b""  # zlib keeps input it could not use (output bound reached) in unconsumed_tail
    while not dec.eof:
        room = limit + 1 - total
        if kind == "gzip":
            if not pending and pos < len(raw):
                pending = raw[pos:pos + _CHUNK]
                pos += len(pending)
            chunk = dec.decompress(pending, room)
            pending = dec.unconsumed_tail
            stalled = not chunk and not pending and pos >= len(raw)
        else:
            data = b""
            if dec.needs_input:
                data = raw[pos:pos + _CHUNK]
                pos += len(data)
            chunk = dec.decompress(data, room)
            stalled = not chunk and not data and dec.needs_input
        total += len(chunk)
        if total > limit:
            raise UnsafeArchiveError("%s: unpacks to more than %d bytes (a compression bomb?)" % (what, limit))
        out.append(chunk)
        if stalled and not dec.eof:
            raise InputError("%s: truncated %s stream" % (what, kind))
    return pos, total


def decompress_bounded(raw: bytes, limit: int, what: str) -> bytes:
    """gzip, bzip2, xz or plain tar -> the tar bytes; UnsafeArchiveError as soon as the output passes limit."""
    kind = compression_of(raw)
    if kind is None:
        if len(raw) > limit:
            raise UnsafeArchiveError("%s: archive larger than %d bytes" % (what, limit))
        return raw
    new = _decompressor(kind)
    out: List[bytes] = []
    start = streams = total = 0
    try:
        while True:
            streams += 1
            if streams > MAX_STREAMS:
                raise UnsafeArchiveError("%s: more than %d concatenated %s streams" % (what, MAX_STREAMS, kind))
            dec = new()
            pos, total = _one_stream(dec, kind, raw, start, total, limit, out, what)
            # Concatenated streams (pigz, pbzip2) go on after the end of the first; trailing zeros are padding.
            # An offset, not a copy of the rest per stream: 40,000 empty gzip members (800 KB) took 1.4 s, and the
            # time grew with the square of their number.
            start = pos - len(dec.unused_data)
            if start >= len(raw) or (raw[start] == 0 and raw.count(0, start) == len(raw) - start):
                break
    except (OSError, EOFError, ValueError, MemoryError) as e:
        if isinstance(e, InputError):
            raise
        raise InputError("%s: corrupt %s stream (%s)" % (what, kind, (str(e).splitlines() or [type(e).__name__])[0]))\
            from None
    except Exception as e:  # zlib.error and lzma.LZMAError are not OSError subclasses
        raise InputError("%s: corrupt %s stream (%s)" % (what, kind, e)) from None
    return b"".join(out)


def _octal(field: bytes, what: str) -> int:
    if field[:1] in (b"\x80", b"\xff"):  # GNU base-256 for sizes >= 8 GiB; negative values are nonsense here
        if field[:1] == b"\xff":
            raise InputError("%s: negative size in a tar header" % what)
        return int.from_bytes(field[1:], "big")
    text = field.split(b"\0", 1)[0].strip()
    if not text:
        return 0
    try:
        return int(text, 8)
    except ValueError:
        raise InputError("%s: corrupt tar header (bad number %r)" % (what, text[:12])) from None


def _pax_records(data: bytes, what: str) -> dict:
    out = {}
    pos = 0
    while pos < len(data):
        sp = data.find(b" ", pos)
        if sp < 0:
            break
        try:
            length = int(data[pos:sp])
        except ValueError:
            raise InputError("%s: corrupt pax header" % what) from None
        if length <= 0 or pos + length > len(data):
            raise InputError("%s: corrupt pax header" % what)
        key, _, value = data[sp + 1:pos + length - 1].partition(b"=")
        out[key.decode("utf-8", "replace")] = value.decode("utf-8", "surrogateescape")
        pos += length
    return out


def compression_of(raw: bytes) -> Optional[str]:
    """"gzip", "bzip2", "xz" by the stream's magic bytes, None for a plain tar."""
    if raw[:2] == b"\x1f\x8b":
        return "gzip"
    if raw[:3] == b"BZh":
        return "bzip2"
    if raw[:6] == b"\xfd7zXZ\x00":
        return "xz"
    return None


def _names(header: bytes, name: Optional[str], link: Optional[str]) -> Tuple[str, str]:
    """The member's name and link target: from pax or GNU long-name records when given, else the header's
    (with the ustar prefix)."""
    if name is None:
        name = header[0:100].split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
        if header[257:262] == b"ustar":
            prefix = header[345:500].split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
            if prefix:
                name = prefix + "/" + name
    if link is None:
        link = header[157:257].split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
    return name, link


def iter_members(data: bytes, what: str, verify_checksums: bool = True) -> Iterator[TarMember]:
    """Walk the headers of an uncompressed tar. Raises InputError on corruption, never loops.

    Header checksums only guard against corruption, which a compressed stream's own CRC already catches: a caller
    that decompressed `data` may skip them (summing 500 bytes per header is half the walk).
    """
    pos = 0
    end = len(data)
    long_name = long_link = None
    pax: dict = {}
    while pos + BLOCK <= end:
        header = data[pos:pos + BLOCK]
        if header.count(0) == BLOCK:
            return
        if verify_checksums and _octal(header[148:156], what) != sum(header[:148]) + 256 + sum(header[156:]):
            raise InputError("%s: corrupt tar header at offset %d (checksum)" % (what, pos))
        flag = header[156:157]
        size = _octal(header[124:136], what)
        if "size" in pax:
            try:
                size = int(pax["size"])
            except ValueError:
                raise InputError("%s: corrupt pax size" % what) from None
            if size < 0:  # would step back onto an earlier header: a 2 KB archive looped until the member bound
                raise InputError("%s: corrupt pax size" % what)
        data_at = pos + BLOCK
        nxt = data_at + (size + BLOCK - 1) // BLOCK * BLOCK
        if flag in (b"L", b"K", b"x", b"g"):
            if size > 1 << 20 or data_at + size > end:
                raise InputError("%s: corrupt or oversized extended tar header" % what)
            ext = data[data_at:data_at + size]
            if flag == b"L":
                long_name = ext.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
            elif flag == b"K":
                long_link = ext.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
            elif flag == b"x":
                pax = _pax_records(ext, what)
            pos = nxt
            continue
        kind = _TYPES.get(flag)
        if kind is None:
            raise UnsafeArchiveError("%s: member at offset %d has tar type %r, which captures never hold"
                                     % (what, pos, flag.decode("latin-1")))
        name, link = _names(header, pax.get("path") or long_name, pax.get("linkpath") or long_link)
        if kind == REGULAR and name.endswith("/"):
            kind = DIRECTORY  # old V7 archives mark directories only by the trailing slash
        if kind == REGULAR and data_at + size > end:
            raise InputError("%s: truncated archive (member %r)" % (what, name))
        yield TarMember(name=name, kind=kind, size=size if kind == REGULAR else 0, linkname=link, offset=data_at)
        long_name = long_link = None
        pax = {}
        pos = nxt if kind == REGULAR else data_at
    if pos < end and data[pos:].count(0) != end - pos:
        raise InputError("%s: truncated archive" % what)
