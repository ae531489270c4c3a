"""Proof that numaprobe's read-only commands never change the host they run on.

Every command the CLI has (read from the CLI itself, so a new one cannot escape) runs on this live machine in a
child process under a Python audit hook that records every open for writing, every remove/rename/chmod/mkdir and
every process started; and again under strace, which also sees what C libraries (libudev, construct's C
helpers) do. Only `capture` may write, and only its output file and the temporary sibling it renames.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile

import pytest

from audit import REPO, SAMPLES, WRITERS, cli_commands, ok_codes, run_audited

COMMANDS = cli_commands()
READ_ONLY = sorted(set(COMMANDS) - WRITERS)


def _required(cmd) -> list:
    return [p.name for p in cmd.params if getattr(p, "required", False)]


def test_every_command_is_covered():
    """A new command is either a writer (listed in WRITERS) or has sample invocations here."""
    assert "probe" in COMMANDS and "capture" in COMMANDS
    missing = [n for n in READ_ONLY if n not in SAMPLES and _required(COMMANDS[n])]
    assert not missing, "add sample invocations for %s to SAMPLES in tests/audit.py" % missing


def _cases():
    for name in READ_ONLY:
        for args in SAMPLES.get(name, [[]]):
            yield pytest.param([name] + args, id=" ".join([name] + args))


@pytest.mark.parametrize("argv", list(_cases()))
def test_read_only_command_never_writes_under_audit_hook(argv, tmp_path):
    run = run_audited(argv, cwd=str(tmp_path))
    assert run.code in ok_codes(argv[0]), run.err
    assert run.events == [], "%s changed or could change the host: %s" % (" ".join(argv), run.events)
    assert os.listdir(tmp_path) == []


STRACE_CALLS = ("open,openat,creat,unlink,unlinkat,rename,renameat,renameat2,mkdir,mkdirat,rmdir,chmod,fchmod,"
                "fchmodat,chown,fchown,fchownat,lchown,truncate,ftruncate,link,linkat,symlink,symlinkat,mknod,"
                "mknodat,utimensat,execve")
_WRITE_OPEN = re.compile(r"O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_APPEND")


def _strace(argv, tmp_path):
    """(process, every successful call that could change the file system, except /dev/null redirection)."""
    if shutil.which("strace") is None:
        pytest.skip("strace is not installed (apt-get install strace)")
    log = tmp_path / "strace.txt"
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONDONTWRITEBYTECODE="1")
    p = subprocess.run(["strace", "-f", "-qq", "-o", str(log), "-e", "trace=" + STRACE_CALLS,
                        sys.executable, "-m", "numaprobe"] + argv, capture_output=True, text=True, env=env,
                       cwd=str(tmp_path), stdin=subprocess.DEVNULL, timeout=300)
    if "ptrace" in p.stderr and p.returncode != 0:
        pytest.skip("strace cannot trace here: %s" % p.stderr.strip()[:200])
    bad = []
    execs = 0
    for line in log.read_text().splitlines():
        if " = -1 " in line:  # failed calls changed nothing
            continue
        call = line.split(None, 1)[-1]
        if call.startswith("execve("):
            execs += 1
            if execs > 1:
                bad.append(call)
            continue
        if call.startswith(("open(", "openat(")):
            if not _WRITE_OPEN.search(call):
                continue
            if '"/dev/null"' in call:  # subprocess stdin/stdout redirection
                continue
        bad.append(call)
    return p, bad


@pytest.mark.parametrize("name", READ_ONLY)
def test_read_only_command_never_writes_under_strace(name, tmp_path):
    argv = [name] + SAMPLES.get(name, [[]])[0]
    p, bad = _strace(argv, tmp_path)
    assert p.returncode in ok_codes(name), p.stderr
    assert bad == [], "%s: %s" % (" ".join(argv), bad[:10])


def test_capture_writes_only_its_output_and_temporary_sibling(tmp_path):
    out = tmp_path / "out" / "host.tar.gz"
    out.parent.mkdir()
    run = run_audited(["capture", str(out)], cwd=str(tmp_path))
    assert run.code == 0, run.err
    tmp_sibling = str(out.parent / ".host.tar.gz.")
    for e in run.events:
        where = " ".join(map(str, e[1:]))
        if e[0] == "subprocess.Popen":
            assert "'dmesg'" in where, e  # the kernel log, read-only
        elif e[0] == "open-for-write" and (where.startswith(("'/dev/null'",)) or re.match(r"^\d+ ", where)):
            continue  # stdin of dmesg; fdopen of the temporary file's descriptor
        else:
            assert tmp_sibling in where or "'%s'" % out in where, e
    assert os.listdir(out.parent) == ["host.tar.gz"] and os.listdir(tmp_path) == ["out"]
    with tarfile.open(out) as tf:
        assert "numaprobe-manifest.json" in tf.getnames()


def test_capture_under_strace_writes_only_its_output(tmp_path):
    out = tmp_path / "host.tar"
    p, calls = _strace(["capture", "--no-dmesg", str(out)], tmp_path)
    assert p.returncode == 0, p.stderr
    assert any("O_CREAT" in c for c in calls)  # the check sees writes: capture's own are its only ones
    allowed = ('"%s"' % out, '"%s' % (tmp_path / ".host.tar."))
    assert [c for c in calls if not any(a in c for a in allowed)] == []
    assert sorted(os.listdir(tmp_path)) == ["host.tar", "strace.txt"]
