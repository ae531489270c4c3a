"""The decision's input derived from a Topology: CPUs, usable memory, distances, load, packages per node."""

from __future__ import annotations

from typing import Dict, Iterable, Optional, Sequence

from numaprobe.advise.capacity import Limits, headroom_source, node_capacity
from numaprobe.advise.types import PlacementInput
from numaprobe.model.topology import Topology

UNKNOWN_REMOTE = 20  # what Linux assumes (REMOTE_DISTANCE) when a machine has no SLIT


def _exclusions(topology: Topology, limits: Limits) -> Dict[int, str]:
    out: Dict[int, str] = {}
    for node in topology.nodes:
        if limits.mems is not None and node.id not in limits.mems:
            out[node.id] = "not in the allowed memory nodes (%s)" % limits.source
        elif node.device_memory and not limits.allow_device_memory:
            out[node.id] = "device memory (%s); --allow-device-memory uses it" % node.device_memory
    return out


def placement_input(topology: Topology, committed_cpus: Iterable[int] = (),
                    load_by_node: Optional[Dict[int, float]] = None,
                    latency: Optional[Sequence[Sequence[float]]] = None,
                    limits: Optional[Limits] = None, reserve_pct: Optional[float] = None) -> PlacementInput:
    """Derive the decision's input from a Topology. `load_by_node` is busy CPUs' worth per node (sampled);
    `latency` an HMAT initiator x target read-latency matrix in node order, used instead of the SLIT; `limits`
    the CPUs and nodes the caller may use (default: the whole machine, device memory left out); `reserve_pct`
    the headroom as a share of MemTotal instead of the zone high watermarks (advise/capacity.py)."""
    limits = limits or Limits()
    committed = set(committed_cpus)
    ids = topology.node_ids
    n = len(ids)
    allowed = None if limits.cpus is None else set(limits.cpus)
    cpus = tuple(tuple(c for c in node.cpus if allowed is None or c in allowed) for node in topology.nodes)
    excluded = _exclusions(topology, limits)
    capacity = tuple(node_capacity(node, topology.nodes, reserve_pct) for node in topology.nodes)
    if latency is not None:
        local = min(latency[i][i] for i in range(n) if latency[i][i]) or 1
        distance = tuple(tuple(10.0 * latency[i][j] / local for j in range(n)) for i in range(n))
        source = "HMAT"
    else:
        rows = []
        for i, node in enumerate(topology.nodes):
            row = node.distances if node.distances and len(node.distances) == n else None
            rows.append(tuple(float(x) for x in row) if row else
                        tuple(10.0 if i == j else float(UNKNOWN_REMOTE) for j in range(n)))
        distance = tuple(rows)
        source = "SLIT" if all(nd.distances for nd in topology.nodes) else "none (assumed 10/20)"
    busy = []
    for i, node in enumerate(topology.nodes):
        taken = float(sum(1 for c in node.cpus if c in committed))
        sampled = (load_by_node or {}).get(node.id, 0.0)
        busy.append(max(taken, sampled))
    packages = []
    by_cpu = {c.id: c.package for c in topology.cpus}
    for node in topology.nodes:
        pk = sorted({by_cpu.get(c) for c in node.cpus if by_cpu.get(c) is not None})
        packages.append(pk[0] if pk else None)
    sizes = sorted({h.size_bytes for node in topology.nodes for h in node.hugepages})
    huge = tuple((size, tuple(0 if node.id in excluded else
                              next((h.free for h in node.hugepages if h.size_bytes == size), 0)
                              for node in topology.nodes)) for size in sizes)
    rank = tuple((c.id, c.thread_siblings.index(c.id) if c.id in c.thread_siblings else 0)
                 for c in topology.cpus if c.online)
    return PlacementInput(node_ids=ids, cpus=cpus, thread_rank=rank,
                          free_bytes=tuple(0 if node.id in excluded else cap.usable
                                           for node, cap in zip(topology.nodes, capacity)),
                          distance=distance, busy=tuple(busy), package=tuple(packages), free_hugepages=huge,
                          committed_cpus=tuple(sorted(committed)), cost_source=source, capacity=capacity,
                          excluded=tuple(sorted(excluded.items())),
                          slow_tier=tuple(node.id for node in topology.nodes
                                          if not node.cpus and node.id not in excluded and node.has_memory),
                          headroom_source=headroom_source(topology, reserve_pct), limits_source=limits.source)
