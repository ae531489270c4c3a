"""The CPUs and memory nodes the probing process (or the captured one) may use: affinity and cgroup cpuset."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional, Tuple

from numaprobe.readers.cpumask import parse_cpulist
from numaprobe.source.root import Root

CAPTURE_FILES = ("proc/self/status", "proc/self/cpuset", "proc/self/cgroup", "proc/mounts")


@dataclass(frozen=True)
class AllowedSets:
    cpus: Optional[Tuple[int, ...]]
    mems: Optional[Tuple[int, ...]]
    source: str  # "proc/self/status", "cgroup2", "cgroup1", "cpuset", or "none"
    cgroup: Optional[str] = None


def parse_status(text: Optional[str]) -> Dict[str, str]:
    out: Dict[str, str] = {}
    for line in (text or "").splitlines():
        k, sep, v = line.partition(":")
        if sep:
            out[k.strip()] = v.strip()
    return out


def _cgroup_name(root: Root) -> Optional[str]:
    name = root.read_text("proc/self/cpuset")
    if name:
        return name
    for line in (root.read_text("proc/self/cgroup") or "").splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3 and (parts[1] == "" or "cpuset" in parts[1].split(",")):
            return parts[2]
    return None


def _mounts(root: Root):
    for line in (root.read_text("proc/mounts") or "").splitlines():
        f = line.split()
        if len(f) >= 4:
            yield f[1], f[2], f[3].split(",")


def _candidates(root: Root, name: str):
    """(kind, cpus file, mems file) where the cgroup's cpuset may be, in the order hwloc tries them."""
    candidates = []
    for mnt, fstype, opts in _mounts(root):
        if fstype == "cgroup2":
            candidates.append((mnt, "cgroup2", "cpuset.cpus.effective", "cpuset.mems.effective"))
        elif fstype == "cgroup" and "cpuset" in opts:
            pre = "" if "noprefix" in opts else "cpuset."
            candidates.append((mnt, "cgroup1", pre + "cpus", pre + "mems"))
        elif fstype == "cpuset":
            candidates.append((mnt, "cpuset", "cpus", "mems"))
    candidates += [("/sys/fs/cgroup", "cgroup2", "cpuset.cpus.effective", "cpuset.mems.effective"),
                   ("/sys/fs/cgroup/cpuset", "cgroup1", "cpuset.cpus", "cpuset.mems"),
                   ("/dev/cpuset", "cpuset", "cpus", "mems")]
    for mnt, kind, cpus_file, mems_file in candidates:
        base = (mnt.rstrip("/") + "/" + name.strip("/")).strip("/")
        yield kind, base + "/" + cpus_file, base + "/" + mems_file


def capture_paths(root: Root):
    """The cgroup files read_cgroup_cpuset would read on this host (their place depends on the mounts)."""
    name = _cgroup_name(root)
    for _, cpus, mems in _candidates(root, name) if name is not None else ():
        yield cpus
        yield mems


def read_cgroup_cpuset(root: Root) -> AllowedSets:
    """As hwloc does it (topology-linux.c, hwloc_find_linux_cgroup_mntpnt): cgroup2, cgroup1, legacy cpuset."""
    name = _cgroup_name(root)
    if name is None:
        return AllowedSets(None, None, "none")
    for kind, cpus_file, mems_file in _candidates(root, name):
        cpus = parse_cpulist(root.read_text(cpus_file))
        if cpus is None:
            continue
        return AllowedSets(cpus, parse_cpulist(root.read_text(mems_file)), kind, name)
    return AllowedSets(None, None, "none", name)


def read_allowed_sets(root: Root) -> AllowedSets:
    """proc/self/status (live, and numaprobe's own captures) first: it already folds affinity and cpuset."""
    status = parse_status(root.read_text("proc/self/status"))
    cpus = parse_cpulist(status.get("Cpus_allowed_list"))
    if cpus is not None:
        return AllowedSets(cpus, parse_cpulist(status.get("Mems_allowed_list")), "proc/self/status")
    return read_cgroup_cpuset(root)
