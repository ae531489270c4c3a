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
from dataclasses import dataclass, replace
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from numaprobe.model.topology import Note, Topology

EXACT_NODES = 16
# Above EXACT_NODES, subsets of the smallest feasible size are all tried while there are at most this many;
# one evaluation costs ~5-10 us, so this keeps a decision on 64 nodes well inside 10 ms.
SUBSET_BUDGET = 300
MODES = ("strict", "preferred", "interleave")
UNKNOWN_REMOTE = 20  # what Linux assumes (REMOTE_DISTANCE) when a machine has no SLIT


@dataclass(frozen=True)
class PlacementInput:
    """What the decision sees, one entry per node in `node_ids` order."""

    node_ids: Tuple[int, ...]
    cpus: Tuple[Tuple[int, ...], ...]  # online CPUs of each node
    free_bytes: Tuple[int, ...]  # free memory in base pages
    distance: Tuple[Tuple[float, ...], ...]  # access cost, 10 = local: SLIT, or HMAT latency scaled to it
    busy: Tuple[float, ...]  # CPUs' worth of work already on each node (committed CPUs, sampled load, vCPUs)
    package: Tuple[Optional[int], ...]  # the package of the node's CPUs; None for a CPU-less node
    free_hugepages: Tuple[Tuple[int, Tuple[int, ...]], ...] = ()  # (page size, free pages per node)
    committed_cpus: Tuple[int, ...] = ()  # CPUs already confined to by other processes or guests
    cost_source: str = "SLIT"
    thread_rank: Tuple[Tuple[int, int], ...] = ()  # (cpu, its position among its core's SMT siblings)

    def index(self, node_id: int) -> int:
        return self.node_ids.index(node_id)


@dataclass(frozen=True)
class PlacementRequest:
    vcpus: int
    memory_bytes: int
    hugepage_bytes: Optional[int] = None  # None = base pages
    mode: str = "strict"
    device_node: Optional[int] = None  # node id of the device the domain uses
    device: Optional[str] = None  # its PCI address, for messages


@dataclass(frozen=True)
class Candidate:
    nodes: Tuple[int, ...]
    cpu_nodes: Tuple[int, ...]  # the nodes whose CPUs run the vCPUs (the others hold memory only)
    vcpus_by_node: Tuple[Tuple[int, int], ...]  # (CPU node id, vCPUs pinned there), cpu_nodes order
    bytes_by_node: Tuple[Tuple[int, int], ...]  # (node id, bytes), nodes of the set in id order
    distance_weighted: float
    device_distance: float
    overcommit: float  # vCPUs beyond the free pCPUs of the set's CPU nodes
    load_level: int  # vCPUs (with the work already there) per pCPU of the set's CPU nodes, rounded up
    hole_damage: float  # sum over used nodes of free^2 - (free-used)^2, / total free^2
    reason: str = ""  # for a runner-up: why it lost to the chosen one

    @property
    def key(self) -> Tuple:
        return (len(self.nodes), round(self.distance_weighted, 9), round(self.device_distance, 9),
                self.load_level, round(self.hole_damage, 12), self.nodes)


@dataclass(frozen=True)
class Placement:
    request: PlacementRequest
    feasible: bool
    chosen: Optional[Candidate]  # the answer; for an infeasible request, the best partial option
    cpus: Tuple[int, ...]  # the cpuset: CPUs of the chosen nodes
    pinning: Tuple[int, ...]  # one pCPU per vCPU, least committed first
    candidates: Tuple[Candidate, ...]  # runners-up, best first
    notes: Tuple[Note, ...]  # code + message, as everywhere in numaprobe
    missing: Tuple[str, ...] = ()  # for an infeasible request: what is short
    exact: bool = True  # the search was exhaustive (equal to brute force)
    evaluated: int = 0


