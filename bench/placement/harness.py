"""The placement benchmark's simulator: a host (topology + buddy heap + domains), the memory realisers, the
workload traces and the metrics of ../shared/notes/placement/benchmark-idea.md.

Memory is simulated in 2 MiB pages with a 1 GiB top order (the note's speed rule), by numaprobe.sim.buddy;
Xen-style and Linux-style realisation go through numaprobe.sim.populate.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from numaprobe.model.topology import Topology
from numaprobe.sim.buddy import BuddyAllocator, BuddyConfig, Chunk, ExtentRun
from numaprobe.sim import populate as pop

UNIT = 2 << 20  # bytes per simulated page
GIB_UNITS = 512
CONFIG = BuddyConfig(page_size=UNIT, top_order=9, zones=("Normal",))
ANY = "ANY"
LIFETIME_MEDIAN = 2.0  # hours
LIFETIME_SIGMA = 1.0

# (share, [(vcpus, GiB), ...]) from benchmark-idea.md section 3
FLAVORS = ((0.30, ((1, 2), (2, 4))), (0.30, ((4, 8), (4, 16))), (0.20, ((8, 32), (8, 64))),
           (0.15, ((16, 64), (16, 128))), (0.05, ((32, 256), (64, 512))))


@dataclass
class Domain:
    id: int
    vcpus: int
    units: int
    util: float  # mean vCPU utilisation, numad's model
    nodeset: Tuple[int, ...]  # the policy's answer (node indexes); all nodes for ANY
    cpu_nodes: Tuple[int, ...]  # nodes whose CPUs the vCPUs run on
    vcpu_share: Dict[int, float]  # vCPUs per node
    runs: List[ExtentRun]
    by_node: Dict[int, int]  # realised units per node
    exclusive: Dict[int, int] = field(default_factory=dict)  # pCPUs taken exclusively (Nova dedicated, K8s)
    any_fallback: bool = False
    pinned: bool = False  # vcpu_share is the pinned layout (numaprobe), not the CPU-proportional spread


class Host:
    """One machine under one policy: the heap, the live domains and the per-node counters policies read."""

    def __init__(self, topo: Topology, reserve: bool = True) -> None:
        self.topo = topo
        self.n = len(topo.nodes)
        self.idx = list(range(self.n))
        self.cpus = [len(nd.cpus) for nd in topo.nodes]
        self.cores = [len({c.core for c in topo.cpus if c.online and c.node == nd.id}) or 0 for nd in topo.nodes]
        self.dist = [[float(x) for x in (nd.distances or [10 if i == j else 20 for j in range(self.n)])]
                     for i, nd in enumerate(topo.nodes)]
        by_cpu = {c.id: c.package for c in topo.cpus}
        self.pkg = [next((by_cpu[c] for c in nd.cpus if by_cpu.get(c) is not None), None) for nd in topo.nodes]
        self.cpu_node_list = [i for i in self.idx if self.cpus[i]]
        total = [nd.memory_free_bytes or nd.memory_total_bytes or 0 for nd in topo.nodes]
        self.total_units = [t // UNIT for t in total]
        seeded = []
        for i in self.idx:
            u = self.total_units[i] - self.total_units[i] // 100  # 1 % watermark
            if reserve and i == 0:
                u -= min(u // 2, 4 * GIB_UNITS)  # dom0/hypervisor; at most half of a small test node
            seeded.append(max(0, u))
        self.seeded = seeded
        chunks = []
        base = 0
        for i, u in enumerate(seeded):
            if u:
                chunks.append(Chunk(node=i, zone="Normal", start=base * UNIT, end=(base + u) * UNIT))
            base += -(-(self.total_units[i] + 1) // GIB_UNITS) * GIB_UNITS
        self.heap = BuddyAllocator.from_chunks(chunks, CONFIG, nodes=self.idx,
                                               distances={(i, j): int(self.dist[i][j]) for i in self.idx
                                                          for j in self.idx},
                                               cpu_nodes=self.cpu_node_list)
        self.domains: Dict[int, Domain] = {}
        self.node_usage = [0] * self.n  # xenopsd's own counter of VMs it placed per node (never decremented)
        self.xenopsd_free: Optional[List[int]] = None  # xenopsd's min(current, recorded) memory state

    # -- what policies read -------------------------------------------------------------------------------
    def free(self, i: int) -> int:
        return self.heap.free_pages(i)

    def free_all(self) -> List[int]:
        return [self.heap.free_pages(i) for i in self.idx]

    def vcpus_on(self) -> List[float]:
        """vCPUs per node by placement share (what a pinning-aware policy sees)."""
        out = [0.0] * self.n
        for d in self.domains.values():
            for i, v in d.vcpu_share.items():
                out[i] += v
        return out

    def exclusive_free(self) -> List[int]:
        out = list(self.cpus)
        for d in self.domains.values():
            for i, c in d.exclusive.items():
                out[i] -= c
        return out

    def busy_hundredths(self) -> List[float]:
        out = [0.0] * self.n
        for d in self.domains.values():
            for i, v in d.vcpu_share.items():
                out[i] += 100.0 * d.util * v
        return out

    # -- realisers ------------------------------------------------------------------------------------------
    def _rollback(self, runs: Sequence[ExtentRun]) -> None:
        for r in runs:
            self.heap.free_run(r)

    def realise_exact(self, plan: Dict[int, int]) -> Optional[List[ExtentRun]]:
        """Per-node amounts, exact node (vNUMA / memnode binding): 1 GiB extents first, then 2 MiB."""
        runs: List[ExtentRun] = []
        for i, units in plan.items():
            left = units
            for order in (9, 0):
                if left >> order:
                    got = self.heap.alloc_extents(order, left >> order, node=i, exact=True)
                    runs += got
                    left -= sum(r.count for r in got) << order
            if left:
                self._rollback(runs)
                return None
        return runs

    def realise_populate(self, nodes: Sequence[int], units: int, policy: str) -> Optional[List[ExtentRun]]:
        """Xen's builder over a node affinity (policy balance) or Linux local allocation from nodes[0]."""
        p = pop.populate(self.heap, pop.DomainRequest("d", 1, units * UNIT, node_list=tuple(nodes), policy=policy))
        if not p.complete:
            self._rollback(p.runs)
            return None
        return list(p.runs)

    def realise_local_share(self, nodes: Sequence[int], units: int) -> Optional[List[ExtentRun]]:
        """MPOL_BIND over `nodes` with threads spread over their CPUs: each CPU node first gets its CPU share
        locally, the rest goes to the nearest node of the set with room (Linux local allocation in a mask)."""
        cpu_nodes = [i for i in nodes if self.cpus[i]] or list(nodes)
        tot = sum(self.cpus[i] for i in cpu_nodes) or 1
        free = {i: self.free(i) for i in nodes}
        plan = {i: 0 for i in nodes}
        left = units
        for i in cpu_nodes:
            want = units * (self.cpus[i] or 1) // tot
            take = min(want, free[i], left)
            plan[i] += take
            free[i] -= take
            left -= take
        home = cpu_nodes[0]
        for i in sorted(nodes, key=lambda j: (self.dist[home][j], j)):
            take = min(free[i], left)
            plan[i] += take
            free[i] -= take
            left -= take
        if left:
            return None
        return self.realise_exact({i: u for i, u in plan.items() if u})

    # -- domains --------------------------------------------------------------------------------------------
    def add(self, d: Domain) -> None:
        by = {}
        for r in d.runs:
            by[r.node] = by.get(r.node, 0) + (r.count << r.order)
        d.by_node = by
        self.domains[d.id] = d

    def remove(self, did: int) -> Optional[Domain]:
        d = self.domains.pop(did, None)
        if d is not None:
            self._rollback(d.runs)
        return d


