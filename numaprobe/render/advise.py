"""Render `advise` answers: the versioned JSON document (docs/json.md), text for people, and the bare config
formats (numactl, libvirt, xl, systemd) that --format prints."""

from __future__ import annotations

from typing import Dict, List

from numaprobe import SCHEMA_VERSION
from numaprobe.advise import emit, libvirt
from numaprobe.advise.advice import Advice
from numaprobe.advise.types import Placement, PlacementInput, PlacementRequest
from numaprobe.readers.cpumask import format_cpulist
from numaprobe.units import human_size


def _request_json(req: PlacementRequest, count: int) -> dict:
    return {"vcpus": req.vcpus, "memory_bytes": req.memory_bytes, "hugepage_bytes": req.hugepage_bytes,
            "mode": req.mode, "device": req.device, "device_node": req.device_node, "count": count}


def _domain_json(inp: PlacementInput, p: Placement, split: Dict[int, int], version) -> dict:
    c = p.chosen
    placement = None
    if c is not None:
        placement = {"nodes": list(c.nodes), "cpu_nodes": list(c.cpu_nodes), "cpus": list(p.cpus), "cpuset": format_cpulist(p.cpus),
                     "pinning": list(p.pinning), "vcpus_by_node": {str(n): v for n, v in c.vcpus_by_node},
                     "bytes_by_node": {str(n): b for n, b in sorted(split.items())},
                     "distance_weighted": round(c.distance_weighted, 6), "score": _score_json(c)}
    return {"feasible": p.feasible, "placement": placement,
            "candidates": [{"nodes": list(r.nodes), "score": _score_json(r), "reason": r.reason,
                            "distance_weighted": round(r.distance_weighted, 6)} for r in p.candidates],
            "config": emit.all_configs(p, inp, version) if p.feasible else None,
            "notes": [{"code": n.code, "message": n.message} for n in p.notes], "missing": list(p.missing),
            "search": {"exact": p.exact, "evaluated": p.evaluated, "cost_source": inp.cost_source}}


def _score_json(c) -> dict:
    return {"nodes": len(c.nodes), "distance_weighted": round(c.distance_weighted, 6),
            "device_distance": round(c.device_distance, 6), "overcommit_vcpus": c.overcommit, "load_level": c.load_level,
            "hole_damage": round(c.hole_damage, 9)}


def host_json(inp: PlacementInput) -> dict:
    """What the decision saw per node: usable memory and how it was reckoned, and what the search may not use."""
    excluded = dict(inp.excluded)
    nodes = []
    for i, n in enumerate(inp.node_ids):
        row = {"id": n, "cpus": list(inp.cpus[i]), "usable_bytes": inp.free_bytes[i],
               "excluded": excluded.get(n), "slow_tier": n in inp.slow_tier}
        if inp.capacity:
            row.update(inp.capacity[i].to_json())
            row["usable_bytes"] = inp.free_bytes[i]
        row["free_hugepages"] = {str(size): free[i] for size, free in inp.free_hugepages}
        nodes.append(row)
    return {"headroom": inp.headroom_source, "limits": inp.limits_source, "nodes": nodes}


def to_json(advice: Advice) -> dict:
    req = advice.placements[0].request
    domains = [_domain_json(i, p, s, advice.libvirt_version)
               for i, p, s in zip(advice.inputs, advice.placements, advice.splits)]
    doc = {"schema_version": SCHEMA_VERSION, "request": _request_json(req, len(domains)),
           "feasible": advice.feasible, "host": host_json(advice.input),
           "libvirt_version": "%d.%d" % advice.libvirt_version}
    first = dict(domains[0])
    first.pop("feasible")
    doc.update(first)
    doc["domains"] = domains
    return doc


