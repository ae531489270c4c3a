"""Where bytes come from: the live machine, a captured directory, or a capture tarball read in memory.

Every reader in numaprobe takes a :class:`Root` and names files relative to it ("sys/devices/system/node"),
so the live host and a capture of another machine go through exactly the same code.
"""

from __future__ import annotations

import errno
import os
import posixpath
import re
import stat
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from numaprobe.errors import InputError, UnsafeArchiveError

# sysfs and procfs report st_size 0 or 4096, so files are read to EOF, but never past this bound: a capture
# from someone else must not be able to make us read a multi-GB "meminfo".
MAX_FILE_BYTES = 16 * 1024 * 1024
# Whole-archive bounds: the largest hwloc corpus tree has ~16,000 members and a few MB of text.
MAX_ARCHIVE_MEMBERS = 200_000
MAX_ARCHIVE_BYTES = 256 * 1024 * 1024
MAX_COMPRESSED_BYTES = 256 * 1024 * 1024
MAX_LINK_HOPS = 40  # as Linux's MAXSYMLINKS
# Member names: Linux's PATH_MAX, and far deeper than sysfs (~20 levels). Every parent directory of a member is
# an entry of its own, so a long deep name cost memory quadratic in its length (a 10 KB pax name of "d/d/..."
# took 190 MB); the names of all entries together are bounded too.
MAX_NAME_BYTES = 4096
MAX_NAME_DEPTH = 128
MAX_NAMES_TOTAL_BYTES = 64 * 1024 * 1024

_DIR, _FILE, _LINK = "d", "f", "l"
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


def _norm(rel: str) -> str:
    """Normalise a root-relative path: no leading slash, no '.', '..' clamped at the root like a chroot."""
    if not (rel.startswith(("/", ".")) or rel.endswith("/") or "//" in rel or "/." in rel):
        return rel  # already normal: what the readers pass, thousands of times per probe
    parts: List[str] = []
    for p in rel.split("/"):
        if p in ("", "."):
            continue
        if p == "..":
            if parts:
                parts.pop()
            continue
        parts.append(p)
    return "/".join(parts)


class Root:
    """A read-only view of a file-system root. Paths are relative ("proc/meminfo")."""

    kind: str = "directory"
    path: str = ""
    # Files whose values carried NUL bytes (2.6-era sysfs, some hwloc captures): stripped, and reported.
    nul_terminated: List[str]

    def __new__(cls, *args, **kwargs):
        self = super().__new__(cls)
        self.nul_terminated = []
        return self

    # -- to implement -------------------------------------------------------------------------------------
    def read_bytes(self, rel: str, limit: int = MAX_FILE_BYTES) -> bytes:
        raise OSError(errno.ENOSYS, "not implemented", rel)

    def listdir(self, rel: str) -> List[str]:
        raise OSError(errno.ENOSYS, "not implemented", rel)

    def is_dir(self, rel: str) -> bool:
        raise OSError(errno.ENOSYS, "not implemented", rel)

    def exists(self, rel: str) -> bool:
        raise OSError(errno.ENOSYS, "not implemented", rel)

    def readlink(self, rel: str) -> Optional[str]:
        """The target of a symlink as stored, or None when rel is not a link."""
        raise OSError(errno.ENOSYS, "not implemented", rel)

    def realpath(self, rel: str) -> str:
        """rel with every symlink resolved, still relative to (and never above) the root."""
        raise OSError(errno.ENOSYS, "not implemented", rel)

    # -- conveniences shared by all roots -----------------------------------------------------------------
    def read_text(self, rel: str, limit: int = MAX_FILE_BYTES) -> Optional[str]:
        """The file's text with trailing NULs and whitespace stripped, or None if it cannot be read.

        Some old kernels (and hwloc's captures of them) end sysfs values with a NUL byte.
        """
        try:
            data = self.read_bytes(rel, limit)
        except OSError:
            return None
        if b"\x00" in data:
            self.nul_terminated.append(rel)
        return data.decode("utf-8", "replace").replace("\x00", "").strip()

    def try_listdir(self, rel: str) -> List[str]:
        try:
            return sorted(self.listdir(rel))
        except OSError:
            return []

    # -- link resolution inside a captured tree, shared by DirectoryRoot and TarRoot ---------------------------
    def _lookup_link(self, path: str) -> Optional[str]:
        """The target of the link at path (in the root's own naming), None when it is not a link."""
        raise OSError(errno.ENOSYS, "not implemented", path)

    def _resolve_dir(self, full: str) -> str:
        """A directory path with its links followed, memoised: after its parent, each directory costs one lookup.

        Readers ask for thousands of files in a few hundred directories (a 256-CPU capture: ~2,000 files).
        """
        cache = self._dir_cache
        if full in cache:
            return cache[full]
        pending = []
        p = full
        while p and p not in cache:
            pending.append(p)
            p = p.rpartition("/")[0]
        resolved = cache[p] if p else ""
        for path in reversed(pending):
            base = path.rpartition("/")[2]
            cand = resolved + "/" + base if resolved else base
            if self._lookup_link(cand) is not None:
                cand = _resolve(cand, self._lookup_link)
            cache[path] = resolved = cand
        return resolved



