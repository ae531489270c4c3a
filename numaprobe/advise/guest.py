"""The guest NUMA topology of a spanning domain: one guest cell per host node that receives memory.

A domain whose memory spans host nodes is given that split as guest NUMA cells (libvirt <cpu><numa><cell>,
xl vnuma), so that the guest kernel keeps each vCPU's memory on the cell next to it instead of seeing one flat
node. Each cell is a whole number of MiB (or of huge pages: the search splits in those granules) and the cells
add up exactly to the domain's memory. A vCPU belongs to the cell of the host node it is pinned on; a vCPU pinned
on a CPU node that holds none of the memory joins the cell nearest to that node (by the cost matrix).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from numaprobe.advise.types import Placement, PlacementInput
from numaprobe.distance import LOCAL_DISTANCE  # libvirt and Xen want 10 on the diagonal (numa_conf.c, libxl_vnuma.c)


@dataclass(frozen=True)
class GuestCell:
    id: int
    host_node: int
    memory_bytes: int
    vcpus: Tuple[int, ...]  # guest vCPU indices


def memory_nodes(p: Placement) -> Tuple[int, ...]:
    """The host nodes that receive the domain's memory, in id order."""
    return tuple(n for n, b in p.chosen.bytes_by_node if b > 0) or p.chosen.nodes


def guest_cells(p: Placement, inp: PlacementInput) -> Optional[Tuple[GuestCell, ...]]:
    """The cells of a spanning domain (memory on two or more host nodes), else None (a flat guest)."""
    split = [(n, b) for n, b in p.chosen.bytes_by_node if b > 0]
    if len(split) < 2:
        return None
    node_of_cpu = {c: n for n, cs in zip(inp.node_ids, inp.cpus) for c in cs}
    cell_of_node = {n: k for k, (n, _) in enumerate(split)}
    members: Dict[int, List[int]] = {k: [] for k in range(len(split))}
    for vcpu, cpu in enumerate(p.pinning):
        host = node_of_cpu[cpu]
        if host not in cell_of_node:
            row = inp.distance[inp.index(host)]
            host = min((n for n, _ in split), key=lambda n: (row[inp.index(n)], n))
        members[cell_of_node[host]].append(vcpu)
    return tuple(GuestCell(k, n, b, tuple(members[k])) for k, (n, b) in enumerate(split))


def cell_distances(cells: Tuple[GuestCell, ...], inp: PlacementInput) -> List[List[int]]:
    """Whole distances between cells from the host's cost matrix: 10 on the diagonal, every other entry at
    least 11 (libvirt refuses a remote distance of 10 or less; Xen one below the local distance)."""
    out = []
    for a in cells:
        row = inp.distance[inp.index(a.host_node)]
        out.append([LOCAL_DISTANCE if a is b else max(LOCAL_DISTANCE + 1, int(round(row[inp.index(b.host_node)])))
                    for b in cells])
    return out