# ---------------------------------------------------------------------------------------------- the input
def placement_input(topology: Topology, committed_cpus: Iterable[int] = (),
                    load_by_node: Optional[Dict[int, float]] = None,
                    latency: Optional[Sequence[Sequence[float]]] = None) -> PlacementInput:
    """Derive the decision's input from a Topology. `load_by_node` is busy CPUs' worth per node (sampled);
    `latency` an HMAT initiator x target read-latency matrix in node order, used instead of the SLIT."""
    committed = set(committed_cpus)
    ids = topology.node_ids
    n = len(ids)
    cpus = tuple(tuple(node.cpus) for node in topology.nodes)
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
    huge = tuple((size, tuple(next((h.free for h in node.hugepages if h.size_bytes == size), 0)
                              for node in topology.nodes)) for size in sizes)
    rank = tuple((c.id, c.thread_siblings.index(c.id) if c.id in c.thread_siblings else 0)
                 for c in topology.cpus if c.online)
    return PlacementInput(node_ids=ids, cpus=cpus, thread_rank=rank,
                          free_bytes=tuple(max(0, node.memory_free_bytes or 0) for node in topology.nodes),
                          distance=distance, busy=tuple(busy), package=tuple(packages), free_hugepages=huge,
                          committed_cpus=tuple(sorted(committed)), cost_source=source)


def memory_pool(inp: PlacementInput, hugepage_bytes: Optional[int]) -> Tuple[int, ...]:
    """Free bytes per node usable for the request: base pages, or free huge pages of the asked size."""
    if not hugepage_bytes:
        return inp.free_bytes
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
             total_free_sq: float, granule: int = 1,
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
        # Filling nearest first from node s over all the set's CPU nodes stops at the nodes grown from s, so
        # the fill layouts are taken once, over the largest choice (the set's CPU nodes), not per choice.
        for layout in vcpu_layouts(inp, choice, vcpus, fill=choice is choices[-1]):
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
    # Holes are measured per node and per package (a later domain that needs a whole socket needs a package
    # left free), as the loss in the sum of squares of free memory.
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
    ids = inp.node_ids
    return Candidate(nodes=tuple(ids[i] for i in idx), cpu_nodes=tuple(ids[i] for i in cset),
                     vcpus_by_node=tuple((ids[i], v) for i, v in counts),
                     bytes_by_node=tuple((ids[j], split[j]) for j in idx),
                     distance_weighted=d_w, device_distance=dev, overcommit=max(0.0, busy + req.vcpus - ncpu),
                     load_level=level, hole_damage=damage / total_free_sq)


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
    granule = req.hugepage_bytes or 1
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
            c = evaluate(inp, req, pool, idx, total_sq, req.hugepage_bytes or 1, pkg_free)
            if c is not None and (best is None or c.key < best.key):
                best = c
    return best


# --------------------------------------------------------------------------------------------- reporting
def why_lost(winner: Candidate, other: Candidate) -> str:
    if len(other.nodes) != len(winner.nodes):
        return "uses %d nodes, not %d" % (len(other.nodes), len(winner.nodes))
    if round(other.distance_weighted, 9) != round(winner.distance_weighted, 9):
        return "less compact: distance-weighted access %.3f vs %.3f" % (other.distance_weighted,
                                                                       winner.distance_weighted)
    if round(other.device_distance, 9) != round(winner.device_distance, 9):
        return "farther from the device: %.2f vs %.2f" % (other.device_distance, winner.device_distance)
    if other.load_level != winner.load_level:
        return "more loaded: up to %d vCPUs per pCPU vs %d" % (other.load_level, winner.load_level)
    if round(other.hole_damage, 12) != round(winner.hole_damage, 12):
        return "leaves smaller free holes for later domains"
    return "equal score; lower node ids win"