def spread_vcpus(host: Host, cpu_nodes: Sequence[int], vcpus: int) -> Dict[int, float]:
    tot = sum(host.cpus[i] for i in cpu_nodes) or 1
    return {i: vcpus * host.cpus[i] / tot for i in cpu_nodes}


# -------------------------------------------------------------------------------------------------- metrics
def locality(host: Host, d: Domain) -> float:
    """benchmark-idea.md metric 2: D = sum_c w_c sum_j m_j SLIT[c][j] / (10 sum_j m_j); 1.0 = all local.
    w_c is the share of the vCPUs pinned on node c for a pinned domain, else node c's share of the CPUs of the
    domain's CPU nodes (vCPUs left to float over them)."""
    tot = sum(d.by_node.values()) or 1
    if d.pinned:
        # w_c = the share of the vCPUs pinned on node c (the realised layout)
        vsum = sum(d.vcpu_share.values()) or 1
        return sum(v / vsum * sum(m * host.dist[c][j] for j, m in d.by_node.items())
                   for c, v in d.vcpu_share.items()) / (10.0 * tot)
    cpu_nodes = d.cpu_nodes or host.cpu_node_list
    wsum = sum(host.cpus[c] for c in cpu_nodes) or 1
    return sum(host.cpus[c] / wsum * sum(m * host.dist[c][j] for j, m in d.by_node.items())
               for c in cpu_nodes) / (10.0 * tot)


