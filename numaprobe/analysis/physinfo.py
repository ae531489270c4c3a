"""Xen's physinfo/numainfo as a host report (`xl info -n`), with a sockets_per_node that is right on asymmetric
machines.

Xen computed ``sockets_per_node = nr_cpus / (nr_nodes * cores_per_socket * threads_per_core)`` with cores and
threads taken from CPU 0 (be259653f3, 2007; ../shared/notes/placement/xen.md section c). With integer division and
a symmetric assumption it truncates on hosts with unequal nodes, CPU-less nodes or packages split over nodes, and
is 0 when nodes outnumber packages. Here it is counted per node: the packages with CPUs in the node, a package
split over several nodes counting for the share of its online CPUs each node holds, so the figures add up to the
number of packages.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from typing import Dict, List, Optional, Sequence, Tuple, Union

from numaprobe.model.machine import Machine
from numaprobe.model.topology import Topology
from numaprobe.notes import Note

IntOrList = Union[int, Tuple[int, ...]]
BELOW_4G_ZONES = ("DMA", "DMA32")


@dataclass(frozen=True)
class CpuRow:
    cpu: int
    core: Optional[int]  # machine-wide unique core id (Xen prints the id within the socket)
    socket: Optional[int]
    node: Optional[int]


@dataclass(frozen=True)
class Physinfo:
    nr_cpus: int  # online CPUs, as Xen's num_online_cpus()
    max_cpu_id: int
    nr_nodes: int
    cores_per_socket: IntOrList  # one number when every package has as many cores, else one per package
    threads_per_core: IntOrList  # one number when every core has as many threads, else the distinct counts
    cpu_khz: Optional[int]
    total_memory_bytes: Optional[int]
    free_memory_bytes: Optional[int]
    sockets_per_node: Tuple[Tuple[int, Fraction], ...]  # (node, packages) in node order
    legacy_sockets_per_node: Optional[int]
    node_to_cpu: Tuple[Tuple[int, Tuple[int, ...]], ...]
    node_to_memory: Tuple[Tuple[int, Optional[int]], ...]
    node_to_free_memory: Tuple[Tuple[int, Optional[int]], ...]
    node_to_dma32_memory: Tuple[Tuple[int, Optional[int]], ...]  # the part below 4 GiB (zones DMA + DMA32)
    node_distances: Tuple[Tuple[int, Optional[Tuple[int, ...]]], ...]
    cpu_topology: Tuple[CpuRow, ...]
    packages: Tuple[int, ...]  # package ids in the order of a cores_per_socket list
    notes: Tuple[Note, ...]


def sockets_per_node(topo: Topology) -> Dict[int, Fraction]:
    """Per node: Σ over packages of (package's online CPUs in the node / package's online CPUs)."""
    out = {n.id: Fraction(0) for n in topo.nodes}
    for p in topo.packages:
        per_node = Counter(topo.cpu(c).node for c in p.cpus)
        for node, count in per_node.items():
            if node in out:
                out[node] += Fraction(count, len(p.cpus))
    return out


def legacy_formula(topo: Topology) -> Tuple[Optional[int], Optional[int], Optional[int]]:
    """(sockets_per_node, cores_per_socket, threads_per_core) as Xen 3.1 computed them from CPU 0."""
    online = topo.online_cpus
    if not online:
        return None, None, None
    cpu0 = next((c for c in online if c.id == 0), online[0])
    threads = max(1, len(cpu0.thread_siblings))
    pkg = next((p for p in topo.packages if p.id == cpu0.package), None)
    core_map = len(pkg.cpus) if pkg else 1
    cores = max(1, core_map // threads)
    denom = len(topo.nodes) * cores * threads
    return (len(online) // denom if denom else None), cores, threads


def _page_size(topo: Topology, zones) -> int:
    """Zone counters are in pages; the page size is what makes the node's managed pages its MemTotal."""
    managed: Dict[int, int] = Counter()
    for z in zones:
        managed[z.node] += z.managed_pages or 0
    for n in topo.nodes:
        if n.memory_total_bytes and managed.get(n.id):
            ratio = n.memory_total_bytes / managed[n.id]
            for size in (4096, 8192, 16384, 65536):
                if abs(ratio - size) / size < 0.01:
                    return size
    return 4096