def pick_cpus(inp: PlacementInput,
              vcpus_by_node: Sequence[Tuple[int, int]]) -> Tuple[Tuple[int, ...], Tuple[int, ...]]:
    """(cpuset, pinning) for the candidate's vCPU layout: one pCPU per vCPU on each node, uncommitted CPUs and
    one thread per core first. The cpuset is every CPU of a node that runs its proportional share or more, and
    only the pinned CPUs of a node that runs fewer (the overflow of a nearest-first layout), so that threads
    left to float in the cpuset (numactl, systemd, xl cpus=) land in the same proportions as the pinning."""
    committed = set(inp.committed_cpus)
    rank = dict(inp.thread_rank)
    idx = [inp.index(n) for n, _ in vcpus_by_node]
    counts = [v for _, v in vcpus_by_node]
    proportional = proportional_counts(inp, idx, sum(counts)) == tuple(counts)
    cpuset: List[int] = []
    pinning: List[int] = []
    for i, v in zip(idx, counts):
        # One thread per core first: a vCPU on a sibling of a busy thread gets a fraction of a core.
        order = sorted(inp.cpus[i], key=lambda c: (c in committed, rank.get(c, 0), c))
        mine = [order[k % len(order)] for k in range(v)]
        pinning.extend(mine)
        cpuset.extend(inp.cpus[i] if proportional or v >= len(order) else mine)
    return tuple(sorted(set(cpuset))), tuple(pinning)


def _single_socket_exists(inp: PlacementInput, req: PlacementRequest, pool: Sequence[int]) -> bool:
    headless = [i for i, p in enumerate(inp.package) if p is None]
    for pkg in {p for p in inp.package if p is not None}:
        mine = [i for i, p in enumerate(inp.package) if p == pkg]
        if (sum(len(inp.cpus[i]) for i in mine) >= req.vcpus
                and sum(pool[i] for i in mine + headless) >= req.memory_bytes):
            return True
    return False


def _packages(inp: PlacementInput, nodes: Sequence[int]) -> set:
    return {inp.package[inp.index(n)] for n in nodes if inp.package[inp.index(n)] is not None}


def decide(inp: PlacementInput, req: PlacementRequest, keep: int = 4) -> Placement:
    """The placement for one request, or, when it cannot be met, what is missing and the best partial one."""
    if req.mode not in MODES:
        raise ValueError("mode must be one of %s" % ", ".join(MODES))
    pool = memory_pool(inp, req.hugepage_bytes)
    found, exact, evaluated = search(inp, req, keep=keep)
    notes: List[Note] = []
    if inp.cost_source != "SLIT":
        notes.append(Note("cost-source", "access cost from %s" % inp.cost_source))
    if not found:
        missing = []
        total_cpus = sum(len(c) for c in inp.cpus)
        if req.vcpus > total_cpus:
            missing.append("%d vCPUs asked, the host has %d CPUs" % (req.vcpus, total_cpus))
        if req.memory_bytes > sum(pool):
            what = ("free %s huge pages" % human_size(req.hugepage_bytes)) if req.hugepage_bytes else "free memory"
            missing.append("%s asked, %s of %s (short by %s)" % (human_size(req.memory_bytes), human_size(sum(pool)), what,
                                                                  human_size(req.memory_bytes - sum(pool))))
        if not missing:
            missing.append("no node set holds both the vCPUs and the memory")
        partial_req = replace(req, vcpus=min(req.vcpus, total_cpus),
                              memory_bytes=min(req.memory_bytes, sum(pool)))
        part, _, _ = search(inp, partial_req, keep=0) if total_cpus else ([], True, 0)
        chosen = part[0] if part else None
        cpus, pinning = pick_cpus(inp, chosen.vcpus_by_node) if chosen else ((), ())
        if chosen:
            notes.append(Note("partial-option", "best partial option: %d vCPUs and %s on nodes %s"
                              % (partial_req.vcpus, human_size(partial_req.memory_bytes), _nodelist(chosen.nodes))))
        return Placement(req, False, chosen, cpus, pinning, (), tuple(notes), tuple(missing), exact, evaluated)
    best = found[0]
    runners = tuple(replace(c, reason=why_lost(best, c)) for c in found[1:])
    cpus, pinning = pick_cpus(inp, best.vcpus_by_node)
    if len(_packages(inp, best.nodes)) > 1:
        if _single_socket_exists(inp, req, pool):
            notes.append(Note("spans-sockets", "spans sockets: every single-socket placement needs more nodes "
                              "or sees its memory farther away"))
        else:
            notes.append(Note("no-single-socket", "warning: no placement keeps this domain on one socket"))
    if best.overcommit > 0:
        notes.append(Note("overcommit", "warning: %g vCPUs will share pCPUs with work already on nodes %s"
                          % (best.overcommit, _nodelist(best.cpu_nodes))))
    if req.device_node is not None and req.device_node not in best.nodes:
        notes.append(Note("device-elsewhere", "device %s is on node %d, outside the placement"
                          % (req.device or "", req.device_node)))
    idle = [n for n in best.nodes if n not in best.cpu_nodes and inp.cpus[inp.index(n)]]
    if idle:
        notes.append(Note("memory-only-use", "node(s) %s hold memory only: the vCPUs stay on %s, nearer to "
                          "the memory" % (_nodelist(idle), _nodelist(best.cpu_nodes))))
    headless = [n for n in best.nodes if not inp.cpus[inp.index(n)]]
    if headless:
        notes.append(Note("cpu-less-memory", "uses CPU-less memory node(s) %s as the nearest memory"
                          % _nodelist(headless)))
    if not exact:
        notes.append(Note("heuristic-search", "%d nodes: heuristic search (seeded nearest-neighbour sets), "
                          "not exhaustive" % len(inp.node_ids)))
    return Placement(req, True, best, cpus, pinning, runners, tuple(notes), (), exact, evaluated)


