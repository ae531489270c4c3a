"""sys/devices/system/memory: hot-pluggable memory blocks (block_size_bytes, memoryN/{state,phys_index}, node).

A block's node comes from its "nodeN" link (memoryN/nodeN -> ../../node/nodeN); kernels without it are covered by
the reverse links sys/devices/system/node/nodeN/memoryM.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

from numaprobe.readers.nodes import list_node_dirs
from numaprobe.source.root import Root

MEMORY_DIR = "sys/devices/system/memory"
CAPTURE_TREES = (MEMORY_DIR,)
_MEM_RE = re.compile(r"^memory(\d+)$")
_NODE_RE = re.compile(r"^node(\d+)$")


@dataclass(frozen=True)
class MemoryBlock:
    index: int
    start: int
    end: int  # exclusive
    state: Optional[str]  # online / offline / going-offline
    node: Optional[int]
    valid_zones: Optional[str] = None


@dataclass(frozen=True)
class MemoryBlocks:
    block_size: Optional[int]
    blocks: Tuple[MemoryBlock, ...]  # sorted by index

    def online(self) -> Tuple[MemoryBlock, ...]:
        return tuple(b for b in self.blocks if b.state in (None, "online"))


def read_memory_blocks(root: Root) -> MemoryBlocks:
    try:
        size: Optional[int] = int(root.read_text(MEMORY_DIR + "/block_size_bytes") or "", 16)
    except ValueError:
        size = None
    reverse: Dict[int, int] = {}
    for n in list_node_dirs(root):
        for name in root.try_listdir("sys/devices/system/node/node%d" % n):
            m = _MEM_RE.match(name)
            if m:
                reverse.setdefault(int(m.group(1)), n)
    blocks = []
    if size:
        for name in root.try_listdir(MEMORY_DIR):
            m = _MEM_RE.match(name)
            if not m:
                continue
            idx = int(m.group(1))
            base = "%s/%s" % (MEMORY_DIR, name)
            try:
                phys = int(root.read_text(base + "/phys_index") or "", 16)
            except ValueError:
                phys = idx  # phys_index is the block number on every kernel we know
            node = next((int(mm.group(1)) for mm in map(_NODE_RE.match, root.try_listdir(base)) if mm), None)
            if node is None:
                node = reverse.get(idx)
            blocks.append(MemoryBlock(idx, phys * size, (phys + 1) * size, root.read_text(base + "/state"), node,
                                      root.read_text(base + "/valid_zones")))
    return MemoryBlocks(size, tuple(sorted(blocks, key=lambda b: b.index)))
