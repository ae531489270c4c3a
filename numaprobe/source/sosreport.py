"""A sosreport (directory, or the .tar.xz / .tar.gz sos writes) as a Root, with the sysfs it did not copy filled in.

sos copies part of /sys and /proc and records tool outputs under sos_commands/. Readers only know sysfs, so a
SosRoot lays over the report the files the kernel would have shown, made from those outputs, wherever the copy
lacks them. The copies always win: a file is made only when the report has no copy of it. Which source gave each
fact is recorded in `source_notes` and becomes a note of the topology (code "sos-fact-source").

Sources, in order of preference (sos 4.x plugins numa, processor, memory, kernel, hardware, host):
  node CPUs       node*/cpulist copy, cpuN/nodeM links of the cpu copy, `numactl --hardware`, `lscpu -e`
  node memory     node*/meminfo copy, proc/zoneinfo (managed and free pages: exactly the kernel's per-node
                  MemTotal/MemFree, mm/show_mem.c si_meminfo_node), `numactl --hardware` (MB), `lsmem` (online blocks)
  distances       node*/distance copy, `numactl --hardware`, 10 for a lone node (LOCAL_DISTANCE)
  CPU topology    sys/devices/system/cpu copy, `lscpu -e`
  memory blocks   sys/devices/system/memory copy, `lsmem -a -o ...,NODE,BLOCK`
  identity        proc/sys/kernel/{hostname,osrelease}, sys/class/dmi/id copies; `hostname`, `uname -a`, dmidecode
"""

from __future__ import annotations

from typing import Dict, List, Optional, Set, Tuple

from numaprobe.readers import sos_commands as cmds
from numaprobe.readers.meminfo import parse_meminfo
from numaprobe.readers.zoneinfo import parse_zoneinfo
from numaprobe.source.root import MAX_FILE_BYTES, Root, _norm

# File names differ between sos versions (3.x had a "general" plugin; 4.3+ runs `lscpu -ae`).
COMMANDS = {
    "numactl": ("numa/numactl_--hardware", "numa/numactl_-H"),
    "lscpu": ("processor/lscpu_-ae", "processor/lscpu_-e"),
    "lsmem": ("memory/lsmem_-a_-o_RANGE_SIZE_STATE_REMOVABLE_ZONES_NODE_BLOCK",
              "memory/lsmem_-a_-o_RANGE_SIZE_STATE_REMOVABLE_ZONES_NODE_BLOCK_-b"),
    "dmidecode": ("hardware/dmidecode",),
    "uname": ("kernel/uname_-a", "general/uname_-a"),
    "hostname": ("host/hostname", "general/hostname"),
    "dmesg": ("kernel/dmesg",),
}
PAGE_SIZES = (4096, 16384, 65536)


def is_sosreport(root: Root) -> bool:
    return root.is_dir("sos_commands")


class SosRoot(Root):
    """The report as sos wrote it, plus sysfs files made from its command outputs where it has no copy."""

    kind = "sosreport"

    def __init__(self, base: Root) -> None:
        self.base = base
        self.path = base.path
        self._files: Dict[str, bytes] = {}
        self._dirs: Dict[str, Set[str]] = {}
        self.source_notes: List[Tuple[str, str]] = []
        self._dir_cache: Dict[str, str] = {}
        _fill(self)

    # -- what the synthesis uses ----------------------------------------------------------------------------
    def command(self, name: str) -> Tuple[Optional[str], Optional[str]]:
        """(text, its path in the report) of one recorded command output, or (None, None)."""
        for rel in COMMANDS[name]:
            text = self.base.read_text("sos_commands/" + rel, limit=64 << 20)
            if text:
                return text, "sos_commands/" + rel
        return None, None

    def copied(self, rel: str) -> bool:
        return self.base.exists(rel)

    def put(self, rel: str, text: str) -> None:
        rel = _norm(rel)
        self._files[rel] = text.encode()
        self._add_parents(rel)

    def put_dir(self, rel: str) -> None:
        rel = _norm(rel)
        self._dirs.setdefault(rel, set())
        self._add_parents(rel)

    def _add_parents(self, rel: str) -> None:
        while rel:
            parent, _, name = rel.rpartition("/")
            self._dirs.setdefault(parent, set()).add(name)
            rel = parent

    def note(self, fact: str, source: str) -> None:
        self.source_notes.append(("sos-fact-source", "%s: %s" % (fact, source)))

    # -- Root ---------------------------------------------------------------------------------------------
    def read_bytes(self, rel: str, limit: int = MAX_FILE_BYTES) -> bytes:
        data = self._files.get(_norm(rel))
        if data is not None:
            return data
        return self.base.read_bytes(rel, limit)

    def listdir(self, rel: str) -> List[str]:
        made = self._dirs.get(_norm(rel))
        try:
            names = self.base.listdir(rel)
        except OSError:
            if made is None:
                raise
            return sorted(made)
        return sorted(set(names) | made) if made else names

    def is_dir(self, rel: str) -> bool:
        return _norm(rel) in self._dirs or self.base.is_dir(rel)

    def exists(self, rel: str) -> bool:
        n = _norm(rel)
        return n in self._files or n in self._dirs or self.base.exists(rel)

    def readlink(self, rel: str) -> Optional[str]:
        return self.base.readlink(rel)

    def realpath(self, rel: str) -> str:
        n = _norm(rel)
        return n if n in self._files or n in self._dirs else self.base.realpath(rel)


def _fill(sr: SosRoot) -> None:
    from numaprobe.source import sos_fill

    sos_fill.identity(sr)
    sos_fill.dmi(sr)
    sos_fill.dmesg(sr)
    lscpu = cmds.parse_lscpu_e(sr.command("lscpu")[0])
    numactl_text, numactl_path = sr.command("numactl")
    numactl = cmds.parse_numactl_hardware(numactl_text)
    sos_fill.cpus(sr, lscpu)
    sos_fill.nodes(sr, numactl, numactl_path, lscpu)
    sos_fill.memory_blocks(sr)


def page_size(root: Root, zones) -> Tuple[int, bool]:
    """The page size zoneinfo counts in: /proc/meminfo's MemTotal over all zones' managed pages (both are
    totalram_pages), the nearest of 4, 16 and 64 KiB; (4096, False) when meminfo is absent."""
    total = parse_meminfo(root.read_text("proc/meminfo")).get("MemTotal")
    managed = sum(z.managed_pages or 0 for z in zones)
    if not total or not managed:
        return 4096, False
    return min(PAGE_SIZES, key=lambda p: abs(p * managed - total)), True


def node_memory_from_zoneinfo(root: Root) -> Dict[int, Tuple[int, int]]:
    """node -> (MemTotal, MemFree) in bytes from proc/zoneinfo."""
    zones = parse_zoneinfo(root.read_text("proc/zoneinfo"))
    size, _ = page_size(root, zones)
    out: Dict[int, Tuple[int, int]] = {}
    for z in zones:
        total, free = out.get(z.node, (0, 0))
        out[z.node] = (total + (z.managed_pages or 0) * size, free + (z.free_pages or 0) * size)
    return out

