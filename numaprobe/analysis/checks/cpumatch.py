"""Which SRAT CPU entry names which online CPU, per architecture.

- x86 (types 0 and 2) name the APIC / x2APIC id, which /proc/cpuinfo shows as "initial apicid".
- arm64 GICC entries (type 3) name an ACPI processor UID, which sysfs does not show. The kernel prints the
  pairs itself: arch/arm64/kernel/acpi_numa.c acpi_parse_gicc_pxm() `ACPI: NUMA: SRAT: PXM p -> MPIDR m -> Node n`
  (one line per enabled entry whose UID maps to a possible CPU), and the logical CPU of each MPIDR is in
  `Booting Linux on physical CPU 0x...` (CPU 0, setup.c) and `CPUn: Booted secondary processor 0x...` (smp.c).
- RISC-V RINTC entries (type 7) name a UID too; arch/riscv/kernel/acpi_numa.c acpi_parse_rintc_pxm() prints
  `ACPI: NUMA: SRAT: PXM p -> HARTID h -> Node n`, and /proc/cpuinfo gives each CPU's `hart`.
Without those lines (a live host, a capture without dmesg.txt) GICC and RINTC entries cannot be matched here
(the MADT is not decoded), and check says so.
"""

from __future__ import annotations

from typing import Dict, Optional, Tuple

from numaprobe.model.machine import KernelView
from numaprobe.model.topology import Topology

X86_TYPES = (0, 2)
GICC_TYPE = 3
RINTC_TYPE = 7

CpuMatch = Tuple[Dict[int, int], Dict[int, str], Optional[str]]  # cpu -> pxm, cpu -> id text, why unmatched


def x86_entry_id(e) -> Optional[int]:
    """The id an x86 CPU entry names (APIC or x2APIC id: its descriptor's id kind is "apic"); None for others."""
    from numaprobe.acpi.srat import subtable_type

    t = subtable_type(e.type)
    return getattr(e, t.id_field) if t is not None and t.id_kind == "apic" else None


def _x86(srat, topo: Topology) -> CpuMatch:
    by_id: Dict[int, int] = {}
    for e in srat.cpus:
        ident = x86_entry_id(e) if e.type in X86_TYPES else None
        if e.enabled and ident is not None:
            by_id.setdefault(ident, e.proximity_domain)
    pxm = {c.id: by_id[c.apic_id] for c in topo.online_cpus if c.apic_id is not None and c.apic_id in by_id}
    ids = {c.id: "APIC id %#x" % c.apic_id for c in topo.online_cpus if c.apic_id is not None}
    return pxm, ids, None


def _by_hwid(lines, cpu_hwid: Dict[int, int], pxms, what: str) -> Tuple[Dict[int, int], Dict[int, str]]:
    pxm_of_hw = {hw: pxm for pxm, hw, _ in lines if pxm in pxms}
    ids = {cpu: "%s %#x" % (what, hw) for cpu, hw in cpu_hwid.items()}
    return {cpu: pxm_of_hw[hw] for cpu, hw in cpu_hwid.items() if hw in pxm_of_hw}, ids


_UNMATCHED = {
    GICC_TYPE: "SRAT's GICC entries name ACPI processor UIDs, which sysfs does not show; the kernel's 'ACPI: NUMA: "
               "SRAT: PXM p -> MPIDR m' and 'Booted secondary processor' lines (dmesg) that tie them to CPUs were "
               "not captured",
    RINTC_TYPE: "SRAT's RINTC entries name ACPI processor UIDs; the kernel's 'ACPI: NUMA: SRAT: PXM p -> HARTID h' "
                "lines (dmesg) and /proc/cpuinfo's hart ids that tie them to CPUs were not both captured",
}


def match_cpu_entries(srat, topo: Topology, kernel: KernelView) -> CpuMatch:
    """(online CPU -> PXM of its enabled SRAT entry, CPU -> the id it was matched by, why entries stay unmatched)."""
    if srat is None:
        return {}, {}, None
    kinds = {e.type for e in srat.cpus}
    if kinds & set(X86_TYPES) or not kinds & {GICC_TYPE, RINTC_TYPE}:
        return _x86(srat, topo)
    kind = GICC_TYPE if GICC_TYPE in kinds else RINTC_TYPE
    online = {c.id for c in topo.online_cpus}
    dmesg = kernel.dmesg
    if kind == GICC_TYPE:
        lines, pairs, what = (dmesg.gicc, dmesg.cpu_hwid, "MPIDR") if dmesg is not None else ((), (), "")
    else:
        pairs = tuple((c.id, c.hart_id) for c in topo.online_cpus if c.hart_id is not None)
        lines, what = (dmesg.rintc if dmesg is not None else ()), "hart"
    hw = {c: h for c, h in pairs if c in online}
    if not lines or not hw:
        return {}, {}, _UNMATCHED[kind]
    pxms = {e.proximity_domain for e in srat.cpus if e.type == kind and e.enabled}
    pxm, ids = _by_hwid(lines, hw, pxms, what)
    return pxm, ids, None
