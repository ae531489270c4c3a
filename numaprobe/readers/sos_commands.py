"""Parsers for the command outputs a sosreport keeps under sos_commands/: what the tools printed on the host.

sos copies only part of /sys (its numa plugin takes node*/cpulist, meminfo and distance; its processor plugin
all of sys/devices/system/cpu), so some facts survive only as tool output. Each parser takes the text and returns
plain values, or None when the text is absent or not in the tool's format (a truncated or foreign file).
Formats: numactl 2.0.x `numactl --hardware` (numactl.c: hardware()), util-linux 2.3x `lscpu -e[a]` and
`lsmem -a -o ...` (column headers name the columns), dmidecode 3.x, coreutils `uname -a`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple



@dataclass(frozen=True)
class NumactlNode:
    id: int
    cpus: Tuple[int, ...]
    size_mb: Optional[int]  # None for "<not available>"
    free_mb: Optional[int]


@dataclass(frozen=True)
class NumactlHardware:
    nodes: Tuple[NumactlNode, ...]
    distances: Optional[Dict[int, Tuple[int, ...]]]  # node -> row in the order of the header; None if not shown


_AVAILABLE = re.compile(r"^available: (\d+) nodes \(([-0-9,]*)\)\s*$", re.M)
_NODE_LINE = re.compile(r"^node (\d+) (cpus|size|free):(.*)$", re.M)
_MB = re.compile(r"^\s*(\d+) MB\s*$")


def parse_numactl_hardware(text: Optional[str]) -> Optional[NumactlHardware]:
    if not text or not _AVAILABLE.search(text):
        return None
    fields: Dict[int, Dict[str, str]] = {}
    for m in _NODE_LINE.finditer(text):
        fields.setdefault(int(m.group(1)), {})[m.group(2)] = m.group(3)
    nodes = []
    for nid in sorted(fields):
        f = fields[nid]
        try:
            cpus = tuple(int(c) for c in f.get("cpus", "").split())
        except ValueError:
            return None
        nodes.append(NumactlNode(nid, cpus, _mb(f.get("size")), _mb(f.get("free"))))
    return NumactlHardware(tuple(nodes), _numactl_distances(text))


def _mb(value: Optional[str]) -> Optional[int]:
    m = _MB.match(value or "")
    return int(m.group(1)) if m else None


def _numactl_distances(text: str) -> Optional[Dict[int, Tuple[int, ...]]]:
    lines = text.splitlines()
    try:
        start = lines.index("node distances:")
    except ValueError:
        return None
    header = lines[start + 1].split() if start + 1 < len(lines) else []
    if not header or header[0] != "node":
        return None
    width = len(header) - 1
    rows: Dict[int, Tuple[int, ...]] = {}
    for line in lines[start + 2:start + 2 + width]:
        head, sep, rest = line.partition(":")
        try:
            row = tuple(int(v) for v in rest.split())
            nid = int(head)
        except ValueError:
            return None
        if not sep or len(row) != width:
            return None
        rows[nid] = row
    return rows if len(rows) == width else None


@dataclass(frozen=True)
class LscpuCpu:
    cpu: int
    node: Optional[int]
    socket: Optional[int]
    core: Optional[int]
    online: Optional[bool]  # None when lscpu printed no ONLINE column


def parse_lscpu_e(text: Optional[str]) -> Optional[Tuple[LscpuCpu, ...]]:
    """`lscpu -e` / `lscpu -ae`: a header naming the columns, then one line per CPU ("-" for unknown)."""
    lines = [line for line in (text or "").splitlines() if line.strip()]
    if not lines or lines[0].split()[:1] != ["CPU"]:
        return None
    cols = lines[0].split()
    out = []
    for line in lines[1:]:
        vals = line.split()
        if len(vals) != len(cols):
            return None
        row = dict(zip(cols, vals))

        def num(name: str) -> Optional[int]:
            v = row.get(name, "-")
            return int(v) if v.isdigit() else None

        cpu = num("CPU")
        if cpu is None:
            return None
        online = {"yes": True, "no": False}.get(row.get("ONLINE", "").lower())
        out.append(LscpuCpu(cpu, num("NODE"), num("SOCKET"), num("CORE"), online))
    return tuple(out) or None


@dataclass(frozen=True)
class LsmemBlock:
    start: int
    end: int  # exclusive
    online: bool
    node: Optional[int]


_LSMEM_BLOCK_SIZE = re.compile(r"^Memory block size:\s*(\S+)", re.M)


def parse_lsmem(text: Optional[str]) -> Optional[Tuple[Optional[int], Tuple[LsmemBlock, ...]]]:
    """`lsmem -a -o RANGE,SIZE,STATE,...,NODE,BLOCK`: (block size in bytes or None, the ranges as printed)."""
    lines = (text or "").splitlines()
    if not lines or lines[0].split()[:1] != ["RANGE"]:
        return None
    cols = lines[0].split()
    blocks = []
    for line in lines[1:]:
        vals = line.split()
        if not vals:
            break  # the summary follows a blank line
        row = dict(zip(cols, vals))
        lo, sep, hi = row.get("RANGE", "").partition("-")
        try:
            start, end = int(lo, 16), int(hi, 16) + 1
        except ValueError:
            return None
        node = row.get("NODE", "-")
        blocks.append(LsmemBlock(start, end, row.get("STATE", "online") == "online",
                                 int(node) if node.isdigit() else None))
    m = _LSMEM_BLOCK_SIZE.search(text or "")
    return (parse_size(m.group(1)) if m else None), tuple(blocks)


def parse_size(text: str) -> Optional[int]:
    """util-linux's human sizes ("128M", "1.5G", "0B"): binary multiples."""
    m = re.match(r"^(\d+(?:\.\d+)?)([KMGTPE]?)B?$", text.strip())
    if not m:
        return None
    shift = 10 * (" KMGTPE".index(m.group(2)) if m.group(2) else 0)
    return int(float(m.group(1)) * (1 << shift))


# dmidecode section -> (field -> the sys/class/dmi/id attribute the kernel derives from it, drivers/firmware/dmi-id.c)
_DMI_FIELDS = {
    "BIOS Information": {"Vendor": "bios_vendor", "Version": "bios_version", "Release Date": "bios_date"},
    "System Information": {"Manufacturer": "sys_vendor", "Product Name": "product_name",
                           "Version": "product_version"},
    "Base Board Information": {"Manufacturer": "board_vendor", "Product Name": "board_name"},
}


def parse_dmidecode(text: Optional[str]) -> Dict[str, str]:
    """The few identity strings of `dmidecode` output, named as in sys/class/dmi/id. Serial numbers are skipped."""
    out: Dict[str, str] = {}
    section: Optional[Dict[str, str]] = None
    for line in (text or "").splitlines():
        if line and not line[0].isspace():
            section = _DMI_FIELDS.get(line.strip())
            continue
        if section is None:
            continue
        key, sep, value = line.strip().partition(":")
        attr = section.get(key.strip())
        if sep and attr and attr not in out and value.strip():
            out[attr] = value.strip()
    return out


def parse_uname_release(text: Optional[str]) -> Optional[str]:
    """`uname -a`: "Linux HOST RELEASE #VERSION ..." -> RELEASE."""
    words = (text or "").split()
    return words[2] if len(words) > 2 and words[0] == "Linux" else None


def cpus_by_node(cpus: Tuple[LscpuCpu, ...]) -> Dict[int, List[int]]:
    out: Dict[int, List[int]] = {}
    for c in cpus:
        if c.node is not None:
            out.setdefault(c.node, []).append(c.cpu)
    return out
