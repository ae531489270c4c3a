"""What `numaprobe --help` and `numaprobe COMMAND --help` say, parsed from the text the user sees.

The packaging tests compare man pages and completions with this rather than with the click tree that generated
them, so a generator that skips something the CLI shows is caught.
"""

from __future__ import annotations

import re
from typing import Dict, List, Tuple

_OPTION = re.compile(r"(?:^|[\s,])(--?[A-Za-z][\w-]*)")


def _sections(text: str) -> Dict[str, List[str]]:
    out: Dict[str, List[str]] = {}
    current = None
    for line in text.splitlines():
        m = re.match(r"^(\w[\w ]*):\s*$", line)
        if m:
            current = m.group(1)
            out[current] = []
        elif current is not None:
            out[current].append(line)
    return out


def help_text(cli, *args: str) -> str:
    code, out, err = cli(*args, "--help")
    assert code == 0, err
    return out


def commands(cli) -> List[str]:
    lines = _sections(help_text(cli)).get("Commands", [])
    return [m.group(1) for m in (re.match(r"^  (\S+)", l) for l in lines) if m]


def options(cli, *command: str) -> List[str]:
    """Every option spelling (-r and --root) in the Options block of the command's help."""
    found = []
    for line in _sections(help_text(cli, *command)).get("Options", []):
        # An option's own line is indented by two; wrapped help text ("-p).") is indented further.
        if re.match(r"^  -", line):
            found += _OPTION.findall(" " + re.split(r"\s{2,}", line.strip())[0])
    return found


def arguments(cli, *command: str) -> List[str]:
    """Argument names ("FILE", "OUT.tar.gz") from the Arguments block."""
    names = []
    for line in _sections(help_text(cli, *command)).get("Arguments", []):
        m = re.match(r"^  (\S+)", line)
        if m:
            names.append(re.sub(r"^\[|\](\.\.\.)?$|\.\.\.$", "", m.group(1)))
    return names


def live_tree(cli) -> List[Tuple[str, List[str]]]:
    """[("", top-level options), ("probe", [...]), ...]"""
    return [("", options(cli))] + [(c, options(cli, c)) for c in commands(cli)]
