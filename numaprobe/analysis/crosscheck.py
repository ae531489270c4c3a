"""Cross-check the firmware's NUMA tables (SRAT, SLIT, HMAT) against what the kernel made of them.

Pure functions of a model.machine.Machine: ``crosscheck(machine)`` -> findings.

How Linux reads the tables (../shared/notes/acpi/linux-srat.md): node ids are dense and given in order of first
appearance, enabled CPU and generic-initiator entries first (table order), then enabled memory entries; disabled
entries are skipped; SLIT is used only when its diagonal is 10 and every other entry > 10, else every distance is
10 (local) / 20 (remote).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from numaprobe.analysis.pxm import pxm_to_node
from numaprobe.model.machine import KernelView, Machine, MemBlock, MemoryMap
from numaprobe.model.topology import Topology
from numaprobe.ranges import Range, merge_ranges, subtract_ranges
from numaprobe.readers.cpumask import format_cpulist

ERROR = "error"
WARNING = "warning"
INFO = "info"
SEVERITIES = (ERROR, WARNING, INFO)

LOCAL_DISTANCE = 10
REMOTE_DISTANCE = 20
UNREACHABLE = 0xFF
MiB = 1 << 20
# Linux 6.12 memblock_validate_numa_coverage(SZ_1M): up to 1 MiB of RAM without a node is tolerated.
COVERAGE_SLACK = MiB


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str  # error | warning | info
    message: str
    nodes: Tuple[int, ...] = ()
    cpus: Tuple[int, ...] = ()
    ranges: Tuple[Range, ...] = ()

    def to_json(self) -> dict:
        return {"code": self.code, "severity": self.severity, "message": self.message, "nodes": list(self.nodes),
                "cpus": list(self.cpus), "ranges": [{"start": s, "end": e} for s, e in self.ranges]}


# -- small helpers ---------------------------------------------------------------------------------------------

def _fmt(ids: Iterable[int]) -> str:
    return format_cpulist(sorted(set(ids))) or "none"


def _rng(r: Range) -> str:
    return "[mem %#010x-%#010x]" % (r[0], r[1] - 1)


def _size(n: int) -> str:
    return "%d MiB" % (n // MiB) if n >= MiB else "%d KiB" % (n // 1024)


def _enabled_memory(srat) -> list:
    return [e for e in srat.memory if e.enabled and e.range_length > 0]


def _cpu_entry_id(e) -> Optional[int]:
    """The id an x86 CPU entry names (APIC or x2APIC id); None for GICC/RINTC (matched through MADT, not here)."""
    if e.type == 0:
        return e.apic_id
    if e.type == 2:
        return e.x2apic_id
    return None


# -- the PXM -> node map -----------------------------------------------------------------------------------------

def predict_pxm_to_node(srat) -> Dict[int, int]:
    """The PXM -> node map Linux makes of this SRAT (analysis.pxm)."""
    return pxm_to_node(srat.entries)


def _cpu_pxm(srat, topo: Topology) -> Dict[int, int]:
    """Online CPU id -> PXM of the enabled SRAT entry naming its APIC id."""
    by_id: Dict[int, int] = {}
    for e in srat.cpus:
        ident = _cpu_entry_id(e)
        if e.enabled and ident is not None:
            by_id.setdefault(ident, e.proximity_domain)
    return {c.id: by_id[c.apic_id] for c in topo.online_cpus if c.apic_id is not None and c.apic_id in by_id}


def _ranges_by_pxm(srat) -> List[Tuple[Range, int, bool]]:
    return [((e.base_address, e.base_address + e.range_length), e.proximity_domain, e.hot_pluggable)
            for e in _enabled_memory(srat)]


def observed_pxm_to_node(srat, topo: Topology, kernel: KernelView, memory: MemoryMap) -> Tuple[Dict[int, int], str]:
    """The kernel's PXM -> node map: from dmesg when captured, else the majority node of each PXM's online CPUs
    and memory blocks."""
    if kernel.dmesg is not None and kernel.dmesg.pxm_to_node:
        return kernel.dmesg.node_of_pxm(), "dmesg"
    votes: Dict[int, Counter] = {}
    cpu_node = {c.id: c.node for c in topo.online_cpus}
    for cpu, pxm in _cpu_pxm(srat, topo).items():
        if cpu_node.get(cpu) is not None:
            votes.setdefault(pxm, Counter())[cpu_node[cpu]] += 1
    ranges = _ranges_by_pxm(srat)
    for b in memory.blocks:
        if not b.online or b.node is None:
            continue
        pxms = {pxm for (s, e), pxm, _ in ranges if s < b.end and e > b.start}
        if len(pxms) == 1:
            votes.setdefault(pxms.pop(), Counter())[b.node] += 1
    return {pxm: c.most_common(1)[0][0] for pxm, c in votes.items()}, "CPU and memory placement"


# -- the checks ----------------------------------------------------------------------------------------------------

def check_pxm_node_map(predicted: Dict[int, int], observed: Dict[int, int], how: str) -> List[Finding]:
    wrong = sorted(p for p in observed if predicted.get(p) != observed[p])
    if not wrong:
        return []
    pairs = ", ".join("PXM %d -> node %s (kernel: node %d)" % (p, predicted.get(p, "none"), observed[p])
                      for p in wrong)
    return [Finding("pxm-node-map", ERROR,
                    "SRAT read by Linux's rules gives %s, but the kernel's map (from %s) differs: tools that "
                    "number nodes from SRAT will place work on the wrong node" % (pairs, how),
                    nodes=tuple(sorted({observed[p] for p in wrong})))]


def check_cpus(srat, topo: Topology, pxm_node: Dict[int, int]) -> List[Finding]:
    x86_entries = [e for e in srat.cpus if _cpu_entry_id(e) is not None]
    if not x86_entries:
        return []  # GICC/RINTC SRATs name ACPI processor UIDs, which sysfs does not expose
    known = {c.id: c for c in topo.online_cpus if c.apic_id is not None}
    cpu_pxm = _cpu_pxm(srat, topo)
    out: List[Finding] = []
    missing = sorted(c for c in known if c not in cpu_pxm)
    if missing:
        out.append(Finding("cpu-not-in-srat", ERROR,
                           "online CPU(s) %s (APIC id(s) %s) have no enabled SRAT entry: the kernel put them on "
                           "a node by guesswork, so their memory locality is unknown"
                           % (_fmt(missing), ", ".join("%#x" % known[c].apic_id for c in missing)),
                           nodes=tuple(sorted({known[c].node for c in missing if known[c].node is not None})),
                           cpus=tuple(missing)))
    by_pair: Dict[Tuple[Optional[int], int], List[int]] = {}
    for cpu, pxm in sorted(cpu_pxm.items()):
        want = pxm_node.get(pxm)
        have = known[cpu].node
        if want is not None and have != want:
            by_pair.setdefault((want, have if have is not None else -1), []).append(cpu)
    for (want, have), cpus in sorted(by_pair.items(), key=lambda kv: kv[1][0]):
        out.append(Finding("cpu-node-mismatch", ERROR,
                           "CPU(s) %s sit in node %s but SRAT puts them in node %d (PXM %d): threads pinned by "
                           "node run remote from their memory" % (_fmt(cpus), have if have >= 0 else "none", want,
                                                                  cpu_pxm[cpus[0]]),
                           nodes=tuple(sorted({want} | ({have} if have >= 0 else set()))), cpus=tuple(cpus)))
    return out


def check_memory(srat, memory: MemoryMap, pxm_node: Dict[int, int]) -> List[Finding]:
    out: List[Finding] = []
    ranges = _ranges_by_pxm(srat)
    covered = [r for r, _, _ in ranges]
    if memory.ram_source == "memory-blocks":
        # A block spans firmware holes (the 640K-1M hole sits in block 0): only a block that no SRAT range
        # touches is known to hold uncovered RAM.
        uncovered = merge_ranges(r for r in memory.ram if not any(s < r[1] and e > r[0] for s, e in covered))
    else:
        uncovered = subtract_ranges(memory.ram, covered)
    total = sum(e - s for s, e in uncovered)
    if total > COVERAGE_SLACK:
        out.append(Finding("memory-not-covered", ERROR,
                           "%s of RAM (%s) lies outside every enabled SRAT memory range: %s; Linux 6.8+ refuses "
                           "such an SRAT, older kernels give that memory to an arbitrary node"
                           % (_size(total), memory.ram_source_label, ", ".join(_rng(r) for r in uncovered)),
                           ranges=uncovered))
    elif total:
        out.append(Finding("memory-not-covered", INFO,
                           "%s of RAM (%s) is outside SRAT memory ranges (%s); Linux tolerates up to 1 MiB"
                           % (_size(total), memory.ram_source_label, ", ".join(_rng(r) for r in uncovered)),
                           ranges=uncovered))
    wrong: Dict[Tuple[int, int], List[MemBlock]] = {}
    for b in memory.blocks:
        if not b.online or b.node is None:
            continue
        over = [(pxm, hot) for (s, e), pxm, hot in ranges if s < b.end and e > b.start and pxm in pxm_node]
        want = {pxm_node[pxm] for pxm, _ in over}
        if all(hot for _, hot in over):
            # Hot-added memory (a DIMM) takes its node from the memory device's _PXM, which may differ from the
            # SRAT hotplug range around it (QEMU's pc-dimm node=); hotplug-range reports where it went.
            continue
        if want and b.node not in want:
            wrong.setdefault((min(want), b.node), []).append(b)
    for (want, have), blocks in sorted(wrong.items()):
        rs = merge_ranges((b.start, b.end) for b in blocks)
        out.append(Finding("memory-node-mismatch", ERROR,
                           "memory %s is in node %d but SRAT puts it in node %d: allocations bound to node %d get "
                           "remote memory" % (", ".join(_rng(r) for r in rs), have, want, have),
                           nodes=(min(want, have), max(want, have)), ranges=rs))
    for r, pxm, hot in ranges:
        if not hot:
            continue
        online = sum(min(b.end, r[1]) - max(b.start, r[0]) for b in memory.blocks
                     if b.online and b.start < r[1] and b.end > r[0])
        node = pxm_node.get(pxm)
        per_node = Counter()
        for b in memory.blocks:
            if b.online and b.start < r[1] and b.end > r[0] and b.node is not None:
                per_node[b.node] += min(b.end, r[1]) - max(b.start, r[0])
        where = ""
        if per_node:
            where = " (%s)" % ", ".join("%s in node %d" % (_size(v), k) for k, v in sorted(per_node.items()))
        out.append(Finding("hotplug-range", INFO,
                           "SRAT range %s (PXM %d, node %s) is hot-pluggable; %s of it is online%s"
                           % (_rng(r), pxm, node if node is not None else "none",
                              _size(online) if online else "none",
                              where if online else " (the node may exist only in node/possible)"),
                           nodes=tuple(sorted(({node} if node is not None else set()) | set(per_node))),
                           ranges=(r,)))
    return out


def _expected_distances(slit, topo: Topology, node_pxm: Dict[int, int]) -> Dict[Tuple[int, int], int]:
    out = {}
    usable = slit is not None and slit.linux_valid
    for a in topo.node_ids:
        for b in topo.node_ids:
            d = LOCAL_DISTANCE if a == b else REMOTE_DISTANCE
            if usable and a in node_pxm and b in node_pxm:
                v = slit.distance(node_pxm[a], node_pxm[b])
                if v is not None:
                    d = v
            out[(a, b)] = d
    return out


def check_slit(slit, topo: Topology, pxm_node: Dict[int, int], dmesg_rejected: bool = False) -> List[Finding]:
    out: List[Finding] = []
    nodes_with_pxm = sorted(set(pxm_node.values()) & set(topo.node_ids))
    if slit is None:
        if len(nodes_with_pxm) > 1:
            out.append(Finding("slit-missing", WARNING,
                               "no SLIT: the kernel uses distance 10 locally and 20 for every remote node, so "
                               "placement tools cannot tell near nodes from far ones",
                               nodes=tuple(nodes_with_pxm)))
        return out
    n = slit.localities
    m = slit.matrix
    pxms = sorted(pxm_node)
    problems = []
    if len(m) != n:
        problems.append("the table holds %d of its %d rows" % (len(m), n))
    bad_diag = [i for i in range(len(m)) if m[i][i] != LOCAL_DISTANCE]
    if bad_diag:
        problems.append("diagonal entries of locality %s are not 10 (%s)"
                        % (_fmt(bad_diag), ", ".join(str(m[i][i]) for i in bad_diag)))
    low = [(i, j) for i in range(len(m)) for j in range(n) if i != j and m[i][j] <= LOCAL_DISTANCE]
    if low:
        problems.append("%d off-diagonal entr%s at or below 10 (first [%d][%d] = %d)"
                        % (len(low), "y is" if len(low) == 1 else "ies are", low[0][0], low[0][1],
                           m[low[0][0]][low[0][1]]))
    if pxms and max(pxms) >= n:
        problems.append("it has %d localities but SRAT uses PXM %d" % (n, max(pxms)))
    linux_rejects = not slit.linux_valid
    unreach = [(i, j) for i in pxms for j in pxms if i != j and i < len(m) and j < n and m[i][j] == UNREACHABLE]
    if unreach:
        problems.append("PXMs %d and %d, both in use, are marked unreachable (255)" % unreach[0])
    if problems:
        consequence = ("Linux ignores it and uses 10/20 for every distance" if linux_rejects
                       else "Linux uses it as it is")
        if dmesg_rejected:
            consequence += " (dmesg: 'SLIT table looks invalid. Not used.')"
        out.append(Finding("slit-invalid", ERROR if linux_rejects or unreach else WARNING,
                           "SLIT is invalid: %s; %s" % ("; ".join(problems), consequence),
                           nodes=tuple(nodes_with_pxm)))
    asym = [(i, j) for i in pxms for j in pxms if i < j and i < len(m) and j < len(m) and j < n and i < n
            and m[i][j] != m[j][i]]
    if asym:
        i, j = asym[0]
        out.append(Finding("slit-asymmetric", WARNING,
                           "SLIT is asymmetric: %s; Linux copies it as it is, but tools that read one direction "
                           "(numactl, Xen, libvirt) may rank nodes differently"
                           % ", ".join("PXM %d->%d is %d, %d->%d is %d" % (a, b, m[a][b], b, a, m[b][a])
                                       for a, b in asym[:4]),
                           nodes=tuple(sorted({pxm_node[p] for pr in asym for p in pr}))))
    return out


def check_distances(slit, topo: Topology, pxm_node: Dict[int, int]) -> List[Finding]:
    node_pxm: Dict[int, int] = {}
    for pxm, node in sorted(pxm_node.items()):
        node_pxm.setdefault(node, pxm)  # the lowest PXM wins, as in Linux's node_to_pxm_map
    if not node_pxm or any(n not in node_pxm for n in topo.node_ids):
        return []  # nodes SRAT does not describe: nothing to map the SLIT through
    want = _expected_distances(slit, topo, node_pxm)
    have = {}
    for a in topo.node_ids:
        for b in topo.node_ids:
            d = topo.distance(a, b)
            if d is not None:
                have[(a, b)] = d
    wrong = sorted(k for k in have if have[k] != want[k])
    if not wrong:
        return []
    fallback = all(v == (LOCAL_DISTANCE if a == b else REMOTE_DISTANCE) for (a, b), v in have.items())
    if slit is None:
        why = "without a SLIT the kernel should use 10/20"
    elif not slit.linux_valid:
        why = "the SLIT is invalid, so the kernel should use 10/20"
    elif fallback:
        why = "the kernel fell back to 10/20 although the SLIT is valid"
    else:
        why = "the kernel did not fall back to 10/20; its values are neither SLIT's nor the default"
    pairs = ", ".join("%d->%d kernel %d, SLIT %d" % (a, b, have[(a, b)], want[(a, b)]) for a, b in wrong[:6])
    return [Finding("distance-mismatch", ERROR,
                    "node distance files differ from the SLIT mapped through the PXM->node map (%s%s); %s"
                    % (pairs, ", ..." if len(wrong) > 6 else "", why),
                    nodes=tuple(sorted({x for pr in wrong for x in pr})))]


_HMAT_ATTRS = {0: ("read_latency", "write_latency"), 1: ("read_latency",), 2: ("write_latency",),
               3: ("read_bandwidth", "write_bandwidth"), 4: ("read_bandwidth",), 5: ("write_bandwidth",)}


def _hmat_perf(hmat) -> Dict[Tuple[int, int], Dict[str, int]]:
    """(initiator PXM, target PXM) -> {attribute: value as Linux normalises it} from memory-level structures."""
    perf: Dict[Tuple[int, int], Dict[str, int]] = {}
    for s in hmat.of_type(1):
        if getattr(s, "memory_hierarchy", None) != 0 or s.data_type not in _HMAT_ATTRS:
            continue
        for i, ini in enumerate(s.initiators):
            for t, tgt in enumerate(s.targets):
                v = s.converted[i][t] if i < len(s.converted) and t < len(s.converted[i]) else None
                if v is None:
                    continue
                for attr in _HMAT_ATTRS[s.data_type]:
                    perf.setdefault((ini, tgt), {})[attr] = v
    return perf


def check_hmat(hmat, topo: Topology, kernel: KernelView, pxm_node: Dict[int, int]) -> List[Finding]:
    if not kernel.access:
        return []
    out: List[Finding] = []
    node_pxm: Dict[int, int] = {}
    for pxm, node in sorted(pxm_node.items()):
        node_pxm.setdefault(node, pxm)
    if hmat is None:
        if any(a.initiators for a in kernel.access):
            out.append(Finding("hmat-mismatch", WARNING, "sysfs has accessN initiator links but there is no "
                               "HMAT to derive them from", nodes=tuple(sorted({a.node for a in kernel.access}))))
        return out
    perf = _hmat_perf(hmat)
    attached = {s.memory_proximity_domain: s.initiator_proximity_domain for s in hmat.of_type(0)
                if s.initiator_pd_valid}
    cpu_nodes = {n.id for n in topo.nodes if n.has_cpu}
    for a in kernel.access:
        tpxm = node_pxm.get(a.node)
        if tpxm is None:
            continue
        cands = [p for (p, t) in perf if t == tpxm and p in pxm_node]
        if a.access == 1:
            cands = [p for p in cands if pxm_node[p] in cpu_nodes]
        if tpxm in attached and attached[tpxm] in pxm_node:
            # A type-0 "attached initiator" pins the target's local initiator (hmat.c); access1 keeps it only
            # when that initiator's node has CPUs.
            if a.access == 1 and pxm_node[attached[tpxm]] not in cpu_nodes:
                continue
            best_inits, values = [attached[tpxm]], perf.get((attached[tpxm], tpxm), {})
        else:
            best_inits, values = _best_initiators(perf, cands, tpxm)
        problems = []
        want_nodes = tuple(sorted({pxm_node[p] for p in best_inits}))
        if want_nodes and a.initiators and want_nodes != a.initiators:
            problems.append("initiators: HMAT node(s) %s, sysfs %s" % (_fmt(want_nodes), _fmt(a.initiators)))
        for attr, v in sorted(values.items()):
            got = getattr(a, attr)
            if got is not None and got != v:
                problems.append("%s: HMAT %d, sysfs %d" % (attr, v, got))
        if problems:
            out.append(Finding("hmat-mismatch", WARNING,
                               "node %d access%d differs from HMAT (%s): tiering and placement tools that read "
                               "sysfs get the wrong performance" % (a.node, a.access, "; ".join(problems)),
                               nodes=(a.node,)))
    return out


def _best_initiators(perf, cands: Sequence[int], tpxm: int) -> Tuple[List[int], Dict[str, int]]:
    """Linux hmat.c: keep the initiators that are best (lowest latency, highest bandwidth) for every attribute."""
    keep = set(cands)
    best: Dict[str, int] = {}
    for attr in ("read_latency", "write_latency", "read_bandwidth", "write_bandwidth"):
        vals = {p: perf[(p, tpxm)][attr] for p in cands if attr in perf.get((p, tpxm), {})}
        if not vals:
            continue
        pick = min(vals.values()) if attr.endswith("latency") else max(vals.values())
        best[attr] = pick
        keep &= {p for p, v in vals.items() if v == pick}
    return sorted(keep), best


def check_nodes(topo: Topology, pxm_node: Optional[Dict[int, int]], kernel: KernelView,
                srat_present: bool) -> List[Finding]:
    out: List[Finding] = []
    for n in topo.nodes:
        if not n.has_cpu and n.has_memory:
            out.append(Finding("cpuless-node", INFO, "node %d has memory but no online CPU: nothing runs local to "
                               "it; Xen and libxl never pick it for a domain" % n.id, nodes=(n.id,)))
        elif not n.has_memory and n.has_cpu:
            out.append(Finding("memoryless-node", INFO, "node %d has CPUs %s but no memory: their allocations "
                               "always come from another node" % (n.id, _fmt(n.cpus)), nodes=(n.id,),
                               cpus=n.cpus))
        elif not n.has_memory and not n.has_cpu:
            out.append(Finding("memoryless-node", INFO, "node %d has neither memory nor online CPUs" % n.id,
                               nodes=(n.id,)))
    fake = kernel.fake_numa
    if srat_present and pxm_node is not None:
        extra = [n for n in topo.node_ids if n not in set(pxm_node.values())]
        if extra:
            out.append(Finding("node-without-srat", INFO if fake else WARNING,
                               "node(s) %s match no SRAT proximity domain%s" % (
                                   _fmt(extra), " (numa=fake splits nodes)" if fake else
                                   ": their CPU and memory placement has no firmware backing"),
                               nodes=tuple(extra)))
    elif len(topo.nodes) > 1:
        if not kernel.acpi_present:
            why = ("no ACPI tables: NUMA comes from the device tree or another firmware interface (or the "
                   "capture left sys/firmware out)")
        elif fake:
            why = "no SRAT: the nodes are emulated by numa=fake and say nothing about the hardware"
        else:
            why = "no SRAT: the kernel found NUMA elsewhere (AMD northbridge registers, numa=fake)"
        out.append(Finding("node-without-srat", INFO, "node(s) %s: %s" % (_fmt(topo.node_ids), why),
                           nodes=topo.node_ids))
    return out


def check_srat_absent(topo: Topology, kernel: KernelView, srat_present: bool, srat_readable: bool) -> List[Finding]:
    if srat_present or not srat_readable or not kernel.acpi_present or len(topo.nodes) < 2:
        return []
    if kernel.fake_numa:
        return []
    return [Finding("srat-absent", WARNING,
                    "the kernel shows %d NUMA nodes but the ACPI firmware has no SRAT: node boundaries come from "
                    "elsewhere and cannot be checked" % len(topo.nodes), nodes=topo.node_ids)]


def check_tables(tables) -> List[Finding]:
    out: List[Finding] = []
    for sig, t in (("SRAT", tables.srat), ("SLIT", tables.slit), ("HMAT", tables.hmat)):
        if t is not None and not t.header.checksum_ok:
            out.append(Finding("table-checksum", WARNING,
                               "%s checksum is 0x%02X, should be 0x%02X: Linux only warns and uses the table, but "
                               "the firmware may have edited it after building it"
                               % (sig, t.header.checksum, t.header.checksum_expected)))
    return out


def check_disabled_entries(srat) -> List[Finding]:
    out: List[Finding] = []
    for e in srat.memory:
        if not e.enabled and (e.base_address or e.range_length):
            r = (e.base_address, e.base_address + e.range_length)
            out.append(Finding("disabled-entry-data", INFO,
                               "SRAT memory entry at offset 0x%X is disabled but carries PXM %d %s: Linux ignores "
                               "it; tools that read SRAT without the enabled bit would invent memory"
                               % (e.offset, e.proximity_domain, _rng(r)), ranges=(r,)))
    for e in srat.entries:
        if e.type == 5 and not e.enabled and e.proximity_domain:
            out.append(Finding("disabled-entry-data", INFO,
                               "SRAT generic initiator entry at offset 0x%X is disabled but names PXM %d; Linux "
                               "stops reading CPU entries after it" % (e.offset, e.proximity_domain)))
    return out


# -- putting it together -----------------------------------------------------------------------------------------

def crosscheck(machine: Machine) -> Tuple[Finding, ...]:
    """Every finding for one machine, errors first, then warnings, then infos (stable within each)."""
    topo, tables, kernel, memory = machine.topology, machine.tables, machine.kernel, machine.memory
    out: List[Finding] = []
    unreadable = [n for n in tables.notes if n.code in ("acpi-table-unreadable", "acpi-table-undecodable")]
    for n in unreadable:
        out.append(Finding("tables-unreadable", INFO, "%s; the checks that need it were skipped" % n.message))
    srat_readable = not any(n.message.startswith("SRAT") for n in unreadable)
    srat = tables.srat
    out.extend(check_tables(tables))
    out.extend(check_srat_absent(topo, kernel, srat is not None, srat_readable))
    pxm_node: Optional[Dict[int, int]] = None
    if srat is not None:
        out.extend(check_disabled_entries(srat))
        dmesg = kernel.dmesg
        if dmesg is not None and dmesg.srat_rejected:
            out.append(Finding("srat-rejected", ERROR,
                               "dmesg says the kernel rejected SRAT ('SRAT not used' or incomplete coverage): "
                               "its nodes do not come from the firmware tables", nodes=topo.node_ids))
        else:
            predicted = predict_pxm_to_node(srat)
            observed, how = observed_pxm_to_node(srat, topo, kernel, memory)
            out.extend(check_pxm_node_map(predicted, observed, how))
            pxm_node = {**predicted, **observed}
            out.extend(check_cpus(srat, topo, pxm_node))
            out.extend(check_memory(srat, memory, pxm_node))
            out.extend(check_slit(tables.slit, topo, pxm_node, dmesg is not None and dmesg.slit_rejected))
            if not kernel.fake_numa:
                out.extend(check_distances(tables.slit, topo, pxm_node))
            out.extend(check_hmat(tables.hmat, topo, kernel, pxm_node))
    out.extend(check_nodes(topo, pxm_node, kernel, srat is not None))
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    return tuple(sorted(out, key=lambda f: rank[f.severity]))


def summarize(findings: Sequence[Finding]) -> Dict[str, int]:
    c = Counter(f.severity for f in findings)
    return {"errors": c[ERROR], "warnings": c[WARNING], "infos": c[INFO]}
