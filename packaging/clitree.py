"""The live numaprobe command tree, read from click, for the man page and completion generators.

Everything here comes from the CLI itself (typer builds a click Group; we walk it), so a command or option added
to numaprobe/cli/ shows up in the man pages and completions without anyone editing a list.

The tree is read by duck typing, never through `import click`: typer < 0.26 builds it from click (8.1 on
Debian 12), typer >= 0.26 from its own copy (typer._click), and click 8.2 changed make_metavar() to take the
context. The same numaprobe gives the same tree, hence the same man pages and completions, on all of them
(tests/test_packaging_both_ends.py compares the two interpreters' output).
"""

from __future__ import annotations

import inspect
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
    choices: Tuple[str, ...]       # what click's shell completion offers (a Choice's values), else ()
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


def _completions(p, ctx) -> Tuple[Tuple[str, str], ...]:
    """(value, kind) pairs the parameter offers for an empty word: click's shell_complete, public and the same in
    click 8.1 and typer >= 0.26 (whose parameters have no click ParamType any more)."""
    return tuple((str(item.value), item.type) for item in p.shell_complete(ctx, ""))


def _metavar(p, choices: Tuple[str, ...]) -> str:
    """The value's placeholder, by one rule whatever the typer version: typer >= 0.26 would write "<int>" and
    "<a|b>" where click writes "INTEGER" and "[a|b]". An explicit metavar= wins; choices read as click shows them;
    otherwise the parameter's own name."""
    if p.metavar:
        return p.metavar
    if choices:
        return "[%s]" % "|".join(choices)
    return p.name.upper() + ("..." if p.nargs == -1 else "")


def _param(p, ctx) -> Param:
    is_argument = p.param_type_name == "argument"
    # Short options first, as man pages and --help list them: "-r, --root".
    opts = tuple(sorted(list(p.opts) + list(p.secondary_opts), key=lambda o: (o.startswith("--"), o)))
    is_flag = bool(getattr(p, "is_flag", False))
    offered = () if is_flag else _completions(p, ctx)
    choices = tuple(value for value, kind in offered if kind == "plain")
    metavar = "" if is_flag else _metavar(p, choices)
    hint = metavar.upper()
    takes_path = any(kind in ("file", "dir") for _, kind in offered) or any(
        w in hint for w in ("PATH", "FILE", ".TAR", "DIR"))
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
    params = tuple(_param(p, ctx) for p in cmd.get_params(ctx) if not getattr(p, "hidden", False))
    return Command(name=name, help=(cmd.help or "").strip(), short_help=cmd.get_short_help_str(limit=200),
                   params=params)


def load(repo: Optional[Path] = None) -> Program:
    """Import numaprobe from `repo` (default: this checkout) and return its command tree."""
    import importlib

    root = str(repo or REPO)
    if root not in sys.path:
        sys.path.insert(0, root)
    import typer.main

    app_mod = importlib.import_module("numaprobe.cli.app")
    version = importlib.import_module("numaprobe").__version__
    group = typer.main.get_command(app_mod.app)
    # The app's context_settings carry help_option_names (-h, --help); subcommand contexts inherit them.
    ctx = group.context_class(group, info_name="numaprobe", **group.context_settings)
    commands = []
    for name in group.list_commands(ctx):
        sub = group.get_command(ctx, name)
        if sub is None or getattr(sub, "hidden", False):
            continue
        sub_ctx = sub.context_class(sub, info_name=name, parent=ctx, **sub.context_settings)
        commands.append(_command(sub, sub_ctx, name))
    return Program(name="numaprobe", version=version, top=_command(group, ctx, ""), commands=tuple(commands))
