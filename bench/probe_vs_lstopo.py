#!/usr/bin/env python3
"""Time `numaprobe probe --json` against `lstopo-no-graphics --of xml` and against Python's floor, on the same
captured machine, and the fleet-style use of the API.

Usage: bench/probe_vs_lstopo.py [TARBALL ...] [--runs N] [--fleet]
Default input: the largest hwloc corpus tree, 256ia64-64n2s2c, plus the small fixtures that carry ACPI tables.

For each input: numaprobe reads the tarball in memory and the same tree unpacked under /dev/shm; lstopo can only
read the unpacked tree. The floor is the interpreter plus a minimal reader of the same files (the list numaprobe
read, recorded through a RecordingRoot): it opens them, or decompresses and indexes the tarball, and prints them as
JSON. Every figure is the best of N runs' CPU time (user + system) of a child process, all measured in one run
with the ratios computed within it, because the machine is shared (best-of-N is what contention cannot inflate).
Peak RSS is the child's VmHWM. Targets (issue 13): <= 2.5x lstopo from the tarball, <= 2.0x from the directory,
<= 8x on the small fixtures with ACPI tables, peak RSS <= 16 MiB; --fleet: >= 60 tarballs/s and >= 1,000
snapshots/s per core.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
DEFAULT = [CORPUS / "hwloc-linux" / "256ia64-64n2s2c.tar.bz2", REPO / "sysfs_fixtures" / "2s2c-3node-hmat-cache.tar.gz",
           REPO / "sysfs_fixtures" / "4s4c-8node-nps2-uneven.tar.gz"]

# The floor: read the same files and print them, nothing else (argv: root, list file).
FLOOR = r"""
import json, os, sys
root, listing = sys.argv[1], sys.argv[2]
names = open(listing).read().split("\n")
out = {}
if os.path.isdir(root):
    for n in names:
        try:
            with open(os.path.join(root, n), "rb") as f:
                out[n] = f.read().decode("utf-8", "replace")
        except OSError:
            pass
else:
    import bz2, gzip
    raw = open(root, "rb").read()
    data = bz2.decompress(raw) if raw[:3] == b"BZh" else gzip.decompress(raw)
    index, pos = {}, 0
    while pos + 512 <= len(data) and data[pos:pos + 512].count(0) != 512:
        h = data[pos:pos + 512]
        size = int(h[124:136].strip(b"\0 ") or b"0", 8)
        index[h[:100].split(b"\0", 1)[0].decode()] = (pos + 512, size)
        pos += 512 + (size + 511) // 512 * 512
    prefix = next((k.split("/")[0] + "/" for k in index if "/sys/" in k), "")
    for n in names:
        at = index.get(prefix + n)
        if at:
            out[n] = data[at[0]:at[0] + at[1]].decode("utf-8", "replace")
sys.stdout.write(json.dumps(out))
"""

# VmHWM of the child itself (getrusage's ru_maxrss of children survives exec of a bigger parent).
PEAK = ("import atexit, runpy, sys\n"
        "def _peak():\n"
        "    for line in open('/proc/self/status'):\n"
        "        if line.startswith('VmHWM:'):\n"
        "            sys.stderr.write('VMHWM %s\\n' % line.split()[1])\n"
        "atexit.register(_peak)\n"
        "sys.argv = ['numaprobe'] + sys.argv[1:]\n"
        "runpy.run_module('numaprobe', run_name='__main__')\n")


def best_time(cmd, env, runs):
    """Best CPU time (user + system) of the child over `runs` runs, and the last run's stderr."""
    best, err = None, b""
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        p = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        best = t if best is None else min(best, t)
        err = p.stderr
    return best, err


def files_read(path):
    """The files numaprobe reads for `probe` of this capture (a RecordingRoot around its Root)."""
    sys.path.insert(0, str(REPO))
    from numaprobe.model.gather import build_machine
    from numaprobe.source.recording import RecordingRoot
    from numaprobe.source.root import open_root

    rec = RecordingRoot(open_root(str(path)))
    build_machine(rec).tables
    return sorted(rec.read)