def config_text(advice: Advice, fmt: str) -> str:
    out = []
    for k, (inp, p) in enumerate(zip(advice.inputs, advice.placements)):
        if not p.feasible:
            continue
        if len(advice.placements) > 1:
            out.append(("<!-- domain %d -->" if fmt == "libvirt" else "# domain %d") % (k + 1))
        if fmt == "numactl":
            out.append(emit.numactl_command(p))
        elif fmt == "libvirt":
            out.append(libvirt.libvirt_fragment(p, inp, advice.libvirt_version))
        elif fmt == "xl":
            out.append(emit.xl_fragment(p, inp))
        else:
            out.append(emit.systemd_properties(p))
    return "\n".join(out) + "\n"


def explain_infeasible(advice: Advice) -> str:
    lines = []
    for k, p in enumerate(advice.placements):
        if p.feasible:
            continue
        lines.append("domain %d cannot be placed: %s" % (k + 1, "; ".join(p.missing)))
        lines += ["  " + n.message for n in p.notes if n.code == "partial-option"]
    return "\n".join(lines)


def to_text(advice: Advice) -> str:
    inp = advice.input
    req = advice.placements[0].request
    out = ["request: %d vCPUs, %s%s, mode %s%s" % (
        req.vcpus, human_size(req.memory_bytes), " in %s huge pages" % human_size(req.hugepage_bytes)
        if req.hugepage_bytes else "", req.mode,
        ", device %s (node %s)" % (req.device, req.device_node) if req.device else ""),
        "host: %d nodes, %d CPUs, %s free, distances from %s" % (
            len(inp.node_ids), sum(len(c) for c in inp.cpus), human_size(sum(inp.free_bytes)), inp.cost_source)]
    out += _usable_text(inp)
    for k, (i, p, split) in enumerate(zip(advice.inputs, advice.placements, advice.splits)):
        if len(advice.placements) > 1:
            out.append("")
            out.append("domain %d:" % (k + 1))
        out += _placement_text(i, p, split, advice.libvirt_version)
    return "\n".join(out) + "\n"


def _usable_text(inp: PlacementInput) -> List[str]:
    excluded = dict(inp.excluded)
    parts = []
    for i, n in enumerate(inp.node_ids):
        if n in excluded:
            continue
        tier = " (slower tier)" if n in inp.slow_tier else ""
        parts.append("node %d %s%s" % (n, human_size(inp.free_bytes[i]), tier))
    out = ["usable memory (MemFree + reclaimable - headroom: %s): %s" % (inp.headroom_source or "none",
                                                                         ", ".join(parts) or "none")]
    if inp.limits_source != "whole machine":
        out.append("limited to %s: CPUs %s" % (inp.limits_source, format_cpulist([c for cs in inp.cpus for c in cs])))
    out += ["not used: node %d, %s" % (n, why) for n, why in inp.excluded]
    return out


def _placement_text(inp: PlacementInput, p: Placement, split: Dict[int, int], version) -> List[str]:
    c = p.chosen
    out = []
    if not p.feasible:
        out.append("infeasible: " + "; ".join(p.missing))
        out += ["note: " + n.message for n in p.notes]
        return out
    out.append("placement: nodes %s, CPUs %s (of nodes %s)" % (",".join(map(str, c.nodes)), format_cpulist(p.cpus),
                                                             ",".join(map(str, c.cpu_nodes))))
    out.append("  memory: " + ", ".join("node %d %s" % (n, human_size(b)) for n, b in sorted(split.items()) if b))
    out.append("  distance-weighted access: %.3f (1.000 = all local)" % c.distance_weighted)
    out.append("  pinning: " + " ".join("%d>%d" % (v, cpu) for v, cpu in enumerate(p.pinning)))
    if p.candidates:
        out.append("runners-up:")
        out += ["  nodes %-12s %.3f  %s" % (",".join(map(str, r.nodes)), r.distance_weighted, r.reason)
                for r in p.candidates]
    out += ["note: " + n.message for n in p.notes]
    cfg = emit.all_configs(p, inp, version)
    for name in ("numactl", "libvirt", "xl", "systemd"):
        out.append("%s:" % name)
        out += ["  " + line for line in cfg[name].splitlines()]
    return out
