"""Linux's numbering of SRAT proximity domains as node ids: one rule, used by the cross-check, the memory chunks
and the placement input. Which entries count is asked of each subtable type's descriptor (acpi/srat.py)."""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence


def role_of(type_code: object) -> Optional[str]:
    """The role of an SRAT subtable type (cpu, memory, initiator, port, device), None when unknown. Imported here
    only once there are entries, so from decoded tables: construct is loaded already."""
    from numaprobe.acpi.srat import subtable_type

    t = subtable_type(type_code) if isinstance(type_code, int) else None
    return t.role if t is not None else None


def pxm_to_node(entries: Sequence[object]) -> Dict[int, int]:
    """drivers/acpi/numa/srat.c acpi_numa_init(): pass 1 over CPU/GI entries, pass 2 over memory entries, each in
    table order; a PXM gets the lowest unused node id when first met in an enabled entry.

    `entries` are decoded SRAT subtables (anything with type, enabled and proximity_domain).
    """
    order: List[int] = []
    if not entries:
        return {}
    for e in entries:
        role = role_of(getattr(e, "type", None))
        if role not in ("cpu", "initiator"):
            continue
        if not getattr(e, "enabled", False):
            if role == "initiator":
                # acpi_parse_gi_affinity returns -EINVAL for a disabled GI entry, which stops the pass-1 walk.
                break
            continue
        pxm = getattr(e, "proximity_domain", None)
        if pxm is not None and pxm not in order:
            order.append(pxm)
    for e in entries:
        if role_of(getattr(e, "type", None)) == "memory" and getattr(e, "enabled", False):
            pxm = getattr(e, "proximity_domain", None)
            if pxm is not None and pxm not in order:
                order.append(pxm)
    return {pxm: i for i, pxm in enumerate(order)}
