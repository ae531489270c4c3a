"""The answer for a request: the search's best set, why the runners-up lost, the pinning, the notes; and
domains placed one after another, each seeing what the earlier ones took."""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable, List, Sequence, Tuple

from numaprobe.advise.search import memory_pool, proportional_counts, search
from numaprobe.advise.types import MODES, Candidate, Placement, PlacementInput, PlacementRequest
from numaprobe.notes import Note
from numaprobe.units import human_size


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


def _without_slow_tier(inp: PlacementInput) -> PlacementInput:
    """The input with the CPU-less host-memory nodes emptied: what the first pass of decide() searches."""
    slow = {inp.index(n) for n in inp.slow_tier}
    return replace(inp, free_bytes=tuple(0 if i in slow else f for i, f in enumerate(inp.free_bytes)),
                   free_hugepages=tuple((s, tuple(0 if i in slow else f for i, f in enumerate(free)))
                                        for s, free in inp.free_hugepages))


def _infeasible(inp: PlacementInput, req: PlacementRequest, notes: List[Note], exact: bool,
                evaluated: int) -> Placement:
    """What is missing, and the best partial option (the same search for what the host has)."""
    pool = memory_pool(inp, req.hugepage_bytes)
    missing = []
    total_cpus = sum(len(c) for c in inp.cpus)
    if req.vcpus > total_cpus:
        missing.append("%d vCPUs asked, the host has %d CPUs%s" % (req.vcpus, total_cpus, _within(inp)))
    if req.memory_bytes > sum(pool):
        what = ("free %s huge pages" % human_size(req.hugepage_bytes)) if req.hugepage_bytes else "usable memory"
        missing.append("%s asked, %s of %s%s (short by %s)" % (
            human_size(req.memory_bytes), human_size(sum(pool)), what, _within(inp),
            human_size(req.memory_bytes - sum(pool))))
    if not missing:
        missing.append("no node set holds both the vCPUs and the memory")
    partial_req = replace(req, vcpus=min(req.vcpus, total_cpus), memory_bytes=min(req.memory_bytes, sum(pool)))
    part, _, _ = search(inp, partial_req, keep=0) if total_cpus and partial_req.memory_bytes else ([], True, 0)
    chosen = part[0] if part else None
    cpus, pinning = pick_cpus(inp, chosen.vcpus_by_node) if chosen else ((), ())
    if chosen:
        notes.append(Note("partial-option", "best partial option: %d vCPUs and %s on nodes %s"
                          % (partial_req.vcpus, human_size(partial_req.memory_bytes), _nodelist(chosen.nodes))))
    return Placement(req, False, chosen, cpus, pinning, (), tuple(notes), tuple(missing), exact, evaluated)


def _within(inp: PlacementInput) -> str:
    return "" if inp.limits_source == "whole machine" else " within %s" % inp.limits_source


def _placement_notes(inp: PlacementInput, req: PlacementRequest, best: Candidate, exact: bool) -> List[Note]:
    notes = []
    if len(_packages(inp, best.nodes)) > 1:
        if _single_socket_exists(inp, req, memory_pool(inp, req.hugepage_bytes)):
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
    slow = [n for n in best.nodes if n in inp.slow_tier and dict(best.bytes_by_node).get(n)]
    if slow:
        notes.append(Note("slow-tier-memory", "the CPU nodes are short: CPU-less memory node(s) %s (a slower "
                          "tier, costed by its distance) hold part of the memory" % _nodelist(slow)))
    if not exact:
        notes.append(Note("heuristic-search", "%d nodes: heuristic search (seeded nearest-neighbour sets), "
                          "not exhaustive" % len(inp.node_ids)))
    return notes


def decide(inp: PlacementInput, req: PlacementRequest, keep: int = 4) -> Placement:
    """The placement for one request, or, when it cannot be met, what is missing and the best partial one.
    CPU-less host-memory nodes (CXL-like, a slower tier) are searched only when the CPU nodes cannot hold it."""
    if req.mode not in MODES:
        raise ValueError("mode must be one of %s" % ", ".join(MODES))
    found, exact, evaluated = [], True, 0
    if inp.slow_tier:
        found, exact, evaluated = search(_without_slow_tier(inp), req, keep=keep)
    if not found:
        found, exact, more = search(inp, req, keep=keep)
        evaluated += more
    notes: List[Note] = []
    if inp.cost_source != "SLIT":
        notes.append(Note("cost-source", "access cost from %s" % inp.cost_source))
    if not found:
        return _infeasible(inp, req, notes, exact, evaluated)
    best = found[0]
    runners = tuple(replace(c, reason=why_lost(best, c)) for c in found[1:])
    cpus, pinning = pick_cpus(inp, best.vcpus_by_node)
    notes += _placement_notes(inp, req, best, exact)
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
