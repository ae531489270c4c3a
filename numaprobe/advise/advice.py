"""From user input to a placement answer: sizes, the device's node, the expected memory split, JSON and text.

The CLI (cli/advise.py) only parses options and calls these; the decision itself is advise/search.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from numaprobe import SCHEMA_VERSION
from numaprobe.advise import emit
from numaprobe.advise.search import (MODES, Placement, PlacementInput, PlacementRequest, commit, decide, human_size)
from numaprobe.errors import InputError
from numaprobe.model.topology import Topology
from numaprobe.readers.cpumask import format_cpulist

_UNITS = {"": 0, "B": 0, "K": 10, "M": 20, "G": 30, "T": 40, "P": 50}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGTP]?)(I?B)?\s*$", re.IGNORECASE)
HUGEPAGE_SIZES = {"2M": 2 << 20, "1G": 1 << 30}
MAX_COUNT = 4096  # each domain is one search; more is a typo, not a plan


def parse_size(text: str) -> int:
    """'512M', '16G', '1T', '16GiB', '1.5G' -> bytes (binary units; a bare number is bytes)."""
    m = _SIZE.match(text or "")
    if not m:
        raise InputError("bad size %r: use a number with K, M, G or T (e.g. 512M, 16G, 16GiB)" % text)
    value = float(m.group(1)) * (1 << _UNITS[m.group(2).upper()])
    if value <= 0 or value != int(value):
        raise InputError("bad size %r: must be a positive whole number of bytes" % text)
    return int(value)


def parse_hugepages(text: Optional[str]) -> Optional[int]:
    if text is None:
        return None
    key = text.strip().upper().replace("IB", "").replace("B", "")
    if key not in HUGEPAGE_SIZES:
        raise InputError("bad --hugepages %r: use 2M or 1G" % text)
    return HUGEPAGE_SIZES[key]


def device_node(topology: Topology, address: str) -> Tuple[str, Optional[int]]:
    """The full PCI address and its NUMA node (None when the kernel reports none)."""
    want = address.strip().lower()
    if want.count(":") == 1:
        want = "0000:" + want
    for d in topology.devices:
        if d.address.lower() == want:
            return d.address, d.node
    raise InputError("no PCI device %s on this machine" % address)


def check_request(vcpus: int, memory_bytes: int, mode: str, count: int) -> None:
    if vcpus < 1:
        raise InputError("--vcpus must be at least 1")
    if mode not in MODES:
        raise InputError("bad --mode %r: use %s" % (mode, ", ".join(MODES)))
    if not 1 <= count <= MAX_COUNT:
        raise InputError("--count must be between 1 and %d" % MAX_COUNT)


def expected_split(inp: PlacementInput, placement: Placement) -> Dict[int, int]:
    """Bytes per node the domain is expected to get: the search's split (nearest first, or even for
    interleave) realised on numaprobe.sim's buddy allocator seeded with each node's free memory, asking each
    node for its share with exact-node extents of 4 MiB, 2 MiB, then 4 KiB (what a per-node binding does)."""
    if placement.chosen is None:
        return {}
    from numaprobe.sim.buddy import LINUX, BuddyAllocator, Chunk

    plan = {n: b for n, b in placement.chosen.bytes_by_node if b}
    if not plan:
        return {}
    page = LINUX.page_size
    chunks, base = [], 0
    for n in plan:
        free = memory_pool_bytes(inp, placement.request, n)
        span = -(-free // LINUX.top_block_bytes) * LINUX.top_block_bytes
        if free:
            chunks.append(Chunk(node=n, zone="Normal", start=base, end=base + free // page * page))
        base += span + LINUX.top_block_bytes
    heap = BuddyAllocator.from_chunks(chunks, LINUX, nodes=sorted(plan))
    got: Dict[int, int] = {}
    for n, want in plan.items():
        pages = -(-want // page)
        for order in (LINUX.top_order, 9, 0):
            for run in heap.alloc_extents(order, pages >> order, node=n, exact=True):
                got[run.node] = got.get(run.node, 0) + (run.count << run.order) * page
                pages -= run.count << run.order
    return got


def memory_pool_bytes(inp: PlacementInput, req: PlacementRequest, node: int) -> int:
    from numaprobe.advise.search import memory_pool

    return memory_pool(inp, req.hugepage_bytes)[inp.index(node)]


@dataclass(frozen=True)
class Advice:
    input: PlacementInput
    placements: Tuple[Placement, ...]
    inputs: Tuple[PlacementInput, ...]  # what each domain saw

    @property
    def feasible(self) -> bool:
        return all(p.feasible for p in self.placements)


def advise(inp: PlacementInput, req: PlacementRequest, count: int = 1) -> Advice:
    placements: List[Placement] = []
    seen: List[PlacementInput] = []
    cur = inp
    for _ in range(count):
        p = decide(cur, req)
        placements.append(p)
        seen.append(cur)
        cur = commit(cur, p)
    return Advice(inp, tuple(placements), tuple(seen))


def _request_json(req: PlacementRequest, count: int) -> dict:
    return {"vcpus": req.vcpus, "memory_bytes": req.memory_bytes, "hugepage_bytes": req.hugepage_bytes,
            "mode": req.mode, "device": req.device, "device_node": req.device_node, "count": count}


def _domain_json(inp: PlacementInput, p: Placement) -> dict:
    c = p.chosen
    placement = None
    if c is not None:
        placement = {"nodes": list(c.nodes), "cpu_nodes": list(c.cpu_nodes), "cpus": list(p.cpus), "cpuset": format_cpulist(p.cpus),
                     "pinning": list(p.pinning),
                     "bytes_by_node": {str(n): b for n, b in sorted(expected_split(inp, p).items())},
                     "distance_weighted": round(c.distance_weighted, 6), "score": _score_json(c)}
    return {"feasible": p.feasible, "placement": placement,
            "candidates": [{"nodes": list(r.nodes), "score": _score_json(r), "reason": r.reason,
                            "distance_weighted": round(r.distance_weighted, 6)} for r in p.candidates],
            "config": emit.all_configs(p, inp) if p.feasible else None,
            "notes": [{"code": n.code, "message": n.message} for n in p.notes], "missing": list(p.missing),
            "search": {"exact": p.exact, "evaluated": p.evaluated, "cost_source": inp.cost_source}}


def _score_json(c) -> dict:
    return {"nodes": len(c.nodes), "distance_weighted": round(c.distance_weighted, 6),
            "device_distance": round(c.device_distance, 6), "overcommit_vcpus": c.overcommit, "load_level": c.load_level,
            "hole_damage": round(c.hole_damage, 9)}


def to_json(advice: Advice) -> dict:
    req = advice.placements[0].request
    domains = [_domain_json(i, p) for i, p in zip(advice.inputs, advice.placements)]
    doc = {"schema_version": SCHEMA_VERSION, "request": _request_json(req, len(domains)),
           "feasible": advice.feasible}
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
            out.append(emit.libvirt_fragment(p))
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
    for k, (i, p) in enumerate(zip(advice.inputs, advice.placements)):
        if len(advice.placements) > 1:
            out.append("")
            out.append("domain %d:" % (k + 1))
        out += _placement_text(i, p)
    return "\n".join(out) + "\n"


def _placement_text(inp: PlacementInput, p: Placement) -> List[str]:
    c = p.chosen
    out = []
    if not p.feasible:
        out.append("infeasible: " + "; ".join(p.missing))
        out += ["note: " + n.message for n in p.notes]
        return out
    out.append("placement: nodes %s, CPUs %s (of nodes %s)" % (",".join(map(str, c.nodes)), format_cpulist(p.cpus),
                                                             ",".join(map(str, c.cpu_nodes))))
    split = expected_split(inp, p)
    out.append("  memory: " + ", ".join("node %d %s" % (n, human_size(b)) for n, b in sorted(split.items()) if b))
    out.append("  distance-weighted access: %.3f (1.000 = all local)" % c.distance_weighted)
    out.append("  pinning: " + " ".join("%d>%d" % (v, cpu) for v, cpu in enumerate(p.pinning)))
    if p.candidates:
        out.append("runners-up:")
        out += ["  nodes %-12s %.3f  %s" % (",".join(map(str, r.nodes)), r.distance_weighted, r.reason)
                for r in p.candidates]
    out += ["note: " + n.message for n in p.notes]
    cfg = emit.all_configs(p, inp)
    out.append("numactl: " + cfg["numactl"])
    for name in ("libvirt", "xl", "systemd"):
        out.append("%s:" % name)
        out += ["  " + line for line in cfg[name].splitlines()]
    return out


def sample_load(seconds: float) -> Dict[int, float]:
    """Busy CPUs' worth per CPU id over `seconds` (live host only; psutil reads /proc/stat twice)."""
    import psutil

    percents = psutil.cpu_percent(interval=seconds, percpu=True)
    return {cpu: pct / 100.0 for cpu, pct in enumerate(percents)}


