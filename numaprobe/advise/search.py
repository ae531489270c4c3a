"""Where to put a domain: the placement decision as a pure function of a small frozen input.

The objective (docs/advice.md), compared lexicographically:
  1. the fewest nodes that hold the memory and the vCPUs;
  2. the most compact: lowest distance-weighted memory access D (1.0 = all local);
  3. the nearest to the named device (vCPU-weighted distance to the device's node);
  4. the least loaded: the vCPU:pCPU ratio of its CPU nodes, counting the work already there, rounded up
     (1 = every vCPU has its own pCPU), so that within one load level the next key decides;
  5. the largest holes left: least loss in the sum of squares of free memory per node and per package;
  6. the lowest node ids (so the answer is deterministic).
Up to EXACT_NODES nodes the search is exhaustive over the smallest feasible size, which equals exhaustive search
over all subsets because size is the first key. Beyond, candidates are grown from each seed node by nearest
neighbours (plus every subset when there are few), and `gap` in bench/placement measures what that loses.
"""


from __future__ import annotations

import heapq
import itertools
import math
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from numaprobe.advise.types import Candidate, PlacementInput, PlacementRequest

EXACT_NODES = 16
# Above EXACT_NODES, subsets of the smallest feasible size are all tried while there are at most this many;
# one evaluation costs ~5-10 us, so this keeps a decision on 64 nodes well inside 10 ms.
SUBSET_BUDGET = 300
MIB = 1 << 20


