"""What each node can hand a new domain, and which nodes and CPUs the caller may use at all.

Usable memory of a node = MemFree + what the kernel reclaims without swapping (Inactive(file), SReclaimable)
- a headroom. numad counts inactive file pages as free by default (-K 0 / its -C behaviour) and keeps nodes
below a target use (-u, default 85%). numaprobe's default headroom is the node's zone high watermarks: the free
memory the kernel itself keeps (kswapd reclaims until every zone is back above its high mark), so a plan that
stays above it neither wakes kswapd for good nor pushes the node into direct reclaim; a flat 15% would keep
150 GiB idle on a 1 TiB node and refuse plans that fit. `--reserve PCT` keeps PCT% of the node's MemTotal
instead (`--reserve 15` is numad's -u 85). A capture without proc/zoneinfo gets the watermarks Linux would set:
mm/page_alloc.c min_free_kbytes = sqrt(16 x lowmem KiB) clamped to 128 KiB..256 MiB, shared by the nodes in
proportion to their memory, high = min + 2 x max(min / 4, managed x watermark_scale_factor (10) / 10000).
With huge pages, usable is the node's free pages of that size (the pool is set aside already).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

from numaprobe.model.topology import Node, Topology


@dataclass(frozen=True)
class NodeCapacity:
    free: int  # MemFree
    reclaimable: int  # Inactive(file) + SReclaimable
    headroom: int  # kept free: the high watermark or --reserve
    usable: int

    def to_json(self) -> dict:
        return {"free_bytes": self.free, "reclaimable_bytes": self.reclaimable, "headroom_bytes": self.headroom,
                "usable_bytes": self.usable}


def estimated_high_watermark(node: Node, all_nodes: Sequence[Node]) -> int:
    """Linux's high watermark for a node of a machine whose proc/zoneinfo was not captured (see the docstring)."""
    total = sum(n.memory_total_bytes or 0 for n in all_nodes)
    mine = node.memory_total_bytes or 0
    if not total or not mine:
        return 0
    min_free_kib = min(max(int(math.isqrt(total // 1024 * 16)), 128), 262144)
    node_min = min_free_kib * 1024 * mine // total
    step = max(node_min // 4, mine * 10 // 10000)
    return node_min + 2 * step


def node_capacity(node: Node, all_nodes: Sequence[Node], reserve_pct: Optional[float]) -> NodeCapacity:
    free = max(0, node.memory_free_bytes or 0)
    reclaim = max(0, node.memory_reclaimable_bytes or 0)
    if reserve_pct is not None:
        headroom = int((node.memory_total_bytes or 0) * reserve_pct / 100)
    elif node.high_watermark_bytes is not None:
        headroom = node.high_watermark_bytes
    else:
        headroom = estimated_high_watermark(node, all_nodes)
    # whole MiB: what a guest cell, an xl vnode or a QEMU memory backend can take (advise/search.memory_pool)
    return NodeCapacity(free, reclaim, headroom, max(0, free + reclaim - headroom) >> 20 << 20)


def headroom_source(topology: Topology, reserve_pct: Optional[float]) -> str:
    if reserve_pct is not None:
        return "--reserve %g%% of MemTotal" % reserve_pct
    if all(n.high_watermark_bytes is not None for n in topology.nodes):
        return "zone high watermarks (proc/zoneinfo)"
    return "zone high watermarks as Linux would set them (no proc/zoneinfo)"


@dataclass(frozen=True)
class Limits:
    """What bounds the search: the caller's CPUs and nodes (affinity and cpuset, live or as captured), further
    restricted by --cpus / --nodes; device memory only with --allow-device-memory."""

    cpus: Optional[Tuple[int, ...]] = None  # None = every online CPU
    mems: Optional[Tuple[int, ...]] = None  # None = every node
    allow_device_memory: bool = False
    source: str = "whole machine"


def caller_limits(topology: Topology, ignore_cpuset: bool = False, cpus: Optional[Sequence[int]] = None,
                  nodes: Optional[Sequence[int]] = None, allow_device_memory: bool = False) -> Limits:
    """The caller's allowed sets as the model recorded them (proc/self/status or the cgroup cpuset; on a capture
    the captured process's), unless --ignore-cpuset, intersected with --cpus and --nodes."""
    allowed_cpus = None if ignore_cpuset else topology.allowed_cpus
    allowed_mems = None if ignore_cpuset else topology.allowed_mems
    parts = []
    if allowed_cpus is not None or allowed_mems is not None:
        parts.append("the caller's cpuset")
    if cpus is not None:
        allowed_cpus = tuple(sorted(set(cpus) & set(allowed_cpus))) if allowed_cpus is not None else tuple(cpus)
        parts.append("--cpus")
    if nodes is not None:
        allowed_mems = tuple(sorted(set(nodes) & set(allowed_mems))) if allowed_mems is not None else tuple(nodes)
        parts.append("--nodes")
    return Limits(allowed_cpus, allowed_mems, allow_device_memory, " and ".join(parts) or "whole machine")
