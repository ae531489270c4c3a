"""Render Xen's physinfo: JSON (docs/json.md) and the physinfo part of `xl info -n` as text."""

from __future__ import annotations

from typing import Optional

from numaprobe import SCHEMA_VERSION
from numaprobe.analysis.physinfo import IntOrList, Physinfo, plain_number


def to_json(p: Physinfo) -> dict:
    def lst(v: IntOrList):
        return list(v) if isinstance(v, tuple) else v

    return {
        "schema_version": SCHEMA_VERSION,
        "nr_cpus": p.nr_cpus,
        "max_cpu_id": p.max_cpu_id,
        "nr_nodes": p.nr_nodes,
        "cores_per_socket": lst(p.cores_per_socket),
        "threads_per_core": lst(p.threads_per_core),
        "cpu_khz": p.cpu_khz,
        "total_memory_bytes": p.total_memory_bytes,
        "free_memory_bytes": p.free_memory_bytes,
        "sockets_per_node": {str(n): plain_number(v) for n, v in p.sockets_per_node},
        "sockets_per_node_fraction": {str(n): str(v) for n, v in p.sockets_per_node},
        "legacy_sockets_per_node": p.legacy_sockets_per_node,
        "packages": list(p.packages),
        "node_to_cpu": {str(n): list(c) for n, c in p.node_to_cpu},
        "node_to_memory": {str(n): b for n, b in p.node_to_memory},
        "node_to_free_memory": {str(n): b for n, b in p.node_to_free_memory},
        "node_to_dma32_memory": {str(n): b for n, b in p.node_to_dma32_memory},
        "node_distances": {str(n): (list(d) if d is not None else None) for n, d in p.node_distances},
        "cpu_topology": [{"cpu": r.cpu, "core": r.core, "socket": r.socket, "node": r.node} for r in p.cpu_topology],
        "notes": [{"code": n.code, "message": n.message} for n in p.notes],
    }


def to_text(p: Physinfo) -> str:
    """The physinfo part of `xl info -n`: same keys, alignment and row formats (memory in MiB)."""

    def mib(v: Optional[int]) -> str:
        return str(v >> 20) if v is not None else "unknown"

    def val(v: IntOrList) -> str:
        return ",".join(str(x) for x in v) if isinstance(v, tuple) else str(v)

    lines = [
        "%-23s: %d" % ("nr_cpus", p.nr_cpus),
        "%-23s: %d" % ("max_cpu_id", p.max_cpu_id),
        "%-23s: %d" % ("nr_nodes", p.nr_nodes),
        "%-23s: %s" % ("cores_per_socket", val(p.cores_per_socket)),
        "%-23s: %s" % ("threads_per_core", val(p.threads_per_core)),
        "%-23s: %s" % ("cpu_mhz", "%.3f" % (p.cpu_khz / 1000.0) if p.cpu_khz else "unknown"),
        "%-23s: %s" % ("total_memory", mib(p.total_memory_bytes)),
        "%-23s: %s" % ("free_memory", mib(p.free_memory_bytes)),
        "%-23s: %s" % ("sockets_per_node", " ".join("%d:%s" % (n, plain_number(v)) for n, v in p.sockets_per_node)),
        "%-23s: %s" % ("legacy_sockets_per_node",
                       p.legacy_sockets_per_node if p.legacy_sockets_per_node is not None else "unknown"),
        "%-23s:" % "cpu_topology",
        "cpu:    core    socket     node",
    ]
    for r in p.cpu_topology:
        lines.append("%3d:    %4s     %4s     %4s" % (r.cpu, _cell(r.core), _cell(r.socket), _cell(r.node)))
    lines.append("%-23s:" % "numa_info")
    lines.append("node:    memsize    memfree    distances")
    free = dict(p.node_to_free_memory)
    for n, size in p.node_to_memory:
        dist = dict(p.node_distances)[n]
        lines.append("%4d:    %6s     %6s      %s" % (n, mib(size), mib(free[n]),
                                                      ",".join(str(d) for d in dist) if dist else "unknown"))
    for note in p.notes:
        lines.append("note: %s: %s" % (note.code, note.message))
    return "\n".join(lines) + "\n"


def _cell(v: Optional[int]) -> str:
    return "-" if v is None else str(v)
