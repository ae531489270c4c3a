"""Lay a QEMU capture out as sos 4.x would have written a sosreport of that guest, in memory.

    build_sosreport(capture_tarball, variant="sos", host="guest") -> bytes of a .tar.xz

The guest cannot run sos (busybox initramfs), so the report is assembled from what its plugins collect:
  numa       sys/devices/system/node/node*/{meminfo,cpulist,distance,hugepages/hugepages-*/*} + `numactl --hardware`
  processor  proc/cpuinfo, sys/devices/system/cpu (all of it) + `lscpu -ae` (sos >= 4.3)
  memory     proc/{meminfo,vmstat,pagetypeinfo}, sys/kernel/mm/hugepages + `lsmem -a -o RANGE,...,NODE,BLOCK`
  kernel     proc/{buddyinfo,zoneinfo,cmdline}, sys/firmware/acpi/* + `uname -a`, `dmesg`
  pci        proc/iomem
(sos/report/plugins/{numa,processor,memory,kernel,pci}.py of Debian 12's sosreport 4.0.) The command outputs are
the real tools' outputs on the capture, made once by make_sos_outputs.sh and kept in sysfs_fixtures/sos/commands/;
`uname -a` and `dmesg` are the capture's own proc/version and dmesg.txt. Variants:
  "sos"       everything above
  "commands"  sos did not copy sys/devices/system/{node,cpu} (as in many reports): facts must come from commands
  "lscpu"     as "commands", and no numactl output either: nodes from lscpu, memory from zoneinfo, no distances
A report sits under one top directory sosreport-HOST-DATE/, as sos writes it.
"""

from __future__ import annotations

import fnmatch
import io
import tarfile
from pathlib import Path
from typing import Dict, Tuple

FIXTURES = Path(__file__).resolve().parents[1]
COMMANDS = FIXTURES / "sos" / "commands"
COPIED = (
    "sys/devices/system/node/node*/meminfo", "sys/devices/system/node/node*/cpulist",
    "sys/devices/system/node/node*/distance", "sys/devices/system/node/node*/hugepages/hugepages-*/*",
    "sys/devices/system/cpu/*", "sys/kernel/mm/hugepages/*", "sys/firmware/acpi/*",
    "proc/cpuinfo", "proc/meminfo", "proc/vmstat", "proc/pagetypeinfo", "proc/buddyinfo", "proc/zoneinfo",
    "proc/cmdline", "proc/iomem",
)
NOT_COPIED = {"sos": (), "commands": ("sys/devices/system/node/*", "sys/devices/system/cpu/*"),
              "lscpu": ("sys/devices/system/node/*", "sys/devices/system/cpu/*")}
OUTPUTS = {"numactl_--hardware": "numa", "lscpu_-ae": "processor",
           "lsmem_-a_-o_RANGE_SIZE_STATE_REMOVABLE_ZONES_NODE_BLOCK": "memory"}


def read_capture(path: Path) -> Dict[str, Tuple[str, bytes]]:
    """name -> ("f", data) | ("l", target) | ("d", b"") for every member of a capture tarball."""
    out: Dict[str, Tuple[str, bytes]] = {}
    with tarfile.open(str(path)) as tf:
        for m in tf.getmembers():
            name = m.name.lstrip("./")
            if m.isfile():
                out[name] = ("f", tf.extractfile(m).read())
            elif m.issym():
                out[name] = ("l", m.linkname.encode())
            elif m.isdir():
                out[name] = ("d", b"")
    return out


def _copied(name: str, variant: str) -> bool:
    if not any(fnmatch.fnmatch(name, p) for p in COPIED):
        return False
    return not any(fnmatch.fnmatch(name, p) for p in NOT_COPIED[variant])


def sos_members(capture: Path, variant: str = "sos", host: str = "guest") -> Dict[str, Tuple[str, bytes]]:
    """The report's members, relative to its top directory."""
    members = read_capture(capture)
    out = {name: m for name, m in members.items() if m[0] != "d" and _copied(name, variant)}
    for name, plugin in OUTPUTS.items():
        if variant == "lscpu" and name.startswith("numactl"):
            continue
        src = COMMANDS / capture.name[:-len(".tar.gz")] / name
        if src.exists():
            out["sos_commands/%s/%s" % (plugin, name)] = ("f", src.read_bytes())
    version = members.get("proc/version", ("f", b""))[1].decode()
    words = version.split()
    if len(words) > 2:
        uname = "Linux %s %s %s x86_64 GNU/Linux\n" % (host, words[2], version[version.index("#"):].strip())
        out["sos_commands/kernel/uname_-a"] = ("f", uname.encode())
        out["uname"] = ("l", b"sos_commands/kernel/uname_-a")
    if "dmesg.txt" in members:
        out["sos_commands/kernel/dmesg"] = members["dmesg.txt"]
    out["version.txt"] = ("f", b"sosreport: 4.0\nkernel: unversioned\nnuma: unversioned\n")
    return out


def build_sosreport(capture: Path, variant: str = "sos", host: str = "guest", members=None) -> bytes:
    """A .tar.xz as `sos report` writes it (one top directory). `members` overrides sos_members()."""
    members = sos_members(capture, variant, host) if members is None else members
    top = "sosreport-%s-2026-12-01-abcdefg" % host
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:xz") as tf:
        for name in sorted(members):
            kind, data = members[name]
            info = tarfile.TarInfo("%s/%s" % (top, name))
            info.mtime = 1767225600  # 2026-01-01
            if kind == "l":
                info.type = tarfile.SYMTYPE
                info.linkname = data.decode()
                tf.addfile(info)
            else:
                info.size = len(data)
                info.mode = 0o644
                tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()
