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
from typer.core import TyperCommand, TyperGroup

from numaprobe import __version__
from numaprobe.errors import NumaprobeError


def _click_exception_base() -> type:
    """The base class of click's usage and file errors, found from a name public on every typer.

    typer < 0.26 (Debian 12 has 0.7) raises click's own exceptions; typer >= 0.26 raises those of its own copy of
    click (typer._click) and depends on no click at all; 0.26 and 0.27 do not even export TyperException. Their
    typer.BadParameter derives from ClickException in every case, so numaprobe never imports click itself.
    """
    return next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


CliError = _click_exception_base()

# Exit statuses (README, man pages): 2 misuse, 130 interrupted (128 + SIGINT).
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

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
    "fleet",
)


class Interrupted(BaseException):
    """Ctrl-C, carried past click's handler: click 8.1 prints an empty line and raises Abort, typer >= 0.26
    returns 130 silently. A BaseException, so neither click nor entry.main's bug handler catches it."""


class PlainHelpGroup(TyperGroup):
    """The top-level group: plain `--help` and commands in registration (COMMAND_MODULES) order.

    typer draws help in rich boxes whenever rich is importable (typer >= 0.12 depends on rich; typer 0.7 does it
    when python3-rich happens to be installed), so help would differ between installs of the same numaprobe;
    admin tools print plain text. click's own formatter is the class after TyperGroup in the MRO. typer 0.7
    inherits click's alphabetical list_commands; typer >= 0.26 keeps creation order: keep it on both.
    """

    def format_help(self, ctx, formatter) -> None:
        super(TyperGroup, self).format_help(ctx, formatter)

    def list_commands(self, ctx) -> List[str]:
        return list(self.commands)

    def make_context(self, info_name, args, parent=None, **extra):
        try:  # parsing runs the eager callbacks (--version)
            return super().make_context(info_name, args, parent=parent, **extra)
        except KeyboardInterrupt:
            raise Interrupted() from None

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise Interrupted() from None


class PlainHelpCommand(TyperCommand):
    """A command whose `--help` is plain text on every typer (see PlainHelpGroup)."""

    def format_help(self, ctx, formatter) -> None:
        super(TyperCommand, self).format_help(ctx, formatter)


class NumaprobeApp(typer.Typer):
    """typer.Typer whose commands default to PlainHelpCommand, so the command modules need not say so."""

    def command(self, name: Optional[str] = None, *, cls=None, **kwargs):
        return super().command(name, cls=cls or PlainHelpCommand, **kwargs)


app = NumaprobeApp(
    name="numaprobe",
    cls=PlainHelpGroup,
    rich_markup_mode=None,
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
    try:
        rv = app(args=argv, prog_name="numaprobe", standalone_mode=False)
    except NumaprobeError as e:
        typer.echo("numaprobe: error: %s" % " ".join(str(e).split("\n")), err=True)
        sys.exit(e.exit_code)
    except CliError as e:
        _cli_error(e)
    except (Interrupted, KeyboardInterrupt, typer.Abort):
        rv = EXIT_INTERRUPTED
    except BrokenPipeError:
        # `numaprobe probe | head`: the reader went away; not an error worth a traceback.
        try:
            sys.stdout = None  # type: ignore[assignment]
        finally:
            os._exit(0)
    if rv == EXIT_INTERRUPTED:
        # Ctrl-C while the top-level options are parsed: typer < 0.26 raises Abort, typer >= 0.26 (0.29 checked)
        # turns it into Exit(130), which standalone_mode=False returns. Nothing in numaprobe returns 130 itself.
        typer.echo("numaprobe: interrupted", err=True)
    sys.exit(rv if isinstance(rv, int) else 0)


def _cli_error(e: Exception) -> None:
    """click's (or typer's copy of click's) error, as one line: no usage block, no hint, no rich panel."""
    what = " ".join(e.format_message().split())
    code = getattr(e, "exit_code", 1)
    if code == EXIT_USAGE:  # UsageError and its subclasses (bad value, missing argument, no such option)
        ctx = getattr(e, "ctx", None)
        cmd = ctx.command_path if ctx is not None else "numaprobe"
        typer.echo("%s: error: %s (see --help)" % (cmd, what), err=True)
    else:  # FileError and the like: click's own exit code (1)
        typer.echo("numaprobe: error: %s" % what, err=True)
    sys.exit(code)