def hmat_latency(root, topology: Topology) -> Optional[List[List[float]]]:
    """Node x node access (else read) latency in ns from the firmware's HMAT, in Topology.nodes order, or None.

    PXMs become node ids by Linux's acpi_numa_init() rule (analysis.crosscheck.predict_pxm_to_node). Pairs the
    table leaves out are estimated from the initiator's local latency scaled by the SLIT; a CPU node without a
    local latency means the table is not usable and the SLIT is used instead."""
    try:
        from numaprobe.acpi import load_numa_tables
        from numaprobe.analysis.crosscheck import predict_pxm_to_node
    except ImportError:
        return None
    tables = load_numa_tables(root)
    if tables.hmat is None or tables.srat is None:
        return None
    node_of = predict_pxm_to_node(tables.srat)
    ids = list(topology.node_ids)
    found: Dict[Tuple[int, int], float] = {}
    for want in (0, 1):  # access latency, then read latency (HMAT data types 0 and 1)
        for s in tables.hmat.of_type(1):
            if s.memory_hierarchy != 0 or s.data_type != want:
                continue
            for a, pi in enumerate(s.initiators):
                for b, pt in enumerate(s.targets):
                    v = s.converted[a][b]
                    i, j = node_of.get(pi), node_of.get(pt)
                    if v and i in ids and j in ids:
                        found.setdefault((i, j), float(v))
        if found:
            break
    if not found:
        return None
    out = []
    for i in ids:
        local = found.get((i, i))
        if local is None:
            if topology.node(i).cpus:
                return None
            local = min(found.values())
        row = []
        for j in ids:
            slit = topology.distance(i, j) or (10 if i == j else 20)
            row.append(found.get((i, j), local * slit / 10.0))
        out.append(row)
    return out


def input_from_root(root, topology: Topology, sample_seconds: Optional[float] = None) -> PlacementInput:
    """The decision's input for a machine: its topology, the CPUs confined processes hold, sampled load, and
    HMAT latencies instead of the SLIT when the firmware gives them."""
    from numaprobe.advise.search import placement_input
    from numaprobe.readers.procs import committed_cpus, read_confined_processes

    online = [c.id for c in topology.online_cpus]
    committed = committed_cpus(read_confined_processes(root, None))
    load_by_node = None
    if sample_seconds:
        per_cpu = sample_load(sample_seconds)
        load_by_node = {n.id: sum(per_cpu.get(c, 0.0) for c in n.cpus) for n in topology.nodes}
    return placement_input(topology, committed_cpus=[c for c in committed if c in set(online)],
                           load_by_node=load_by_node, latency=hmat_latency(root, topology))


def dumps(doc: dict) -> str:
    import json

    return json.dumps(doc, indent=2) + "\n"
