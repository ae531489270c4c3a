"""Capturing this host for `--root` later. What to copy is not listed here: each module that reads declares
what it reads (CAPTURE_TREES, CAPTURE_FILES, CAPTURE_PROCESS_FILES, CAPTURE_DETAIL_FILES, CAPTURE_PCI_ATTRS,
CAPTURE_COMMANDS, capture_paths(root)), and the plan is their union, so a file a reader needs cannot be missing
from a capture (tests/test_capture_paths.py records every read of the live host to prove it). The bytes are
copied by source/capture.py; the CLI, above model/, never touches the Root itself."""

from __future__ import annotations

import importlib
from typing import Sequence

# Every module that reads through a Root.
READING_MODULES = (
    "numaprobe.acpi", "numaprobe.model.build", "numaprobe.model.gather",
    "numaprobe.readers.buddyinfo", "numaprobe.readers.cpus", "numaprobe.readers.cpuset",
    "numaprobe.readers.devices", "numaprobe.readers.dmesg", "numaprobe.readers.dmi", "numaprobe.readers.iomem",
    "numaprobe.readers.meminfo", "numaprobe.readers.memmap", "numaprobe.readers.memory_blocks",
    "numaprobe.readers.node_access", "numaprobe.readers.nodes", "numaprobe.readers.numa_maps",
    "numaprobe.readers.numastat", "numaprobe.readers.proc_lookup", "numaprobe.readers.zoneinfo",
)
_KINDS = ("trees", "files", "process_files", "detail_files", "pci_attrs", "commands")


def capture_plan():
    """The union of the reading modules' declarations, in module order, without repeats."""
    from numaprobe.source.capture import CapturePlan

    found = {k: [] for k in _KINDS}
    dynamic = []
    for name in READING_MODULES:
        mod = importlib.import_module(name)
        for kind in _KINDS:
            for item in getattr(mod, "CAPTURE_" + kind.upper(), ()):
                if item not in found[kind]:
                    found[kind].append(item)
        if hasattr(mod, "capture_paths"):
            dynamic.append(mod.capture_paths)
    return CapturePlan(dynamic=tuple(dynamic), **{k: tuple(v) for k, v in found.items()})


def capture_host(out_path: str, pids: Sequence[int] = (), with_dmesg: bool = True, process_ends: bool = False):
    """Write a capture of the live host to out_path (source.capture.write_capture); returns its CaptureResult.
    process_ends: the caller exits when this returns (see write_capture)."""
    from numaprobe.source.capture import write_capture

    return write_capture(out_path, capture_plan(), pids=pids, with_dmesg=with_dmesg, process_ends=process_ends)


def snapshot_host(out_path: str, pids: Sequence[int] = (), process_ends: bool = False) -> int:
    """Write this host's snapshot (model/snapshot.py) to out_path, atomically; returns its size in bytes."""
    from numaprobe.model.gather import load_machine
    from numaprobe.model.snapshot import dumps
    from numaprobe.source.capture import write_atomically

    data = dumps(load_machine(None, detail_pids=pids)).encode()
    write_atomically(out_path, data, process_ends=process_ends)
    return len(data)


def check_targets(*paths: str) -> None:
    """Refuse an unusable target before anything is written (source.capture.check_target)."""
    from numaprobe.source.capture import check_target

    for path in paths:
        check_target(path)
