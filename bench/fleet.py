"""Fleet speed: how many machines a core examines per second, locally and on a Dask LocalCluster.

    nice -n 5 /usr/bin/python3 bench/fleet.py [--copies 20] [--dask-items 400]

Inputs: every QEMU capture in sysfs_fixtures/ and ../shared/corpus/qemu/, and the sosreports in sysfs_fixtures/sos/,
copied --copies times under /dev/shm (the per-machine work reads each from there, as a fleet run would), and their
snapshots (`numaprobe snapshot --root X`).
Targets (issue 15): >= 60 tarballs/s per core, >= 1,000 snapshots/s per core, Dask 2 workers >= 1.6x 1 worker.

The machine is shared (2 cores, several agents), so wall-clock rates understate: per-core rates are items over the
CPU time the workers spent (process_time), and the Dask ratio is printed both on wall time and on worker CPU.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from numaprobe.cli.fleet_run import batches, run_batch  # noqa: E402

TARGETS = {"tarball": 60.0, "snapshot": 1000.0}


def inputs(copies: int, scratch: Path):
    sources = sorted(REPO.glob("sysfs_fixtures/*.tar.gz")) + sorted((REPO.parent / "shared/corpus/qemu").glob("*.tar.gz"))
    items = []
    for i in range(copies):
        for src in sources:
            dst = scratch / ("%03d-%s" % (i, src.name))
            shutil.copyfile(src, dst)
            items.append((str(dst), "tarball", str(dst)))
    return items


def snapshots(items, scratch: Path):
    """One snapshot (model/snapshot.py, as `numaprobe snapshot --root X` writes it) per capture."""
    from numaprobe.model.gather import load_machine
    from numaprobe.model.snapshot import dumps

    out = []
    for path, _, _ in items:
        dst = scratch / (Path(path).name + ".json")
        dst.write_text(dumps(load_machine(path)))
        out.append((str(dst), "snapshot", str(dst)))
    return out


def phases(snaps) -> None:
    """Where a snapshot's time goes: JSON + Machine, check, summary (CPU ms each, over the same inputs)."""
    from numaprobe.analysis.crosscheck import crosscheck
    from numaprobe.analysis.fleet_row import summarise
    from numaprobe.model.gather import load_machine

    t0 = time.process_time()
    machines = [load_machine(p) for p, _, _ in snaps]
    t1 = time.process_time()
    found = [crosscheck(m) for m in machines]
    t2 = time.process_time()
    for m, f in zip(machines, found):
        summarise(m, f)
    t3 = time.process_time()
    n = len(snaps)
    print("snapshot phases: load %.3f ms, check %.3f ms, summarise %.3f ms (CPU per machine)" % (
        1000 * (t1 - t0) / n, 1000 * (t2 - t1) / n, 1000 * (t3 - t2) / n))


def per_core(items, label: str, fresh_tables: bool = False) -> float:
    """Items per CPU second in this process. fresh_tables: forget decoded firmware tables before each machine,
    as if no two machines of the fleet had the same tables (the worst case of model.machine's shared decode)."""
    from numaprobe.model import machine

    run_batch(items[:5])  # imports, caches
    cpu = 0.0
    rows = []
    for chunk in ([[i] for i in items] if fresh_tables else [items]):
        if fresh_tables:
            machine._SHARED_DECODES.clear()
        t0 = time.process_time()
        rows += run_batch(chunk)
        cpu += time.process_time() - t0
    errors = sum(1 for r in rows if r["error"])
    rate = len(items) / cpu
    print("%-9s %5d items  %.2f ms CPU each  %7.0f /s per core  (target %d: %s)%s" % (
        label + (" (no two with the same tables)" if fresh_tables else ""), len(items), 1000 * cpu / len(items), rate, TARGETS[label], "met" if rate >= TARGETS[label] else
        "NOT met", "  %d errors" % errors if errors else ""))
    return rate


def _worker_cpu():
    return time.process_time()


def dask_run(items, workers: int):
    from distributed import Client, LocalCluster, wait

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as lc, Client(lc) as client:
        client.run(run_batch, items[:4])  # warm every worker
        cpu0 = sum(client.run(_worker_cpu).values())
        t0 = time.perf_counter()
        futures = client.map(run_batch, batches(items, workers), pure=False)
        wait(futures)
        wall = time.perf_counter() - t0
        cpu = sum(client.run(_worker_cpu).values()) - cpu0
    return wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=20)
    ap.add_argument("--dask-items", type=int, default=400)
    args = ap.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="fleet-bench-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None))
    try:
        items = inputs(args.copies, scratch)
        print("machine: %d usable CPUs, load average %.2f" % (len(os.sched_getaffinity(0)), os.getloadavg()[0]))
        per_core(items, "tarball")
        snaps = snapshots(items, scratch)
        per_core(snaps, "snapshot")
        per_core(snaps, "snapshot", fresh_tables=True)
        phases(snaps)
        try:
            import distributed  # noqa: F401
        except ImportError:
            print("dask      n/a: distributed is not installed")
            return
        sample = (items * (args.dask_items // len(items) + 1))[:args.dask_items]
        w1, c1 = dask_run(sample, 1)
        w2, c2 = dask_run(sample, 2)
        print("dask 1 worker:  %.2f s wall, %.2f s worker CPU, %.0f items/s" % (w1, c1, len(sample) / w1))
        print("dask 2 workers: %.2f s wall, %.2f s worker CPU, %.0f items/s" % (w2, c2, len(sample) / w2))
        print("dask speed-up 2 vs 1: %.2fx on wall time (target 1.6x: %s); worker CPU per item %.2f vs %.2f ms" % (
            w1 / w2, "met" if w1 / w2 >= 1.6 else "NOT met", 1000 * c1 / len(sample), 1000 * c2 / len(sample)))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
