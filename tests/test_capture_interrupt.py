"""`capture` killed at random moments leaves either nothing at the target path or a complete, valid archive.

SIGKILL gives capture no chance to clean up: the archive is written under a temporary sibling name and renamed
only when complete, so the target never holds a partial archive (the sibling may remain, and is never a
valid-looking target). SIGINT and SIGTERM end with exit status 130 and one line, and remove the sibling.
The moments are random but seeded (the seed is in the failure message), 20 tries per signal.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import tarfile
import time

import pytest

from audit import REPO
from numaprobe.source.root import open_root

TRIES = int(os.environ.get("NUMAPROBE_INTERRUPT_TRIES", "20"))


def _start(out):
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONDONTWRITEBYTECODE="1")
    return subprocess.Popen([sys.executable, "-m", "numaprobe", "capture", str(out)], env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def duration(tmp_path_factory):
    """How long one capture takes here, so the kill moments spread over all of it."""
    out = tmp_path_factory.mktemp("timing") / "t.tar.gz"
    started = time.monotonic()
    p = _start(out)
    _, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    return time.monotonic() - started


def _valid(path) -> bool:
    with tarfile.open(path) as tf:
        manifest = json.load(tf.extractfile("numaprobe-manifest.json"))
    open_root(str(path))  # and numaprobe itself accepts it
    return manifest["files"] > 10


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM], ids=["KILL", "INT", "TERM"])
def test_capture_interrupted_leaves_nothing_or_a_valid_archive(sig, duration, tmp_path):
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    outcomes = {"absent": 0, "complete": 0}
    codes = {}
    for i in range(TRIES):
        d = tmp_path / str(i)
        d.mkdir()
        out = d / "host.tar.gz"
        p = _start(out)
        # the interpreter installs its SIGINT handler ~20 ms in; before that SIGINT kills like SIGKILL
        time.sleep(rng.uniform(0.05, duration * 1.1))
        p.send_signal(sig)
        _, err = p.communicate(timeout=120)
        why = "seed %d try %d: exit %s, stderr %r" % (seed, i, p.returncode, err)
        codes[p.returncode] = codes.get(p.returncode, 0) + 1
        if out.exists():
            assert _valid(out), why
            outcomes["complete"] += 1
        else:
            outcomes["absent"] += 1
        leftovers = [f for f in os.listdir(d) if f != "host.tar.gz"]
        partial_only = all(f.startswith(".host.tar.gz.") and f.endswith(".partial") for f in leftovers)
        if sig == signal.SIGKILL:
            assert p.returncode in (-signal.SIGKILL, 0), why
            assert partial_only, why
        elif p.returncode == -signal.SIGTERM:
            # SIGTERM's default action, before capture installs its handler or after it restored it (done)
            assert sig == signal.SIGTERM and partial_only, why
        else:
            assert p.returncode in (0, 130), why
            if p.returncode == 0:  # finished before the signal arrived
                assert out.exists(), why
            else:
                assert err.strip() == "numaprobe: interrupted", why
            assert leftovers == [], why
    print("interrupted with %s: capture takes %.2f s; targets %s; exit statuses %s" % (sig.name, duration, outcomes,
                                                                                    codes))
    assert outcomes["absent"] > 0, "no try interrupted a capture (seed %d): %s" % (seed, outcomes)
