"""Options and helpers every command shares, so --root and --json mean the same everywhere."""

from __future__ import annotations

from typing import Optional

import typer

ROOT_HELP = ("Read a captured machine instead of this host: a directory holding sys/ and proc/ (or one top "
             "directory that does), or a .tar/.tar.gz/.tar.bz2/.tar.xz of one, read in memory; or a sosreport "
             "(directory or archive).")


def root_option() -> Optional[str]:
    return typer.Option(None, "--root", "-r", metavar="PATH", help=ROOT_HELP)


def json_option() -> bool:
    return typer.Option(False, "--json", help="Print a versioned JSON document (see docs/json.md).")


def load_machine(path: Optional[str], **detail):
    """The one Machine a command works on, built once (model.gather.load_machine)."""
    from numaprobe.model.gather import load_machine as load

    return load(path, **detail)


def emit(text: str) -> None:
    typer.echo(text, nl=False)
