"""An independent brute force of advise's objective, written from docs/advice.md ("The objective"), not from
numaprobe.advise.search: it shares no code with search()/evaluate(), only the frozen input it reads.

Every node set S (of the smallest size that has a feasible one: size is the first key, so that is the optimum),
every CPU-node subset C the document allows (all of S's CPU nodes, or the fewest grown by distance from each),
every vCPU layout it names (in proportion to the CPUs, largest remainder; or nearest first from each node of C),
the memory split nearest first by cost (evenly for interleave), and the key compared in the document's order.
CPU-less host-memory nodes (the slower tier) are tried only when no set without them is feasible.
"""

from __future__ import annotations

import itertools
import math
from typing import Dict, List, Optional, Sequence, Tuple

MIB = 1 << 20


def pool_of(inp, hugepage_bytes: Optional[int]) -> List[int]:
    if hugepage_bytes:
        for size, free in inp.free_hugepages:
            if size == hugepage_bytes:
                return [f * size for f in free]
        return [0] * len(inp.node_ids)
    return [f // MIB * MIB for f in inp.free_bytes]


def _proportional(ncpu: Sequence[int], vcpus: int) -> List[int]:
    total = sum(ncpu)
    shares = [vcpus * c // total for c in ncpu]
    order = sorted(range(len(ncpu)), key=lambda k: (-(vcpus * ncpu[k] % total), k))
    for k in order[:vcpus - sum(shares)]:
        shares[k] += 1
    return shares


def _cpu_subsets(inp, cpu_nodes: List[int], vcpus: int) -> List[Tuple[int, ...]]:
    out = {tuple(cpu_nodes)}
    sizes = [len(inp.cpus[i]) for i in cpu_nodes]
    if len(cpu_nodes) > 1 and sum(sizes) - min(sizes) >= vcpus:
        for s in cpu_nodes:
            acc, grown = 0, []
            for j in sorted(cpu_nodes, key=lambda j: (inp.distance[s][j], j)):
                grown.append(j)
                acc += len(inp.cpus[j])
                if acc >= vcpus:
                    break
            out.add(tuple(sorted(grown)))
    return sorted(out)


def _layouts(inp, c: Tuple[int, ...], vcpus: int, fill: bool) -> List[Dict[int, int]]:
    ncpu = [len(inp.cpus[i]) for i in c]
    out = [dict(zip(c, _proportional(ncpu, vcpus)))]
    if fill and len(c) > 1 and vcpus < sum(ncpu):
        for a in c:
            left, lay = vcpus, dict.fromkeys(c, 0)
            for j in sorted(c, key=lambda j: (inp.distance[a][j], j)):
                lay[j] = min(len(inp.cpus[j]), left)
                left -= lay[j]
            out.append(lay)
    return out


def _split(pool, s: Tuple[int, ...], memory: int, mode: str, cost: Dict[int, float], granule: int):
    mem_nodes = [j for j in s if pool[j] > 0]
    out = dict.fromkeys(s, 0)
    left = memory
    if mode == "interleave":
        live = sorted(mem_nodes, key=lambda j: pool[j])
        while left and live:
            share = -(-(-(-left // len(live))) // granule) * granule
            j = live.pop(0)
            out[j] = min(share, pool[j], left)
            left -= out[j]
        return out
    for j in sorted(mem_nodes, key=lambda j: (cost[j], -pool[j], j)):
        out[j] = min(pool[j], left)
        left -= out[j]
    return out


def _score_set(inp, req, pool, s: Tuple[int, ...], total_sq: float, granule: int):
    vcpus = max(1, req.vcpus)
    cpu_nodes = [i for i in s if inp.cpus[i]]
    best = None
    subsets = _cpu_subsets(inp, cpu_nodes, vcpus)
    for c in subsets:
        # the document: over C, in proportion or nearest first from one node of C
        for lay in _layouts(inp, c, vcpus, fill=True):
            used = tuple(i for i in c if lay[i])
            w = {i: lay[i] / vcpus for i in used}
            cost = {j: sum(w[i] * inp.distance[i][j] for i in used) for j in s}
            split = _split(pool, s, req.memory_bytes, req.mode, cost, granule)
            d = sum(m * cost[j] for j, m in split.items()) / (10.0 * req.memory_bytes)
            ncpu = sum(len(inp.cpus[i]) for i in used)
            level = max(1, math.ceil(round((sum(inp.busy[i] for i in used) + req.vcpus) / ncpu, 9)))
            layout_key = (round(d, 9), level, len(used), used, tuple(-w[i] for i in used))
            if best is None or layout_key < best[0]:
                best = (layout_key, w, split, d, level)
    _, w, split, d, level = best
    dev = 0.0
    if req.device_node is not None and req.device_node in inp.node_ids:
        k = inp.node_ids.index(req.device_node)
        dev = sum(wi * inp.distance[i][k] for i, wi in w.items()) / 10.0
    holes = sum(pool[j] ** 2 - (pool[j] - m) ** 2 for j, m in split.items())
    for pkg in {inp.package[j] for j in s if split[j] and inp.package[j] is not None}:
        free = sum(pool[j] for j, p in enumerate(inp.package) if p == pkg)
        took = sum(split[j] for j in s if inp.package[j] == pkg)
        holes += free ** 2 - (free - took) ** 2
    ids = tuple(inp.node_ids[i] for i in s)
    return (len(s), round(d, 9), round(dev, 9), level, round(holes / total_sq, 12), ids), d


def brute_force_key(inp, req, max_sets: int = 2_000_000):
    """(key, D) of the optimum as docs/advice.md defines it, or None when nothing is feasible. Sets are tried by
    size, smallest first; raises OverflowError when a size has more than max_sets subsets."""
    slow = {inp.node_ids.index(n) for n in getattr(inp, "slow_tier", ())}
    full = pool_of(inp, req.hugepage_bytes)
    phases = [[0 if i in slow else p for i, p in enumerate(full)]] if slow else []
    phases.append(full)
    granule = req.hugepage_bytes or MIB
    n = len(inp.node_ids)
    for pool in phases:
        total_sq = float(sum(pool) ** 2) or 1.0
        for k in range(1, n + 1):
            if math.comb(n, k) > max_sets:
                raise OverflowError("C(%d, %d) sets" % (n, k))
            best = None
            for s in itertools.combinations(range(n), k):
                if sum(len(inp.cpus[i]) for i in s) < max(1, req.vcpus) or sum(pool[i] for i in s) < req.memory_bytes:
                    continue
                scored = _score_set(inp, req, pool, s, total_sq, granule)
                if best is None or scored[0] < best[0]:
                    best = scored
            if best is not None:
                return best
    return None
