"""dmesg.txt of a capture: the kernel's own account of how it read SRAT/SLIT (numaprobe capture saves it).

A live host is not read here: /dev/kmsg needs privileges and the boot messages may have rotated away.
Message formats: Linux 6.1-6.12 drivers/acpi/numa/srat.c, arch/x86/mm/numa.c, mm/numa_emulation.c
(../shared/notes/acpi/linux-srat.md sections 1-4).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

from numaprobe.source.root import Root

_CPU_LINE = re.compile(r"SRAT: PXM (\d+) -> (?:APIC|X2APIC|SAPIC) 0x([0-9a-fA-F]+) -> Node (\d+)")
_MEM_LINE = re.compile(r"SRAT: Node (\d+) PXM (\d+) \[mem 0x([0-9a-fA-F]+)-0x([0-9a-fA-F]+)\]")


@dataclass(frozen=True)
class DmesgNuma:
    pxm_to_node: Tuple[Tuple[int, int], ...]  # (pxm, node) pairs in the order printed, duplicates removed
    conflicts: Tuple[Tuple[int, Tuple[int, ...]], ...]  # a PXM printed with several nodes (never by a sane kernel)
    apic_to_node: Tuple[Tuple[int, int], ...]
    srat_rejected: bool  # "SRAT: SRAT not used." (bad_srat) or "NUMA: nodes only cover ..."
    slit_rejected: bool  # "SLIT table looks invalid. Not used."
    fake_numa: bool  # numa=fake or the dummy "Faking a node"

    def node_of_pxm(self) -> Dict[int, int]:
        return dict(self.pxm_to_node)


def parse_dmesg_numa(text: Optional[str]) -> Optional[DmesgNuma]:
    if not text:
        return None
    seen: Dict[int, list] = {}
    order = []
    apic = []
    for m in _CPU_LINE.finditer(text):
        pxm, node = int(m.group(1)), int(m.group(3))
        apic.append((int(m.group(2), 16), node))
        if pxm not in seen:
            order.append(pxm)
        nodes = seen.setdefault(pxm, [])
        if node not in nodes:
            nodes.append(node)
    for m in _MEM_LINE.finditer(text):
        node, pxm = int(m.group(1)), int(m.group(2))
        if pxm not in seen:
            order.append(pxm)
        nodes = seen.setdefault(pxm, [])
        if node not in nodes:
            nodes.append(node)
    return DmesgNuma(
        pxm_to_node=tuple((p, seen[p][0]) for p in order),
        conflicts=tuple((p, tuple(seen[p])) for p in order if len(seen[p]) > 1),
        apic_to_node=tuple(apic),
        srat_rejected="SRAT not used" in text or re.search(r"nodes only cover \d+MB of your", text) is not None
        or "no nodes coverage for" in text,
        slit_rejected="SLIT table looks invalid" in text,
        fake_numa=re.search(r"Faking (a )?node", text) is not None or "numa=fake" in text,
    )


def read_dmesg_numa(root: Root) -> Optional[DmesgNuma]:
    """None for a live host or a capture without dmesg.txt."""
    if root.kind == "live":
        return None
    return parse_dmesg_numa(root.read_text("dmesg.txt", limit=64 << 20))
