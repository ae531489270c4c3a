"""`numaprobe capture OUT.tar.gz`: snapshot this host for offline analysis with --root."""

from __future__ import annotations

from typing import List, Optional

import typer


def capture_command(
    out: Optional[str] = typer.Argument(None, metavar="[OUT.tar.gz]", help="Archive to write (.tar.gz, .tar.xz, "
                                        ".tar.bz2 or .tar); written atomically."),
    snapshot: Optional[str] = typer.Option(None, "--snapshot", metavar="FILE.json",
                                           help="Also (or only) write this host's snapshot: kilobytes instead of a "
                                                "tarball, read back by --root FILE.json and by fleet."),
    pids: Optional[List[int]] = typer.Option(None, "--pid", "-p", metavar="PID",
                                             help="Also capture this process's numa_maps, status and cmdline "
                                                  "(repeatable)."),
    no_dmesg: bool = typer.Option(False, "--no-dmesg", help="Do not include the kernel log."),
) -> None:
    """Snapshot this host's NUMA-relevant /sys and /proc (and ACPI tables when readable) into a tarball, and/or
    its facts into a JSON snapshot (--snapshot)."""
    from numaprobe.errors import InputError
    from numaprobe.model.capture import capture_host, check_targets, snapshot_host

    if out is None and snapshot is None:
        raise InputError("capture: give OUT.tar.gz, --snapshot FILE.json, or both")
    check_targets(*[p for p in (out, snapshot) if p is not None])
    # The process exits right after the last file lands: a Ctrl-C once it is in place must not report a failure.
    if snapshot is not None:
        size = snapshot_host(snapshot, pids=pids or (), process_ends=out is None)
        typer.echo("numaprobe: wrote snapshot %s (%d bytes)" % (snapshot, size), err=True)
    if out is not None:
        result = capture_host(out, pids=pids or (), with_dmesg=not no_dmesg, process_ends=True)
        typer.echo("numaprobe: wrote %s (%d files, %d links, %d unreadable)" % (
            result.path, result.files, result.links, len(result.unreadable)), err=True)


def register(app: typer.Typer) -> None:
    app.command("capture")(capture_command)
