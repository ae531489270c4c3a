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


def copy_tree(repo, dst) -> None:
    """The checkout as a developer sees it (tracked and new files, not ignored ones) copied to dst, so that
    builds (egg-info, wheels) never write into the shared working tree."""
    import os
    import shutil
    import subprocess

    r = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=str(repo),
                       capture_output=True, check=True)
    for rel in r.stdout.decode().split("\0"):
        src = os.path.join(str(repo), rel)
        if rel and os.path.isfile(src):
            target = os.path.join(str(dst), rel)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copy2(src, target)


def build_sdist(repo, tmp):
    """Build the sdist from a copy of the tree: with Debian's python3-build when installed (what a packager
    runs), else with setuptools' PEP 517 backend directly. Returns the .tar.gz."""
    import subprocess
    import sys
    from pathlib import Path

    src = Path(tmp) / "src"
    out = Path(tmp) / "dist"
    copy_tree(repo, src)
    try:
        import build  # noqa: F401  (python3-build)

        cmd = [sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", str(out), "."]
    except ImportError:
        cmd = [sys.executable, "-c", "import sys; from setuptools import build_meta; "
               "print(build_meta.build_sdist(sys.argv[1]))", str(out)]
    r = subprocess.run(cmd, cwd=str(src), capture_output=True, text=True,
                       env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
    assert r.returncode == 0, r.stdout + r.stderr
    (sdist,) = out.glob("numaprobe-*.tar.gz")
    return sdist
