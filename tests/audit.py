"""Run numaprobe's CLI in a child process under a Python audit hook, and measure it.

The hook (PEP 578) sees every file open with its mode/flags and every os-level mutation (remove, rename, chmod,
mkdir, ...) made from Python, including by libraries; it records those that could change the file system, and
every process the CLI starts. The child also reports its peak RSS (VmHWM, else getrusage) and the test measures wall time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence

REPO = Path(__file__).resolve().parents[1]

# Audit events that change the file system whatever their arguments.
MUTATING_EVENTS = (
    "os.remove", "os.rename", "os.chmod", "os.chown", "os.chflags", "os.mkdir", "os.rmdir", "os.symlink", "os.link",
    "os.truncate", "os.utime", "os.setxattr", "os.removexattr", "shutil.rmtree", "shutil.move", "shutil.copyfile",
    "os.mkfifo", "os.mknod",
)
SPAWN_EVENTS = ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty")

_CHILD = r'''
import atexit, json, os, resource, sys
_REPORT = os.environ.pop("NUMAPROBE_AUDIT_REPORT")
_WATCH = json.loads(os.environ.pop("NUMAPROBE_AUDIT_WATCH", "[]"))
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_MUTATING = set(%(mutating)r)
_SPAWN = set(%(spawn)r)
_seen = []
_done = [False]

def _hook(event, args):
    if _done[0]:
        return
    if event == "open":
        path, mode, flags = (tuple(args) + (None, None, None))[:3]
        if _WATCH and isinstance(path, (str, bytes)) and any(w in str(path) for w in _WATCH):
            _seen.append(["open-watched", repr(path), repr(mode), flags])
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & _WRITE_FLAGS)
        if writing:
            _seen.append(["open-for-write", repr(path), repr(mode), flags])
    elif event in _MUTATING:
        _seen.append([event, repr(args)])
    elif event in _SPAWN:
        _seen.append([event, repr(args)[:300]])

sys.addaudithook(_hook)

def _peak_kb():
    # VmHWM is this process's own peak: getrusage's ru_maxrss survives execve, so a child forked from a big
    # pytest process would report the parent's size.
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

def _report():
    _done[0] = True
    with open(_REPORT, "w") as f:
        json.dump({"events": _seen, "maxrss_kb": _peak_kb()}, f)

atexit.register(_report)
from numaprobe.cli.entry import main  # the console entry point: probe's fast path, then typer
main(sys.argv[1:])
''' % {"mutating": MUTATING_EVENTS, "spawn": SPAWN_EVENTS}


@dataclass
class Run:
    code: int
    out: str
    err: str
    events: List[list] = field(default_factory=list)
    maxrss_mb: float = 0.0
    seconds: float = 0.0

    def writes(self, allowed: Sequence[str] = ()) -> List[list]:
        """Recorded mutations, minus those naming one of `allowed` (paths)."""
        return [e for e in self.events if not any(a in " ".join(map(str, e[1:])) for a in allowed)]


def run_audited(args: Sequence[str], cwd: Optional[str] = None, env: Optional[Dict[str, str]] = None,
                timeout: float = 300, preexec=None, watch: Sequence[str] = ()) -> Run:
    """Run `numaprobe ARGS` from this checkout in a child Python with the audit hook installed.

    Any open (even read-only) of a path containing one of `watch` is recorded as "open-watched".
    """
    fd, report = tempfile.mkstemp(prefix="numaprobe-audit-", suffix=".json",
                                  dir="/dev/shm" if os.access("/dev/shm", os.W_OK) else None)
    os.close(fd)
    os.chmod(report, 0o666)  # an unprivileged child writes its report here
    e = dict(os.environ)
    e.update({"PYTHONPATH": getattr(preexec, "pythonpath", str(REPO)), "PYTHONDONTWRITEBYTECODE": "1",
              "NUMAPROBE_AUDIT_REPORT": report,
              "NUMAPROBE_AUDIT_WATCH": json.dumps(list(watch))})
    if env:
        e.update(env)
    started = time.monotonic()
    try:
        p = subprocess.run([sys.executable, "-c", _CHILD] + list(args), capture_output=True, text=True,
                           cwd=cwd, env=e, timeout=timeout, stdin=subprocess.DEVNULL, preexec_fn=preexec)
        seconds = time.monotonic() - started
        try:
            with open(report) as f:
                rep = json.load(f)
        except (OSError, ValueError):
            rep = {"events": [["no-report"]], "maxrss_kb": 0}
    finally:
        os.unlink(report)
    return Run(p.returncode, p.stdout, p.stderr, rep["events"], rep["maxrss_kb"] / 1024.0, seconds)


# A valid invocation of each read-only command on a live host (the first one also works with --root). A command
# the CLI gains must be added here unless it has no required option (tests/test_readonly.py checks).
SAMPLES = {
    "probe": [[], ["--json"]],
    "tables": [[], ["--json"]],
    "check": [[], ["--json"]],
    "physinfo": [[], ["--json"]],
    "numastat": [[], ["--json"], ["--format", "prometheus"], ["--pid", "1"], ["--name", "python"]],
    "simulate": [["--domain", "web:vcpus=2,memory=64M"], ["--domain", "db:vcpus=1,memory=32M", "--json"]],
    "advise": [["--vcpus", "2", "--memory", "64M"], ["--vcpus", "1", "--memory", "16M", "--format", "numactl"],
               ["--vcpus", "1", "--memory", "16M", "--format", "libvirt"],
               ["--vcpus", "1", "--memory", "16M", "--format", "systemd"],
               ["--vcpus", "1", "--memory", "16M", "--format", "xl"]],
    # report writes only the file -o names; to standard output it is as read-only as the others
    "report": [["-o", "-"], ["-o", "-", "--advise", "vcpus=1,memory=16M"]],
    "fleet": [[str(REPO / "sysfs_fixtures" / "2s4c2t-2node-pxb.tar.gz")],
              [str(REPO / "sysfs_fixtures" / "2s4c2t-2node-pxb.tar.gz"), "--json"]],
}
WRITERS = {"capture"}
# Exit statuses that are results, not failures: check 1 = firmware errors found, advise 1 = cannot be placed.
RESULT_CODES = {"check": (0, 1), "advise": (0, 1), "fleet": (0, 1)}


def ok_codes(name: str):
    return RESULT_CODES.get(name, (0,))


def cli_commands() -> Dict[str, object]:
    """{name: click command} of every command numaprobe's CLI has, read from the CLI itself."""
    import typer

    from numaprobe.cli.app import app

    group = typer.main.get_command(app)
    return dict(group.commands)


