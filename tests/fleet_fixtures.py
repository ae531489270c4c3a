"""Fleets built in memory from a real QEMU capture, with outliers planted by editing copies of it.

Base: sysfs_fixtures/1s8c-snc4-10-11-12.tar.gz (one Intel socket in four SNC nodes of 2 CPUs and ~500 MiB,
SLIT 10/11/12). Every copy gets the same DMI identity, as machines of one model would. Plants:
  short-memory   node 1's MemTotal 256 MiB lower (a dead 256 MiB DIMM of a 512 MiB node)
  snc-off        SNC disabled: one node with all 8 CPUs, all memory, distance 10
  moved-cpu      CPU 1 listed in node 1 instead of node 0 (cpulist and cpuN/nodeM link)
  edited-distance  node 0's distance to node 2 is 13 instead of 12
"""

from __future__ import annotations

import io
import re
import tarfile
from pathlib import Path
from typing import Dict, Tuple

from oracles import FIXTURES

BASE = FIXTURES / "1s8c-snc4-10-11-12.tar.gz"
OTHER_MODEL = FIXTURES / "2s4c2t-2node-pxb.tar.gz"
NODE = "sys/devices/system/node"
DMI = {"sys_vendor": "QEMU", "product_name": "Standard PC (Q35 + ICH9, 2009)", "bios_version": "1.16.2-debian"}

Members = Dict[str, Tuple[str, bytes]]


def read(path: Path) -> Members:
    out: Members = {}
    with tarfile.open(str(path)) as tf:
        for m in tf.getmembers():
            if m.isfile():
                out[m.name] = ("f", tf.extractfile(m).read())
            elif m.issym():
                out[m.name] = ("l", m.linkname.encode())
    return out


def write(members: Members, dest: Path) -> Path:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", compresslevel=1) as tf:
        for name in sorted(members):
            kind, data = members[name]
            info = tarfile.TarInfo(name)
            if kind == "l":
                info.type, info.linkname = tarfile.SYMTYPE, data.decode()
                tf.addfile(info)
            else:
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    dest.write_bytes(buf.getvalue())
    return dest


def machine(base: Path, host: str, dmi: Dict[str, str] = DMI) -> Members:
    m = dict(read(base))
    m["proc/sys/kernel/hostname"] = ("f", host.encode() + b"\n")
    for k, v in dmi.items():
        m["sys/class/dmi/id/" + k] = ("f", v.encode() + b"\n")
    return m


def _set(m: Members, rel: str, text: str) -> None:
    m[rel] = ("f", text.encode())


def _meminfo_total(m: Members, node: int) -> int:
    text = m["%s/node%d/meminfo" % (NODE, node)][1].decode()
    return int(re.search(r"MemTotal:\s+(\d+) kB", text).group(1))


def plant_short_memory(m: Members) -> None:
    rel = "%s/node1/meminfo" % NODE
    text = m[rel][1].decode()
    total = _meminfo_total(m, 1)
    _set(m, rel, re.sub(r"(MemTotal:\s+)\d+", lambda g: g.group(1) + str(total - 256 * 1024), text))


def plant_snc_off(m: Members) -> None:
    total = sum(_meminfo_total(m, n) for n in range(4))
    for name in [k for k in m if k.startswith(NODE + "/node") and not k.startswith(NODE + "/node0/")]:
        del m[name]
    for cpu in range(8):
        for n in range(1, 4):
            m.pop("sys/devices/system/cpu/cpu%d/node%d" % (cpu, n), None)
        m["sys/devices/system/cpu/cpu%d/node0" % cpu] = ("l", b"../../node/node0")
    _set(m, NODE + "/node0/cpulist", "0-7\n")
    _set(m, NODE + "/node0/distance", "10\n")
    _set(m, NODE + "/node0/meminfo", "Node 0 MemTotal:       %d kB\nNode 0 MemFree:        %d kB\n" % (
        total, total // 2))
    for state in ("online", "possible", "has_cpu", "has_memory", "has_normal_memory"):
        if NODE + "/" + state in m:
            _set(m, NODE + "/" + state, "0\n")


def plant_moved_cpu(m: Members) -> None:
    _set(m, NODE + "/node0/cpulist", "0\n")
    _set(m, NODE + "/node1/cpulist", "1-3\n")
    m.pop("sys/devices/system/cpu/cpu1/node0", None)
    m["sys/devices/system/cpu/cpu1/node1"] = ("l", b"../../node/node1")


def plant_edited_distance(m: Members) -> None:
    rel = NODE + "/node0/distance"
    row = m[rel][1].decode().split()
    row[2] = "13"
    _set(m, rel, " ".join(row) + "\n")


PLANTS = {"short-memory": plant_short_memory, "snc-off": plant_snc_off, "moved-cpu": plant_moved_cpu,
          "edited-distance": plant_edited_distance}


def build_fleet(dest: Path, normal: int = 6, plants=tuple(PLANTS), other_model: int = 3) -> Dict[str, Path]:
    """name -> tarball under dest/: `normal` identical SNC-4 hosts, one per plant, `other_model` identical
    2-socket hosts of another model (a group of their own)."""
    dest.mkdir(parents=True, exist_ok=True)
    out: Dict[str, Path] = {}
    for i in range(normal):
        out["normal-%d" % i] = write(machine(BASE, "snc-%d" % i), dest / ("normal-%d.tar.gz" % i))
    for name in plants:
        m = machine(BASE, name)
        PLANTS[name](m)
        out[name] = write(m, dest / ("%s.tar.gz" % name))
    other = {"sys_vendor": "QEMU", "product_name": "2-socket test box", "bios_version": "2.0"}
    for i in range(other_model):
        out["other-%d" % i] = write(machine(OTHER_MODEL, "box-%d" % i, other), dest / ("other-%d.tar.gz" % i))
    return out
