"""Render `simulate`: per domain where its memory landed, then the heap left (in numastat's nodes[] form)."""

from __future__ import annotations

from typing import Any, Dict, List, Sequence

from numaprobe import SCHEMA_VERSION
from numaprobe.notes import Note
from numaprobe.sim.buddy import BuddyAllocator
from numaprobe.sim.populate import Placement

MiB = float(1 << 20)


def heap_json(alloc: BuddyAllocator) -> List[Dict[str, Any]]:
    ps = alloc.config.page_size
    out = []
    for n in alloc.nodes:
        zones = []
        total = 0
        for z in alloc.zones_of(n):
            total += alloc.seeded_pages(n, z) * ps
            zones.append({"name": z, "free_blocks": list(alloc.free_counts(n, z)),
                          "free_bytes": alloc.free_pages(n, z) * ps})
        c = alloc.counters(n)
        out.append({
            "id": n, "memory_total_bytes": total, "memory_free_bytes": alloc.free_pages(n) * ps, "zones": zones,
            "hugepages": [],
            "counters": {"numa_hit": c.numa_hit, "numa_miss": c.numa_miss, "numa_foreign": c.numa_foreign,
                         "interleave_hit": c.interleave_hit, "local_node": c.local_node,
                         "other_node": c.other_node},
        })
    return out


def partial_notes(placements: Sequence[Placement]) -> List[Note]:
    """One `partial-placement` note per domain the heap could not hold whole (the run then exits 1)."""
    return [Note("partial-placement", "%s: only %.0f of %.0f MiB placed"
                 % (p.name, p.bytes_placed / MiB, p.bytes_requested / MiB)) for p in placements if not p.complete]


def to_json(alloc: BuddyAllocator, seed: str, placements: Sequence[Placement], notes: Sequence[Note]) -> Dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "seed": seed,
        "page_size": alloc.config.page_size,
        "top_order": alloc.top,
        "synthetic_addresses": alloc.synthetic,
        "domains": [{
            "name": p.name, "policy": p.policy, "nodes_requested": list(p.nodes_requested),
            "vcpu_nodes": list(p.vcpu_nodes), "bytes_requested": p.bytes_requested, "bytes_placed": p.bytes_placed,
            "complete": p.complete, "bytes_by_node": {str(n): b for n, b in p.bytes_by_node},
            "extents_by_order": {str(o): c for o, c in p.extents_by_order},
            "local_fraction": round(p.local_fraction, 6), "distance_weighted": round(p.distance_weighted, 6),
        } for p in placements],
        "heap": heap_json(alloc),
        "complete": all(p.complete for p in placements),
        "notes": [{"code": n.code, "message": n.message} for n in list(notes) + partial_notes(placements)],
    }


def to_text(alloc: BuddyAllocator, seed: str, placements: Sequence[Placement], notes: Sequence[Note]) -> str:
    ps = alloc.config.page_size
    lines = ["Heap seeded from %s (top order %d%s)." % (
        "the firmware memory map" if seed == "firmware" else "live free lists (buddyinfo)", alloc.top,
        ", synthetic addresses" if alloc.synthetic else "")]
    header = "%-16s%-11s%-10s" % ("domain", "policy", "nodes") + "".join(
        "%12s" % ("node %d MB" % n) for n in alloc.nodes) + "%9s%10s" % ("local", "dist/10")
    lines += ["", header]
    for p in placements:
        by = dict(p.bytes_by_node)
        lines.append("%-16s%-11s%-10s" % (p.name[:15], p.policy, "+".join(str(n) for n in p.nodes_requested))
                     + "".join("%12.0f" % (by.get(n, 0) / MiB) for n in alloc.nodes)
                     + "%8.1f%%%10.3f" % (100 * p.local_fraction, p.distance_weighted))
    lines += ["", "Heap left per node, zone and order (free blocks):"]
    width = alloc.top + 1
    lines.append("%-18s" % "node zone" + "".join("%6d" % o for o in range(width)) + "%12s" % "free MB")
    for n in alloc.nodes:
        for z in alloc.zones_of(n):
            lines.append("%-18s" % ("%d %s" % (n, z)) + "".join("%6d" % c for c in alloc.free_counts(n, z))
                         + "%12.2f" % (alloc.free_pages(n, z) * ps / MiB))
    for note in list(notes) + partial_notes(placements):
        lines.append("note: %s" % note.message)
    return "\n".join(lines) + "\n"
