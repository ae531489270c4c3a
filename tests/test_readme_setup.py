"""The README's set-up command works verbatim on a fresh Debian 12 both as root, where a container has no sudo,
and as a user with sudo, where .ci/setup asks it. apt-get and sudo are stand-ins that record each call (nothing is
installed: .ci/run has run the real set-up already); the rest of the command, `numaprobe probe`, runs for real."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import List

import pytest

from audit import REPO, nobody_preexec
from oracles import SCRATCH

APT_GET = '#!/bin/sh\necho "apt-get uid=$(id -u) $1" >> "$NUMAPROBE_STUB_LOG"\n'
# A real sudo runs the command as root; the stand-in only records that it was asked, and runs it.
SUDO = '#!/bin/sh\necho "sudo uid=$(id -u) $1" >> "$NUMAPROBE_STUB_LOG"\nexec "$@"\n'


def readme_commands() -> List[str]:
    section = (REPO / "README.md").read_text().split("## Two commands", 1)[1].split("\n## ", 1)[0]
    return [line.strip() for line in section.splitlines() if line.startswith("    ")]


def _place(with_sudo: bool) -> Path:
    """A world-readable directory with the stand-ins in bin/, the stub log, and a copy of what the command reads."""
    d = Path(tempfile.mkdtemp(prefix="numaprobe-readme-", dir=str(SCRATCH) if SCRATCH else None))
    (d / "bin").mkdir()
    for name, text in [("apt-get", APT_GET)] + ([("sudo", SUDO)] if with_sudo else []):
        (d / "bin" / name).write_text(text)
        os.chmod(d / "bin" / name, 0o755)
    (d / "checkout" / ".ci").mkdir(parents=True)
    shutil.copy(REPO / ".ci" / "setup", d / "checkout" / ".ci" / "setup")
    shutil.copytree(REPO / "numaprobe", d / "checkout" / "numaprobe", ignore=shutil.ignore_patterns("__pycache__"))
    (d / "stub.log").write_text("")
    for p in [d] + [Path(r) / n for r, dirs, files in os.walk(d) for n in dirs + files]:
        os.chmod(p, 0o777 if p.name == "stub.log" else (0o755 if p.is_dir() or p.parent.name == "bin" else 0o644))
    return d


def _run(d: Path, preexec=None) -> subprocess.CompletedProcess:
    path = "%s:/usr/sbin:/usr/bin:/sbin:/bin" % (d / "bin")
    env = {"PATH": path, "HOME": str(d), "LANG": "C.UTF-8", "NUMAPROBE_STUB_LOG": str(d / "stub.log"),
           "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(["sh", "-c", readme_commands()[0]], cwd=str(d / "checkout"), env=env, text=True,
                          capture_output=True, timeout=300, preexec_fn=preexec, stdin=subprocess.DEVNULL)


def test_the_readme_has_the_two_commands():
    setup, suite = readme_commands()
    assert setup == "sh .ci/setup && /usr/bin/python3 -m numaprobe probe"
    assert suite == "/usr/bin/python3 -m pytest -q tests"


def test_setup_command_as_root_without_sudo():
    if os.geteuid() != 0:
        pytest.skip("the root case needs root (CI runs as root: there this is a failure)")
    d = _place(with_sudo=False)
    try:
        assert shutil.which("sudo", path="%s:/usr/sbin:/usr/bin:/sbin:/bin" % (d / "bin")) is None, \
            "this machine has sudo: the test needs a root without it, as in a fresh container"
        run = _run(d)
        log = (d / "stub.log").read_text().splitlines()
        assert run.returncode == 0, run.stderr
        assert log == ["apt-get uid=0 update", "apt-get uid=0 install"]
        assert run.stdout.startswith("available: "), run.stdout[:200]  # numactl -H's first line
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_setup_command_as_a_user_with_sudo():
    preexec = nobody_preexec()
    d = _place(with_sudo=True)
    try:
        run = _run(d, preexec=preexec)
        log = (d / "stub.log").read_text().splitlines()
        assert run.returncode == 0, run.stderr
        uid = str(preexec.pw.pw_uid)
        assert log == ["sudo uid=%s apt-get" % uid, "apt-get uid=%s update" % uid,
                       "sudo uid=%s apt-get" % uid, "apt-get uid=%s install" % uid]
        assert run.stdout.startswith("available: "), run.stdout[:200]
    finally:
        shutil.rmtree(d, ignore_errors=True)
