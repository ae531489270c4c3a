"""Finding processes (and QEMU/KVM guests) and what CPUs their threads may use and last used.

Files read per process (what `capture --pid` must copy): proc/PID/status, proc/PID/cmdline, proc/PID/numa_maps,
proc/PID/task/TID/stat (field 39, the CPU the thread last ran on); for guests also run/libvirt/qemu/NAME.pid.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Optional, Tuple

from numaprobe.readers.cpumask import parse_cpulist
from numaprobe.readers.cpuset import parse_status
from numaprobe.source.root import Root

LIBVIRT_PID_DIRS = ("run/libvirt/qemu", "var/run/libvirt/qemu")
KTHREADD_PID = 2
# Every process: what advise (confined CPUs) and numastat --name/--domain read. Processes named with
# `capture --pid` also get their numa_maps and the CPU each thread last ran on.
CAPTURE_PROCESS_FILES = ("status", "cmdline")
CAPTURE_DETAIL_FILES = ("numa_maps", "stat")
CAPTURE_TREES = LIBVIRT_PID_DIRS


def list_pids(root: Root) -> Tuple[int, ...]:
    return tuple(sorted(int(e) for e in root.try_listdir("proc") if e.isdigit()))


def read_cmdline(root: Root, pid: int) -> Tuple[str, ...]:
    try:
        raw = root.read_bytes("proc/%d/cmdline" % pid)
    except OSError:
        return ()
    return tuple(a.decode("utf-8", "replace") for a in raw.split(b"\0") if a)


def _last_cpu(stat: Optional[str]) -> Optional[int]:
    # Field 39 counted after the ")" that closes comm, since comm may hold spaces and parentheses.
    if not stat or ")" not in stat:
        return None
    rest = stat.rsplit(")", 1)[1].split()
    try:
        return int(rest[36])
    except (IndexError, ValueError):
        return None


def read_status(root: Root, pid: int) -> Optional[Dict[str, str]]:
    """proc/PID/status as a dict, None when the process is gone or unreadable."""
    text = root.read_text("proc/%d/status" % pid)
    return None if text is None else parse_status(text)


def is_kernel_thread(pid: int, status: Dict[str, str]) -> bool:
    # "Kthread:" exists since Linux 6.x; before that, kthreadd (pid 2) is every kernel thread's parent.
    if status.get("Kthread") == "1":
        return True
    return pid == KTHREADD_PID or status.get("PPid") == str(KTHREADD_PID)


def process_from_status(cls: Any, pid: int, status: Dict[str, str], cmdline: Tuple[str, ...]) -> Any:
    """cls (model.machine.Process) from what status and cmdline say."""
    try:
        threads = int(status.get("Threads", "1"))
    except ValueError:
        threads = 1
    return cls(pid=pid, name=status.get("Name", ""), cmdline=cmdline,
               cpus_allowed=parse_cpulist(status.get("Cpus_allowed_list")),
               mems_allowed=parse_cpulist(status.get("Mems_allowed_list")), threads=threads,
               kernel_thread=is_kernel_thread(pid, status))


def read_last_cpus(root: Root, pid: int) -> Tuple[int, ...]:
    """The distinct CPUs the process's threads last ran on, sorted."""
    cpus = set()
    tids = [t for t in root.try_listdir("proc/%d/task" % pid) if t.isdigit()] or [str(pid)]
    for tid in tids:
        c = _last_cpu(root.read_text("proc/%d/task/%s/stat" % (pid, tid)))
        if c is None and tid == str(pid):
            c = _last_cpu(root.read_text("proc/%d/stat" % pid))
        if c is not None:
            cpus.add(c)
    return tuple(sorted(cpus))


def read_libvirt_pids(root: Root) -> Tuple[Tuple[str, int], ...]:
    """(guest name, pid) from libvirt's pid files; the first directory that has a guest's file wins."""
    found: Dict[str, int] = {}
    for d in LIBVIRT_PID_DIRS:
        for name in root.try_listdir(d):
            if not name.endswith(".pid") or name[:-4] in found:
                continue
            text = root.read_text("%s/%s" % (d, name))
            if text and text.strip().isdigit():
                found[name[:-4]] = int(text.strip())
    return tuple(sorted(found.items()))


def qemu_guest_name(args: Tuple[str, ...]) -> Optional[str]:
    """The guest name of a QEMU command line: `-name guest=NAME,...` (libvirt) or `-name NAME[,...]`."""
    for i, a in enumerate(args):
        if a in ("-name", "--name") and i + 1 < len(args):
            value = args[i + 1]
            # QEMU option syntax: ",," escapes a comma.
            parts = re.split(r"(?<!,),(?!,)", value)
            for p in parts:
                if p.startswith("guest="):
                    return p[len("guest="):].replace(",,", ",")
            if parts and "=" not in parts[0]:
                return parts[0].replace(",,", ",")
    return None
