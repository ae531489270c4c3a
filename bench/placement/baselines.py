"""The placement policies compared, re-implemented from ../shared/notes/placement/ (xen.md, numad.md, others.md).

Each policy's `decide(host, vcpus, units)` reads only the inputs its real counterpart sees (named in each
docstring) and returns a Choice, or None for REJECT. Memory is then realised the way that system realises it.
"""

from __future__ import annotations

import itertools
import math
import random
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from typing import Dict, List, Optional, Tuple

from harness import UNIT, Host

from numaprobe.advise.capacity import estimated_high_watermark
from numaprobe.advise.decide import decide as np_decide
from numaprobe.advise.types import PlacementInput, PlacementRequest


@dataclass
class Choice:
    nodes: Tuple[int, ...]  # the nodeset the policy answers (all nodes for ANY)
    cpu_nodes: Tuple[int, ...]  # where the vCPUs run
    how: str  # xen | linux | exact | local_share
    plan: Dict[int, int] = field(default_factory=dict)  # exact: units per node
    any: bool = False
    exclusive: Dict[int, int] = field(default_factory=dict)
    bind_fallback: bool = False  # exact plan failed (stale): allocate as MPOL_BIND over the nodes would
    pinned: Dict[int, int] = field(default_factory=dict)  # vCPUs pinned per node; empty = spread over cpu_nodes


def any_choice(host: Host) -> Choice:
    """No advice: affinity to all nodes; Xen's auto node-affinity comes from the CPUs (CPU nodes only)."""
    return Choice(tuple(host.idx), tuple(host.cpu_node_list), "xen", any=True)


class Policy(ABC):
    name = "?"

    def reset(self, host: Host, seed: int) -> None:
        pass

    @abstractmethod
    def decide(self, host: Host, vcpus: int, units: int) -> Optional[Choice]:
        """The nodes (and how memory is realised) for one domain, or None to refuse it."""


class XenDefault(Policy):
    """B0: no placement at all; memory striped by the Xen builder over every CPU node."""

    name = "B0 xen-none"

    def decide(self, host, vcpus, units):
        return any_choice(host)


class Libxl(Policy):
    """B1 libxl__get_numa_candidate + numa_cmpf. Inputs: numainfo free, CPU topology, vCPU affinities."""

    name = "B1 libxl"

    def decide(self, host, vcpus, units):
        cands = list(host.cpu_node_list)  # a CPU-less node is never a candidate
        if len(host.idx) > 16 or len(host.idx) <= 1:
            return any_choice(host)
        counts = {host.cpus[i] for i in cands}
        min_nodes = math.ceil(vcpus / counts.pop()) if len(counts) == 1 else 1
        on_node = [0] * host.n
        for d in host.domains.values():  # each vCPU counts once on every node its affinity touches
            for i in d.cpu_nodes:
                on_node[i] += d.vcpus
        free = host.free_all()
        for k in range(max(1, min_nodes), len(cands) + 1):
            best = None
            for combo in itertools.combinations(cands, k):
                f = sum(free[i] for i in combo)
                if f < units or sum(host.cpus[i] for i in combo) < vcpus:
                    continue
                key = (sum(on_node[i] for i in combo), -f)
                if best is None or key < best[0]:
                    best = (key, combo)
            if best:
                return Choice(best[1], best[1], "xen")
        return any_choice(host)


class Xend(Policy):
    """B2 xend find_relaxed_node. Inputs: node free memory, vCPU affinities of other domains."""

    name = "B2 xend"

    def decide(self, host, vcpus, units):
        load = [0.0] * host.n
        for d in host.domains.values():
            for i in d.cpu_nodes:
                load[i] += d.vcpus
        free = host.free_all()
        for i in host.idx:
            load[i] = int(load[i] * 16 / host.cpus[i]) if host.cpus[i] else 0
            if not host.cpus[i]:
                load[i] += 8
            if free[i] < units:
                load[i] += 8
        nodes: List[int] = []
        got = 0
        for i in sorted(host.idx, key=lambda i: (load[i], i)):
            if got >= vcpus:
                break
            if host.cpus[i]:
                nodes.append(i)
                got += host.cpus[i]
        nodes.sort()
        return Choice(tuple(nodes), tuple(nodes), "xen")


class Xenopsd(Policy):
    """B3 xenopsd best_effort. Inputs: free memory, SLIT, its own node_usage counter."""

    name = "B3 xenopsd"

    def reset(self, host, seed):
        n = len(host.idx)
        subsets = ([c for k in range(1, n + 1) for c in itertools.combinations(host.idx, k)] if n <= 16
                   else [(i,) for i in host.idx])

        def key(s):
            ds = [host.dist[a][b] for a in s for b in s]
            return (max(ds), sum(ds) / len(ds))

        self.subsets = sorted(((key(s), s) for s in subsets), key=lambda x: x[0])

    def decide(self, host, vcpus, units):
        free = host.free_all()
        first = None
        valid = []
        for (mx, mean), s in self.subsets:
            if first is not None and abs(mean - first) >= 1e-3:
                continue
            if sum(free[i] for i in s) >= units and sum(host.cpus[i] for i in s) >= vcpus:
                if first is None:
                    first = mean
                valid.append(s)
        if not valid:
            return any_choice(host)
        best = min(valid, key=lambda s: sum(host.node_usage[i] for i in s))
        for i in best:
            host.node_usage[i] += 1
        cpu_nodes = tuple(i for i in best if host.cpus[i])  # soft affinity -> node affinity: CPU nodes only
        return Choice(best, cpu_nodes, "xen")