def one_clean_line(err: str) -> bool:
    lines = err.strip().splitlines()
    return len(lines) == 1 and "Traceback" not in err and lines[0].startswith(("numaprobe", "Usage"))


def readable_by_others(path: Path) -> bool:
    """Whether a user with no rights of its own reaches and reads path: every directory above it searchable by
    others (a clone under a 0700 home is not), and the file itself readable."""
    for d in list(path.parents):
        if not os.stat(d).st_mode & 0o001:
            return False
    return bool(os.stat(path).st_mode & 0o004)


_NOBODY_COPIES: Dict[str, str] = {}


def importable_by_others(repo: Path = REPO) -> str:
    """A directory from which any user imports this checkout's numaprobe: the checkout itself when others can read
    it, else a world-readable copy of its numaprobe/ package under /dev/shm (made once, removed at exit)."""
    if readable_by_others(repo / "numaprobe" / "__init__.py"):
        return str(repo)
    if str(repo) not in _NOBODY_COPIES:
        import atexit
        import shutil

        base = tempfile.mkdtemp(prefix="numaprobe-for-nobody-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
        shutil.copytree(repo / "numaprobe", os.path.join(base, "numaprobe"),
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        for d, dirs, files in os.walk(base):
            os.chmod(d, 0o755)
            for f in files:
                os.chmod(os.path.join(d, f), 0o644)
        atexit.register(shutil.rmtree, base, True)
        _NOBODY_COPIES[str(repo)] = base
    return _NOBODY_COPIES[str(repo)]


class NobodyPreexec:
    """preexec_fn that drops to `nobody`; run_audited puts `pythonpath` (where nobody can import numaprobe from)
    on the child's PYTHONPATH."""

    def __init__(self, pw):
        self.pw = pw
        self.pythonpath = importable_by_others()

    def __call__(self):
        os.setgroups([])
        os.setgid(self.pw.pw_gid)
        os.setuid(self.pw.pw_uid)


def nobody_preexec() -> NobodyPreexec:
    """A preexec_fn that drops to the unprivileged user `nobody`; skips the test when that is impossible (not root,
    no such user: in CI, tests/conftest.py turns the skip into a failure)."""
    import pwd

    import pytest

    if os.geteuid() != 0:
        pytest.skip("dropping to an unprivileged user needs root (run the suite as root to cover this)")
    try:
        pw = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no user 'nobody' on this system")
    # the interpreter and its libraries (a venv under a 0700 home would not do) are not ours to copy: say so
    import typer

    for needed in (Path(os.path.realpath(sys.executable)), Path(typer.__file__)):
        assert readable_by_others(needed), "%s is not readable by other users: `nobody` cannot run %s" % (
            needed, sys.executable)
    return NobodyPreexec(pw)
