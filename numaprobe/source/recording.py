"""A Root around another that remembers what was read: which files were read, which were absent, which could not
be read (permission denied) and which values ended in NULs. model/gather.py builds every Machine through one, and
turns what it saw into notes; tests use it to prove that a capture holds every file the commands read."""

from __future__ import annotations

import errno
from typing import List, Optional, Set

from numaprobe.source.root import MAX_FILE_BYTES, Root

_DENIED = (errno.EACCES, errno.EPERM)


class RecordingRoot(Root):
    def __init__(self, inner: Root) -> None:
        self.inner = inner
        self.kind = inner.kind
        self.path = inner.path
        self.read: Set[str] = set()  # files read, and directories listed, successfully
        self.absent: Set[str] = set()
        self.denied: List[str] = []  # unreadable: permission denied (a live host's root-only files)
        self.nul_terminated: List[str] = []  # values that carried NUL bytes (2.6-era sysfs, some hwloc captures)

    def _failed(self, rel: str, e: OSError) -> None:
        if e.errno in _DENIED:
            self.denied.append(rel)
        elif e.errno == errno.ENOENT:
            self.absent.add(rel)

    def read_bytes(self, rel: str, limit: int = MAX_FILE_BYTES) -> bytes:
        try:
            data = self.inner.read_bytes(rel, limit)
        except OSError as e:
            self._failed(rel, e)
            raise
        self.read.add(rel)
        return data

    def read_text(self, rel: str, limit: int = MAX_FILE_BYTES) -> Optional[str]:
        try:
            data = self.read_bytes(rel, limit)
        except OSError:
            return None
        if b"\x00" in data:
            self.nul_terminated.append(rel)
        return data.decode("utf-8", "replace").replace("\x00", "").strip()

    def listdir(self, rel: str) -> List[str]:
        try:
            names = self.inner.listdir(rel)
        except OSError as e:
            self._failed(rel, e)
            raise
        self.read.add(rel)
        return names

    def is_dir(self, rel: str) -> bool:
        return self.inner.is_dir(rel)

    def exists(self, rel: str) -> bool:
        return self.inner.exists(rel)

    def readlink(self, rel: str) -> Optional[str]:
        return self.inner.readlink(rel)

    def realpath(self, rel: str) -> str:
        return self.inner.realpath(rel)
