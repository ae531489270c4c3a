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


def test_a_bug_is_one_line_and_exit_70_not_a_traceback(tmp_path):
    """Force an unexpected exception inside a command (a reader that raises RuntimeError) in a child process."""
    import subprocess
    import sys

    from oracles import REPO

    code = ("import sys; import numaprobe.model.build as b\n"
            "def boom(*args, **kwargs): raise RuntimeError('simulated bug')\n"
            "b.build_topology = boom\n"
            "from numaprobe.cli.entry import main; main(sys.argv[1:])\n")
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-c", code, "probe"], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 70
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "internal error: RuntimeError: simulated bug" in proc.stderr
    proc = subprocess.run([sys.executable, "-c", code, "physinfo"], capture_output=True, text=True, env=env,
                          timeout=60)
    assert proc.returncode == 70 and "Traceback" not in proc.stderr
    env["NUMAPROBE_DEBUG"] = "1"
    proc = subprocess.run([sys.executable, "-c", code, "probe"], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 1 and "Traceback" in proc.stderr
