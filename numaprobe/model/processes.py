"""Questions about a Machine's processes: which match a name (as `numastat -p PATTERN`), which run a QEMU/KVM
guest, which are confined to a subset of the CPUs (what is already committed where)."""

from __future__ import annotations

from typing import Collection, Optional, Sequence, Tuple

from numaprobe.model.machine import Process
from numaprobe.readers.proc_lookup import qemu_guest_name


def matching_name(processes: Sequence[Process], pattern: str, exclude: Collection[int] = ()) -> Tuple[int, ...]:
    """PIDs whose command line or name contains `pattern` (numastat -p matches /proc/*/cmdline).

    `exclude`: our own pid on a live host, whose command line holds the pattern too.
    """
    return tuple(p.pid for p in processes if p.pid not in exclude
                 and (pattern in " ".join(p.cmdline) or pattern in p.name))


def guest_pids(processes: Sequence[Process], libvirt_pids: Sequence[Tuple[str, int]], name: str) -> Tuple[int, ...]:
    """PIDs of the QEMU/KVM guest `name`: libvirt's pid file first, else QEMU command lines."""
    found = [pid for guest, pid in libvirt_pids if guest == name]
    if not found:
        found = [p.pid for p in processes if qemu_guest_name(p.cmdline) == name]
    return tuple(sorted(set(found)))


def select_pids(processes: Sequence[Process], libvirt_pids: Sequence[Tuple[str, int]], name_pattern: Optional[str],
                guest: Optional[str], exclude: Collection[int] = ()) -> Tuple[int, ...]:
    out = set()
    if name_pattern is not None:
        out |= set(matching_name(processes, name_pattern, exclude))
    if guest is not None:
        out |= set(guest_pids(processes, libvirt_pids, guest))
    return tuple(sorted(out))


def confined(processes: Sequence[Process], all_cpus: Optional[Collection[int]] = None) -> Tuple[Process, ...]:
    """User processes whose allowed CPUs are a strict subset of `all_cpus` (default: what pid 1 may use, so that a
    container's own cpuset does not count as confinement). Kernel threads are skipped: per-CPU kthreads are bound
    to one CPU each and would mark every CPU committed. Read from Cpus_allowed_list, which folds
    sched_setaffinity and the cgroup cpuset."""
    reference = set(all_cpus) if all_cpus is not None else None
    if reference is None:
        init = next((p for p in processes if p.pid == 1), None)
        reference = set(init.cpus_allowed) if init is not None and init.cpus_allowed else None
    return tuple(p for p in processes if p.cpus_allowed and not p.kernel_thread
                 and (reference is None or set(p.cpus_allowed) < reference))


def committed_cpus(processes: Sequence[Process]) -> Tuple[int, ...]:
    return tuple(sorted({c for p in processes for c in p.cpus_allowed or ()}))
