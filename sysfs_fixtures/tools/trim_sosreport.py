"""Trim a real sosreport to its NUMA-relevant files (what numaprobe reads), for sysfs_fixtures/sos/.

usage: /usr/bin/python3 sysfs_fixtures/tools/trim_sosreport.py SOSREPORT.tar.xz OUT.tar.xz

Kept as sos wrote them: the copies of sys/devices/system/{node,cpu}, sys/kernel/mm/hugepages, the ACPI tables and
proc/{cpuinfo,meminfo,zoneinfo,buddyinfo,pagetypeinfo,iomem}; sos_commands/numa/*, processor/lscpu*, memory/lsmem*
and free*, kernel/uname_-a; version.txt and the top-level links. Dropped: everything else (module lists, kallsyms,
sysctl, logs), proc/cmdline, and every dmesg line that does not speak of NUMA (the host's boot command line and
firmware strings are not test data). Member order, names and contents otherwise unchanged; mtimes kept.
"""

from __future__ import annotations

import fnmatch
import io
import re
import sys
import tarfile

KEEP = ("sys/devices/system/node/*", "sys/devices/system/cpu/*", "sys/kernel/mm/hugepages/*",
        "sys/firmware/acpi/tables/*", "proc/cpuinfo", "proc/meminfo", "proc/zoneinfo", "proc/buddyinfo",
        "proc/pagetypeinfo", "proc/iomem", "sos_commands/numa/*", "sos_commands/processor/lscpu*",
        "sos_commands/memory/lsmem*", "sos_commands/memory/free*", "sos_commands/kernel/uname_-a",
        "sos_commands/kernel/dmesg", "version.txt", "uname", "free")
DROP = ("sys/devices/system/cpu/vulnerabilities/*", "sys/devices/system/cpu/*/power/*")
NUMA_LINE = re.compile(r"NUMA|SRAT|SLIT|HMAT|[Nn]ode \d|numa", re.I)


def keep(rel: str) -> bool:
    return any(fnmatch.fnmatch(rel, p) for p in KEEP) and not any(fnmatch.fnmatch(rel, p) for p in DROP)


def main(src: str, dst: str) -> None:
    with tarfile.open(src) as tin, tarfile.open(dst, "w:xz") as tout:
        for m in tin.getmembers():
            top, _, rel = m.name.partition("/")
            if not rel or m.isdir() or not keep(rel):
                continue
            if m.isfile():
                data = tin.extractfile(m).read()
                if rel == "sos_commands/kernel/dmesg":
                    data = "".join(l for l in data.decode(errors="replace").splitlines(True)
                                   if NUMA_LINE.search(l)).encode()
                m.size = len(data)
                tout.addfile(m, io.BytesIO(data))
            elif m.issym():
                tout.addfile(m)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
