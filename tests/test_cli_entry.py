"""The typer-free fast path for `numaprobe probe` prints exactly what the typer application prints, and every
other argument list goes to typer."""

from __future__ import annotations

import pytest

from numaprobe.cli.entry import parse_fast_probe
from oracles import QEMU_CORPUS, run_numaprobe


@pytest.mark.parametrize("args,expected", [
    ([], (None, False)),
    (["probe"], (None, False)),
    (["--json"], (None, True)),
    (["probe", "--root", "x.tar.gz", "--json"], ("x.tar.gz", True)),
    (["-r", "dir"], ("dir", False)),
    (["--root=dir", "--json"], ("dir", True)),
    (["probe", "--help"], None),
    (["--version"], None),
    (["probe", "--json", "--json"], None),
    (["--root"], None),
    (["--root", "--json"], None),
    (["tables"], None),
    (["probe", "extra"], None),
])
def test_fast_path_grammar(args, expected):
    assert parse_fast_probe(args) == expected


@pytest.mark.parametrize("fmt", [[], ["--json"]])
def test_fast_path_and_typer_print_the_same(fmt, cli):
    tarball = QEMU_CORPUS / "b-snc4-1s8c.tar.gz"
    if not tarball.exists():
        pytest.skip("shared corpus absent")
    fast = run_numaprobe("probe", "--root", str(tarball), *fmt)
    code, slow, _ = cli("probe", "--root", str(tarball), *fmt)  # numaprobe.cli.app.main: the typer path
    assert code == 0 and fast.stdout == slow


def test_fast_path_errors_are_one_line(tmp_path):
    proc = run_numaprobe("probe", "--root", str(tmp_path / "missing"), check=False)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("numaprobe: error: ")
