"""Seeding the simulated heap from a machine: its firmware memory (as at boot) or its live free lists."""

from __future__ import annotations

from typing import Dict, List, Tuple

from numaprobe.errors import InputError
from numaprobe.notes import Note
from numaprobe.sim.buddy import XEN, ZONE_NAMES, BuddyAllocator, BuddyConfig, Chunk, xen_dma_bitsize
from numaprobe.sim.fallback import LinuxFallback, XenFallback
from numaprobe.sim.populate import POLICIES, DomainRequest
from numaprobe.model.machine import Machine
from numaprobe.units import parse_size

SEEDS = ("firmware", "live")


def _distances(topology) -> Dict[Tuple[int, int], int]:
    out = {}
    for a in topology.nodes:
        for b in topology.nodes:
            d = topology.distance(a.id, b.id)
            if d is not None:
                out[(a.id, b.id)] = d
    return out


def seed_allocator(machine: Machine, seed: str) -> Tuple[BuddyAllocator, List[Note]]:
    """(allocator, notes). firmware: every RAM chunk free, Xen's top order 18 (the hypervisor's heap at boot);
    live: /proc/buddyinfo's counts with Linux's orders (synthetic addresses)."""
    notes: List[Note] = []
    topology = machine.topology
    cpu_nodes = [n.id for n in topology.nodes if n.has_cpu]
    dist = _distances(topology)
    if seed == "firmware":
        from numaprobe.analysis.chunks import memory_chunks

        cm = memory_chunks(machine)
        notes += list(cm.notes)
        chunks = tuple(Chunk(c.node, c.zone, c.start, c.end) for c in cm.chunks)
        if not chunks:
            chunks = _chunks_from_node_totals(topology)
            if not chunks:
                raise InputError("no memory map to seed from (memmap, iomem, memory blocks and node meminfo all "
                                 "missing)")
            notes.append(Note("seed-node-totals", "no memory map: one Normal chunk per node of its MemTotal, at "
                                  "synthetic addresses"))
        nodes = sorted({n.id for n in topology.nodes} | {c.node for c in chunks})
        bits = xen_dma_bitsize(chunks)
        xen = XenFallback()
        if bits is not None and bits < 32:
            # Xen's low memory ends at 2**bits, inside DMA32 here; we keep zone granularity: only DMA is low.
            xen = XenFallback(low_zones=("DMA",))
            notes.append(Note("seed-xen-dma-bitsize", "Xen's dma_bitsize would be %d on this machine: only the DMA "
                                  "zone is kept for last" % bits))
        alloc = BuddyAllocator.from_chunks(chunks, XEN, nodes=nodes, distances=dist, cpu_nodes=cpu_nodes,
                                           policies=(LinuxFallback(), xen))
        return alloc, notes
    if seed == "live":
        buddy = machine.heap.buddyinfo
        if not buddy:
            raise InputError("no proc/buddyinfo to seed from")
        zones = list(ZONE_NAMES) + [z for z in dict.fromkeys(b.zone for b in buddy) if z not in ZONE_NAMES]
        width = max(len(b.free_blocks) for b in buddy)
        config = BuddyConfig(4096, width - 1, tuple(zones))
        counts = {(b.node, b.zone): b.free_blocks for b in buddy}
        nodes = sorted({n.id for n in topology.nodes} | {b.node for b in buddy})
        return BuddyAllocator.from_counts(counts, config, nodes=nodes, distances=dist, cpu_nodes=cpu_nodes), notes
    raise InputError("bad --seed %r: use %s" % (seed, " or ".join(SEEDS)))


def _chunks_from_node_totals(topology) -> List[Chunk]:
    # Old captures (hwloc's corpus) have neither memmap, iomem nor memory blocks: the node totals still say
    # how much each node has; addresses start at 4 GiB, each node 1 GiB aligned.
    out = []
    base = 4 << 30
    for n in topology.nodes:
        size = (n.memory_total_bytes or 0) // 4096 * 4096
        if size:
            out.append(Chunk(n.id, "Normal", base, base + size))
            base = -(-(base + size) >> 30) << 30
    return out


def parse_domain(spec: str) -> DomainRequest:
    """NAME:vcpus=8,memory=16G[,nodes=2|nodes=0+2][,policy=balance]"""
    name, sep, rest = spec.partition(":")
    if not sep or not name:
        raise InputError("bad --domain %r: use NAME:vcpus=N,memory=SIZE[,nodes=K][,policy=P]" % spec)
    fields: Dict[str, str] = {}
    for item in rest.split(","):
        k, eq, v = item.partition("=")
        if not eq or k.strip() not in ("vcpus", "memory", "nodes", "policy"):
            raise InputError("bad --domain field %r in %r (fields: vcpus, memory, nodes, policy)" % (item, spec))
        fields[k.strip()] = v.strip()
    if "vcpus" not in fields or "memory" not in fields:
        raise InputError("--domain %r needs vcpus= and memory=" % spec)
    try:
        vcpus = int(fields["vcpus"])
    except ValueError:
        raise InputError("bad vcpus=%r in --domain %r" % (fields["vcpus"], spec)) from None
    if vcpus < 1:
        raise InputError("vcpus must be at least 1 in --domain %r" % spec)
    policy = fields.get("policy", "balance")
    if policy not in POLICIES:
        raise InputError("bad policy=%r in --domain %r: use %s" % (policy, spec, ", ".join(POLICIES)))
    count, node_list = None, None
    nodes = fields.get("nodes")
    if nodes:
        try:
            if "+" in nodes:
                node_list = tuple(int(x) for x in nodes.split("+"))
            else:
                count = int(nodes)
        except ValueError:
            raise InputError("bad nodes=%r in --domain %r: a count (2) or a list (0+2)" % (nodes, spec)) from None
        if count is not None and count < 1:
            raise InputError("nodes must be at least 1 in --domain %r" % spec)
        if node_list is not None and len(set(node_list)) != len(node_list):
            raise InputError("nodes=%r in --domain %r lists a node twice" % (nodes, spec))
    return DomainRequest(name, vcpus, parse_size(fields["memory"], "memory="), count, node_list, policy)