def single_node(d: Domain) -> bool:
    mem_nodes = [j for j, m in d.by_node.items() if m]
    return len(mem_nodes) == 1 and tuple(d.cpu_nodes) == tuple(mem_nodes)


def spill(host: Host, d: Domain) -> Tuple[int, int]:
    """(units outside the chosen nodeset, of which on CPU-less nodes)."""
    out = sum(m for j, m in d.by_node.items() if j not in d.nodeset)
    headless = sum(m for j, m in d.by_node.items() if j not in d.nodeset and not host.cpus[j])
    return out, headless


def fragmentation(host: Host) -> Tuple[float, float]:
    """(largest single-node free hole / total free, share of free memory in 1 GiB buddies)."""
    free = host.free_all()
    tot = sum(free) or 1
    in_1g = sum(host.heap.free_counts(i, "Normal")[-1] * GIB_UNITS for i in host.idx if host.seeded[i])
    return max(free) / tot, in_1g / tot


# -------------------------------------------------------------------------------------------------- workloads
@dataclass(frozen=True)
class Event:
    t: float
    kind: str  # "create" | "destroy" | "burst" (a create decided on the burst's snapshot)
    did: int
    vcpus: int = 0
    units: int = 0
    util: float = 0.0
    group: int = -1


def flavor_scale(topo: Topology) -> Tuple[float, float]:
    """(memory factor, vCPU factor) that fit the flavor table (sized for 512 GiB / 64-thread hosts) to a small
    capture; 1.0 for machines at least that big."""
    mem = sum(n.memory_free_bytes or n.memory_total_bytes or 0 for n in topo.nodes) / (1 << 30)
    cpus = sum(len(n.cpus) for n in topo.nodes)
    return min(1.0, mem / 512.0), min(1.0, cpus / 64.0)


def draw_flavor(rng: random.Random, scale: Tuple[float, float]) -> Tuple[int, int]:
    r = rng.random()
    acc = 0.0
    for share, sizes in FLAVORS:
        acc += share
        if r <= acc:
            break
    v, g = rng.choice(sizes)
    return max(1, int(round(v * scale[1]))), max(1, int(math.ceil(g * GIB_UNITS * scale[0])))


