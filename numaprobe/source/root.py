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
from abc import ABC, abstractmethod
from typing import Dict, List, Optional

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


class Root(ABC):
    """A read-only view of a file-system root. Paths are relative ("proc/meminfo").

    Three kinds: LiveRoot (this host's "/"), DirectoryRoot (a captured tree on disk) and TarRoot (a capture
    tarball read in memory). A Root has no state a read changes: what a build wants to know about its reads
    (which files ended in NULs, which were unreadable) it asks a source.recording.RecordingRoot around it.
    """

    kind: str = "directory"
    path: str = ""

    @abstractmethod
    def read_bytes(self, rel: str, limit: int = MAX_FILE_BYTES) -> bytes:
        """The file's bytes. Raises FileNotFoundError when absent, PermissionError when unreadable (a live host's
        root-only files), another OSError for anything else (not a plain file, too large)."""

    @abstractmethod
    def listdir(self, rel: str) -> List[str]:
        """The names in a directory, raising OSError as read_bytes does."""

    @abstractmethod
    def is_dir(self, rel: str) -> bool:
        """False for a path that is absent or cannot be resolved."""

    @abstractmethod
    def exists(self, rel: str) -> bool:
        """True for anything at rel, a dangling link included."""

    @abstractmethod
    def readlink(self, rel: str) -> Optional[str]:
        """The target of a symlink as stored, or None when rel is not a link."""

    @abstractmethod
    def realpath(self, rel: str) -> str:
        """rel with every symlink resolved, still relative to (and never above) the root."""

    # -- conveniences shared by all roots -----------------------------------------------------------------
    def read_text(self, rel: str, limit: int = MAX_FILE_BYTES) -> Optional[str]:
        """The file's text with NULs and surrounding whitespace stripped, or None if it cannot be read (see
        read_bytes for telling absent from unreadable). Some old kernels (and hwloc's captures of them) end
        sysfs values with a NUL byte."""
        try:
            data = self.read_bytes(rel, limit)
        except OSError:
            return None
        return data.decode("utf-8", "replace").replace("\x00", "").strip()

    def try_listdir(self, rel: str) -> List[str]:
        try:
            return sorted(self.listdir(rel))
        except OSError:
            return []


class _CapturedTree(Root):
    """Link resolution inside a captured tree, shared by DirectoryRoot and TarRoot: links are followed inside
    the tree as if chrooted, a target climbing above it is clamped to it."""

    _dir_cache: Dict[str, str]

    @abstractmethod
    def _lookup_link(self, path: str) -> Optional[str]:
        """The target of the link at path (in the root's own naming), None when it is not a link."""

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


class LiveRoot(Root):
    """This host's "/": paths are the host's own, links are the kernel's to follow."""

    kind = "live"

    def __init__(self) -> None:
        self.base = self.path = "/"

    def read_bytes(self, rel: str, limit: int = MAX_FILE_BYTES) -> bytes:
        return read_regular_file("/" + _norm(rel), limit, shown=rel)

    def listdir(self, rel: str) -> List[str]:
        return os.listdir("/" + _norm(rel))

    def is_dir(self, rel: str) -> bool:
        return os.path.isdir("/" + _norm(rel))

    def exists(self, rel: str) -> bool:
        return os.path.lexists("/" + _norm(rel))

    def readlink(self, rel: str) -> Optional[str]:
        try:
            return os.readlink("/" + _norm(rel))
        except OSError:
            return None

    def realpath(self, rel: str) -> str:
        return _norm(os.path.realpath("/" + _norm(rel)))


