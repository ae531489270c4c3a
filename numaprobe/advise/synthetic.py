"""Hand-made Topology objects for the placement benchmark and tests: the shapes real machines come in
(2-socket, Intel SNC, AMD NPS4, asymmetric with a CPU-less memory node, large grids) without needing a capture.

CPU numbering: node by node, each core's two SMT threads adjacent. Packages and cores get machine-wide ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from numaprobe.model.topology import Cpu, HugePages, Node, Package, Source, Topology

GIB = 1 << 30


@dataclass(frozen=True)
class NodeSpec:
    threads: int  # online CPUs (SMT2: threads/2 cores); 0 = memory-only node
    memory_gib: float
    package: Optional[int]  # None for a memory-only node
    free_gib: Optional[float] = None  # default: all of memory_gib
    free_1g_pages: int = 0
    free_2m_pages: int = 0


def make_topology(specs: Sequence[NodeSpec], distances: Sequence[Sequence[int]], name: str = "synthetic",
                  threads_per_core: int = 2) -> Topology:
    """A Topology with node i = specs[i] and the SLIT `distances` (row i = node i)."""
    n = len(specs)
    if len(distances) != n or any(len(row) != n for row in distances):
        raise ValueError("distance matrix must be %dx%d" % (n, n))
    cpus: List[Cpu] = []
    nodes: List[Node] = []
    next_cpu = 0
    next_core = 0
    for i, spec in enumerate(specs):
        ids = tuple(range(next_cpu, next_cpu + spec.threads))
        for k, cpu_id in enumerate(ids):
            core = next_core + k // threads_per_core
            first = next_cpu + (k // threads_per_core) * threads_per_core
            siblings = tuple(c for c in range(first, first + threads_per_core) if c < next_cpu + spec.threads)
            cpus.append(Cpu(id=cpu_id, online=True, node=i, package=spec.package, core=core,
                            thread_siblings=siblings))
        next_cpu += spec.threads
        next_core += (spec.threads + threads_per_core - 1) // threads_per_core
        total = int(spec.memory_gib * GIB)
        free = int((spec.memory_gib if spec.free_gib is None else spec.free_gib) * GIB)
        huge = []
        if spec.free_2m_pages:
            huge.append(HugePages(size_bytes=2 << 20, total=spec.free_2m_pages, free=spec.free_2m_pages))
        if spec.free_1g_pages:
            huge.append(HugePages(size_bytes=GIB, total=spec.free_1g_pages, free=spec.free_1g_pages))
        nodes.append(Node(id=i, cpus=ids, all_cpus=ids, memory_total_bytes=total, memory_free_bytes=free,
                          distances=tuple(int(d) for d in distances[i]), has_cpu=bool(ids),
                          has_memory=total > 0, hugepages=tuple(huge),
                          high_watermark_bytes=0))  # an idealised machine: all of it usable
    packages = []
    for pkg in sorted({s.package for s in specs if s.package is not None}):
        pkg_cpus = tuple(c.id for c in cpus if c.package == pkg)
        packages.append(Package(id=pkg, cpus=pkg_cpus,
                                nodes=tuple(i for i, s in enumerate(specs) if s.package == pkg and s.threads),
                                cores=len({c.core for c in cpus if c.package == pkg})))
    return Topology(source=Source(kind="synthetic", path=name), nodes=tuple(nodes), cpus=tuple(cpus),
                    packages=tuple(packages), devices=(), notes=(),
                    memory_total_bytes=sum(n.memory_total_bytes or 0 for n in nodes),
                    memory_free_bytes=sum(n.memory_free_bytes or 0 for n in nodes))


def socket_matrix(packages: Sequence[int], local: int, same_socket: int, cross_socket: int) -> List[List[int]]:
    """SLIT for nodes grouped into sockets: `local` on the diagonal, then same- or cross-socket values."""
    n = len(packages)
    return [[local if i == j else same_socket if packages[i] == packages[j] else cross_socket for j in range(n)]
            for i in range(n)]


def two_socket() -> Topology:
    """T1: 2 sockets, one node each, 32 threads / 256 GiB per node, SLIT 10/21."""
    specs = [NodeSpec(32, 256, 0), NodeSpec(32, 256, 1)]
    return make_topology(specs, socket_matrix([0, 1], 10, 10, 21), "T1-2socket")


def snc2() -> Topology:
    """T2: 2-socket Intel SNC2, 4 nodes of 16 threads / 128 GiB; same socket 11, other socket 21."""
    pk = [0, 0, 1, 1]
    return make_topology([NodeSpec(16, 128, p) for p in pk], socket_matrix(pk, 10, 11, 21), "T2-snc2")


def nps4(halved_node: Optional[int] = None) -> Topology:
    """T3: 2-socket AMD EPYC NPS4, 8 nodes of 16 threads / 64 GiB; 12 same socket, 32 cross socket.
    T5 = nps4(halved_node=5): that node's DIMMs halved (32 GiB)."""
    pk = [0, 0, 0, 0, 1, 1, 1, 1]
    specs = [NodeSpec(16, 32 if i == halved_node else 64, p) for i, p in enumerate(pk)]
    return make_topology(specs, socket_matrix(pk, 10, 12, 32), "T5-nps4-halved" if halved_node is not None
                         else "T3-nps4")


def asymmetric() -> Topology:
    """T4: n0 24 threads / 192 GiB (socket 0), n1 16 threads / 128 GiB (socket 1), n2 CPU-less 256 GiB
    (CXL/PMEM-like). Distances n0-n1 21, n0-n2 14, n1-n2 24 (illustrative, from benchmark-idea.md)."""
    specs = [NodeSpec(24, 192, 0), NodeSpec(16, 128, 1), NodeSpec(0, 256, None)]
    slit = [[10, 21, 14], [21, 10, 24], [14, 24, 10]]
    return make_topology(specs, slit, "T4-asymmetric")


def grid(sockets: int, nodes_per_socket: int, threads: int = 16, memory_gib: float = 64,
         local: int = 10, same_socket: int = 12, cross_socket: int = 32, hop: int = 0) -> Topology:
    """A large machine: `sockets` x `nodes_per_socket` nodes. `hop` adds `hop * |socket_i - socket_j|` to
    cross-socket distances (a multi-hop glueless/fabric machine), so socket order matters."""
    pk = [s for s in range(sockets) for _ in range(nodes_per_socket)]
    slit = socket_matrix(pk, local, same_socket, cross_socket)
    for i in range(len(pk)):
        for j in range(len(pk)):
            if pk[i] != pk[j]:
                slit[i][j] += hop * abs(pk[i] - pk[j])
    return make_topology([NodeSpec(threads, memory_gib, p) for p in pk], slit,
                         "grid-%dx%d" % (sockets, nodes_per_socket))


def benchmark_topologies() -> Tuple[Tuple[str, Topology], ...]:
    """The five topologies of benchmark-idea.md section 2, in order T1..T5."""
    return (("T1", two_socket()), ("T2", snc2()), ("T3", nps4()), ("T4", asymmetric()),
            ("T5", nps4(halved_node=5)))
