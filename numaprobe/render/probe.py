"""Render a Topology for `probe`: a versioned JSON document (docs/json.md) and text like `numactl -H`, extended."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from numaprobe import SCHEMA_VERSION
from numaprobe.model.topology import Topology
from numaprobe.readers.cpumask import format_cpulist
from numaprobe.units import human_size
from numaprobe.render import fold


def _notes(notes) -> List[Dict[str, str]]:
    return [{"code": n.code, "message": n.message} for n in notes]


def topology_to_json(topo: Topology, acpi: Optional[Dict[str, Any]] = None, chunks=None) -> Dict[str, Any]:
    """chunks: an analysis.chunks.ChunkMap, giving nodes[].memory_chunks and the memory_map block."""
    online = topo.online_cpus
    return {
        "schema_version": SCHEMA_VERSION,
        "source": {"kind": topo.source.kind, "path": topo.source.path, "kernel": topo.source.kernel,
                   "hostname": topo.source.hostname},
        "summary": {
            "nodes": len(topo.nodes),
            "packages": len(topo.packages),
            "cores": len({c.core for c in online if c.core is not None}),
            "cpus_online": len(online),
            "cpus_total": len(topo.cpus),
            "memory_total_bytes": topo.memory_total_bytes,
            "memory_free_bytes": topo.memory_free_bytes,
        },
        "nodes": [{
            "id": n.id,
            "cpus": list(n.cpus),
            "cpus_offline": [c for c in n.all_cpus if c not in n.cpus],
            "memory_total_bytes": n.memory_total_bytes,
            "memory_free_bytes": n.memory_free_bytes,
            "distances": list(n.distances) if n.distances is not None else None,
            "has_cpu": n.has_cpu,
            "has_memory": n.has_memory,
            "packages": sorted({topo.cpu(c).package for c in n.cpus if topo.cpu(c).package is not None}),
            "dies": len({(topo.cpu(c).package, topo.cpu(c).die) for c in n.cpus}),
            "cores": len({topo.cpu(c).core for c in n.cpus}),
            "hugepages": [{"size_bytes": h.size_bytes, "total": h.total, "free": h.free} for h in n.hugepages],
            "memory_chunks": chunks.node_json(n.id) if chunks is not None else None,
        } for n in topo.nodes],
        "memory_map": None if chunks is None else {
            "ram_source": chunks.ram_source, "node_source": chunks.node_source, "notes": _notes(chunks.notes)},
        "packages": [{"id": p.id, "cpus": list(p.cpus), "nodes": list(p.nodes), "cores": p.cores}
                     for p in topo.packages],
        "cpus": [{
            "id": c.id,
            "online": c.online,
            "node": c.node,
            "package": c.package,
            "die": c.die,
            "core": c.core,
            "thread_siblings": list(c.thread_siblings),
            "apic_id": c.apic_id,
        } for c in topo.cpus],
        "devices": [{"address": d.address, "node": d.node, "local_cpus": list(d.local_cpus), "vendor": d.vendor,
                     "device": d.device, "class": d.pci_class} for d in topo.devices],
        "allowed": {"cpus": list(topo.allowed_cpus) if topo.allowed_cpus is not None else None,
                    "mems": list(topo.allowed_mems) if topo.allowed_mems is not None else None},
        "acpi": acpi,
        "notes": _notes(topo.notes),
    }



def _mib(b: Optional[int]) -> str:
    return "<not available>" if b is None else "%d MB" % (b >> 20)


def _size(b: int) -> str:
    return human_size(b, exact=True)


def topology_to_text(topo: Topology, chunks=None) -> str:
    """numactl -H's layout first (users diff against it), then what numactl does not show, with repeats folded:
    identical node lines, packages and notes each become one line naming the ids as a range."""
    out = numactl_block(topo)
    out.append("")
    online = topo.online_cpus
    out.append("summary: %d nodes, %d packages, %d cores, %d CPUs online of %d" % (
        len(topo.nodes), len(topo.packages), len({c.core for c in online}), len(online), len(topo.cpus)))
    out += _distance_lines(topo)
    out += _package_lines(topo)
    out += fold.fold_lines([(n.id, t) for n, t in ((n, _node_text(topo, n)) for n in topo.nodes) if t], "node")
    for n in topo.nodes:
        ranges = ["%#x-%#x %s %s%s" % (c.start, c.end - 1, c.zone, _size(c.size), " hotplug" if c.hot_pluggable
                                       else "") for c in (chunks.of_node(n.id) if chunks is not None else ())]
        if ranges:
            out.append("node %d memory: %s" % (n.id, ", ".join(ranges)))
    with_node = [d for d in topo.devices if d.node is not None]
    if topo.devices:
        out.append("PCI devices: %d, %d with a NUMA node" % (len(topo.devices), len(with_node)))
        for d in with_node:
            out.append("  %s node %d cpus %s" % (d.address, d.node, format_cpulist(d.local_cpus) or "-"))
    if topo.allowed_cpus is not None:
        out.append("allowed cpus: %s; mems: %s" % (
            format_cpulist(topo.allowed_cpus),
            format_cpulist(topo.allowed_mems) if topo.allowed_mems is not None else "?"))
    if topo.notes:
        out.append("notes:")
        out += ["  [%s] %s" % pair for pair in fold.fold_messages([(n.code, n.message) for n in topo.notes])]
    return "\n".join(out) + "\n"


def numactl_block(topo: Topology) -> List[str]:
    """Byte for byte what Debian 12's numactl 2.0.16 prints (numactl.c: hardware(), print_distances()), so that
    scripts and eyes trained on it keep working; tests/test_probe_numactl.py compares with the real one."""
    ids = [n.id for n in topo.nodes]
    out = ["available: %d nodes (%s)" % (len(ids), format_cpulist(ids))]
    for n in topo.nodes:
        out.append("node %d cpus:%s" % (n.id, "".join(" %d" % c for c in n.cpus)))
        out.append("node %d size: %s" % (n.id, _mib(n.memory_total_bytes)))
        out.append("node %d free: %s" % (n.id, _mib(n.memory_free_bytes)))
    if topo.nodes and all(n.distances is not None for n in topo.nodes):
        out.append("node distances:")
        out.append("node " + "".join("% 3d " % i for i in ids))
        for n in topo.nodes:
            out.append("% 3d: " % n.id + "".join("% 3d " % d for d in n.distances or ()))
    else:
        out.append("No distance information available.")
    return out


# Above this many nodes the matrix is too wide to read: one line per group of nodes that see the same distances.
DISTANCE_SUMMARY_NODES = 4
# Above this many alike packages, one line for all of them (their CPUs are in the node lines above and the JSON).
PACKAGE_FOLD = 8


def _distance_lines(topo: Topology) -> List[str]:
    if len(topo.nodes) <= DISTANCE_SUMMARY_NODES or any(n.distances is None for n in topo.nodes):
        return []
    rows = [n.distances or () for n in topo.nodes]
    levels = sorted({d for r in rows for d in r})
    out = ["distance levels: %s" % ", ".join("%d%s" % (d, " (local)" if d == 10 else "") for d in levels)]
    for nodes, profile in fold.distance_profiles(topo.node_ids, rows):
        who = "each of nodes" if len(nodes) > 1 else "node"
        out.append("  from %s %s: %s" % (who, fold.id_range(nodes), profile))
    return out


def _package_lines(topo: Topology) -> List[str]:
    out = []
    shape = lambda p: (len(p.cpus), p.cores, len(p.nodes))  # noqa: E731
    for group in fold.group_in_order(topo.packages, shape):
        if len(group) <= PACKAGE_FOLD:
            out += ["package %d: cpus %s, %d cores, nodes %s" % (
                p.id, format_cpulist(p.cpus), p.cores, format_cpulist(p.nodes) or "-") for p in group]
            continue
        ids = fold.id_range([p.id for p in group])
        if len(ids) > 40:
            ids = "%d,%d,...,%d" % (group[0].id, group[1].id, group[-1].id)
        cpus, cores, nodes = shape(group[0])
        out.append("packages %s (%d alike): %d CPUs, %d cores and %d node(s) each, on nodes %s" % (
            ids, len(group), cpus, cores, nodes, format_cpulist({i for p in group for i in p.nodes}) or "-"))
    return out


def _node_text(topo: Topology, n) -> str:
    extra = []
    if n.cpus:
        cpus = [topo.cpu(c) for c in n.cpus]
        extra.append("%d package(s), %d die(s), %d cores, %d threads" % (
            len({c.package for c in cpus}), len({(c.package, c.die) for c in cpus}),
            len({c.core for c in cpus}), len(cpus)))
    if not n.has_cpu:
        extra.append("no CPU")
    if not n.has_memory:
        extra.append("no memory")
    off = [c for c in n.all_cpus if c not in n.cpus]
    if off:
        extra.append("offline CPUs %s" % format_cpulist(off))
    for h in n.hugepages:
        if h.total:
            extra.append("hugepages %dkB: %d/%d free" % (h.size_bytes // 1024, h.free, h.total))
    return "; ".join(extra)
