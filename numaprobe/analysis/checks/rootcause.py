"""Root causes: the kernel did not use the firmware's NUMA description, so comparing the two blames symptoms.

- numa=off (x86 numa_setup(), drivers/base/arch_numa.c numa_parse_early_param(): any value starting with "off")
  makes the kernel skip SRAT and run one dummy node (`NUMA turned off` / `NUMA: NUMA disabled`, then `Faking a
  node at`). x86 numa=noacpi (disable_srat()) skips SRAT alone.
- numa=fake=... (x86 numa_emulation(), mm/numa_emulation.c in 6.12) splits the real nodes into emulated ones
  after SRAT was read: `Faking node N at [mem ...]`. The firmware is still the truth for the real nodes, so the
  comparisons are rebased on them (each emulated node's real node is where its memory lies in SRAT).
- the kernel discarding SRAT on its own: bad_srat() `SRAT: SRAT not used.`, the coverage checks (x86
  numa_meminfo_cover_memory() up to 6.7, memblock_validate_numa_coverage() from 6.8, arch_numa.c
  numa_register_nodes() `invalid memblk node`), overlapping nodes, and the dummy node that follows a failed
  numa_init() (`No NUMA configuration found`, `Faking a node at`) while SRAT describes several domains.
The message texts and where they come from: numaprobe/readers/dmesg.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional, Tuple

from numaprobe.analysis.checks.base import ERROR, INFO, WARNING, Finding, fmt_ids, fmt_range
from numaprobe.codes import KERNEL_FAKE_NUMA, KERNEL_NUMA_OFF, SRAT_REJECTED
from numaprobe.model.machine import KernelView
from numaprobe.ranges import Range


@dataclass(frozen=True)
class Rejection:
    reason: str
    ranges: Tuple[Range, ...] = ()


@dataclass(frozen=True)
class FakeNuma:
    spec: str  # the command-line option, e.g. "numa=fake=4" ("numa=fake" when only dmesg shows it)
    kernel_to_real: Dict[int, int]  # emulated node -> real node (Linux's numbering of SRAT)
    how: str


def _numa_option(cmdline: str, prefix: str) -> Optional[str]:
    # The kernel compares prefixes (strncmp / str_has_prefix), so "numa=offline" is numa=off to it too.
    for word in cmdline.split():
        if word.startswith("numa=" + prefix):
            return word
    return None


def detect_numa_off(kernel: KernelView, domains: Tuple[int, ...], no_node_dir: bool = False) -> Optional[str]:
    """Why the kernel did not use SRAT by request (or could not: built without NUMA), when SRAT describes more
    than one proximity domain."""
    if len(domains) < 2:
        return None
    if no_node_dir:
        return "the kernel has no sys/devices/system/node, so it was built without NUMA (CONFIG_NUMA=n)"
    off = _numa_option(kernel.cmdline, "off")
    if off:
        return "%s is on the kernel command line" % off
    if kernel.dmesg is not None and kernel.dmesg.numa_off:
        return "the kernel says NUMA was turned off (numa=off)"
    noacpi = _numa_option(kernel.cmdline, "noacpi")
    if noacpi:
        return "%s is on the kernel command line: the kernel ignores SRAT" % noacpi
    return None


def detect_fake(kernel: KernelView) -> Optional[str]:
    spec = _numa_option(kernel.cmdline, "fake")
    if spec:
        return spec
    if kernel.fake_numa_cmdline or (kernel.dmesg is not None and kernel.dmesg.fake_numa):
        return "numa=fake"
    return None


def detect_rejection(srat, domains: Tuple[int, ...], nodes: Tuple[int, ...], kernel: KernelView,
                     numa_off: Optional[str], fake: Optional[str]) -> Optional[Rejection]:
    if srat is None or numa_off is not None:
        return None
    dmesg = kernel.dmesg
    if dmesg is not None and dmesg.rejection:
        then = " and fell back to one dummy node (%s)" % "; ".join("'%s'" % r for r in dmesg.fallback) \
            if dmesg.fallback else ""
        return Rejection("the kernel printed %s%s" % ("; ".join("'%s'" % r for r in dmesg.rejection), then),
                         dmesg.uncovered)
    if dmesg is not None and dmesg.fallback and len(domains) > 1:
        return Rejection("the kernel found no usable NUMA configuration in it and made one dummy node (%s)"
                         % "; ".join("'%s'" % r for r in dmesg.fallback))
    if dmesg is None and len(domains) > 1 and len(nodes) == 1 and fake is None:
        return Rejection("the kernel runs one node although SRAT describes %d proximity domains, and its command "
                         "line does not switch NUMA off (no dmesg was captured to say why)" % len(domains))
    return None


def fake_node_map(fake_nodes, mem_ranges, blocks, real_map: Dict[int, int]) -> Tuple[Dict[int, int], str]:
    """Emulated node -> real node: where most of its memory lies in SRAT (dmesg's `Faking node N at [mem]` lines,
    else its memory blocks)."""
    votes: Dict[int, Dict[int, int]] = {}
    spans = [(n, s, e) for n, s, e in fake_nodes]
    how = "dmesg's 'Faking node' lines"
    if not spans:
        spans = [(b.node, b.start, b.end) for b in blocks if b.online and b.node is not None]
        how = "the memory blocks"
    for node, s, e in spans:
        for (rs, re_), pxm, _hot in mem_ranges:
            overlap = min(e, re_) - max(s, rs)
            if overlap > 0 and pxm in real_map:
                v = votes.setdefault(node, {})
                v[real_map[pxm]] = v.get(real_map[pxm], 0) + overlap
    return {n: max(v, key=v.get) for n, v in votes.items()}, how


def root_findings(ctx) -> Tuple[Optional[Finding], Optional[Finding]]:
    """(the root cause that makes the kernel's nodes unrelated to SRAT, the numa=fake one), either may be None."""
    nodes = ctx.topo.node_ids
    main = None
    if ctx.numa_off is not None:
        main = Finding(KERNEL_NUMA_OFF, WARNING,
                       "NUMA is switched off: %s, while the firmware's SRAT describes %d proximity domains; the "
                       "kernel runs one node, so every thread and allocation ignores the machine's NUMA layout"
                       % (ctx.numa_off, len(ctx.domains)), nodes=nodes)
    elif ctx.rejection is not None:
        main = Finding(SRAT_REJECTED, ERROR,
                       "the kernel discarded the SRAT (%d proximity domains): %s; its nodes do not come from the "
                       "firmware, so placement by node follows nothing real" % (len(ctx.domains), ctx.rejection.reason),
                       nodes=nodes, ranges=ctx.rejection.ranges)
    fake = None
    if ctx.fake is not None:
        fake = Finding(KERNEL_FAKE_NUMA, INFO, _fake_message(ctx), nodes=nodes)
    return main, fake


def _fake_message(ctx) -> str:
    fake = ctx.fake
    if not fake.kernel_to_real:
        return ("%s: the kernel's %d node(s) are emulated%s; they say nothing about the hardware"
                % (fake.spec, len(ctx.topo.node_ids), "" if ctx.srat is not None else " and there is no SRAT"))
    by_real: Dict[int, list] = {}
    for k, r in sorted(fake.kernel_to_real.items()):
        by_real.setdefault(r, []).append(k)
    parts = ", ".join("node(s) %s on real node %d (PXM %s)" % (fmt_ids(ks), r, ctx.node_pxm.get(r, "?"))
                      for r, ks in sorted(by_real.items()))
    return ("%s: the kernel's %d nodes are emulated on %d real one(s) (%s, from %s); CPU, memory and distance "
            "checks compare the real nodes" % (fake.spec, len(ctx.topo.node_ids), len(by_real), parts, fake.how))


def attach(root: Finding, held) -> Finding:
    """The root cause with its consequences; the ranges of a memory-not-covered consequence when it had none."""
    from dataclasses import replace

    ranges = root.ranges
    if not ranges:
        ranges = tuple(r for f in held if f.code == "memory-not-covered" for r in f.ranges)
        if ranges and root.code == SRAT_REJECTED and "uncovered" not in root.message:
            root = replace(root, message=root.message + "; RAM outside SRAT: " +
                           ", ".join(fmt_range(r) for r in ranges))
    return replace(root, ranges=ranges, consequences=root.consequences + tuple(held))