class DirectoryRoot(_CapturedTree):
    """A captured tree on disk. Symlinks are resolved inside the tree (as if chrooted): a link whose target
    climbs above the tree is clamped to it, never followed out of it."""

    kind = "directory"

    def __init__(self, base: str) -> None:
        self.base = os.path.abspath(base)
        self.path = self.base
        self._dir_cache: Dict[str, str] = {}

    def _host(self, rel: str) -> str:
        rel = _norm(rel)
        return os.path.join(self.base, self.realpath(rel)) if rel else self.base

    def realpath(self, rel: str) -> str:
        rel = _norm(rel)
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
        # A captured tree is someone else's: never open a device node (opening a watchdog arms it, a tape
        # device rewinds), and never read a file hard-linked from elsewhere, as TarRoot refuses both.
        st = os.lstat(host)
        if not stat.S_ISREG(st.st_mode) or st.st_nlink > 1:
            raise OSError(errno.EINVAL, "not a plain file of the capture", rel)
        # O_NOFOLLOW: the path was resolved inside the tree already; a link swapped in since is not followed.
        return read_regular_file(host, limit, nofollow=True, shown=rel)

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


# What makes a directory the top of a capture: sys/ or proc/, or a sosreport's sos_commands/ (a report made with
# only command-output plugins has no copy of either).
TREE_MARKERS = {"sys", "proc", "sos_commands"}


def _is_tree(path: str) -> bool:
    return any(os.path.isdir(os.path.join(path, m)) for m in TREE_MARKERS)


def _capture_dirs(path: str) -> List[str]:
    """The subdirectories of path that hold a capture (a sys/ or proc/ of their own): hwloc-gather-topology and sos
    wrap their tree in one top directory."""
    subs = sorted(d for d in os.listdir(path) if os.path.isdir(os.path.join(path, d)))
    return [d for d in subs if _is_tree(os.path.join(path, d))]


def _open_directory(path: str) -> "DirectoryRoot":
    if _is_tree(path):
        return DirectoryRoot(path)
    found = _capture_dirs(path)
    if len(found) > 1:
        # `probe --root /tmp` printed whichever capture sorted first, exit 0.
        raise InputError("%s holds %d captures (%s): name one of them" % (path, len(found), ", ".join(found)))
    if not found:
        raise InputError("%s: no sys/ or proc/ directory in this capture" % path)
    return DirectoryRoot(os.path.join(path, found[0]))


def has_machine_data(root: Root) -> bool:
    """A tree with a node, a CPU or /proc/meminfo: an empty sys/ and proc/ (a container's root file system, a
    capture that failed) read as "1 node, 0 CPUs" and check found nothing."""
    nodes = root.try_listdir("sys/devices/system/node")
    cpus = root.try_listdir("sys/devices/system/cpu")
    return (any(n.startswith("node") and n[4:].isdigit() for n in nodes)
            or any(c.startswith("cpu") and c[3:].isdigit() for c in cpus) or root.exists("proc/meminfo"))


def open_root(path: Optional[str]) -> Root:
    """Open the live host (path None or "/"), a captured directory or a capture tarball.

    Raises InputError with a one-line message for anything that cannot be used, or that would be a guess.
    """
    if path is None or os.path.abspath(path) == "/":
        return LiveRoot()
    try:
        st = os.stat(path)
    except OSError as e:
        raise InputError("%s: %s" % (path, e.strerror or e)) from None
    if stat.S_ISDIR(st.st_mode):
        root: Root = _open_directory(path)
    elif stat.S_ISREG(st.st_mode):
        from numaprobe.source.tarroot import TarRoot

        root = TarRoot(path)
        if not any(root.is_dir(m) for m in TREE_MARKERS):
            raise InputError("%s: archive holds no sys/ or proc/ tree" % path)
    else:
        raise InputError("%s: neither a directory nor a tarball" % path)
    return _maybe_sosreport(root)


def _maybe_sosreport(root: Root) -> Root:
    from numaprobe.source import sosreport

    return sosreport.SosRoot(root) if sosreport.is_sosreport(root) else root


def __getattr__(name: str):
    # TarRoot lives in source/tarroot.py; importable from here as before (PEP 562).
    if name == "TarRoot":
        from numaprobe.source.tarroot import TarRoot

        return TarRoot
    raise AttributeError("module %r has no attribute %r" % (__name__, name))
