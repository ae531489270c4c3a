"""fleet's progress bar (tqdm) is drawn on stderr when stderr is a terminal and the run takes over a second; never
when piped, and never on stdout."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import tempfile
from pathlib import Path

import fleet_fixtures as ff
from oracles import REPO, SCRATCH


def _fleet_dir(count: int) -> Path:
    base = Path(tempfile.mkdtemp(prefix="fleet-progress-", dir=str(SCRATCH) if SCRATCH else None))
    data = ff.BASE.read_bytes()
    for i in range(count):
        (base / ("m%03d.tar.gz" % i)).write_bytes(data)
    return base


def _run(fleet: Path, stderr_tty: bool):
    env = dict(os.environ, PYTHONPATH=str(REPO), COLUMNS="100")
    cmd = [sys.executable, "-m", "numaprobe", "fleet", "--jobs", "1", "--format", "csv", str(fleet)]
    if not stderr_tty:
        p = subprocess.run(cmd, capture_output=True, env=env, timeout=300)
        return p.returncode, p.stdout.decode(), p.stderr.decode()
    master, slave = pty.openpty()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=slave, env=env)
    os.close(slave)
    err = b""
    while True:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            err += chunk
        elif p.poll() is not None:
            break
    out = p.stdout.read().decode()
    p.wait(timeout=300)
    os.close(master)
    return p.returncode, out, err.decode(errors="replace")


def test_progress_bar_on_a_terminal_only():
    fleet = _fleet_dir(300)  # ~10 ms each in one process: well over the 1 s tqdm waits before drawing
    code, out, err = _run(fleet, stderr_tty=True)
    assert code == 0
    assert "machine" in err and "/300" in err
    assert "machine/s" not in out and out.count("\n") == 301
    code, out, err = _run(fleet, stderr_tty=False)
    assert code == 0 and err == "" and out.count("\n") == 301
