"""sys/devices/system/node/nodeN/accessY: what Linux made of HMAT (5.10+): the best initiators of memory node N
and the performance from them (latency in ns, bandwidth in MB/s), Documentation/admin-guide/mm/numaperf.rst."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Tuple

from numaprobe.readers.nodes import NODE_DIR, list_node_dirs
from numaprobe.source.root import Root

_NODE_RE = re.compile(r"^node(\d+)$")
ATTRIBUTES = ("read_latency", "write_latency", "read_bandwidth", "write_bandwidth")
CAPTURE_TREES = (NODE_DIR,)  # nodeN/accessY/initiators


@dataclass(frozen=True)
class NodeAccess:
    node: int  # the memory target
    access: int  # 0: best initiators of any kind, 1: best CPU initiators
    initiators: Tuple[int, ...]
    read_latency: Optional[int]
    write_latency: Optional[int]
    read_bandwidth: Optional[int]
    write_bandwidth: Optional[int]


def _int(text: Optional[str]) -> Optional[int]:
    try:
        return int(text) if text else None
    except ValueError:
        return None


def read_node_access(root: Root) -> Tuple[NodeAccess, ...]:
    out = []
    for n in list_node_dirs(root):
        for name in root.try_listdir("%s/node%d" % (NODE_DIR, n)):
            if not (name.startswith("access") and name[6:].isdigit()):
                continue
            base = "%s/node%d/%s/initiators" % (NODE_DIR, n, name)
            inits = tuple(sorted(int(m.group(1)) for m in map(_NODE_RE.match, root.try_listdir(base)) if m))
            values = {a: _int(root.read_text("%s/%s" % (base, a))) for a in ATTRIBUTES}
            out.append(NodeAccess(node=n, access=int(name[6:]), initiators=inits, **values))
    return tuple(sorted(out, key=lambda a: (a.node, a.access)))
