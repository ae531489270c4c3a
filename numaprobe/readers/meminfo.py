"""/proc/meminfo and sys/devices/system/node/nodeN/meminfo ("Node 0 MemTotal:  1234 kB")."""

from __future__ import annotations

from typing import Dict, Optional

from numaprobe.source.root import Root

CAPTURE_FILES = ("proc/meminfo",)


def parse_meminfo(text: Optional[str]) -> Dict[str, int]:
    """Field -> bytes for 'kB' values, plain count otherwise. The per-node form's 'Node N ' prefix is dropped."""
    out: Dict[str, int] = {}
    if not text:
        return out
    for line in text.splitlines():
        key, sep, rest = line.partition(":")
        if not sep:
            continue
        words = key.split()
        if len(words) >= 3 and words[0] == "Node":
            key = " ".join(words[2:])
        else:
            key = key.strip()
        vals = rest.split()
        if not vals:
            continue
        try:
            num = int(vals[0])
        except ValueError:
            continue
        if len(vals) > 1 and vals[1].lower() == "kb":
            num *= 1024
        out[key] = num
    return out


def read_meminfo(root: Root) -> Dict[str, int]:
    return parse_meminfo(root.read_text("proc/meminfo"))


def read_node_meminfo(root: Root, node_id: int) -> Dict[str, int]:
    return parse_meminfo(root.read_text("sys/devices/system/node/node%d/meminfo" % node_id))