class DirectoryRoot(Root):
    """A directory on disk: "/" for the live host, or a captured tree.

    For a captured tree, symlinks are resolved inside the tree (as if chrooted): a link whose target
    climbs above the tree is clamped to it, never followed out of it.
    """

    def __init__(self, base: str, kind: str = "directory") -> None:
        self.base = os.path.abspath(base)
        self.kind = kind
        self.path = self.base
        self._live = kind == "live"
        self._dir_cache: Dict[str, str] = {}

    def _host(self, rel: str) -> str:
        rel = _norm(rel)
        if self._live:
            return "/" + rel
        return os.path.join(self.base, self.realpath(rel)) if rel else self.base

    def realpath(self, rel: str) -> str:
        rel = _norm(rel)
        if self._live:
            return _norm(os.path.realpath("/" + rel))
        parent, _, base = rel.rpartition("/")
        rparent = self._resolve_dir(parent)
        full = rparent + "/" + base if rparent else base
        if self._lookup_link(full) is not None:
            full = _resolve(full, self._lookup_link)
        return full

    def _lookup_link(self, rel: str) -> Optional[str]:
        p = os.path.join(self.base, rel) if rel else self.base
        try:
            if stat.S_ISLNK(os.lstat(p).st_mode):
                return os.readlink(p)
        except OSError:
            return None
        return None

    def read_bytes(self, rel: str, limit: int = MAX_FILE_BYTES) -> bytes:
        host = self._host(rel)
        if not self._live:
            # A captured tree is someone else's: never open a device node (opening a watchdog arms it, a tape
            # device rewinds), and never read a file hard-linked from elsewhere, as TarRoot refuses both.
            st = os.lstat(host)
            if not stat.S_ISREG(st.st_mode) or st.st_nlink > 1:
                raise OSError(errno.EINVAL, "not a plain file of the capture", rel)
        # O_NOFOLLOW: the path was resolved inside the tree already; a link swapped in since is not followed.
        return read_regular_file(host, limit, nofollow=not self._live, shown=rel)

    def listdir(self, rel: str) -> List[str]:
        return os.listdir(self._host(rel))

    def is_dir(self, rel: str) -> bool:
        try:
            return os.path.isdir(self._host(rel))
        except OSError:
            return False

    def exists(self, rel: str) -> bool:
        try:
            return os.path.lexists(self._host(rel))
        except OSError:
            return False

    def readlink(self, rel: str) -> Optional[str]:
        rel = _norm(rel)
        parent = posixpath.dirname(rel)
        try:
            p = os.path.join(self._host(parent), posixpath.basename(rel)) if rel else self.base
            return os.readlink(p)
        except OSError:
            return None


