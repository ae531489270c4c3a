"""Run the fleet's per-machine work (analysis/fleet_row.examine) over many inputs: in this process, in a pool of
local processes (the default: one per usable core), or on a Dask distributed cluster (`--scheduler`).

Work goes out in batches of machines, not one task per machine: a capture takes ~10 ms of CPU and a snapshot
well under 1 ms, less than the cost of a process-pool or Dask task. Results come back in input order whatever
finishes first, so every way of running gives the same rows.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from numaprobe.errors import InputError

Item = Tuple[str, str, str]  # (path to read, kind, path as the user gave it)
DASK_MISSING = ("--scheduler needs Dask's distributed package: on Debian `apt install python3-distributed`, "
                "with pip `pip install distributed`")


# What distributed.Client takes: scheme://host[:port] (tcp, tls, ucx, ws, wss, inproc) or host:port.
_ADDRESS = re.compile(r"^((tcp|tls|ucx|ws|wss|inproc)://[\w.\-\[\]:]+|[\w.\-]+:\d+)$")


def check_scheduler_address(address: str) -> None:
    if not _ADDRESS.match(address) or address.endswith("://"):
        raise InputError("--scheduler: %r is not a Dask scheduler address (tcp://HOST:PORT or HOST:PORT)" % address)


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def batches(items: Sequence[Item], workers: int) -> List[List[Item]]:
    """About 8 batches per worker (load balance), of at most 64 machines (progress, memory), at least 1."""
    size = max(1, min(64, len(items) // (workers * 8) or 1))
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def run_batch(batch: Sequence[Item]) -> List[Dict[str, Any]]:
    from numaprobe.analysis.fleet_row import examine

    rows = []
    for path, kind, shown in batch:
        row = examine(path, kind)
        row["path"] = shown
        rows.append(row)
    return rows


def _collect(parts: List[Optional[List[Dict[str, Any]]]]) -> List[Dict[str, Any]]:
    return [row for part in parts for row in part or ()]


def run_local(items: Sequence[Item], jobs: int, tick: Callable[[int], None]) -> List[Dict[str, Any]]:
    workers = min(jobs or usable_cpus(), max(1, len(items)))
    if workers <= 1:
        rows = []
        for item in items:
            rows.extend(run_batch([item]))
            tick(1)
        return rows
    from concurrent.futures import ProcessPoolExecutor, as_completed

    chunks = batches(items, workers)
    parts: List[Optional[List[Dict[str, Any]]]] = [None] * len(chunks)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(run_batch, chunk): i for i, chunk in enumerate(chunks)}
        for f in as_completed(futures):
            parts[futures[f]] = f.result()
            tick(len(chunks[futures[f]]))
    return _collect(parts)


def run_dask(items: Sequence[Item], address: str, tick: Callable[[int], None]) -> List[Dict[str, Any]]:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise InputError(DASK_MISSING) from None
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as e:
        raise InputError("cannot reach the Dask scheduler at %s: %s" % (address, e)) from None
    try:
        workers = max(1, sum(client.ncores().values()))
        chunks = batches(items, workers)
        futures = client.map(run_batch, chunks, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        parts: List[Optional[List[Dict[str, Any]]]] = [None] * len(chunks)
        for f in as_completed(futures):
            parts[index[f.key]] = f.result()
            tick(len(chunks[index[f.key]]))
        return _collect(parts)
    finally:
        client.close()


def progress(total: int, enabled: bool):
    """A tqdm bar on stderr, drawn only after a second (tqdm's `delay`) and only on a terminal; else a no-op."""
    if not enabled or not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    # A terminal that reports no size (a fresh pty, a serial console): tqdm 4.70 then draws nothing at all.
    try:
        size = os.get_terminal_size(sys.stderr.fileno())
        width, height = size.columns, size.lines
    except OSError:
        width = height = 0
    return tqdm(total=total, unit="machine", delay=1.0, file=sys.stderr, leave=False, ncols=width or 80,
                nrows=height or 24)


def run(paths: Sequence[str], jobs: int = 0, scheduler: Optional[str] = None,
        show_progress: bool = True) -> List[Dict[str, Any]]:
    """Every machine under `paths`, examined; rows in discovery order."""
    from numaprobe.model.fleet_input import discover_inputs

    if scheduler is not None:
        check_scheduler_address(scheduler)
    items = [(os.path.abspath(p), kind, p) for p, kind in discover_inputs(paths)]
    bar = progress(len(items), show_progress)
    tick = bar.update if bar is not None else (lambda n: None)
    try:
        if scheduler is not None:
            return run_dask(items, scheduler, tick)
        return run_local(items, jobs, tick)
    finally:
        if bar is not None:
            bar.close()