def churn_trace(host_units: int, rng: random.Random, load: float, events: int,
                scale: Tuple[float, float], burst: int = 1, big_every: int = 0) -> List[Event]:
    """Poisson arrivals, lognormal lifetimes; arrival rate set so the offered memory is `load` x capacity.
    With burst > 1, arrivals come in groups decided against one snapshot. big_every injects a 64:512."""
    mean_units = 0.0
    for share, sizes in FLAVORS:
        mean_units += share * sum(g for _, g in sizes) / len(sizes) * GIB_UNITS * scale[0]
    mean_life = LIFETIME_MEDIAN * math.exp(LIFETIME_SIGMA ** 2 / 2)
    rate = load * host_units / (mean_life * mean_units)  # arrivals per hour
    out: List[Event] = []
    pending: List[Tuple[float, int]] = []
    t = 0.0
    did = 0
    group = 0
    import heapq
    while len(out) < events:
        t += rng.expovariate(rate / burst)
        while pending and pending[0][0] <= t and len(out) < events:
            dt, dd = heapq.heappop(pending)
            out.append(Event(dt, "destroy", dd))
        for _ in range(burst):
            big = big_every and (did + 1) % big_every == 0
            v, u = ((max(1, int(64 * scale[1])), int(512 * GIB_UNITS * scale[0])) if big
                    else draw_flavor(rng, scale))
            util = rng.betavariate(2, 3)
            out.append(Event(t, "burst" if burst > 1 else "create", did, v, u, util, group))
            heapq.heappush(pending, (t + rng.lognormvariate(math.log(LIFETIME_MEDIAN), LIFETIME_SIGMA), did))
            did += 1
        group += 1
    return out[:events]


def fill_drain_trace(rng: random.Random, scale: Tuple[float, float], n: int = 400) -> List[Event]:
    """Requests only; the runner creates until the first rejection, destroys a random half, refills."""
    out = []
    for did in range(n):
        v, u = draw_flavor(rng, scale)
        out.append(Event(0.0, "create", did, v, u, rng.betavariate(2, 3)))
    return out


# ------------------------------------------------------------------------------------------------ accounting
@dataclass
class Stats:
    placed: int = 0
    single: int = 0
    d_values: List[Tuple[float, int]] = field(default_factory=list)  # (D, units)
    units: int = 0
    spill: int = 0
    spill_headless: int = 0
    rej_unavoidable: int = 0
    rej_policy: int = 0
    rej_policy_units: int = 0
    any_fallbacks: int = 0
    hole: List[float] = field(default_factory=list)
    in_1g: List[float] = field(default_factory=list)
    times: List[float] = field(default_factory=list)
    big_tried: int = 0
    big_placed: int = 0
    gap: List[float] = field(default_factory=list)  # numaprobe only: D gap to exhaustive optimum

    def merge(self, o: "Stats") -> None:
        for k, v in o.__dict__.items():
            if isinstance(v, list):
                getattr(self, k).extend(v)
            else:
                setattr(self, k, getattr(self, k) + v)

    def summary(self) -> Dict[str, float]:
        ds = sorted(self.d_values)
        tot = sum(u for _, u in ds) or 1
        mean = sum(d * u for d, u in ds) / tot if ds else float("nan")
        p95 = _weighted_quantile(ds, 0.95)
        times = sorted(self.times)
        return {"placed": self.placed, "single": self.single / self.placed if self.placed else float("nan"),
                "d_mean": mean, "d_p95": p95, "spill": 100.0 * self.spill / (self.units or 1),
                "spill_headless": 100.0 * self.spill_headless / (self.units or 1),
                "rej_unavoidable": self.rej_unavoidable, "rej_policy": self.rej_policy,
                "any": self.any_fallbacks,
                "hole": sum(self.hole) / len(self.hole) if self.hole else float("nan"),
                "in_1g": sum(self.in_1g) / len(self.in_1g) if self.in_1g else float("nan"),
                "t_med_us": 1e6 * times[len(times) // 2] if times else float("nan"),
                "t_p99_us": 1e6 * times[min(len(times) - 1, int(len(times) * 0.99))] if times else float("nan"),
                "big": (self.big_placed / self.big_tried) if self.big_tried else float("nan"),
                "gap_max": max(self.gap) if self.gap else 0.0}


def _weighted_quantile(pairs: Sequence[Tuple[float, int]], q: float) -> float:
    """The MiB-weighted quantile of D (pairs sorted by D)."""
    if not pairs:
        return float("nan")
    tot = sum(u for _, u in pairs)
    acc = 0
    for d, u in pairs:
        acc += u
        if acc >= q * tot:
            return d
    return pairs[-1][0]


def timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t0
