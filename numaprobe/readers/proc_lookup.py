"""Finding processes (and QEMU/KVM guests) and what CPUs their threads may use and last used.

Files read per process (what `capture --pid` must copy): proc/PID/status, proc/PID/cmdline, proc/PID/numa_maps,
proc/PID/task/TID/stat (field 39, the CPU the thread last ran on); for guests also run/libvirt/qemu/NAME.pid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional, Tuple

from numaprobe.readers.cpumask import parse_cpulist
from numaprobe.readers.cpuset import parse_status
from numaprobe.source.root import Root

LIBVIRT_PID_DIRS = ("run/libvirt/qemu", "var/run/libvirt/qemu")


@dataclass(frozen=True)
class ProcessInfo:
    pid: int
    name: str  # status Name (the kernel's comm, 15 characters at most)
    cmdline: Tuple[str, ...]
    cpus_allowed: Optional[Tuple[int, ...]]
    mems_allowed: Optional[Tuple[int, ...]]
    last_cpus: Tuple[int, ...]  # distinct CPUs the threads last ran on, sorted


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


def read_process(root: Root, pid: int) -> Optional[ProcessInfo]:
    status_text = root.read_text("proc/%d/status" % pid)
    if status_text is None:
        return None
    status = parse_status(status_text)
    cpus = set()
    tids = [t for t in root.try_listdir("proc/%d/task" % pid) if t.isdigit()] or [str(pid)]
    for tid in tids:
        c = _last_cpu(root.read_text("proc/%d/task/%s/stat" % (pid, tid)))
        if c is None and tid == str(pid):
            c = _last_cpu(root.read_text("proc/%d/stat" % pid))
        if c is not None:
            cpus.add(c)
    return ProcessInfo(pid=pid, name=status.get("Name", ""), cmdline=read_cmdline(root, pid),
                       cpus_allowed=parse_cpulist(status.get("Cpus_allowed_list")),
                       mems_allowed=parse_cpulist(status.get("Mems_allowed_list")), last_cpus=tuple(sorted(cpus)))


def find_by_pattern(root: Root, pattern: str, exclude: Tuple[int, ...] = ()) -> Tuple[int, ...]:
    """PIDs whose command line or name contains `pattern` (as `numastat -p PATTERN` matches /proc/*/cmdline).

    `exclude`: our own pid on a live host, whose command line holds the pattern too.
    """
    out = []
    for pid in list_pids(root):
        if pid in exclude:
            continue
        args = read_cmdline(root, pid)
        name = parse_status(root.read_text("proc/%d/status" % pid) or "").get("Name", "")
        if pattern in " ".join(args) or pattern in name:
            out.append(pid)
    return tuple(out)


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


def find_domain(root: Root, name: str) -> Tuple[int, ...]:
    """PIDs of the QEMU/KVM guest `name`: libvirt's pid file first, else QEMU command lines."""
    found: List[int] = []
    for d in LIBVIRT_PID_DIRS:
        text = root.read_text("%s/%s.pid" % (d, name))
        if text and text.strip().isdigit():
            found.append(int(text.strip()))
            break
    if not found:
        for pid in list_pids(root):
            if qemu_guest_name(read_cmdline(root, pid)) == name:
                found.append(pid)
    return tuple(sorted(set(found)))
