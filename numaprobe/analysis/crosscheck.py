"""Cross-check the firmware's NUMA tables (SRAT, SLIT, HMAT) against what the kernel made of them.

`check` is a list of named checks (CHECKS), each with the preconditions under which it means something, run over
one CheckContext computed once per machine (analysis/checks/context.py). Root causes come first
(analysis/checks/rootcause.py): when the kernel did not use SRAT (numa=off, or it discarded the table), the
checks that compare firmware with the kernel's nodes only show that again, so their findings are attached to the
root cause as consequences and not counted; under numa=fake they compare the real nodes behind the emulated ones.

Pure functions of a model.machine.Machine: ``crosscheck(machine)`` -> findings.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Callable, Dict, List, Sequence, Tuple

from numaprobe.analysis.checks import hmat, nodes, placement, slit
from numaprobe.analysis.checks.base import ERROR, INFO, SEVERITIES, WARNING, Finding  # noqa: F401
from numaprobe.analysis.checks.context import CheckContext, build_context
from numaprobe.analysis.checks.placement import check_pxm_node_map  # noqa: F401  (public rule, tested alone)
from numaprobe.analysis.checks.rootcause import attach, root_findings
from numaprobe.analysis.checks.slit import check_distances, check_slit  # noqa: F401
from numaprobe.analysis.pxm import pxm_to_node
from numaprobe.model.machine import Machine

# Preconditions by name: a check runs only when all of its hold.
PRECONDITIONS: Dict[str, Callable[[CheckContext], bool]] = {
    "srat": lambda c: c.srat is not None,
    "no-srat": lambda c: c.srat is None,
    "srat-readable": lambda c: c.srat_readable,
    "acpi": lambda c: c.kernel.acpi_present,
    "several-nodes": lambda c: len(c.topo.nodes) > 1,
    "no-fake-numa": lambda c: c.fake is None,
    "srat-cpu-entries": lambda c: c.srat is not None and bool(c.srat.cpus),
    "kernel-map-seen": lambda c: bool(c.observed),
}


@dataclass(frozen=True)
class Check:
    name: str
    codes: Tuple[str, ...]  # the finding codes it may give
    needs: Tuple[str, ...]  # PRECONDITIONS that must all hold
    run: Callable[[CheckContext], List[Finding]]
    # Compares the firmware with the kernel's nodes: when the kernel did not use SRAT, its findings are
    # consequences of that root cause.
    kernel_view: bool = False
    # Emulated nodes show here: under numa=fake its findings are consequences of kernel-fake-numa.
    emulated_view: bool = False
    # What makes a kernel discard SRAT: when it did, the finding is part of srat-rejected (its reason).
    rejection_reason: bool = False


CHECKS: Tuple[Check, ...] = (
    Check("tables-readable", ("tables-unreadable",), (), nodes.run_unreadable),
    Check("table-checksums", ("table-checksum",), (), nodes.run_checksums),
    Check("srat-present", ("srat-absent",), ("acpi", "no-srat", "srat-readable", "several-nodes", "no-fake-numa"),
          nodes.run_srat_absent),
    Check("disabled-entries", ("disabled-entry-data",), ("srat",), nodes.run_disabled_entries),
    Check("pxm-node-map", ("pxm-node-map",), ("srat", "kernel-map-seen"), placement.run_pxm_node_map,
          kernel_view=True),
    Check("cpu-placement", ("cpu-not-in-srat", "cpu-node-mismatch", "cpu-entries-unmatched"),
          ("srat-cpu-entries",), placement.run_cpus, kernel_view=True),
    Check("memory-coverage", ("memory-not-covered",), ("srat",), placement.run_memory_coverage,
          rejection_reason=True),
    Check("memory-placement", ("memory-node-mismatch",), ("srat",), placement.run_memory_placement,
          kernel_view=True),
    Check("hotplug-ranges", ("hotplug-range",), ("srat",), placement.run_hotplug),
    Check("slit", ("slit-missing", "slit-invalid", "slit-asymmetric"), ("srat",), slit.run_slit),
    Check("distances", ("distance-mismatch",), ("srat",), slit.run_distances, kernel_view=True),
    Check("hmat", ("hmat-mismatch",), ("srat", "no-fake-numa"), hmat.run_hmat, kernel_view=True),
    Check("node-kinds", ("cpuless-node", "memoryless-node"), (), nodes.run_node_kinds, emulated_view=True),
    Check("node-backing", ("node-without-srat",), (), nodes.run_node_backing, kernel_view=True,
          emulated_view=True),
)


def predict_pxm_to_node(srat) -> Dict[int, int]:
    """The PXM -> node map Linux makes of this SRAT (analysis.pxm)."""
    return pxm_to_node(srat.entries)


@dataclass(frozen=True)
class CheckRun:
    """What one check did on this machine: ran, or which of its preconditions failed."""

    name: str
    ran: bool
    unmet: Tuple[str, ...]  # the PRECONDITIONS that did not hold

    def to_json(self) -> dict:
        return {"name": self.name, "ran": self.ran, "unmet": list(self.unmet)}


@dataclass(frozen=True)
class CheckReport:
    findings: Tuple[Finding, ...]  # errors first, then warnings, then infos (stable within each)
    runs: Tuple[CheckRun, ...]  # in CHECKS order


def run_checks(ctx: CheckContext) -> Tuple[List[Finding], List[Finding], List[Finding], List[CheckRun]]:
    """(findings, consequences of the root cause, consequences of numa=fake, what each check did)."""
    out: List[Finding] = []
    of_root: List[Finding] = []
    of_fake: List[Finding] = []
    runs: List[CheckRun] = []
    root_cause = not ctx.kernel_used_srat and ctx.srat is not None
    for check in CHECKS:
        unmet = tuple(p for p in check.needs if not PRECONDITIONS[p](ctx))
        runs.append(CheckRun(check.name, not unmet, unmet))
        if unmet:
            continue
        found = check.run(ctx)
        if (check.kernel_view and root_cause) or (check.rejection_reason and ctx.rejection is not None):
            of_root.extend(found)
        elif check.emulated_view and ctx.fake is not None:
            of_fake.extend(found)
        else:
            out.extend(found)
    return out, of_root, of_fake, runs


def check_machine(machine: Machine) -> CheckReport:
    """The findings for one machine, root causes holding their consequences, and what each check did."""
    ctx = build_context(machine)
    out, of_root, of_fake, runs = run_checks(ctx)
    main, fake = root_findings(ctx)
    roots: List[Finding] = []
    if main is not None:
        roots.append(attach(main, of_root))
    else:
        out.extend(of_root)
    if fake is not None:
        roots.append(attach(fake, of_fake))
    else:
        out.extend(of_fake)
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    return CheckReport(tuple(sorted(roots + out, key=lambda f: rank[f.severity])), tuple(runs))


def crosscheck(machine: Machine) -> Tuple[Finding, ...]:
    """Every finding for one machine, errors first, then warnings, then infos (stable within each)."""
    return check_machine(machine).findings


def summarize(findings: Sequence[Finding]) -> Dict[str, int]:
    """Counts of the findings themselves; consequences attached to a root cause are not counted."""
    c = Counter(f.severity for f in findings)
    return {"errors": c[ERROR], "warnings": c[WARNING], "infos": c[INFO]}


__all__ = ["CHECKS", "Check", "CheckReport", "CheckRun", "Finding", "check_machine", "crosscheck", "summarize", "predict_pxm_to_node", "check_slit",
           "check_distances", "check_pxm_node_map"]
