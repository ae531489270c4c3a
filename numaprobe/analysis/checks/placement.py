"""Where the kernel put CPUs and memory against where SRAT says they are, on the real nodes."""

from __future__ import annotations

from collections import Counter
from typing import Dict, List, Optional, Tuple

from numaprobe.analysis.checks.base import COVERAGE_SLACK, ERROR, INFO, Finding, fmt_ids, fmt_range, fmt_size
from numaprobe.analysis.checks.context import CheckContext, memory_ranges
from numaprobe.codes import (CPU_ENTRIES_UNMATCHED, CPU_NODE_MISMATCH, CPU_NOT_IN_SRAT, HOTPLUG_RANGE,
                             MEMORY_NODE_MISMATCH, MEMORY_NOT_COVERED, PXM_NODE_MAP)
from numaprobe.model.machine import MemBlock
from numaprobe.ranges import merge_ranges, subtract_ranges


def check_pxm_node_map(predicted: Dict[int, int], observed: Dict[int, int], how: str) -> List[Finding]:
    wrong = sorted(p for p in observed if predicted.get(p) != observed[p])
    if not wrong:
        return []
    pairs = ", ".join("PXM %d -> node %s (kernel: node %d)" % (p, predicted.get(p, "none"), observed[p])
                      for p in wrong)
    return [Finding(PXM_NODE_MAP, ERROR,
                    "SRAT read by Linux's rules gives %s, but the kernel's map (from %s) differs: tools that "
                    "number nodes from SRAT will place work on the wrong node" % (pairs, how),
                    nodes=tuple(sorted({observed[p] for p in wrong})))]


def run_pxm_node_map(ctx: CheckContext) -> List[Finding]:
    return check_pxm_node_map(ctx.predicted, ctx.observed, ctx.observed_how)


def run_cpus(ctx: CheckContext) -> List[Finding]:
    if ctx.cpu_unmatched is not None:
        return [Finding(CPU_ENTRIES_UNMATCHED, INFO, "CPU placement not checked: " + ctx.cpu_unmatched)]
    known = {c.id: c for c in ctx.topo.online_cpus if c.id in ctx.cpu_ids}
    out: List[Finding] = []
    missing = sorted(c for c in known if c not in ctx.cpu_pxm)
    if missing:
        out.append(Finding(CPU_NOT_IN_SRAT, ERROR,
                           "online CPU(s) %s (%s) have no enabled SRAT entry: the kernel put them on a node by "
                           "guesswork, so their memory locality is unknown"
                           % (fmt_ids(missing), ", ".join(ctx.cpu_ids[c] for c in missing)),
                           nodes=tuple(sorted({known[c].node for c in missing if known[c].node is not None})),
                           cpus=tuple(missing)))
    by_pair: Dict[Tuple[int, int], List[int]] = {}
    for cpu, pxm in sorted(ctx.cpu_pxm.items()):
        want = ctx.pxm_node.get(pxm)
        have = known[cpu].node if cpu in known else None
        real = ctx.real_node(have)
        if want is not None and real != want and not (have is not None and real is None):
            by_pair.setdefault((want, have if have is not None else -1), []).append(cpu)
    for (want, have), cpus in sorted(by_pair.items(), key=lambda kv: kv[1][0]):
        out.append(Finding(CPU_NODE_MISMATCH, ERROR,
                           "CPU(s) %s sit in node %s but SRAT puts them in node %d (PXM %d): threads pinned by "
                           "node run remote from their memory" % (fmt_ids(cpus), have if have >= 0 else "none",
                                                                  want, ctx.cpu_pxm[cpus[0]]),
                           nodes=tuple(sorted({want} | ({have} if have >= 0 else set()))), cpus=tuple(cpus)))
    return out


def run_memory_coverage(ctx: CheckContext) -> List[Finding]:
    memory = ctx.memory
    covered = [r for r, _, _ in memory_ranges(ctx.srat)]
    if memory.ram_source == "memory-blocks":
        # A block spans firmware holes (the 640K-1M hole sits in block 0): only a block that no SRAT range
        # touches is known to hold uncovered RAM.
        uncovered = merge_ranges(r for r in memory.ram if not any(s < r[1] and e > r[0] for s, e in covered))
    else:
        uncovered = subtract_ranges(memory.ram, covered)
    total = sum(e - s for s, e in uncovered)
    where = ", ".join(fmt_range(r) for r in uncovered)
    if total > COVERAGE_SLACK:
        return [Finding(MEMORY_NOT_COVERED, ERROR,
                        "%s of RAM (%s) lies outside every enabled SRAT memory range: %s; Linux 6.8+ refuses "
                        "such an SRAT, older kernels give that memory to an arbitrary node"
                        % (fmt_size(total), memory.ram_source_label, where), ranges=uncovered)]
    if total:
        return [Finding(MEMORY_NOT_COVERED, INFO,
                        "%s of RAM (%s) is outside SRAT memory ranges (%s); Linux tolerates up to 1 MiB"
                        % (fmt_size(total), memory.ram_source_label, where), ranges=uncovered)]
    return []


def run_memory_placement(ctx: CheckContext) -> List[Finding]:
    ranges = memory_ranges(ctx.srat)
    wrong: Dict[Tuple[int, int], List[MemBlock]] = {}
    for b in ctx.memory.blocks:
        real = ctx.real_node(b.node)
        if not b.online or real is None:
            continue
        over = [(pxm, hot) for (s, e), pxm, hot in ranges if s < b.end and e > b.start and pxm in ctx.pxm_node]
        want = {ctx.pxm_node[pxm] for pxm, _ in over}
        if all(hot for _, hot in over):
            # Hot-added memory (a DIMM) takes its node from the memory device's _PXM, which may differ from the
            # SRAT hotplug range around it (QEMU's pc-dimm node=); hotplug-range reports where it went.
            continue
        if want and real not in want:
            wrong.setdefault((min(want), b.node), []).append(b)
    out: List[Finding] = []
    for (want, have), blocks in sorted(wrong.items()):
        rs = merge_ranges((b.start, b.end) for b in blocks)
        out.append(Finding(MEMORY_NODE_MISMATCH, ERROR,
                           "memory %s is in node %d but SRAT puts it in node %d: allocations bound to node %d get "
                           "remote memory" % (", ".join(fmt_range(r) for r in rs), have, want, have),
                           nodes=(min(want, have), max(want, have)), ranges=rs))
    return out


def run_hotplug(ctx: CheckContext) -> List[Finding]:
    out: List[Finding] = []
    blocks = ctx.memory.online_blocks()
    for r, pxm, hot in memory_ranges(ctx.srat):
        if not hot:
            continue
        per_node: Counter = Counter()
        online = 0
        for b in blocks:
            if b.start < r[1] and b.end > r[0]:
                size = min(b.end, r[1]) - max(b.start, r[0])
                online += size
                if b.node is not None:
                    per_node[b.node] += size
        node: Optional[int] = ctx.pxm_node.get(pxm)
        where = " (the node may exist only in node/possible)"
        if online:
            where = " (%s)" % ", ".join("%s in node %d" % (fmt_size(v), k) for k, v in sorted(per_node.items()))
            where = where if per_node else ""
        out.append(Finding(HOTPLUG_RANGE, INFO,
                           "SRAT range %s (PXM %d, node %s) is hot-pluggable; %s of it is online%s"
                           % (fmt_range(r), pxm, node if node is not None else "none",
                              fmt_size(online) if online else "none", where),
                           nodes=tuple(sorted(({node} if node is not None else set()) | set(per_node))),
                           ranges=(r,)))
    return out