def commit(inp: PlacementInput, placement: Placement) -> PlacementInput:
    """The input as the next domain sees it: memory debited, vCPUs added to the nodes' load, CPUs committed."""
    if not placement.feasible or placement.chosen is None:
        return inp
    req = placement.request
    size = req.hugepage_bytes
    used = dict(placement.chosen.bytes_by_node)
    free = list(inp.free_bytes)
    huge = [list(f) for _, f in inp.free_hugepages]
    for node, b in used.items():
        i = inp.index(node)
        if size:
            for k, (s, _) in enumerate(inp.free_hugepages):
                if s == size:
                    huge[k][i] -= -(-b // size)
            free[i] = max(0, free[i] - b)
        else:
            free[i] -= b
    busy = list(inp.busy)
    for c in placement.pinning:
        for i, cs in enumerate(inp.cpus):
            if c in cs:
                busy[i] += 1
    return replace(inp, free_bytes=tuple(free), busy=tuple(busy),
                   free_hugepages=tuple((s, tuple(h)) for (s, _), h in zip(inp.free_hugepages, huge)),
                   committed_cpus=tuple(sorted(set(inp.committed_cpus) | set(placement.pinning))))


def place_in_turn(inp: PlacementInput,
                  requests: Sequence[PlacementRequest]) -> Tuple[Tuple[PlacementInput, Placement], ...]:
    """Place domains one after another, each seeing the memory and CPUs the earlier ones took: (what each domain
    saw, its placement)."""
    out = []
    for req in requests:
        p = decide(inp, req)
        out.append((inp, p))
        inp = commit(inp, p)
    return tuple(out)


def place_sequence(inp: PlacementInput, requests: Sequence[PlacementRequest]) -> Tuple[Placement, ...]:
    return tuple(p for _, p in place_in_turn(inp, requests))


def _nodelist(nodes: Iterable[int]) -> str:
    return ",".join(str(n) for n in nodes)


def human_size(b: Optional[int]) -> str:
    if b is None:
        return "?"
    for unit, shift in (("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if b >= 1 << shift:
            v = b / (1 << shift)
            return ("%d %s" % (v, unit)) if v == int(v) else ("%.1f %s" % (v, unit))
    return "%d B" % b
