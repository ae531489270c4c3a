"""Populating a domain's memory on the simulated heap, with the seed's policies.

Policies (the node set is the nodes of the domain's vCPUs):

- ``local``: every extent prefers the first vCPU's node and falls back by distance (Linux zonelists).
- ``balance``: Xen's increase_reservation with no node requested: each extent goes to
  ``cycle_node(last_alloc_node)`` within the domain's node affinity, falling back in node-id order, then to the
  nodes outside the affinity (get_free_buddy). ``struct domain`` is zeroed, so last_alloc_node starts at 0.
- ``interleave``: Linux MPOL_INTERLEAVE over the node set: the target advances one node per extent whatever
  happened, and a full target falls back along its own zonelist.
- ``exact``: Xen's builder with vNUMA: the memory is split evenly over the nodes, each share with
  XENMEMF_exact_node, failing rather than going remote.

Extents are 1 GiB, then 2 MiB, then one page, as Xen's domain builder (xg_dom_x86.c meminit_hvm) asks for them;
orders above the allocator's top order are skipped. The guest-physical layout (VGA and MMIO holes) is not modelled.

Counters: each extent counts once, as zone_statistics() does; the node an extent was meant for stands for the
allocating CPU's node, so local_node/other_node equal numa_hit/numa_miss here.

Round-robin policies are computed in batches: while the set of nodes that still have room is unchanged, the
sequence of landing nodes is periodic, so whole periods are taken at once; the result equals extent-by-extent
allocation (tested) at a cost that grows with the nodes, not with the extents.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from numaprobe.sim.buddy import (
    FALLBACK_DISTANCE,
    FALLBACK_XEN,
    LOCAL_DISTANCE,
    AllocationError,
    BuddyAllocator,
    ExtentRun,
)

POLICIES = ("local", "balance", "interleave", "exact")
EXTENT_BYTES = (1 << 30, 2 << 20)  # then one page


@dataclass(frozen=True)
class DomainRequest:
    name: str
    vcpus: int
    memory_bytes: int
    nodes: Optional[int] = None  # how many nodes; None = 1
    node_list: Optional[Tuple[int, ...]] = None  # explicit nodes (wins over `nodes`)
    policy: str = "balance"


@dataclass(frozen=True)
class Placement:
    name: str
    policy: str
    nodes_requested: Tuple[int, ...]
    vcpu_nodes: Tuple[int, ...]  # node of each vCPU
    bytes_requested: int
    bytes_placed: int
    bytes_by_node: Tuple[Tuple[int, int], ...]  # (node, bytes), every node of the heap, ascending
    extents_by_order: Tuple[Tuple[int, int], ...]  # (order, count)
    local_fraction: float  # share of the placed bytes on the vCPUs' nodes
    distance_weighted: float  # mean over vCPUs of sum(bytes share * distance / 10); 1.0 = all local, higher = farther
    runs: Tuple[ExtentRun, ...]

    @property
    def complete(self) -> bool:
        return self.bytes_placed >= self.bytes_requested

    @property
    def by_node(self) -> Dict[int, int]:
        return dict(self.bytes_by_node)


def choose_nodes(alloc: BuddyAllocator, count: int) -> Tuple[int, ...]:
    """The `count` nodes with the most free memory (ties: lower id), among nodes with CPUs when known."""
    cands = [n for n in alloc.nodes if alloc.cpu_nodes is None or n in alloc.cpu_nodes] or list(alloc.nodes)
    if count > len(cands):
        raise AllocationError("%d nodes requested, %d available" % (count, len(cands)))
    best = sorted(cands, key=lambda n: (-alloc.free_pages(n), n))[:count]
    return tuple(sorted(best))


def vcpu_layout(nodes: Sequence[int], vcpus: int) -> Tuple[int, ...]:
    """vCPUs spread evenly in blocks over the nodes, the first vCPU on the first node."""
    k = len(nodes)
    return tuple(nodes[i * k // vcpus] for i in range(vcpus))


def locality(alloc: BuddyAllocator, bytes_by_node: Dict[int, int], vcpu_nodes: Sequence[int]) -> Tuple[float, float]:
    """(local_fraction, distance_weighted) of memory as seen from the vCPUs' nodes."""
    total = sum(bytes_by_node.values())
    if total == 0 or not vcpu_nodes:
        return 0.0, 0.0
    home = set(vcpu_nodes)
    local = sum(b for n, b in bytes_by_node.items() if n in home) / total
    weighted = 0.0
    for v in vcpu_nodes:
        weighted += sum(b * alloc.distance(v, n) / LOCAL_DISTANCE for n, b in bytes_by_node.items()) / total
    return local, weighted / len(vcpu_nodes)


