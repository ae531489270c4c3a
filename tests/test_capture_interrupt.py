"""`capture` interrupted at any moment leaves either nothing at the target path (exit 130, one line) or a complete,
valid archive (exit 0).

SIGKILL gives capture no chance to clean up: the archive is written under a temporary sibling name and renamed
only when complete, so the target never holds a partial archive (the sibling may remain, and is never a
valid-looking target). SIGINT and SIGTERM remove the sibling and exit 130 with "numaprobe: interrupted" unless
the archive was already in place, and then exit 0: the user is never told a complete capture failed.

The moments are random but seeded (the seed is in the failure message) and measured in progress, not time (CI
machines are loaded unevenly): the signal goes when the temporary file has grown to a random share of a whole
archive, or, for a share over 100%, right when the archive lands. Before the temporary file exists Python is still
starting, and a signal there ends Python, not numaprobe. Random moments rarely hit the microseconds around the
rename, so the window tests put the signal there on purpose: the child wraps os.chmod and os.replace to send it
to itself just before, inside and just after the rename.
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
INTERRUPTED = "numaprobe: interrupted"


def _as_from_a_terminal():
    # a shell's background job (`pytest &`) ignores SIGINT, and Python then installs no handler: the child gets
    # the disposition a user at a terminal has
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _env():
    return dict(os.environ, PYTHONPATH=str(REPO), PYTHONDONTWRITEBYTECODE="1")


def _start(out):
    return subprocess.Popen([sys.executable, "-m", "numaprobe", "capture", str(out)], env=_env(),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_as_from_a_terminal)


def _partial_size(d) -> int:
    """Bytes written to the temporary file so far; -1 before it exists or once it is gone."""
    for f in os.listdir(d):
        if f.endswith(".partial"):
            try:
                return os.stat(os.path.join(d, f)).st_size
            except OSError:
                return -1
    return -1


@pytest.fixture(scope="module")
def full_size(tmp_path_factory):
    """How big a whole archive is here, so the moments spread over all of a capture."""
    out = tmp_path_factory.mktemp("size") / "t.tar.gz"
    p = _start(out)
    _, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    return out.stat().st_size


def _signal_at(p, d, out, share: float, full: int, sig) -> None:
    """Send sig when the temporary file holds share * full bytes, or, past 100%, when the archive lands."""
    while p.poll() is None:
        size = _partial_size(d)
        if out.exists() or (0 <= share <= 1 and size >= share * full):
            p.send_signal(sig)
            return
        time.sleep(0.0005)


def _valid(path) -> bool:
    with tarfile.open(path) as tf:
        manifest = json.load(tf.extractfile("numaprobe-manifest.json"))
    open_root(str(path))  # and numaprobe itself accepts it
    return manifest["files"] > 10


def _check_outcome(sig, p, err, d, out, why) -> str:
    leftovers = [f for f in os.listdir(d) if f != "host.tar.gz"]
    complete = out.exists()
    if complete:
        assert _valid(out), why
    if sig == signal.SIGKILL:
        assert p.returncode in (-signal.SIGKILL, 0), why
        assert all(f.startswith(".host.tar.gz.") and f.endswith(".partial") for f in leftovers), why
    elif complete:
        assert p.returncode == 0, why  # finished, or interrupted once the archive was in place
        assert INTERRUPTED not in err and leftovers == [], why
    else:
        assert p.returncode == 130 and err.strip() == INTERRUPTED and leftovers == [], why
    return "complete" if complete else "absent"


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM], ids=["KILL", "INT", "TERM"])
def test_capture_interrupted_leaves_nothing_or_a_valid_archive(sig, full_size, tmp_path):
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    outcomes = {"absent": 0, "complete": 0}
    codes = {}
    for i in range(TRIES):
        d = tmp_path / str(i)
        d.mkdir()
        out = d / "host.tar.gz"
        share = rng.uniform(0, 1.25)
        p = _start(out)
        _signal_at(p, d, out, share, full_size, sig)
        _, err = p.communicate(timeout=120)
        why = "seed %d try %d (at %.0f%%): exit %s, stderr %r" % (seed, i, share * 100, p.returncode, err)
        codes[p.returncode] = codes.get(p.returncode, 0) + 1
        outcomes[_check_outcome(sig, p, err, d, out, why)] += 1
    print("interrupted with %s: archive %d bytes; targets %s; exit statuses %s" % (sig.name, full_size, outcomes,
                                                                                 codes))
    assert outcomes["absent"] > 0, "no try interrupted a capture (seed %d): %s" % (seed, outcomes)


# The child sends itself the signal at one moment of the commit: after the chmod that precedes the rename (still
# interruptible), inside os.replace before the rename syscall, and right after it.
_WINDOW = """
import os, signal, sys
sig, where = int(sys.argv[1]), sys.argv[2]
real_replace, real_chmod = os.replace, os.chmod
def chmod(*a, **k):
    real_chmod(*a, **k)
    if where == "before" and str(a[0]).endswith(".partial"):
        os.kill(os.getpid(), sig)
def replace(*a, **k):
    if where == "inside":
        os.kill(os.getpid(), sig)
    real_replace(*a, **k)
    if where == "after":
        os.kill(os.getpid(), sig)
os.chmod, os.replace = chmod, replace
del sys.argv[1:3]
from numaprobe.cli.entry import main
main()
"""


@pytest.mark.parametrize("where,expected", [("before", "absent"), ("inside", "complete"), ("after", "complete")])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["INT", "TERM"])
def test_a_signal_at_the_rename_gives_the_truth(sig, where, expected, tmp_path):
    out = tmp_path / "host.tar.gz"
    p = subprocess.run([sys.executable, "-c", _WINDOW, str(int(sig)), where, "capture", "--no-dmesg", str(out)],
                       env=_env(), stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300,
                       preexec_fn=_as_from_a_terminal)
    why = "%s %s: exit %s, stderr %r" % (sig.name, where, p.returncode, p.stderr)
    assert _check_outcome(sig, p, p.stderr, tmp_path, out, why) == expected, why
