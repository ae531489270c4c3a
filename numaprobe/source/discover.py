"""Find the machines under the paths given to `numaprobe fleet`: capture tarballs and directories, sosreports
(directories or archives) and snapshots (.json), directories searched recursively.

A directory that is itself a capture (it holds sys/, proc/ or sos_commands/) is one machine and is not searched further. Symbolic links to directories are not followed (a link loop in a
share of thousands of reports must not make the walk endless); links to files are.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterable, List

from numaprobe.source.root import TREE_MARKERS

TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")

SNAPSHOT_SUFFIXES = (".json",)


@dataclass(frozen=True)
class FleetInput:
    path: str
    kind: str  # "tarball" | "directory" | "snapshot" | "unknown"


def _is_capture_dir(path: str) -> bool:
    """sys/, proc/ or sos_commands/ right here. A tree wrapped in one top directory (hwloc-gather-topology, sos)
    is found one level down by the walk."""
    return any(os.path.isdir(os.path.join(path, m)) for m in TREE_MARKERS)


def classify_file(path: str) -> str:
    low = path.lower()
    if low.endswith(SNAPSHOT_SUFFIXES):
        return "snapshot"
    if low.endswith(TAR_SUFFIXES):
        return "tarball"
    return "unknown"


def _walk(top: str, out: List[FleetInput]) -> None:
    try:
        entries = sorted(os.scandir(top), key=lambda e: e.name)
    except OSError as e:
        out.append(FleetInput(top, "unknown:%s" % (e.strerror or e)))
        return
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            if _is_capture_dir(entry.path):
                out.append(FleetInput(entry.path, "directory"))
            else:
                _walk(entry.path, out)
        elif entry.is_file():
            kind = classify_file(entry.name)
            if kind != "unknown":
                out.append(FleetInput(entry.path, kind))


def discover(paths: Iterable[str]) -> List[FleetInput]:
    """Every machine under `paths`, in the order given, directories in name order. A path that is neither a
    capture, a snapshot nor a directory becomes an input of kind "unknown" (a row with an error, not the end)."""
    out: List[FleetInput] = []
    for path in paths:
        if os.path.isdir(path):
            if _is_capture_dir(path):
                out.append(FleetInput(path, "directory"))
            else:
                _walk(path, out)
        elif os.path.isfile(path):
            out.append(FleetInput(path, classify_file(path) if classify_file(path) != "unknown" else "tarball"))
        else:
            out.append(FleetInput(path, "unknown:no such file or directory"))
    return out