def _per_socket_counts(topo: Topology, notes: List[Note]) -> Tuple[IntOrList, IntOrList]:
    """cores_per_socket and threads_per_core: one number when uniform, else a list (with a note saying so)."""
    online = topo.online_cpus
    pkgs = topo.packages
    cores = [p.cores for p in pkgs]
    cps: IntOrList = cores[0] if len(set(cores)) == 1 else tuple(cores)
    if not cores:
        cps = 0
    threads_of_core = Counter(c.core for c in online if c.core is not None)
    tcounts = sorted(set(threads_of_core.values()))
    tpc: IntOrList = tcounts[0] if len(tcounts) == 1 else tuple(tcounts)
    if not tcounts:
        tpc = 0
    offline = [c.id for c in topo.cpus if not c.online]
    if isinstance(cps, tuple):
        notes.append(Note("cores-per-socket-differ", "packages have different numbers of cores with an online CPU "
                          "(%s); cores_per_socket is a list in package order%s"
                          % (", ".join("package %d: %d" % (p.id, p.cores) for p in pkgs),
                             " (CPUs %s are offline)" % _fmt(offline) if offline else "")))
    if isinstance(tpc, tuple):
        by = Counter(threads_of_core.values())
        notes.append(Note("threads-per-core-differ", "cores have different numbers of online threads (%s); "
                          "threads_per_core lists the distinct counts" % ", ".join(
                              "%d core(s) with %d" % (by[t], t) for t in tcounts)))
    return cps, tpc


def build_physinfo(topo: Topology, zones: Sequence = (), cpu_mhz: Optional[float] = None) -> Physinfo:
    notes: List[Note] = []
    online = topo.online_cpus
    pkgs = topo.packages
    cps, tpc = _per_socket_counts(topo, notes)

    spn = sockets_per_node(topo)
    listed = {n.id for n in topo.nodes}
    stray = [c.id for c in online if c.node not in listed]
    if stray:
        notes.append(Note("cpus-outside-nodes", "online CPU(s) %s are in no listed node; the share of their "
                          "packages is missing from sockets_per_node" % _fmt(stray)))
    legacy, l_cores, l_threads = legacy_formula(topo)
    if legacy is not None and any(v != legacy for v in spn.values()):
        notes.append(Note("legacy-sockets-per-node-wrong", "Xen's old formula nr_cpus / (nr_nodes x cores_per_socket "
                          "x threads_per_core) = %d / (%d x %d x %d) = %d (integer division, cores and threads of "
                          "CPU 0) does not match the per-node counts: %s"
                          % (len(online), len(topo.nodes), l_cores, l_threads, legacy, _value_groups(spn))))

    below_4g: Dict[int, int] = Counter()
    page = _page_size(topo, zones)
    have_zone = set()
    for z in zones:
        have_zone.add(z.node)
        if z.zone in BELOW_4G_ZONES and z.present_pages:
            below_4g[z.node] += z.present_pages * page

    khz = int(round(cpu_mhz * 1000)) if cpu_mhz else None
    if khz is None:
        khz = next((c.max_khz for c in online if c.max_khz), None)
    return Physinfo(
        nr_cpus=len(online),
        max_cpu_id=max((c.id for c in topo.cpus), default=-1),
        nr_nodes=len(topo.nodes),
        cores_per_socket=cps,
        threads_per_core=tpc,
        cpu_khz=khz,
        total_memory_bytes=topo.memory_total_bytes,
        free_memory_bytes=topo.memory_free_bytes,
        sockets_per_node=tuple(sorted(spn.items())),
        legacy_sockets_per_node=legacy,
        node_to_cpu=tuple((n.id, n.cpus) for n in topo.nodes),
        node_to_memory=tuple((n.id, n.memory_total_bytes) for n in topo.nodes),
        node_to_free_memory=tuple((n.id, n.memory_free_bytes) for n in topo.nodes),
        node_to_dma32_memory=tuple((n.id, below_4g.get(n.id, 0) if n.id in have_zone else None)
                                   for n in topo.nodes),
        node_distances=tuple((n.id, n.distances) for n in topo.nodes),
        cpu_topology=tuple(CpuRow(c.id, c.core, c.package, c.node) for c in online),
        packages=tuple(p.id for p in pkgs),
        notes=tuple(notes),
    )


def machine_physinfo(machine: Machine) -> Physinfo:
    return build_physinfo(machine.topology, machine.heap.zoneinfo, machine.cpu_mhz)


def _fmt(ids: Sequence[int]) -> str:
    from numaprobe.readers.cpumask import format_cpulist

    return format_cpulist(sorted(ids)) or "none"


def plain_number(v: Fraction) -> Union[int, float]:
    """A whole number stays an int; a fraction becomes a float with 4 decimals (exact value in *_fraction)."""
    return int(v) if v.denominator == 1 else round(float(v), 4)


def _value_groups(spn: Dict[int, Fraction]) -> str:
    """{0: 4, 1: 4, 2: 0} -> "4 on nodes 0-1, 0 on node 2" (a 17-node machine stays one line)."""
    groups: Dict[Fraction, List[int]] = {}
    for n, v in sorted(spn.items()):
        groups.setdefault(v, []).append(n)
    return ", ".join("%s on node%s %s" % (plain_number(v), "s" if len(ns) > 1 else "", _fmt(ns)) for v, ns in groups.items())
