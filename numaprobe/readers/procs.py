"""Processes (and the guests they run) confined to a subset of the CPUs: what is already committed where.

Read from proc/<pid>/status `Cpus_allowed_list`, which folds sched_setaffinity and the cgroup cpuset.
Kernel threads are skipped: per-CPU kthreads are bound to one CPU each and would mark every CPU committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

from numaprobe.readers.cpumask import parse_cpulist
from numaprobe.readers.cpuset import parse_status
from numaprobe.readers.proc_lookup import list_pids
from numaprobe.source.root import Root

KTHREADD_PID = 2


@dataclass(frozen=True)
class ConfinedProcess:
    pid: int
    name: str
    cpus: Tuple[int, ...]  # Cpus_allowed_list
    mems: Optional[Tuple[int, ...]]  # Mems_allowed_list
    threads: int


def _is_kernel_thread(pid: int, status: dict) -> bool:
    # "Kthread:" exists since Linux 6.x; before that, kthreadd (pid 2) is every kernel thread's parent.
    if status.get("Kthread") == "1":
        return True
    return pid == KTHREADD_PID or status.get("PPid") == str(KTHREADD_PID)


def read_confined_processes(root: Root, all_cpus: Optional[Sequence[int]] = None) -> Tuple[ConfinedProcess, ...]:
    """User processes whose allowed CPUs are a strict subset of `all_cpus` (default: what pid 1 may use, so a
    container's own cpuset does not count as confinement). Unreadable or vanished processes are skipped."""
    reference = set(all_cpus) if all_cpus is not None else None
    if reference is None:
        init = parse_cpulist(parse_status(root.read_text("proc/1/status")).get("Cpus_allowed_list"))
        reference = set(init) if init else None
    out = []
    for pid in list_pids(root):
        try:
            status = parse_status(root.read_text("proc/%d/status" % pid))
        except OSError:
            continue
        cpus = parse_cpulist(status.get("Cpus_allowed_list"))
        if not cpus or _is_kernel_thread(pid, status):
            continue
        if reference is not None and not set(cpus) < reference:
            continue
        try:
            threads = int(status.get("Threads", "1"))
        except ValueError:
            threads = 1
        out.append(ConfinedProcess(pid=pid, name=status.get("Name", ""), cpus=cpus,
                                   mems=parse_cpulist(status.get("Mems_allowed_list")), threads=threads))
    return tuple(out)


def committed_cpus(processes: Sequence[ConfinedProcess]) -> Tuple[int, ...]:
    return tuple(sorted({c for p in processes for c in p.cpus}))