def unpack(tarball, dest):
    with tarfile.open(tarball) as tf:
        tf.extractall(dest, members=[m for m in tf.getmembers() if m.isfile() or m.isdir() or m.issym()])
    return next((p for p in [dest, *sorted(dest.iterdir())] if (p / "sys").exists()), dest)


def bench_one(path, runs, env, py, lstopo, tmp):
    tree = unpack(path, tmp / path.name)
    listing = tmp / (path.name + ".files")
    listing.write_text("\n".join(files_read(path)))
    lenv = dict(env, HWLOC_COMPONENTS="linux,stop", HWLOC_FSROOT=str(tree))
    t_lstopo, _ = best_time([lstopo, "--of", "xml", "-"], lenv, runs)
    t_interp, _ = best_time([py, "-c", "pass"], env, runs)
    rows = [("lstopo-no-graphics --of xml (directory)", t_lstopo, None)]
    for what, root in (("tarball", str(path)), ("directory", str(tree))):
        t_floor, _ = best_time([py, "-c", FLOOR, root, str(listing)], env, runs)
        t_probe, err = best_time([py, "-c", PEAK, "probe", "--json", "--root", root], env, runs)
        rss = int(err.split(b"VMHWM ")[-1].split()[0]) if b"VMHWM" in err else None
        rows.append(("floor: python + minimal reader (%s)" % what, t_floor, None))
        rows.append(("numaprobe probe --json (%s)" % what, t_probe, rss))
    rows.append(("python -c pass", t_interp, None))
    print("\n%s (%d files read; best of %d runs, CPU time)" % (path.name, len(listing.read_text().split()), runs))
    for name, t, rss in rows:
        print("  %-46s %7.1f ms   x lstopo %5.2f%s" % (name, t * 1e3, t / t_lstopo,
                                                      "   peak RSS %.1f MiB" % (rss / 1024) if rss else ""))


def fleet(py, env):
    """In-process use of the API, one core: Machines from every corpus tarball, then from their snapshots."""
    code = r"""
import glob, sys, time
from numaprobe.model.gather import build_machine
from numaprobe.model.snapshot import dumps, loads
from numaprobe.source.root import open_root
paths = sorted(glob.glob(sys.argv[1] + "/hwloc-linux/*.tar.bz2") + glob.glob(sys.argv[1] + "/hwloc-linux/extra/*.tar.bz2")
               + glob.glob(sys.argv[1] + "/qemu/*.tar.gz"))
t = time.process_time()
machines = [build_machine(open_root(p)) for p in paths]
t_tar = time.process_time() - t
texts = [dumps(m) for m in machines]
best = None
for _ in range(5):
    t = time.process_time()
    for s in texts:
        loads(s)
    d = time.process_time() - t
    best = d if best is None else min(best, d)
size = sum(len(s) for s in texts)
print("  %d corpus tarballs: %.0f tarballs/s per core; their snapshots: %.0f snapshots/s per core (%.1f KiB each on "
      "average)" % (len(paths), len(paths) / t_tar, len(texts) / best, size / len(texts) / 1024))
"""
    print("\nfleet-style API use (in one process, CPU time):")
    subprocess.run([py, "-c", code, str(CORPUS)], env=env, check=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inputs", nargs="*", default=[str(p) for p in DEFAULT])
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--fleet", action="store_true", help="also measure tarballs/s and snapshots/s")
    args = ap.parse_args()
    lstopo = shutil.which("lstopo-no-graphics")
    if lstopo is None:
        print("lstopo-no-graphics is not installed (apt-get install hwloc)", file=sys.stderr)
        return 2
    env = dict(os.environ, PYTHONPATH=str(REPO), LANG="C", LC_ALL="C")
    # An installed package has its bytecode compiled (dh_python3 runs py3compile); measure that, not the compiler.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    py = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
    subprocess.run([py, "-m", "compileall", "-q", str(REPO / "numaprobe")], env=env, check=True)
    tmp = Path(tempfile.mkdtemp(dir="/dev/shm" if os.path.isdir("/dev/shm") else None))
    started = time.time()
    try:
        for path in args.inputs:
            bench_one(Path(path), args.runs, env, py, lstopo, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if args.fleet:
        fleet(py, env)
    print("\n(%.0f s; load average %s)" % (time.time() - started, " ".join("%.1f" % x for x in os.getloadavg())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
