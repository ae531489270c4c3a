"""sys/devices/system/node/nodeN/numastat: the kernel's per-node allocation counters (in allocations)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

from numaprobe.readers.nodes import list_node_dirs
from numaprobe.source.root import Root

COUNTER_NAMES = ("numa_hit", "numa_miss", "numa_foreign", "interleave_hit", "local_node", "other_node")
CAPTURE_TREES = ("sys/devices/system/node",)  # nodeN/numastat


@dataclass(frozen=True)
class NodeCounters:
    node: int
    values: Tuple[Tuple[str, int], ...]  # every "name value" line, in file order (newer kernels may add some)

    def get(self, name: str) -> Optional[int]:
        return dict(self.values).get(name)


def parse_node_numastat(node: int, text: Optional[str]) -> NodeCounters:
    vals = []
    for line in (text or "").splitlines():
        words = line.split()
        if len(words) == 2:
            try:
                vals.append((words[0], int(words[1])))
            except ValueError:
                continue
    return NodeCounters(node, tuple(vals))


def read_node_counters(root: Root) -> Tuple[NodeCounters, ...]:
    """One entry per node directory that has a readable numastat file."""
    out = []
    for n in list_node_dirs(root):
        text = root.read_text("sys/devices/system/node/node%d/numastat" % n)
        if text is not None:
            out.append(parse_node_numastat(n, text))
    return tuple(out)
