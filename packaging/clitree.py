"""The live numaprobe command tree, read from click, for the man page and completion generators.

Everything here comes from the CLI itself (typer builds a click Group; we walk it), so a command or option added
to numaprobe/cli/ shows up in the man pages and completions without anyone editing a list.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Tuple

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Param:
    """One option or argument as the user types it."""

    opts: Tuple[str, ...]          # long first ("--root", "-r"); for arguments: ()
    metavar: str                   # "PATH", "[FILE]..."; "" for flags
    value_name: str                # the metavar without brackets and dots: "FILE"; "" for flags
    help: str
    is_flag: bool
    is_argument: bool
    required: bool
    multiple: bool
    choices: Tuple[str, ...]       # from click.Choice, else ()
    takes_path: bool               # the value is a file or directory name (complete it as one)
    default: str                   # shown as "Default: ..." ("" when there is none worth showing)

    @property
    def long_opts(self) -> Tuple[str, ...]:
        return tuple(o for o in self.opts if o.startswith("--"))

    @property
    def main_opt(self) -> str:
        """The name to show in a synopsis: the long one when there is one."""
        return (self.long_opts or self.opts)[0]


@dataclass(frozen=True)
class Command:
    name: str                      # "" for the top-level program
    help: str
    short_help: str
    params: Tuple[Param, ...]

    @property
    def options(self) -> Tuple[Param, ...]:
        return tuple(p for p in self.params if not p.is_argument)

    @property
    def arguments(self) -> Tuple[Param, ...]:
        return tuple(p for p in self.params if p.is_argument)


@dataclass(frozen=True)
class Program:
    name: str
    version: str
    top: Command
    commands: Tuple[Command, ...]


def _param(p) -> Param:
    import click

    is_argument = isinstance(p, click.Argument)
    # Short options first, as man pages and --help list them: "-r, --root".
    opts = tuple(sorted(list(p.opts) + list(p.secondary_opts), key=lambda o: (o.startswith("--"), o)))
    is_flag = bool(getattr(p, "is_flag", False))
    metavar = "" if is_flag else p.make_metavar()
    choices = tuple(p.type.choices) if isinstance(p.type, click.Choice) else ()
    hint = (getattr(p, "metavar", None) or "").upper()
    takes_path = isinstance(p.type, click.Path) or any(w in hint for w in ("PATH", "FILE", ".TAR", "DIR"))
    # click writes optional arguments as "[FILE]..."; a metavar may itself end in "]" ("NAME[,policy=P]").
    bare = re.fullmatch(r"\[(.*)\](?:\.\.\.)?|(.*?)(?:\.\.\.)?", metavar)
    return Param(
        opts=() if is_argument else opts,
        metavar=metavar,
        value_name=(bare.group(1) if bare.group(1) is not None else bare.group(2)) if bare else metavar,
        help=" ".join((getattr(p, "help", None) or "").split()),
        is_flag=is_flag,
        is_argument=is_argument,
        required=bool(p.required),
        multiple=bool(getattr(p, "multiple", False)) or (is_argument and p.nargs == -1),
        choices=choices,
        takes_path=takes_path and not is_flag,
        default=_default_text(p, is_flag),
    )


def _default_text(p, is_flag: bool) -> str:
    value = p.default
    if is_flag or value is None or value == () or value == [] or callable(value) or not getattr(p, "show_default", True):
        return ""
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value)
    return str(value)


def _command(cmd, ctx, name: str) -> Command:
    params = tuple(_param(p) for p in cmd.get_params(ctx) if not getattr(p, "hidden", False))
    return Command(name=name, help=(cmd.help or "").strip(), short_help=cmd.get_short_help_str(limit=200),
                   params=params)


def load(repo: Optional[Path] = None) -> Program:
    """Import numaprobe from `repo` (default: this checkout) and return its command tree."""
    import importlib

    root = str(repo or REPO)
    if root not in sys.path:
        sys.path.insert(0, root)
    import click
    import typer.main

    app_mod = importlib.import_module("numaprobe.cli.app")
    version = importlib.import_module("numaprobe").__version__
    group = typer.main.get_command(app_mod.app)
    # The app's context_settings carry help_option_names (-h, --help); subcommand contexts inherit them.
    ctx = click.Context(group, info_name="numaprobe", **group.context_settings)
    commands = []
    for name in group.list_commands(ctx):
        sub = group.get_command(ctx, name)
        if sub is None or getattr(sub, "hidden", False):
            continue
        commands.append(_command(sub, click.Context(sub, info_name=name, parent=ctx, **sub.context_settings), name))
    return Program(name="numaprobe", version=version, top=_command(group, ctx, ""), commands=tuple(commands))