def memory_pool(inp: PlacementInput, hugepage_bytes: Optional[int]) -> Tuple[int, ...]:
    """Bytes per node usable for the request: base pages in whole MiB (guest NUMA cells, xl vnodes and QEMU's
    memory backends are sized in MiB, so every split is), or free huge pages of the asked size."""
    if not hugepage_bytes:
        return tuple(f // MIB * MIB for f in inp.free_bytes)
    for size, free in inp.free_hugepages:
        if size == hugepage_bytes:
            return tuple(f * size for f in free)
    return tuple(0 for _ in inp.node_ids)


# ------------------------------------------------------------------------------------------ one candidate
def split_memory(pool: Sequence[int], idx: Sequence[int], memory: int, mode: str, cost: Dict[int, float],
                 granule: int) -> Optional[Dict[int, int]]:
    """The expected split of `memory` over node indices `idx`: nearest-first by `cost` (the vCPU-weighted
    distance of each node; what per-node placement such as vNUMA achieves), or even over the memory nodes for
    interleave. None if short."""
    mem_idx = [j for j in idx if pool[j] > 0]
    if sum(pool[j] for j in mem_idx) < memory:
        return None
    out = {j: 0 for j in idx}
    left = memory
    if mode == "interleave":
        live = sorted(mem_idx, key=lambda j: pool[j])
        while left > 0 and live:
            share = -(-left // len(live))
            share = -(-share // granule) * granule
            j = live.pop(0)
            take = min(share, pool[j], left)
            out[j] = take
            left -= take
        return out if left == 0 else None
    for j in sorted(mem_idx, key=lambda j: (cost[j], -pool[j], j)):
        take = min(pool[j], left)
        out[j] = take
        left -= take
        if not left:
            break
    return out


def cpu_node_choices(inp: PlacementInput, idx: Sequence[int], vcpus: int) -> List[Tuple[int, ...]]:
    """Which of the set's CPU nodes run the vCPUs: all of them, or, grown from each one by distance, the fewest
    that hold the vCPUs. A set may hold more nodes for memory than the vCPUs need, and vCPUs kept near the
    middle of that memory see it closer (NPS4, 3+1 nodes across sockets: D 1.65 instead of 1.90)."""
    cpu_idx = [i for i in idx if inp.cpus[i]]
    out = {tuple(cpu_idx)}
    total = sum(len(inp.cpus[i]) for i in cpu_idx)
    if len(cpu_idx) > 1 and total - min(len(inp.cpus[i]) for i in cpu_idx) >= vcpus:
        for s in cpu_idx:
            acc, chosen = 0, []
            for j in sorted(cpu_idx, key=lambda j: (inp.distance[s][j], j)):
                chosen.append(j)
                acc += len(inp.cpus[j])
                if acc >= vcpus:
                    break
            out.add(tuple(sorted(chosen)))
    return sorted(out, key=lambda c: (len(c), c))


def proportional_counts(inp: PlacementInput, cset: Sequence[int], vcpus: int) -> Tuple[int, ...]:
    """vCPUs per node of `cset` in proportion to their CPUs, whole vCPUs (largest remainder, then index)."""
    total = sum(len(inp.cpus[i]) for i in cset) or 1
    shares = [vcpus * len(inp.cpus[i]) // total for i in cset]
    rest = vcpus - sum(shares)
    order = sorted(range(len(cset)), key=lambda k: (-(vcpus * len(inp.cpus[cset[k]]) % total), cset[k]))
    for k in order[:rest]:
        shares[k] += 1
    return tuple(shares)


def vcpu_layouts(inp: PlacementInput, cset: Sequence[int], vcpus: int,
                 fill: bool = True) -> List[Tuple[int, ...]]:
    """Ways to lay `vcpus` over the CPU nodes `cset` (counts aligned with cset): in proportion to the nodes'
    CPUs, or filling one pCPU per vCPU nearest first from each node of the set. A domain too big for one node
    then runs most vCPUs next to its memory and only the overflow on the far node (T4, 32 vCPUs on 24 + 16
    threads: 24 + 8 instead of 19.2 + 12.8)."""
    if len(cset) == 1:
        return [(vcpus,)]
    out = [proportional_counts(inp, cset, vcpus)]
    if fill and len(cset) > 1 and vcpus < sum(len(inp.cpus[i]) for i in cset):
        for a in cset:
            counts = dict.fromkeys(cset, 0)
            left = vcpus
            for j in sorted(cset, key=lambda j: (inp.distance[a][j], j)):
                take = min(len(inp.cpus[j]), left)
                counts[j] = take
                left -= take
            layout = tuple(counts[i] for i in cset)
            if layout not in out:
                out.append(layout)
    return out


def evaluate(inp: PlacementInput, req: PlacementRequest, pool: Sequence[int], idx: Tuple[int, ...],
             total_free_sq: float, granule: int = MIB,
             package_free: Optional[Dict[Optional[int], int]] = None) -> Optional[Candidate]:
    """Score one node set (indices), or None if it cannot hold the request."""
    if sum(len(inp.cpus[i]) for i in idx) < max(1, req.vcpus):
        return None
    if sum(pool[j] for j in idx) < req.memory_bytes:
        return None
    dist = inp.distance
    mem = req.memory_bytes or 1
    vcpus = max(1, req.vcpus)
    best = None
    choices = cpu_node_choices(inp, idx, vcpus)
    seen = set()
    for choice in choices:
        # Nearest-first fills from every node of every choice C (docs/advice.md): a fill from node a over the
        # nodes grown from another node s is a layout the fills over all CPU nodes do not give (found by the
        # independent brute force in tests/test_advise_oracle.py: D 1.0297 instead of 1.0349).
        for layout in vcpu_layouts(inp, choice, vcpus):
            counts = tuple((i, v) for i, v in zip(choice, layout) if v)
            if counts in seen:
                continue
            seen.add(counts)
            cset = tuple(i for i, _ in counts)
            weights = {i: v / vcpus for i, v in counts}
            if len(counts) == 1:
                row = dist[cset[0]]
                cost = {j: row[j] for j in idx}
            else:
                rows = [(w, dist[c]) for c, w in weights.items()]
                cost = {j: sum(w * row[j] for w, row in rows) for j in idx}
            split = split_memory(pool, idx, req.memory_bytes, req.mode, cost, granule)
            if split is None:
                return None
            d_w = sum(m * cost[j] for j, m in split.items() if m) / (10.0 * mem)
            if not req.memory_bytes:
                d_w = 1.0
            ncpu = sum(len(inp.cpus[i]) for i in cset)
            busy = sum(inp.busy[i] for i in cset)
            level = max(1, math.ceil(round((busy + req.vcpus) / ncpu, 9)))
            key = (round(d_w, 9), level, len(cset), cset, tuple(-weights[i] for i in cset))
            if best is None or key < best[0]:
                best = (key, cset, weights, split, d_w, ncpu, busy, level, counts)
    _, cset, weights, split, d_w, ncpu, busy, level, counts = best
    dev = 0.0
    if req.device_node is not None and req.device_node in inp.node_ids:
        k = inp.node_ids.index(req.device_node)
        dev = sum(w * dist[c][k] for c, w in weights.items()) / 10.0
    damage = _hole_damage(inp, pool, split, package_free)
    ids = inp.node_ids
    return Candidate(nodes=tuple(ids[i] for i in idx), cpu_nodes=tuple(ids[i] for i in cset),
                     vcpus_by_node=tuple((ids[i], v) for i, v in counts),
                     bytes_by_node=tuple((ids[j], split[j]) for j in idx),
                     distance_weighted=d_w, device_distance=dev, overcommit=max(0.0, busy + req.vcpus - ncpu),
                     load_level=level, hole_damage=damage / total_free_sq)


def _hole_damage(inp: PlacementInput, pool: Sequence[int], split: Dict[int, int],
                 package_free: Optional[Dict[Optional[int], int]]) -> float:
    """Holes are measured per node and per package (a later domain that needs a whole socket needs a package
    left free), as the loss in the sum of squares of free memory."""
    damage = sum(pool[j] ** 2 - (pool[j] - m) ** 2 for j, m in split.items())
    if package_free is None:
        package_free = _package_free(inp, pool)
    by_pkg: Dict[Optional[int], int] = {}
    for j, m in split.items():
        if m and inp.package[j] is not None:
            by_pkg[inp.package[j]] = by_pkg.get(inp.package[j], 0) + m
    for pkg, m in by_pkg.items():
        free = package_free[pkg]
        damage += free ** 2 - (free - m) ** 2
    return damage


def _package_free(inp: PlacementInput, pool: Sequence[int]) -> Dict[Optional[int], int]:
    out: Dict[Optional[int], int] = {}
    for j, pkg in enumerate(inp.package):
        out[pkg] = out.get(pkg, 0) + pool[j]
    return out


# ------------------------------------------------------------------------------------------------- search
def _min_size(values: Sequence[int], need: int) -> Optional[int]:
    """The fewest entries whose sum reaches `need` (a lower bound on the nodes any placement uses)."""
    if need <= 0:
        return 0
    acc = 0
    for k, v in enumerate(sorted(values, reverse=True), 1):
        acc += v
        if acc >= need:
            return k
    return None


def _seeded_sets(inp: PlacementInput, pool: Sequence[int], useful: Sequence[int], k: int) -> List[Tuple[int, ...]]:
    """Sets of k nodes grown from each seed by nearest neighbours, ties (and a second variant) by free memory
    and by CPU count, then improved by swapping one node for a nearer or larger one is left to the caller."""
    out = set()
    for s in useful:
        row = inp.distance[s]
        # key tuples rather than a key function: this runs for every seed of a 64-node machine
        for tie in (pool, [len(c) for c in inp.cpus]):
            nearest = heapq.nsmallest(k - 1, [(row[j], -tie[j], j) for j in useful if j != s])
            out.add(tuple(sorted([s] + [j for _, _, j in nearest])))
    return sorted(out)


def search(inp: PlacementInput, req: PlacementRequest, exact_nodes: int = EXACT_NODES,
           keep: int = 4) -> Tuple[List[Candidate], bool, int]:
    """The feasible candidates of the smallest feasible size, best first (at most `keep` + 1), whether the
    search was exhaustive, and how many sets it evaluated."""
    pool = memory_pool(inp, req.hugepage_bytes)
    n = len(inp.node_ids)
    useful = [i for i in range(n) if inp.cpus[i] or pool[i] > 0]
    total_sq = float(sum(p for p in pool) ** 2) or 1.0
    granule = req.hugepage_bytes or MIB
    pkg_free = _package_free(inp, pool)
    k_mem = _min_size([pool[i] for i in useful], req.memory_bytes)
    k_cpu = _min_size([len(inp.cpus[i]) for i in useful], max(1, req.vcpus))
    if k_mem is None or k_cpu is None:
        return [], True, 0
    exhaustive = len(useful) <= exact_nodes
    evaluated = 0
    for k in range(max(k_mem, k_cpu, 1), len(useful) + 1):
        if exhaustive or math.comb(len(useful), k) <= SUBSET_BUDGET:
            sets: Iterable[Tuple[int, ...]] = itertools.combinations(useful, k)
            exact_here = True
        else:
            sets = _seeded_sets(inp, pool, useful, k)
            exact_here = False
        found = []
        for idx in sets:
            evaluated += 1
            c = evaluate(inp, req, pool, idx, total_sq, granule, pkg_free)
            if c is not None:
                found.append(c)
        if found:
            found.sort(key=lambda c: c.key)
            return found[:keep + 1], exact_here, evaluated
    return [], exhaustive, evaluated


def brute_force(inp: PlacementInput, req: PlacementRequest) -> Optional[Candidate]:
    """The reference: every non-empty subset of nodes, best by the same key. Exponential; tests and bench only."""
    pool = memory_pool(inp, req.hugepage_bytes)
    total_sq = float(sum(pool) ** 2) or 1.0
    best = None
    n = len(inp.node_ids)
    pkg_free = _package_free(inp, pool)
    for k in range(1, n + 1):
        for idx in itertools.combinations(range(n), k):
            c = evaluate(inp, req, pool, idx, total_sq, req.hugepage_bytes or MIB, pkg_free)
            if c is not None and (best is None or c.key < best.key):
                best = c
    return best
