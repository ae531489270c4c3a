"""Capturing this host for `--root` later: the command line's way down to source/capture.py, which copies the
bytes (the CLI, above model/, never touches the Root or the file system itself)."""

from __future__ import annotations

from typing import Sequence


def capture_host(out_path: str, pids: Sequence[int] = (), with_dmesg: bool = True, process_ends: bool = False):
    """Write a capture of the live host to out_path (source.capture.write_capture); returns its CaptureResult.
    process_ends: the caller exits when this returns (see write_capture)."""
    from numaprobe.source.capture import write_capture

    return write_capture(out_path, pids=pids, with_dmesg=with_dmesg, process_ends=process_ends)