def populate(alloc: BuddyAllocator, req: DomainRequest, extent_orders: Optional[Sequence[int]] = None) -> Placement:
    """Place one domain's memory on the heap (mutating the allocator) and say where it landed.

    `extent_orders` overrides the builder's 1 GiB / 2 MiB / page sequence (largest first).
    """
    if req.policy not in POLICIES:
        raise AllocationError("unknown policy %r (one of %s)" % (req.policy, ", ".join(POLICIES)))
    if req.vcpus < 1 or req.memory_bytes < 0:
        raise AllocationError("a domain needs at least one vCPU and a memory size >= 0")
    if req.node_list:
        nodes = tuple(sorted(set(req.node_list)))
        for n in nodes:
            if n not in alloc.nodes:
                raise AllocationError("node %d is not on this heap" % n)
    else:
        nodes = choose_nodes(alloc, req.nodes or 1)
    vnodes = vcpu_layout(nodes, req.vcpus)
    ps = alloc.config.page_size
    orders = [(b // ps).bit_length() - 1 for b in EXTENT_BYTES if b >= ps] + [0]
    if extent_orders is not None:
        orders = sorted(set(extent_orders), reverse=True)
    orders = [o for o in orders if 0 <= o <= alloc.top]
    runs = _exact_runs(alloc, req, nodes, orders) if req.policy == "exact" else \
        _policy_runs(alloc, req, nodes, vnodes, orders)
    by_node = {n: 0 for n in alloc.nodes}
    ext: Dict[int, int] = {}
    for r in runs:
        by_node[r.node] += (r.count << r.order) * ps
        ext[r.order] = ext.get(r.order, 0) + r.count
    placed = sum(by_node.values())
    local, weighted = locality(alloc, by_node, vnodes)
    return Placement(
        name=req.name, policy=req.policy, nodes_requested=nodes, vcpu_nodes=vnodes,
        bytes_requested=req.memory_bytes, bytes_placed=placed, bytes_by_node=tuple(sorted(by_node.items())),
        extents_by_order=tuple(sorted(ext.items(), reverse=True)), local_fraction=local,
        distance_weighted=weighted, runs=tuple(runs),
    )


def _exact_runs(alloc: BuddyAllocator, req: DomainRequest, nodes: Sequence[int],
                orders: Sequence[int]) -> List[ExtentRun]:
    """policy=exact: an even share per node, each from that node only (what a per-node binding does)."""
    runs: List[ExtentRun] = []
    pages = -(-req.memory_bytes // alloc.config.page_size)
    shares = [pages // len(nodes) + (1 if i < pages % len(nodes) else 0) for i in range(len(nodes))]
    for n, share in zip(nodes, shares):
        for o in orders:
            got = alloc.alloc_extents(o, share >> o, node=n, exact=True, fallback=FALLBACK_XEN)
            runs += got
            share -= sum(r.count for r in got) << o
    return runs


def _policy_runs(alloc: BuddyAllocator, req: DomainRequest, nodes: Sequence[int], vnodes: Sequence[int],
                 orders: Sequence[int]) -> List[ExtentRun]:
    """local, balance (Xen's round robin) and interleave (Linux's), largest extents first."""
    runs: List[ExtentRun] = []
    pages = -(-req.memory_bytes // alloc.config.page_size)
    state: object = 0  # balance: last_alloc_node; interleave: index of the next target
    for o in orders:
        n_ext = pages >> o
        if not n_ext:
            continue
        if req.policy == "local":
            got = alloc.alloc_extents(o, n_ext, node=vnodes[0], fallback=FALLBACK_DISTANCE)
        elif req.policy == "balance":
            got, state = _round_robin(alloc, o, n_ext, FALLBACK_XEN, _xen_step(alloc, nodes), state, False)
        else:
            got, state = _round_robin(alloc, o, n_ext, FALLBACK_DISTANCE, _interleave_step(alloc, nodes),
                                      state, True)
            if sum(r.count for r in got) < n_ext:
                # The extent that failed still advanced the interleave cursor (interleave_nodes() moves
                # il_prev before allocating); Xen's last_alloc_node, by contrast, moves only on success.
                state = (state + 1) % len(nodes)
        runs += got
        pages -= sum(r.count for r in got) << o
    return runs


def release(alloc: BuddyAllocator, placement: Placement) -> None:
    """Give a placed domain's memory back (destroying the domain)."""
    for r in placement.runs:
        alloc.free_run(r)


# -- round robin in batches ----------------------------------------------------------------------------------
Step = Callable[[object, Dict[int, int]], Optional[Tuple[int, int, object]]]


def _xen_step(alloc: BuddyAllocator, mask: Sequence[int]) -> Step:
    mask = sorted(mask)

    def step(last, caps):
        # cycle_node(): the next mask node after last, wrapping; then get_free_buddy's fallback walk.
        wanted = next((n for n in mask if n > last), mask[0])
        for n in alloc.fallback_nodes(wanted, FALLBACK_XEN, tuple(mask)):
            if caps[n] > 0:
                return wanted, n, n
        return None

    return step


def _interleave_step(alloc: BuddyAllocator, targets: Sequence[int]) -> Step:
    targets = sorted(targets)

    def step(cursor, caps):
        wanted = targets[cursor]
        for n in alloc.fallback_nodes(wanted, FALLBACK_DISTANCE):
            if caps[n] > 0:
                return wanted, n, (cursor + 1) % len(targets)
        return None

    return step


def _walk(step: Step, state: object, caps: Dict[int, int]) -> Tuple[List[Tuple[int, int, object]], int]:
    """The steps from `state` until one repeats: (the steps, where the period starts)."""
    seq: List[Tuple[int, int, object]] = []
    seen: Dict[object, int] = {}
    st = state
    while st not in seen:
        seen[st] = len(seq)
        r = step(st, caps)
        if r is None:
            break
        seq.append(r)
        st = r[2]
    return seq, seen.get(st, len(seq))


def _round_robin(alloc: BuddyAllocator, order: int, need: int, fallback: str, step: Step, state: object,
                 interleave: bool) -> Tuple[List[ExtentRun], object]:
    runs: List[ExtentRun] = []
    for zones in alloc.zone_passes(fallback, None):
        if need == 0:
            break
        caps = {n: alloc.capacity(n, order, zones) for n in alloc.nodes}
        landed: Dict[int, int] = {}
        events: Dict[Tuple[int, int], int] = {}

        def commit(w: int, g: int, k: int) -> None:
            caps[g] -= k
            landed[g] = landed.get(g, 0) + k
            events[(w, g)] = events.get((w, g), 0) + k

        while need > 0:
            seq, start = _walk(step, state, caps)
            if not seq:
                break
            # The walk before the period, then the period: one step at a time until a node fills up.
            cycle = seq[start:]
            for w, g, nxt in seq[:start]:
                if need == 0 or caps[g] == 0:
                    break
                commit(w, g, 1)
                need -= 1
                state = nxt
            else:
                if not cycle:
                    continue
                demand: Dict[int, int] = {}
                for _, g, _ in cycle:
                    demand[g] = demand.get(g, 0) + 1
                m = min([need // len(cycle)] + [caps[g] // d for g, d in demand.items()])
                if m >= 1:
                    for w, g, _ in cycle:
                        commit(w, g, m)
                    need -= m * len(cycle)
                    continue
                for w, g, nxt in cycle:
                    if need == 0 or caps[g] == 0:
                        break
                    commit(w, g, 1)
                    need -= 1
                    state = nxt
        for g in sorted(landed):
            got = alloc.take(g, order, landed[g], zones)
            if sum(r.count for r in got) != landed[g]:  # capacity() and take() disagree: a bug, say so
                raise AssertionError("node %d: planned %d extents, got %d" % (g, landed[g], len(got)))
            runs += got
        for (w, g), k in sorted(events.items()):
            alloc.count_event(w, g, w, k, interleave)
    return runs, state
