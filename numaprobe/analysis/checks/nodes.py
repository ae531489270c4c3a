"""Checks of the tables alone and of the kernel's nodes as such."""

from __future__ import annotations

from typing import List

from numaprobe.analysis.checks.base import INFO, WARNING, Finding, fmt_ids, fmt_range
from numaprobe.analysis.checks.context import CheckContext
from numaprobe.codes import (CPULESS_NODE, DISABLED_ENTRY_DATA, MEMORYLESS_NODE, NODE_WITHOUT_SRAT, SRAT_ABSENT,
                             TABLE_CHECKSUM, TABLES_UNREADABLE)


def run_unreadable(ctx: CheckContext) -> List[Finding]:
    return [Finding(TABLES_UNREADABLE, INFO, "%s; the checks that need it were skipped" % n.message)
            for n in ctx.tables.notes if n.code in ("acpi-table-unreadable", "acpi-table-undecodable")]


def run_checksums(ctx: CheckContext) -> List[Finding]:
    out: List[Finding] = []
    for sig, t in (("SRAT", ctx.srat), ("SLIT", ctx.slit), ("HMAT", ctx.hmat)):
        if t is not None and not t.header.checksum_ok:
            out.append(Finding(TABLE_CHECKSUM, WARNING,
                               "%s checksum is 0x%02X, should be 0x%02X: Linux only warns and uses the table, but "
                               "the firmware may have edited it after building it"
                               % (sig, t.header.checksum, t.header.checksum_expected)))
    return out


def run_srat_absent(ctx: CheckContext) -> List[Finding]:
    return [Finding(SRAT_ABSENT, WARNING,
                    "the kernel shows %d NUMA nodes but the ACPI firmware has no SRAT: node boundaries come from "
                    "elsewhere and cannot be checked" % len(ctx.topo.nodes), nodes=ctx.topo.node_ids)]


def run_disabled_entries(ctx: CheckContext) -> List[Finding]:
    out: List[Finding] = []
    for e in ctx.srat.memory:
        if not e.enabled and (e.base_address or e.range_length):
            r = (e.base_address, e.base_address + e.range_length)
            out.append(Finding(DISABLED_ENTRY_DATA, INFO,
                               "SRAT memory entry at offset 0x%X is disabled but carries PXM %d %s: Linux ignores "
                               "it; tools that read SRAT without the enabled bit would invent memory"
                               % (e.offset, e.proximity_domain, fmt_range(r)), ranges=(r,)))
    for e in ctx.srat.of_role("initiator"):
        if not e.enabled and e.proximity_domain:
            out.append(Finding(DISABLED_ENTRY_DATA, INFO,
                               "SRAT generic initiator entry at offset 0x%X is disabled but names PXM %d; Linux "
                               "stops reading CPU entries after it" % (e.offset, e.proximity_domain)))
    return out


def run_node_kinds(ctx: CheckContext) -> List[Finding]:
    out: List[Finding] = []
    for n in ctx.topo.nodes:
        if not n.has_cpu and n.has_memory:
            out.append(Finding(CPULESS_NODE, INFO, "node %d has memory but no online CPU: nothing runs local to "
                               "it; Xen and libxl never pick it for a domain" % n.id, nodes=(n.id,)))
        elif not n.has_memory and n.has_cpu:
            out.append(Finding(MEMORYLESS_NODE, INFO, "node %d has CPUs %s but no memory: their allocations "
                               "always come from another node" % (n.id, fmt_ids(n.cpus)), nodes=(n.id,),
                               cpus=n.cpus))
        elif not n.has_memory and not n.has_cpu:
            out.append(Finding(MEMORYLESS_NODE, INFO, "node %d has neither memory nor online CPUs" % n.id,
                               nodes=(n.id,)))
    return out


def run_node_backing(ctx: CheckContext) -> List[Finding]:
    topo = ctx.topo
    if ctx.srat is not None:
        backed = {n for n in topo.node_ids if ctx.real_node(n) in set(ctx.pxm_node.values())}
        extra = [n for n in topo.node_ids if n not in backed]
        if not extra:
            return []
        return [Finding(NODE_WITHOUT_SRAT, INFO if ctx.fake is not None else WARNING,
                        "node(s) %s match no SRAT proximity domain%s" % (
                            fmt_ids(extra), " (numa=fake emulates nodes)" if ctx.fake is not None else
                            ": their CPU and memory placement has no firmware backing"), nodes=tuple(extra))]
    if len(topo.nodes) < 2:
        return []
    if not ctx.kernel.acpi_present:
        why = ("no ACPI tables: NUMA comes from the device tree or another firmware interface (or the capture left "
               "sys/firmware out)")
    elif ctx.fake is not None:
        why = "no SRAT: the nodes are emulated by numa=fake and say nothing about the hardware"
    else:
        why = "no SRAT: the kernel found NUMA elsewhere (AMD northbridge registers, numa=fake)"
    return [Finding(NODE_WITHOUT_SRAT, INFO, "node(s) %s: %s" % (fmt_ids(topo.node_ids), why),
                    nodes=topo.node_ids)]
