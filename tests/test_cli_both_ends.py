"""The CLI behaves the same on Debian 12's typer 0.7 (click 8.1) and on the newest typer (its own copy of click,
values converted by pydantic): plain `--help` with the commands in COMMAND_MODULES order even when rich is
importable, and Ctrl-C as one line and exit 130. Misuse (exit 2, one line) is tests/test_cli_misuse.py's matrix."""

from __future__ import annotations

import importlib.util
import re

import pytest

from audit import cli_commands
from numaprobe.cli import app as app_module

COMMANDS = cli_commands()
BOX_DRAWING = re.compile("[\u2500-\u257f]")  # rich's panels: ╭─ Options ─╮ │ ╰─╯


def test_rich_is_importable_so_the_plain_help_tests_prove_something():
    # typer draws its boxes only when rich imports: .ci/setup installs python3-rich, typer >= 0.12 requires rich
    assert importlib.util.find_spec("rich") is not None, "rich is not importable: run .ci/setup"


@pytest.mark.parametrize("argv", [["--help"], ["-h"]] + [[name, "--help"] for name in sorted(COMMANDS)],
                         ids=lambda a: " ".join(a))
def test_help_is_plain_text(argv, cli):
    code, out, err = cli(*argv)
    assert code == 0 and err == "", (code, err)
    assert out.startswith("Usage: numaprobe "), out[:200]
    assert not BOX_DRAWING.search(out) and "\x1b" not in out, out
    assert "\nOptions:\n" in out


def test_commands_are_listed_in_command_modules_order(cli):
    code, out, _ = cli("--help")
    block = out.split("\nCommands:\n", 1)[1]
    listed = [line.split()[0] for line in block.splitlines() if line.startswith("  ") and line[2] != " "]
    assert listed == [name for name in app_module.COMMAND_MODULES if name in COMMANDS]


class _CtrlC:
    def __str__(self) -> str:
        raise KeyboardInterrupt


def test_ctrl_c_during_a_command_is_one_line_and_exit_130(cli, monkeypatch):
    import numaprobe.source.root as root_module

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(root_module, "open_root", interrupted)
    assert cli("probe", "--root", "x") == (130, "", "numaprobe: interrupted\n")


def test_ctrl_c_while_options_are_parsed_is_one_line_and_exit_130(cli, monkeypatch):
    # --version is eager: its callback runs while click parses the top-level options
    monkeypatch.setattr(app_module, "__version__", _CtrlC())
    assert cli("--version") == (130, "", "numaprobe: interrupted\n")
