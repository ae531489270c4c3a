#!/usr/bin/env python3
"""Time `numaprobe probe --json` against `lstopo-no-graphics --of xml` on the same captured machine.

Usage: bench/probe_vs_lstopo.py [TARBALL] [--runs N]
Default input: the largest hwloc corpus tree, 256ia64-64n2s2c. numaprobe reads the tarball in memory and, for
comparison, the same tree unpacked under /dev/shm; lstopo can only read the unpacked tree. Prints medians and
the ratio numaprobe/lstopo (target: <= 1.0).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT = REPO.parent / "shared" / "corpus" / "hwloc-linux" / "256ia64-64n2s2c.tar.bz2"


def median_time(cmd, env, runs):
    """Median CPU time (user + system) of the child: steadier than wall time on a shared machine."""
    times = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tarball", nargs="?", default=str(DEFAULT))
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    lstopo = shutil.which("lstopo-no-graphics")
    if lstopo is None:
        print("lstopo-no-graphics is not installed (apt-get install hwloc)", file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(dir="/dev/shm" if os.path.isdir("/dev/shm") else None))
    try:
        with tarfile.open(args.tarball) as tf:
            tf.extractall(tmp, members=[m for m in tf.getmembers() if m.isfile() or m.isdir() or m.issym()])
        tree = next((p for p in [tmp, *sorted(tmp.iterdir())] if (p / "sys").exists()), tmp)
        env = dict(os.environ, PYTHONPATH=str(REPO), LANG="C", LC_ALL="C")
        # An installed package has its bytecode compiled (dh_python3 runs py3compile); measure that, not the
        # compiler: some shells here export PYTHONDONTWRITEBYTECODE, which would recompile every module each run.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "numaprobe")], env=env, check=True)
        lenv = dict(env, HWLOC_COMPONENTS="linux,stop", HWLOC_FSROOT=str(tree))
        py = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
        t_lstopo = median_time([lstopo, "--of", "xml", "-"], lenv, args.runs)
        t_tar = median_time([py, "-m", "numaprobe", "probe", "--json", "--root", args.tarball], env, args.runs)
        t_dir = median_time([py, "-m", "numaprobe", "probe", "--json", "--root", str(tree)], env, args.runs)
        t_imports = median_time([py, "-c", "import typer, construct, psutil, pyudev"], env, args.runs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("input: %s (%d runs, median CPU time of each process)" % (args.tarball, args.runs))
    print("lstopo-no-graphics --of xml (unpacked tree)   %7.1f ms" % (t_lstopo * 1e3))
    print("numaprobe probe --json --root TARBALL          %7.1f ms   ratio %.2f" % (t_tar * 1e3, t_tar / t_lstopo))
    print("numaprobe probe --json --root DIRECTORY        %7.1f ms   ratio %.2f" % (t_dir * 1e3, t_dir / t_lstopo))
    print("python -c 'import typer, construct, psutil, pyudev' %7.1f ms   ratio %.2f"
          % (t_imports * 1e3, t_imports / t_lstopo))
    return 0


if __name__ == "__main__":
    sys.exit(main())
