"""dmesg.txt of a capture: the kernel's own account of how it read SRAT/SLIT (numaprobe capture saves it).

A live host is not read here: /dev/kmsg needs privileges and the boot messages may have rotated away.
Message formats, Linux 5.4 to 6.12 (read through the code index, torvalds/linux and its mailing-list patches):
- drivers/acpi/numa/srat.c: `ACPI: SRAT: Node %u PXM %u [mem ...]`, bad_srat() `SRAT: SRAT not used.` and the
  causes printed before it (`Unexpected header length`, `Too many proximity domains`, `Failed to add memblk`);
- arch/x86/mm/srat.c: `SRAT: PXM %u -> APIC 0x%02x -> Node %u` (x2APIC, SAPIC alike);
- arch/arm64/kernel/acpi_numa.c: `ACPI: NUMA: SRAT: PXM %d -> MPIDR 0x%llx -> Node %d` (Node -1 once NUMA init
  failed: pxm_to_node() is NUMA_NO_NODE when numa_off), `SRAT: PXM %d with ACPI ID %d has no valid MPIDR in MADT`;
  arch/arm64/kernel/setup.c `Booting Linux on physical CPU 0x%010lx` (CPU 0) and smp.c
  `CPU%u: Booted secondary processor 0x%010lx`: the logical CPU <-> MPIDR pairs;
- arch/riscv/kernel/acpi_numa.c (6.10+): `ACPI: NUMA: SRAT: PXM %d -> HARTID 0x%lx -> Node %d`;
- arch/x86/mm/numa.c: numa_meminfo_cover_memory() `NUMA: nodes only cover %LuMB of your %LuMB e820 RAM. Not
  used.` (up to 6.7), dummy_numa_init() `NUMA turned off` / `No NUMA configuration found` then
  `Faking a node at [mem %#018Lx-%#018Lx]`;
- mm/memblock.c memblock_validate_numa_coverage() (6.8+, x86 and arch_numa): `NUMA: no nodes coverage for %luMB
  of %luMB RAM`; mm/numa_memblks.c (6.12) / arch/x86/mm/numa.c numa_cleanup_meminfo(): `node %d [mem ...]
  overlaps with node %d [mem ...]`, `Node alignment %LuMB < min %LuMB, rejecting NUMA config`;
- drivers/base/arch_numa.c (arm64, RISC-V; arch/arm64/mm/numa.c before 5.10): numa_register_nodes()
  `NUMA: Warning: invalid memblk node %d [mem %pap-%pap]` (RAM no SRAT range covers: the whole configuration is
  refused), arch_acpi_numa_init() `NUMA: Failed to initialise from firmware`, numa_init() `NUMA: No NUMA
  configuration found`, dummy_numa_init() `NUMA: NUMA disabled` (numa=off) and `NUMA: Faking a node at ...`;
- mm/numa_emulation.c (6.12; arch/x86/mm/numa_emulation.c before): `Faking node %d at [mem ...] (%LuMB)`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

from numaprobe.source.root import Root

Range = Tuple[int, int]  # [start, end)
CAPTURE_COMMANDS = (("dmesg.txt", ("dmesg",)),)  # the kernel log, as `dmesg` prints it

_CPU_LINE = re.compile(r"SRAT: PXM (\d+) -> (?:APIC|X2APIC|SAPIC) 0x([0-9a-fA-F]+) -> Node (\d+)")
_MEM_LINE = re.compile(r"SRAT: Node (\d+) PXM (\d+) \[mem 0x([0-9a-fA-F]+)-0x([0-9a-fA-F]+)\]")
_GICC_LINE = re.compile(r"SRAT: PXM (\d+) -> MPIDR 0x([0-9a-fA-F]+) -> Node (-?\d+)")
_RINTC_LINE = re.compile(r"SRAT: PXM (\d+) -> HARTID 0x([0-9a-fA-F]+) -> Node (-?\d+)")
_BOOT_CPU = re.compile(r"Booting Linux on physical CPU 0x([0-9a-fA-F]+)")
_SECONDARY = re.compile(r"CPU(\d+): Booted secondary processor 0x([0-9a-fA-F]+)")
_FAKE_NODE = re.compile(r"Faking node (\d+) at \[mem 0x([0-9a-fA-F]+)-0x([0-9a-fA-F]+)\]")
_INVALID_MEMBLK = re.compile(r"NUMA: Warning: invalid memblk node (-?\d+) \[mem 0x([0-9a-fA-F]+)-0x([0-9a-fA-F]+)\]")
_LINE = r"[^\n]*"
# What the kernel prints when it refuses the firmware's NUMA description (see the module docstring).
_REJECTION = re.compile("|".join((
    r"SRAT: SRAT not used",
    r"SRAT: Unexpected header length" + _LINE,
    r"SRAT: Invalid SRAT header length" + _LINE,
    r"SRAT: Too many proximity domains" + _LINE,
    r"SRAT: Failed to add memblk" + _LINE,
    r"SRAT: PXM \d+ with ACPI ID \d+ has no valid MPIDR in MADT",
    r"\[SRAT:0x[0-9a-fA-F]+\] Invalid zero length",
    r"too many memblk ranges",
    r"NUMA: nodes only cover \d+MB of your \d+MB e820 RAM\. Not used\.",
    r"SRAT: PXMs only cover \d+MB of your \d+MB e820 RAM\. Not used\.",
    r"NUMA: no nodes coverage for \d+MB of \d+MB RAM",
    r"NUMA: Warning: invalid memblk node -?\d+ \[mem 0x[0-9a-fA-F]+-0x[0-9a-fA-F]+\]",
    r"node -?\d+ \[mem 0x[0-9a-fA-F]+-0x[0-9a-fA-F]+\] overlaps with node -?\d+ \[mem 0x[0-9a-fA-F]+-"
    r"0x[0-9a-fA-F]+\]",
    r"Node alignment \d+MB < min \d+MB, rejecting NUMA config",
    r"NUMA: Failed to initialise from firmware",
)))
_FALLBACK = re.compile(r"No NUMA configuration found|Faking a node at \[mem 0x[0-9a-fA-F]+-0x[0-9a-fA-F]+\]")
_NUMA_OFF = re.compile(r"NUMA turned off|NUMA: NUMA disabled")


@dataclass(frozen=True)
class DmesgNuma:
    pxm_to_node: Tuple[Tuple[int, int], ...]  # (pxm, node) pairs in the order printed, duplicates removed
    conflicts: Tuple[Tuple[int, Tuple[int, ...]], ...]  # a PXM printed with several nodes (never by a sane kernel)
    apic_to_node: Tuple[Tuple[int, int], ...]
    slit_rejected: bool  # "SLIT table looks invalid. Not used."
    rejection: Tuple[str, ...] = ()  # the kernel's own lines saying why it did not use SRAT, in order
    uncovered: Tuple[Range, ...] = ()  # "invalid memblk node" ranges: RAM without a node
    fallback: Tuple[str, ...] = ()  # "No NUMA configuration found", "Faking a node at [mem ...]" (one dummy node)
    numa_off: bool = False  # "NUMA turned off" (x86) / "NUMA: NUMA disabled" (arch_numa): numa=off
    fake_nodes: Tuple[Tuple[int, int, int], ...] = ()  # numa=fake: (emulated node, start, end)
    fake_cmdline: bool = False  # the printed command line has numa=fake
    gicc: Tuple[Tuple[int, int, int], ...] = ()  # arm64: (pxm, MPIDR, node or -1)
    rintc: Tuple[Tuple[int, int, int], ...] = ()  # RISC-V: (pxm, hart id, node or -1)
    cpu_hwid: Tuple[Tuple[int, int], ...] = ()  # arm64: (logical CPU, MPIDR) from the boot lines

    @property
    def srat_rejected(self) -> bool:
        return bool(self.rejection)

    @property
    def fake_numa(self) -> bool:
        return bool(self.fake_nodes) or self.fake_cmdline

    def node_of_pxm(self) -> Dict[int, int]:
        return dict(self.pxm_to_node)


def _pxm_map(text: str):
    seen: Dict[int, list] = {}
    order = []
    pairs = [(int(m.group(1)), int(m.group(3))) for m in _CPU_LINE.finditer(text)]
    apic = [(int(m.group(2), 16), int(m.group(3))) for m in _CPU_LINE.finditer(text)]
    for rx in (_GICC_LINE, _RINTC_LINE):
        pairs += [(int(m.group(1)), int(m.group(3))) for m in rx.finditer(text) if int(m.group(3)) >= 0]
    pairs += [(int(m.group(2)), int(m.group(1))) for m in _MEM_LINE.finditer(text)]
    for pxm, node in pairs:
        if pxm not in seen:
            order.append(pxm)
        nodes = seen.setdefault(pxm, [])
        if node not in nodes:
            nodes.append(node)
    return (tuple((p, seen[p][0]) for p in order), tuple((p, tuple(seen[p])) for p in order if len(seen[p]) > 1),
            tuple(apic))


def _hw(rx, text: str) -> Tuple[Tuple[int, int, int], ...]:
    return tuple((int(m.group(1)), int(m.group(2), 16), int(m.group(3))) for m in rx.finditer(text))


def parse_dmesg_numa(text: Optional[str]) -> Optional[DmesgNuma]:
    if not text:
        return None
    pxm_to_node, conflicts, apic = _pxm_map(text)
    cpu_hwid = [(0, int(m.group(1), 16)) for m in _BOOT_CPU.finditer(text)][:1]
    cpu_hwid += [(int(m.group(1)), int(m.group(2), 16)) for m in _SECONDARY.finditer(text)]
    return DmesgNuma(
        pxm_to_node=pxm_to_node,
        conflicts=conflicts,
        apic_to_node=apic,
        slit_rejected="SLIT table looks invalid" in text,
        rejection=tuple(dict.fromkeys(m.group(0) for m in _REJECTION.finditer(text))),
        uncovered=tuple((int(m.group(2), 16), int(m.group(3), 16) + 1) for m in _INVALID_MEMBLK.finditer(text)),
        fallback=tuple(dict.fromkeys(m.group(0) for m in _FALLBACK.finditer(text))),
        numa_off=_NUMA_OFF.search(text) is not None,
        fake_nodes=tuple((int(m.group(1)), int(m.group(2), 16), int(m.group(3), 16) + 1)
                         for m in _FAKE_NODE.finditer(text)),
        fake_cmdline=re.search(r"[Cc]ommand line:[^\n]*\bnuma=fake", text) is not None,
        gicc=_hw(_GICC_LINE, text),
        rintc=_hw(_RINTC_LINE, text),
        cpu_hwid=tuple(dict(cpu_hwid).items()),
    )


def read_dmesg_numa(root: Root) -> Optional[DmesgNuma]:
    """None for a live host or a capture without dmesg.txt."""
    if root.kind == "live":
        return None
    return parse_dmesg_numa(root.read_text("dmesg.txt", limit=64 << 20))
