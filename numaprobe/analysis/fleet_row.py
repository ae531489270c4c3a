"""One machine of a fleet: build it once, run the checks, and summarise it as one row (docs/fleet.md).

`examine(path, kind)` is what each worker process (or Dask worker) runs: it never raises, so a bad capture is a
row with its error and never the end of a run of thousands. Rows are plain JSON-able dicts: they cross process
and network boundaries and are what `fleet --format jsonl` prints.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Sequence

from numaprobe.model.topology import Topology

ROW_FIELDS = ("path", "kind", "error", "hostname", "model", "bios_version", "bios_date", "kernel", "numa_mode",
              "nodes", "node_ids", "packages", "cpus", "cpus_per_node", "node_cpus", "memory_per_node_bytes", "distances",
              "distance_classes", "mode", "hugepages", "findings", "finding_codes")


def kernel_numa_mode(topo: Topology, cmdline: str) -> str:
    """How the kernel was told to do NUMA: "off" (numa=off), "fake" (numa=fake=...), "none" (a kernel without
    NUMA support or with no node directory), else "on"."""
    if re.search(r"(^|\s)numa=off(\s|$)", cmdline):
        return "off"
    if re.search(r"(^|\s)numa=fake=", cmdline):
        return "fake"
    if any(n.code == "no-numa-nodes" for n in topo.notes):
        return "none"
    return "on"


def infer_mode(topo: Topology, vendor: Optional[str]) -> str:
    """Sub-NUMA clustering (Intel SNC-n) or nodes per socket (AMD NPSn) as the topology shows it.

    Counted over nodes with CPUs: memory-only nodes (CXL, HBM, NVDIMM) are named separately.
    """
    cpu_nodes = [n for n in topo.nodes if n.cpus]
    memory_only = len(topo.nodes) - len(cpu_nodes)
    per_package: Dict[int, int] = {}
    spans = False
    for n in cpu_nodes:
        packages = {topo.cpu(c).package for c in n.cpus}
        spans = spans or len(packages) > 1
        for p in packages:
            per_package[p] = per_package.get(p, 0) + 1
    counts = set(per_package.values())
    if spans:
        base = "NPS0" if vendor == "AuthenticAMD" else "nodes span packages"
    elif len(counts) != 1:
        base = "uneven nodes per package"
    else:
        k = counts.pop()
        if vendor == "AuthenticAMD":
            base = "NPS%d" % k
        elif vendor == "GenuineIntel":
            base = "SNC-%d" % k if k > 1 else "SNC off"
        else:
            base = "%d node%s per package" % (k, "" if k == 1 else "s")
    return base + (" + %d memory-only" % memory_only if memory_only else "")


def _hugepages(topo: Topology) -> Dict[str, int]:
    out: Dict[str, int] = {}
    for n in topo.nodes:
        for h in n.hugepages:
            key = "%dkB" % (h.size_bytes // 1024)
            out[key] = out.get(key, 0) + h.total
    return dict(sorted(out.items()))


def _distances(topo: Topology) -> Optional[List[List[int]]]:
    if not topo.nodes or any(n.distances is None for n in topo.nodes):
        return None
    return [list(n.distances or ()) for n in topo.nodes]


def summarise(machine: Any, findings: Sequence[Any]) -> Dict[str, Any]:
    """The row of one Machine (without path/kind/error): every value JSON-able, lists in node order."""
    topo, dmi = machine.topology, machine.dmi
    distances = _distances(topo)
    model = " ".join(v for v in (dmi.get("sys_vendor"), dmi.get("product_name")) if v) or None
    severities = {"error": 0, "warning": 0, "info": 0}
    for f in findings:
        severities[f.severity] = severities.get(f.severity, 0) + 1
    return {
        "hostname": topo.source.hostname,
        "model": model,
        "bios_version": dmi.get("bios_version"),
        "bios_date": dmi.get("bios_date"),
        "kernel": topo.source.kernel,
        "numa_mode": kernel_numa_mode(topo, machine.kernel.cmdline),
        "nodes": len(topo.nodes),
        "node_ids": [n.id for n in topo.nodes],
        "packages": len(topo.packages),
        "cpus": len(topo.online_cpus),
        "cpus_per_node": [len(n.cpus) for n in topo.nodes],
        "node_cpus": [list(n.cpus) for n in topo.nodes],
        "memory_per_node_bytes": [n.memory_total_bytes for n in topo.nodes],
        "distances": distances,
        "distance_classes": sorted({d for row in distances or () for d in row}),
        "mode": infer_mode(topo, machine.cpu_vendor),
        "hugepages": _hugepages(topo),
        "findings": {"errors": severities["error"], "warnings": severities["warning"], "infos": severities["info"]},
        "finding_codes": sorted({"%s:%s" % (f.severity, f.code) for f in findings}),
    }


def error_row(path: str, kind: str, error: str) -> Dict[str, Any]:
    row: Dict[str, Any] = {name: None for name in ROW_FIELDS}
    row.update(path=path, kind=kind, error=error)
    return row


def examine(path: str, kind: str) -> Dict[str, Any]:
    """Load, check and summarise one machine. Never raises: any failure is the row's "error"."""
    from numaprobe.errors import NumaprobeError

    try:
        if kind.startswith("unknown"):
            return error_row(path, "unknown", kind.partition(":")[2] or "not a capture, sosreport or snapshot")
        machine, findings = _load_and_check(path, kind)
    except NumaprobeError as e:
        return error_row(path, kind, " ".join(str(e).split()))
    except (OSError, ValueError, KeyError, IndexError, TypeError, RecursionError, MemoryError) as e:
        return error_row(path, kind, "cannot read: %s: %s" % (type(e).__name__, " ".join(str(e).split())))
    row = {"path": path, "kind": machine.topology.source.kind if kind != "snapshot" else kind, "error": None}
    row.update(summarise(machine, findings))
    return row


def _load_and_check(path: str, kind: str):
    """Build the Machine once (a capture, a sosreport or a snapshot) and run every check on it."""
    from numaprobe.analysis.crosscheck import crosscheck
    from numaprobe.model.gather import load_machine

    machine = load_machine(path)
    return machine, crosscheck(machine)


def examine_batch(items: Sequence[Sequence[str]]) -> List[Dict[str, Any]]:
    """Many machines per task: per-task overhead (pickling, scheduling) dwarfs a 5 ms capture otherwise."""
    return [examine(path, kind) for path, kind in items]
