"""`numaprobe capture OUT.tar.gz`: snapshot this host for offline analysis with --root."""

from __future__ import annotations

from typing import List, Optional

import typer


def capture_command(
    out: str = typer.Argument(..., metavar="OUT.tar.gz", help="Archive to write (.tar.gz, .tar.xz, .tar.bz2 "
                                                              "or .tar); written atomically."),
    pids: Optional[List[int]] = typer.Option(None, "--pid", "-p", metavar="PID",
                                             help="Also capture this process's numa_maps, status and cmdline "
                                                  "(repeatable)."),
    no_dmesg: bool = typer.Option(False, "--no-dmesg", help="Do not include the kernel log."),
) -> None:
    """Snapshot this host's NUMA-relevant /sys and /proc (and ACPI tables when readable) into a tarball."""
    from numaprobe.model.capture import capture_host

    # the process exits right after: a Ctrl-C once the archive is in place must not report it as failed
    result = capture_host(out, pids=pids or (), with_dmesg=not no_dmesg, process_ends=True)
    typer.echo("numaprobe: wrote %s (%d files, %d links, %d unreadable)" % (
        result.path, result.files, result.links, len(result.unreadable)), err=True)


def register(app: typer.Typer) -> None:
    app.command("capture")(capture_command)
