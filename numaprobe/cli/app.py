"""The numaprobe command line: thin typer commands that parse options, call the library, render, exit.

Heavy modules (construct, psutil, pyudev, the renderers) are imported inside the command bodies:
start-up time is part of the user experience and of the lstopo benchmark (bench/probe_vs_lstopo.py).
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import List, Optional

import typer

from numaprobe import __version__
from numaprobe.errors import NumaprobeError

# One module per command; each defines register(app). Order is the order of `numaprobe --help`.
COMMAND_MODULES = (
    "probe",
    "tables",
    "check",
    "physinfo",
    "numastat",
    "simulate",
    "advise",
    "report",
    "capture",
    "snapshot",
)

app = typer.Typer(
    name="numaprobe",
    help="Read-only NUMA probe and placement advisor for Linux hosts and captured machines.",
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo("numaprobe %s" % __version__)
        raise typer.Exit(0)


@app.callback(invoke_without_command=True)
def _main(
    ctx: typer.Context,
    version: bool = typer.Option(False, "--version", "-V", callback=_version_callback, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Read-only NUMA probe and placement advisor. Without a command, runs `probe` on this host."""
    if ctx.invoked_subcommand is None:
        from numaprobe.cli.probe import probe_command

        probe_command(None, False)


def _register_all() -> None:
    for name in COMMAND_MODULES:
        try:
            mod = importlib.import_module("numaprobe.cli." + name)
        except ModuleNotFoundError as e:
            # A command not yet written is simply absent; any other import failure is a bug and shows.
            if e.name != "numaprobe.cli." + name:
                raise
            continue
        mod.register(app)


_register_all()


def main(argv: Optional[List[str]] = None) -> None:
    """Run the CLI. Misuse and bad input end with one line on stderr and exit 2, never a traceback."""
    import click

    try:
        rv = app(args=argv, prog_name="numaprobe", standalone_mode=False)
    except NumaprobeError as e:
        typer.echo("numaprobe: error: %s" % " ".join(str(e).split("\n")), err=True)
        sys.exit(e.exit_code)
    except click.exceptions.UsageError as e:
        # click would print the usage block and a hint; one line says the same and greps well.
        cmd = e.ctx.command_path if e.ctx is not None else "numaprobe"
        typer.echo("%s: error: %s (see --help)" % (cmd, e.format_message()), err=True)
        sys.exit(2)
    except click.exceptions.ClickException as e:
        typer.echo("numaprobe: error: %s" % e.format_message(), err=True)
        sys.exit(e.exit_code)
    except (KeyboardInterrupt, click.exceptions.Abort):
        typer.echo("numaprobe: interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        # `numaprobe probe | head`: the reader went away; not an error worth a traceback.
        try:
            sys.stdout = None  # type: ignore[assignment]
        finally:
            os._exit(0)
    sys.exit(rv if isinstance(rv, int) else 0)
