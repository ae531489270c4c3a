"""Small helpers shared by make_edited.py and make_handmade.py: a capture held in memory as a
dict of members, edited, and written back as a byte-for-byte reproducible .tar.gz.

Deterministic output: members sorted by name, every parent directory present, mtime fixed,
owner 0/0 without names, GNU tar format (no pax headers), gzip header mtime 0.
Only the Python standard library is used, so the fixtures can be rebuilt anywhere.
"""
from __future__ import annotations

import gzip
import io
import posixpath
import struct
import tarfile
from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Tuple

FIXED_MTIME = 1767225600  # 2026-01-01T00:00:00Z


@dataclass
class Member:
    kind: str  # "file", "dir" or "link"
    data: bytes = b""
    target: str = ""
    mode: int = 0o644


class Tree:
    def __init__(self) -> None:
        self.members: Dict[str, Member] = {}

    # ---------------------------------------------------------------- load / save
    @classmethod
    def load(cls, path: str) -> "Tree":
        tree = cls()
        with tarfile.open(path, "r:*") as tar:
            for info in tar.getmembers():
                name = info.name.rstrip("/")
                if name.startswith("./"):
                    name = name[2:]
                if not name or name == ".":
                    continue
                if info.isdir():
                    tree.members[name] = Member("dir", mode=info.mode & 0o7777 or 0o755)
                elif info.issym():
                    tree.members[name] = Member("link", target=info.linkname, mode=0o777)
                elif info.isfile():
                    f = tar.extractfile(info)
                    data = f.read() if f is not None else b""
                    tree.members[name] = Member("file", data=data, mode=info.mode & 0o7777 or 0o644)
                # hard links, devices, fifos: captures have none; ignore anything else
        return tree

    def save(self, path: str) -> None:
        names = set(self.members)
        for name in list(names):
            parent = posixpath.dirname(name)
            while parent:
                if parent not in self.members:
                    self.members[parent] = Member("dir", mode=0o755)
                parent = posixpath.dirname(parent)
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
            for name in sorted(self.members):
                m = self.members[name]
                info = tarfile.TarInfo(name)
                info.mtime = FIXED_MTIME
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                info.mode = m.mode
                if m.kind == "dir":
                    info.type = tarfile.DIRTYPE
                    tar.addfile(info)
                elif m.kind == "link":
                    info.type = tarfile.SYMTYPE
                    info.linkname = m.target
                    tar.addfile(info)
                else:
                    info.size = len(m.data)
                    tar.addfile(info, io.BytesIO(m.data))
        with open(path, "wb") as out:
            with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=9) as gz:
                gz.write(raw.getvalue())

    # ---------------------------------------------------------------- editing
    def read(self, name: str) -> bytes:
        m = self.members[name]
        if m.kind != "file":
            raise ValueError(f"{name} is a {m.kind}")
        return m.data

    def text(self, name: str) -> str:
        return self.read(name).decode()

    def write(self, name: str, data, mode: int = 0o644) -> None:
        if isinstance(data, str):
            data = data.encode()
        old = self.members.get(name)
        self.members[name] = Member("file", data=data, mode=old.mode if old and old.kind == "file" else mode)

    def symlink(self, name: str, target: str) -> None:
        self.members[name] = Member("link", target=target, mode=0o777)

    def mkdir(self, name: str) -> None:
        self.members.setdefault(name, Member("dir", mode=0o755))

    def exists(self, name: str) -> bool:
        return name in self.members

    def remove(self, name: str) -> None:
        """Remove a member and, for a directory, everything under it."""
        prefix = name + "/"
        doomed = [k for k in self.members if k == name or k.startswith(prefix)]
        if not doomed:
            raise KeyError(name)
        for key in doomed:
            del self.members[key]

    def rename(self, old: str, new: str) -> None:
        """Move a member and everything under it (link targets are left as they are)."""
        prefix = old + "/"
        moved = {}
        for key in [k for k in self.members if k == old or k.startswith(prefix)]:
            moved[new + key[len(old):]] = self.members.pop(key)
        self.members.update(moved)

    def listdir(self, name: str) -> List[str]:
        prefix = name.rstrip("/") + "/"
        return sorted({k[len(prefix):].split("/")[0] for k in self.members if k.startswith(prefix)})

    def filter_lines(self, name: str, drop) -> int:
        """Drop the lines of a text member for which drop(line) is true; returns how many."""
        lines = self.text(name).splitlines(keepends=True)
        kept = [line for line in lines if not drop(line)]
        self.write(name, "".join(kept))
        return len(lines) - len(kept)


# -------------------------------------------------------------------- cpu lists and masks
def parse_cpulist(text: str) -> List[int]:
    out: List[int] = []
    for part in text.strip().strip("\0").split(","):
        if not part:
            continue
        if "-" in part:
            a, b = part.split("-")
            out.extend(range(int(a), int(b) + 1))
        else:
            out.append(int(part))
    return sorted(out)


def format_cpulist(cpus) -> str:
    cpus = sorted(cpus)
    parts: List[str] = []
    i = 0
    while i < len(cpus):
        j = i
        while j + 1 < len(cpus) and cpus[j + 1] == cpus[j] + 1:
            j += 1
        parts.append(str(cpus[i]) if i == j else f"{cpus[i]}-{cpus[j]}")
        i = j + 1
    return ",".join(parts) + "\n"


def format_cpumap(cpus, nr_cpu_ids: int) -> str:
    """The kernel's %*pb format: hex, comma every 32 bits, width from nr_cpu_ids."""
    mask = 0
    for c in cpus:
        mask |= 1 << c
    digits = (nr_cpu_ids + 3) // 4
    text = format(mask, "0%dx" % digits)
    groups = []
    while text:
        groups.insert(0, text[-8:])
        text = text[:-8]
    return ",".join(groups) + "\n"


# -------------------------------------------------------------------- ACPI tables
ACPI_HEADER_LEN = 36


def fix_checksum(table: bytearray) -> bytearray:
    table[9] = 0
    table[9] = (-sum(table)) & 0xFF
    return table


def checksum_ok(table: bytes) -> bool:
    return sum(table) & 0xFF == 0


def srat_entries(table: bytes) -> Iterator[Tuple[int, int, int]]:
    """(offset, type, length) of each SRAT subtable; they start after the 36+12 byte header."""
    off = ACPI_HEADER_LEN + 12
    while off + 2 <= len(table):
        typ, length = table[off], table[off + 1]
        if length < 2:
            break
        yield off, typ, length
        off += length


def srat_memory(table: bytes, off: int) -> Tuple[int, int, int, int]:
    """(pxm, base, length, flags) of a type-1 memory affinity entry at off."""
    pxm, = struct.unpack_from("<I", table, off + 2)
    base, length = struct.unpack_from("<QQ", table, off + 8)
    flags, = struct.unpack_from("<I", table, off + 28)
    return pxm, base, length, flags


def srat_apic(table: bytes, off: int) -> Tuple[int, int, int]:
    """(pxm, apic_id, flags) of a type-0 local APIC affinity entry at off."""
    pxm_lo, apic, flags = table[off + 2], table[off + 3], struct.unpack_from("<I", table, off + 4)[0]
    pxm_hi = table[off + 9] | table[off + 10] << 8 | table[off + 11] << 16
    return pxm_lo | pxm_hi << 8, apic, flags


def slit_size(table: bytes) -> int:
    return struct.unpack_from("<Q", table, ACPI_HEADER_LEN)[0]


def slit_offset(table: bytes, i: int, j: int) -> int:
    return ACPI_HEADER_LEN + 8 + i * slit_size(table) + j
