"""Linux's numbering of SRAT proximity domains as node ids: one rule, used by the cross-check, the memory chunks
and the placement input."""

from __future__ import annotations

from typing import Dict, List, Sequence

# SRAT subtables that give a PXM to an initiator: local APIC, x2APIC, GICC, RINTC and generic initiators.
INITIATOR_TYPES = (0, 2, 3, 5, 7)
GENERIC_INITIATOR_TYPE = 5
MEMORY_TYPE = 1


def pxm_to_node(entries: Sequence[object]) -> Dict[int, int]:
    """drivers/acpi/numa/srat.c acpi_numa_init(): pass 1 over CPU/GI entries, pass 2 over memory entries, each in
    table order; a PXM gets the lowest unused node id when first met in an enabled entry.

    `entries` are decoded SRAT subtables (anything with type, enabled and proximity_domain).
    """
    order: List[int] = []
    for e in entries:
        kind = getattr(e, "type", None)
        if kind not in INITIATOR_TYPES:
            continue
        if not getattr(e, "enabled", False):
            if kind == GENERIC_INITIATOR_TYPE:
                # acpi_parse_gi_affinity returns -EINVAL for a disabled GI entry, which stops the pass-1 walk.
                break
            continue
        pxm = getattr(e, "proximity_domain", None)
        if pxm is not None and pxm not in order:
            order.append(pxm)
    for e in entries:
        if getattr(e, "type", None) == MEMORY_TYPE and getattr(e, "enabled", False):
            pxm = getattr(e, "proximity_domain", None)
            if pxm is not None and pxm not in order:
                order.append(pxm)
    return {pxm: i for i, pxm in enumerate(order)}
