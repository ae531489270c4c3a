"""Man pages and completions come out the same whichever typer builds the command tree: Debian 12's typer 0.7
with click 8.1, or the newest typer with its own copy of click (the rpm %build and the deb build run the
generators with whatever the distribution ships).

The other interpreter is NUMAPROBE_OTHER_PYTHON (.ci/run points each of its two runs at the other one); without
it, a venv's run compares with /usr/bin/python3. Both generate into their own directory from this checkout.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from audit import REPO

VERSIONS = "import typer; v = getattr(typer, '__version__', '?'); print(v)"


def other_python() -> str:
    other = os.environ.get("NUMAPROBE_OTHER_PYTHON")
    if not other and sys.prefix != sys.base_prefix and os.path.exists("/usr/bin/python3"):
        other = "/usr/bin/python3"  # in a venv: compare with the system's own libraries
    if not other:
        pytest.skip("set NUMAPROBE_OTHER_PYTHON to a Python with other typer/click versions (.ci/run does)")
    return other


def _run(python: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONDONTWRITEBYTECODE="1", SOURCE_DATE_EPOCH="1700000000")
    return subprocess.run([python, *args], cwd=str(REPO), env=env, capture_output=True, text=True, timeout=300)


def _pages(python: str, out: Path) -> dict:
    run = _run(python, str(REPO / "packaging" / "gen_manpages.py"), str(out))
    assert run.returncode == 0, run.stderr
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(out.iterdir())}


def test_the_other_interpreter_has_another_typer():
    mine, theirs = _run(sys.executable, "-c", VERSIONS), _run(other_python(), "-c", VERSIONS)
    assert mine.returncode == 0 and theirs.returncode == 0, (mine.stderr, theirs.stderr)
    assert mine.stdout != theirs.stdout, "both interpreters have typer %s: nothing is compared" % mine.stdout


def test_man_pages_are_the_same_from_both_ends(tmp_path):
    mine = _pages(sys.executable, tmp_path / "mine")
    theirs = _pages(other_python(), tmp_path / "theirs")
    assert sorted(mine) == sorted(theirs) and len(mine) > 5
    for name in mine:
        assert mine[name] == theirs[name], name


def test_completions_are_the_same_from_both_ends():
    # --check compares with the committed files, which tests/test_packaging_completion.py checks from this end
    for python in (sys.executable, other_python()):
        run = _run(python, str(REPO / "packaging" / "gen_completion.py"), "--check")
        assert run.returncode == 0, (python, run.stderr)
