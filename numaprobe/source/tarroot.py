"""A capture tarball (.tar, .tar.gz, .tar.bz2, .tar.xz) read wholly into memory, never unpacked."""

from __future__ import annotations

import errno
import os
import posixpath
from typing import Dict, List, NamedTuple, Optional, Tuple

from numaprobe.errors import InputError, UnsafeArchiveError
from numaprobe.source import root as bounds  # the MAX_* bounds, looked up at use (tests lower them)
from numaprobe.source.root import MAX_FILE_BYTES, _CONTROL_CHARS, _CapturedTree, _norm, _resolve, read_regular_file

_DIR, _FILE, _LINK = "d", "f", "l"


class _Member(NamedTuple):
    """One archive entry. A NamedTuple, not a dataclass: one is made per member (16,000 in the largest hwloc
    tree), and a frozen dataclass's __init__ costs five times more."""

    kind: str  # _DIR, _FILE or _LINK
    data: bytes = b""
    target: str = ""


_DIR_MEMBER = _Member(_DIR)


class TarRoot(_CapturedTree):
    """A capture tarball (.tar, .tar.gz, .tar.bz2, .tar.xz) read wholly into memory, never unpacked.

    Members are checked before anything is used: an absolute name, a '..' component, a link whose target
    leaves the archive's root, a hard link, a device node or FIFO makes the whole archive refused.
    """

    kind = "tarball"

    def __init__(self, path: str) -> None:
        self.path = os.path.abspath(path)
        self._members: Dict[str, _Member] = {"": _Member(_DIR)}
        self._children: Dict[str, set] = {"": set()}
        self._prefix = ""
        self._dir_cache: Dict[str, str] = {}
        self._name_bytes = 0
        self._load()

    # -- loading ------------------------------------------------------------------------------------------
    def _load(self) -> None:
        try:
            raw = read_regular_file(self.path, bounds.MAX_COMPRESSED_BYTES)
        except OSError as e:
            if e.errno == errno.EFBIG:
                raise InputError("%s: archive larger than %d bytes"
                                 % (self.path, bounds.MAX_COMPRESSED_BYTES)) from None
            raise InputError("cannot read %s: %s" % (self.path, e.strerror or e)) from None
        from numaprobe.source import tarparse

        data = tarparse.decompress_bounded(raw, bounds.MAX_ARCHIVE_BYTES, self.path)
        verify = tarparse.compression_of(raw) is None
        del raw
        count = 0
        for m in tarparse.iter_members(data, self.path, verify_checksums=verify):
            count += 1
            if count > bounds.MAX_ARCHIVE_MEMBERS:
                raise UnsafeArchiveError("%s: more than %d members" % (self.path, bounds.MAX_ARCHIVE_MEMBERS))
            name = self._check_name(m.name)
            if m.kind == tarparse.DIRECTORY:
                self._add(name, _DIR_MEMBER)
            elif m.kind == tarparse.REGULAR:
                if m.size > bounds.MAX_FILE_BYTES:
                    raise UnsafeArchiveError("%s: member %r is larger than %d bytes"
                                             % (self.path, m.name, bounds.MAX_FILE_BYTES))
                self._add(name, _Member(_FILE, data=data[m.offset:m.offset + m.size]))
            elif m.kind == tarparse.SYMLINK:
                self._check_link(name, m.linkname, m.name)
                self._add(name, _Member(_LINK, target=m.linkname))
            elif m.kind == tarparse.HARDLINK:
                raise UnsafeArchiveError("%s: member %r is a hard link, which captures never hold"
                                         % (self.path, m.name))
            else:
                raise UnsafeArchiveError("%s: member %r is a device node or FIFO" % (self.path, m.name))
        if count == 0:
            raise InputError("%s: empty archive" % self.path)
        self._prefix = _find_prefix(self._members, self._children)

    def _check_name(self, name: str) -> str:
        if len(name) > bounds.MAX_NAME_BYTES or name.count("/") > bounds.MAX_NAME_DEPTH:
            raise UnsafeArchiveError("%s: refusing member whose name is longer than %d bytes or deeper than %d "
                                     "directories: %r..." % (self.path, bounds.MAX_NAME_BYTES, bounds.MAX_NAME_DEPTH,
                                                             name[:60]))
        if name.startswith("/") or _CONTROL_CHARS.search(name):
            raise UnsafeArchiveError("%s: refusing member with an absolute or control-character name: %r"
                                     % (self.path, name))
        if "/." not in name and "//" not in name and not name.startswith(".") and not name.endswith("/"):
            return name  # already normal, no ".." component: what almost every member looks like
        parts = [p for p in name.split("/") if p not in ("", ".")]
        if ".." in parts:
            raise UnsafeArchiveError("%s: refusing member whose name climbs out with '..': %r" % (self.path, name))
        return "/".join(parts)

    def _check_link(self, name: str, target: str, shown: str) -> None:
        # Link targets are resolved component by component at every lookup: a 60 KB target of "a/a/..." made one
        # lookup take 6 s (quadratic); the kernel bounds them by PATH_MAX too.
        if len(target) > bounds.MAX_NAME_BYTES or target.count("/") > bounds.MAX_NAME_DEPTH:
            raise UnsafeArchiveError("%s: refusing symlink %r whose target is longer than %d bytes or deeper than %d "
                                     "directories" % (self.path, shown[:60], bounds.MAX_NAME_BYTES,
                                                      bounds.MAX_NAME_DEPTH))
        if target.startswith("/"):
            raise UnsafeArchiveError("%s: refusing symlink %r with absolute target %r" % (self.path, shown, target))
        depth = len(name.split("/")) - 1  # directories above the link inside the archive
        for p in target.split("/"):
            if p == "..":
                depth -= 1
                if depth < 0:
                    raise UnsafeArchiveError("%s: refusing symlink %r pointing outside the archive (%r)"
                                             % (self.path, shown, target))
            elif p not in ("", "."):
                depth += 1

    def _add(self, name: str, member: _Member) -> None:
        if not name:
            return
        parent, _, base = name.rpartition("/")
        # implicit parent directories: many tarballs omit directory members
        chain = []
        p = parent
        while p and p not in self._members:
            chain.append(p)
            p = p.rpartition("/")[0]
        self._name_bytes += len(name) + sum(len(d) for d in chain)
        if self._name_bytes > bounds.MAX_NAMES_TOTAL_BYTES:
            raise UnsafeArchiveError("%s: member names take more than %d bytes"
                                     % (self.path, bounds.MAX_NAMES_TOTAL_BYTES))
        for d in reversed(chain):
            self._members[d] = _DIR_MEMBER
            self._children.setdefault(d, set())
            self._children.setdefault(posixpath.dirname(d), set()).add(posixpath.basename(d))
        old = self._members.get(name)
        if old is not None and old.kind == _DIR and member.kind == _DIR:
            return
        self._members[name] = member
        if member.kind == _DIR:
            self._children.setdefault(name, set())
        self._children.setdefault(parent, set()).add(base)

    # -- lookups ------------------------------------------------------------------------------------------
    def _full(self, rel: str) -> str:
        rel = _norm(rel)
        if not self._prefix:
            return rel
        return self._prefix + "/" + rel if rel else self._prefix

    def _lookup_link(self, full: str) -> Optional[str]:
        m = self._members.get(full)
        return m.target if m is not None and m.kind == _LINK else None

    def _resolved(self, rel: str) -> Tuple[str, Optional[_Member]]:
        parent, _, base = self._full(rel).rpartition("/")
        rparent = self._resolve_dir(parent)
        full = rparent + "/" + base if rparent else base
        m = self._members.get(full)
        if m is not None and m.kind == _LINK:
            full = _resolve(full, self._lookup_link)
            m = self._members.get(full)
        return full, m

    def realpath(self, rel: str) -> str:
        full, _ = self._resolved(rel)
        if self._prefix and (full == self._prefix or full.startswith(self._prefix + "/")):
            return full[len(self._prefix) + 1:]
        return full

    def read_bytes(self, rel: str, limit: int = MAX_FILE_BYTES) -> bytes:
        _, m = self._resolved(rel)
        if m is None:
            raise FileNotFoundError(errno.ENOENT, "no such file in archive", rel)
        if m.kind != _FILE:
            raise IsADirectoryError(errno.EISDIR, "not a file", rel)
        if len(m.data) > limit:
            raise OSError(errno.EFBIG, "file larger than %d bytes" % limit, rel)
        return m.data

    def listdir(self, rel: str) -> List[str]:
        full, m = self._resolved(rel)
        if m is None:
            raise FileNotFoundError(errno.ENOENT, "no such directory in archive", rel)
        if m.kind != _DIR:
            raise NotADirectoryError(errno.ENOTDIR, "not a directory", rel)
        return list(self._children.get(full, ()))

    # is_dir/exists/readlink answer False/None for a path through a symlink loop (ELOOP), as DirectoryRoot does:
    # a capture with sys/firmware/acpi/tables -> tables made every command end in a traceback.
    def is_dir(self, rel: str) -> bool:
        try:
            _, m = self._resolved(rel)
        except OSError:
            return False
        return m is not None and m.kind == _DIR

    def exists(self, rel: str) -> bool:
        full = self._full(rel)
        if full in self._members:
            return True
        try:
            return self._resolved(rel)[1] is not None
        except OSError:
            return False

    def readlink(self, rel: str) -> Optional[str]:
        rel = _norm(rel)
        parent = posixpath.dirname(rel)
        try:
            full_parent, _ = self._resolved(parent) if parent else (self._prefix, None)
        except OSError:
            return None
        full = (full_parent + "/" if full_parent else "") + posixpath.basename(rel)
        return self._lookup_link(full)


def _find_prefix(members: Dict[str, _Member], children: Dict[str, set]) -> str:
    """hwloc-gather-topology tarballs wrap the tree in one top directory (NAME/sys, NAME/proc)."""
    from numaprobe.source.root import TREE_MARKERS

    top = children.get("", set())
    if top & TREE_MARKERS:
        return ""
    dirs = [t for t in top if members.get(t, _Member(_FILE)).kind == _DIR]
    for d in sorted(dirs):
        if children.get(d, set()) & TREE_MARKERS:
            return d
    return ""