class Numad(Policy):
    """B4 numad -w NCPUS:MB via libvirt placement='auto' (strict). Inputs: meminfo free, sampled idle CPU."""

    name = "B4 numad"

    def __init__(self, node0_sizing: bool = False) -> None:
        # numad sizes every node as node 0 (a known bug; benchmark-idea.md: off by default, switchable)
        self.node0_sizing = node0_sizing
        if node0_sizing:
            self.name = "B4 numad+node0bug"

    def decide(self, host, vcpus, units):
        free_mb = [f * UNIT // (1 << 20) for f in host.free_all()]
        total_mb = [u * UNIT // (1 << 20) for u in host.total_units]
        busy = host.busy_hundredths()
        cap, idle = [], []
        for i in host.idx:
            cores = host.cores[i]
            tpc = host.cpus[i] // cores if cores else 1
            cap.append(cores * 100 + cores * (tpc - 1) * 20)  # htt_percent = 20
            idle.append(max(1.0, min(cap[i], cap[i] - busy[i])))
        cpus = vcpus * 100
        mbs = units * UNIT // (1 << 20)

        def magnitude(i):
            nm, xm = min(free_mb[i], mbs), max(0, free_mb[i] - mbs)
            nc, xc = min(idle[i], cpus), max(0.0, idle[i] - cpus)
            return (nm * 10 + xm * 4) * (nc * 6 + xc)

        mag = [magnitude(i) for i in host.idx]
        if self.node0_sizing:
            # node 0's sizes stand for every node (numad's sizing; wrong on asymmetric hosts)
            min_req = max(math.ceil(mbs / max(1, total_mb[0])), math.ceil(cpus / max(1, cap[0])))
        else:
            min_req = max(_fewest(total_mb, mbs), _fewest(cap, cpus))
        min_req = min(min_req, host.n)
        best, best_tot = 0, -1.0
        for ix in host.idx:
            order = sorted(host.idx, key=lambda j: (host.dist[ix][j], -mag[j]))
            tot = sum(mag[j] / host.dist[ix][j] ** 2 for j in order[:min_req])
            if tot > best_tot:
                best, best_tot = ix, tot
        order = sorted(host.idx, key=lambda j: (host.dist[best][j], -mag[j]))
        target: List[int] = []
        for j in order:
            if not (min_req > 0 or mbs > 0 or cpus > 0):
                break
            target.append(j)
            min_req -= 1
            mbs -= max(0, free_mb[j] - 100)
            cpus -= idle[j]
        nodes = tuple(sorted(target)) or (0,)
        cpu_nodes = tuple(i for i in nodes if host.cpus[i]) or tuple(host.cpu_node_list)
        return Choice(nodes, cpu_nodes, "local_share")


def _fewest(sizes, need) -> int:
    acc = 0
    for k, v in enumerate(sorted(sizes, reverse=True), 1):
        acc += v
        if acc >= need:
            return k
    return len(sizes)


class Nova(Policy):
    """B5 Nova numa_fit_instance_to_host, harness tries hw:numa_nodes = 1, 2, ... Inputs: cell usage + limits."""

    def __init__(self, pack: bool, dedicated: bool) -> None:
        self.pack, self.dedicated = pack, dedicated
        self.name = "B5 nova-%s-%s" % ("pack" if pack else "spread", "ded" if dedicated else "shr4")

    def decide(self, host, vcpus, units):
        free = host.free_all()
        usage = host.vcpus_on()
        excl = host.exclusive_free()
        cells = list(host.idx)
        cells.sort(key=lambda c: free[c], reverse=not self.pack)
        if self.dedicated:
            cells.sort(key=lambda c: excl[c], reverse=not self.pack)
        else:
            cells.sort(key=lambda c: usage[c], reverse=self.pack)
        mib = units * UNIT // (1 << 20)
        for n in range(1, len(host.cpu_node_list) + 1):
            if vcpus % n or mib % n:
                continue  # ImageNUMATopologyAsymmetric
            cv, cu = vcpus // n, units // n
            if self.dedicated:
                fit = [c for c in cells if free[c] >= cu and excl[c] >= cv]
            else:
                fit = [c for c in cells if free[c] >= cu and cv <= host.cpus[c] and usage[c] + cv <= 4 * host.cpus[c]]
            if len(fit) >= n:
                chosen = tuple(sorted(fit[:n]))
                return Choice(chosen, chosen, "exact", plan={c: cu for c in chosen},
                              exclusive={c: cv for c in chosen} if self.dedicated else {})
        return None


class K8sTopologyManager(Policy):
    """B6 kubelet Topology Manager with the static CPU manager and the memory manager.
    Inputs: allocatable (exclusive) CPUs and memory per node; SLIT for prefer-closest."""

    def __init__(self, policy: str, closest: bool = False) -> None:
        self.policy, self.closest = policy, closest
        self.name = "B6 k8s-%s%s" % (policy, "+closest" if closest else "")

    def decide(self, host, vcpus, units):
        if host.n > 8:
            return any_choice(host)  # maxAllowableNUMANodes: the topology manager does not start
        free = host.free_all()
        excl = host.exclusive_free()
        masks = [c for k in range(1, host.n + 1) for c in itertools.combinations(host.idx, k)]
        min_cpu = min((len(m) for m in masks if sum(host.cpus[i] for i in m) >= vcpus), default=None)
        min_mem = min((len(m) for m in masks if sum(host.seeded[i] for i in m) >= units), default=None)
        if min_cpu is None or min_mem is None:
            return None
        pref = []
        for m in masks:
            if self.policy == "single-numa-node" and len(m) != 1:
                continue
            # merged preferred (newer policy.go): both hints preferred and their masks equal
            if (len(m) == min_cpu == min_mem and sum(excl[i] for i in m) >= vcpus
                    and sum(free[i] for i in m) >= units):
                pref.append(m)
        if not pref:
            return None  # restricted / single-numa-node admit only a preferred hint

        def key(m):
            bits = sum(1 << i for i in m)
            if self.closest:
                ds = [host.dist[a][b] for a in m for b in m]
                return (len(m), sum(ds) / len(ds), bits)
            return (len(m), bits)

        m = min(pref, key=key)
        take, left = {}, vcpus
        for i in m:
            t = min(excl[i], left)
            if t:
                take[i] = t
            left -= t
        cpu_nodes = tuple(i for i in m if host.cpus[i])
        return Choice(m, cpu_nodes, "local_share", exclusive=take)


class LinuxLocal(Policy):
    """B7 Linux default: memory from the node of a random pCPU, zonelist fallback; vCPUs float."""

    name = "B7 linux-local"

    def reset(self, host, seed):
        self.rng = random.Random(seed * 7919 + 1)
        self.cpu_home = [i for i in host.idx for _ in range(host.cpus[i])]

    def decide(self, host, vcpus, units):
        home = self.rng.choice(self.cpu_home)
        return Choice(tuple(host.idx), tuple(host.cpu_node_list), "linux", plan={home: units}, any=True)


class Numaprobe(Policy):
    """N numaprobe advise: free memory per node, vCPUs committed per node, SLIT, packages; exact-node memory."""

    name = "N numaprobe"

    keep_configs = 0  # run.py sets this to collect that many (input, placement) pairs for the consumers

    def reset(self, host, seed):
        cpu_ids = []
        nxt = 0
        for i in host.idx:
            cpu_ids.append(tuple(range(nxt, nxt + host.cpus[i])))
            nxt += host.cpus[i]
        self.base = PlacementInput(node_ids=tuple(host.idx), cpus=tuple(cpu_ids), free_bytes=(),
                                   distance=tuple(tuple(r) for r in host.dist), busy=(),
                                   package=tuple(host.pkg),
                                   slow_tier=tuple(i for i in host.idx if not host.cpus[i]))
        # the capacity model of advise (advise/capacity.py): the kernel keeps each node's high watermark free;
        # the simulated host has no zoneinfo, so the watermark Linux would set for its memory is used
        nodes = host.topo.nodes
        self.headroom = tuple(-(-estimated_high_watermark(nd, nodes) // UNIT) * UNIT for nd in nodes)
        self.last = None
        self.configs = []

    def input(self, host) -> PlacementInput:
        return replace(self.base, free_bytes=tuple(max(0, f * UNIT - h) for f, h in zip(host.free_all(),
                                                                                     self.headroom)),
                       busy=tuple(host.vcpus_on()))

    def decide(self, host, vcpus, units):
        inp = self.input(host)
        p = np_decide(inp, PlacementRequest(vcpus, units * UNIT), keep=0)
        self.last = (inp, p)
        if not p.feasible:
            return None
        if len(self.configs) < self.keep_configs:
            self.configs.append((inp, p))
        c = p.chosen
        return Choice(c.nodes, c.cpu_nodes, "exact", plan={n: b // UNIT for n, b in c.bytes_by_node if b},
                      bind_fallback=True, pinned=dict(c.vcpus_by_node))


def all_policies() -> List[Policy]:
    return [XenDefault(), Libxl(), Xend(), Xenopsd(), Numad(), Nova(pack=False, dedicated=False),
            Nova(pack=True, dedicated=False), Nova(pack=False, dedicated=True),
            K8sTopologyManager("restricted"), K8sTopologyManager("single-numa-node"),
            K8sTopologyManager("restricted", closest=True), LinuxLocal(), Numaprobe()]