def read_regular_file(path: str, limit: int = MAX_FILE_BYTES, nofollow: bool = False, shown: str = "") -> bytes:
    """Read a whole regular file, at most `limit` bytes, without ever blocking on what is not one.

    O_NONBLOCK makes opening a FIFO return at once (a FIFO planted in a capture, or named by the user, would
    otherwise hang the open); fstat then refuses anything but a regular file. sysfs/procfs files report a size
    of 0 or 4096, so the file is read to EOF rather than to st_size.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if nofollow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", shown or path)
        if st.st_size > limit:  # a real file states its size (sysfs/procfs say 0 or 4096): a 6 GiB sparse --root
            raise OSError(errno.EFBIG, "file larger than %d bytes" % limit, shown or path)  # was read to 256 MiB
        chunks = []
        total = 0
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            total += len(chunk)
            if total > limit:
                raise OSError(errno.EFBIG, "file larger than %d bytes" % limit, shown or path)
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _resolve(rel: str, lookup_link) -> str:
    """Resolve symlinks component by component inside a root, clamping '..' at the root."""
    done: List[str] = []
    hops = 0
    todo = [p for p in rel.split("/") if p not in ("", ".")]
    while todo:
        part = todo.pop(0)
        if part == "..":
            if done:
                done.pop()
            continue
        cand = "/".join(done + [part])
        target = lookup_link(cand)
        if target is None:
            done.append(part)
            continue
        hops += 1
        if hops > MAX_LINK_HOPS:
            raise OSError(errno.ELOOP, "too many levels of symbolic links", rel)
        if target.startswith("/"):
            done = []
        todo = [p for p in target.split("/") if p not in ("", ".")] + todo
    return "/".join(done)


@dataclass(frozen=True)
class _Member:
    kind: str  # _DIR, _FILE or _LINK
    data: bytes = b""
    target: str = ""


class TarRoot(Root):
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
            raw = read_regular_file(self.path, MAX_COMPRESSED_BYTES)
        except OSError as e:
            if e.errno == errno.EFBIG:
                raise InputError("%s: archive larger than %d bytes" % (self.path, MAX_COMPRESSED_BYTES)) from None
            raise InputError("cannot read %s: %s" % (self.path, e.strerror or e)) from None
        from numaprobe.source import tarparse

        data = tarparse.decompress_bounded(raw, MAX_ARCHIVE_BYTES, self.path)
        verify = tarparse.compression_of(raw) is None
        del raw
        count = 0
        for m in tarparse.iter_members(data, self.path, verify_checksums=verify):
            count += 1
            if count > MAX_ARCHIVE_MEMBERS:
                raise UnsafeArchiveError("%s: more than %d members" % (self.path, MAX_ARCHIVE_MEMBERS))
            name = self._check_name(m.name)
            if m.kind == tarparse.DIRECTORY:
                self._add(name, _Member(_DIR))
            elif m.kind == tarparse.REGULAR:
                if m.size > MAX_FILE_BYTES:
                    raise UnsafeArchiveError("%s: member %r is larger than %d bytes"
                                             % (self.path, m.name, MAX_FILE_BYTES))
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
        if len(name) > MAX_NAME_BYTES or name.count("/") > MAX_NAME_DEPTH:
            raise UnsafeArchiveError("%s: refusing member whose name is longer than %d bytes or deeper than %d "
                                     "directories: %r..." % (self.path, MAX_NAME_BYTES, MAX_NAME_DEPTH, name[:60]))
        if name.startswith("/") or _CONTROL_CHARS.search(name):
            raise UnsafeArchiveError("%s: refusing member with an absolute or control-character name: %r"
                                     % (self.path, name))
        parts = [p for p in name.split("/") if p not in ("", ".")]
        if ".." in parts:
            raise UnsafeArchiveError("%s: refusing member whose name climbs out with '..': %r" % (self.path, name))
        return "/".join(parts)

    def _check_link(self, name: str, target: str, shown: str) -> None:
        # Link targets are resolved component by component at every lookup: a 60 KB target of "a/a/..." made one
        # lookup take 6 s (quadratic); the kernel bounds them by PATH_MAX too.
        if len(target) > MAX_NAME_BYTES or target.count("/") > MAX_NAME_DEPTH:
            raise UnsafeArchiveError("%s: refusing symlink %r whose target is longer than %d bytes or deeper than %d "
                                     "directories" % (self.path, shown[:60], MAX_NAME_BYTES, MAX_NAME_DEPTH))
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
        if self._name_bytes > MAX_NAMES_TOTAL_BYTES:
            raise UnsafeArchiveError("%s: member names take more than %d bytes" % (self.path, MAX_NAMES_TOTAL_BYTES))
        for d in reversed(chain):
            self._members[d] = _Member(_DIR)
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
    top = children.get("", set())
    if "sys" in top or "proc" in top:
        return ""
    dirs = [t for t in top if members.get(t, _Member(_FILE)).kind == _DIR]
    for d in sorted(dirs):
        sub = children.get(d, set())
        if "sys" in sub or "proc" in sub:
            return d
    return ""


_TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")


def open_root(path: Optional[str]) -> Root:
    """Open the live host (path None or "/"), a captured directory or a capture tarball.

    Raises InputError with a one-line message for anything that cannot be used.
    """
    if path is None or os.path.abspath(path) == "/":
        return DirectoryRoot("/", kind="live")
    try:
        st = os.stat(path)
    except OSError as e:
        raise InputError("%s: %s" % (path, e.strerror or e)) from None
    if stat.S_ISDIR(st.st_mode):
        base = path
        if not (os.path.isdir(os.path.join(path, "sys")) or os.path.isdir(os.path.join(path, "proc"))):
            subs = sorted(d for d in os.listdir(path) if os.path.isdir(os.path.join(path, d)))
            for d in subs:
                if os.path.isdir(os.path.join(path, d, "sys")) or os.path.isdir(os.path.join(path, d, "proc")):
                    base = os.path.join(path, d)
                    break
            else:
                raise InputError("%s: no sys/ or proc/ directory in this capture" % path)
        return DirectoryRoot(base)
    if stat.S_ISREG(st.st_mode):
        root = TarRoot(path)
        if not (root.is_dir("sys") or root.is_dir("proc")):
            raise InputError("%s: archive holds no sys/ or proc/ tree" % path)
        return root
    raise InputError("%s: neither a directory nor a tarball" % path)
