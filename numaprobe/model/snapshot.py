"""A Machine as a versioned JSON document (docs/json.md, "snapshot") and back: what a fleet stores, and what
`--root FILE.json` reads. It holds the facts only (the ACPI tables as their bytes, not decoded), so it is a small
fraction of the capture it came from, and loading one costs a JSON parse and the records, nothing else.

Long lists of small records (CPUs, memory blocks, zones) are tables, {"fields": [...], "rows": [[...], ...]}:
a third of the size of one object per record, and what a reader in any language unpacks in one line.
"""

from __future__ import annotations

import base64
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from numaprobe import SCHEMA_VERSION
from numaprobe.acpi import TableRead
from numaprobe.errors import InputError
from numaprobe.model.machine import (
    AcpiTables, HeapState, KernelView, Machine, MemBlock, MemoryMap, NodeMemory, Process,
)
from numaprobe.model.topology import Cpu, Device, HugePages, Node, Package, Source, Topology
from numaprobe.notes import Note

DOCUMENT = "numaprobe-snapshot"
CPU_FIELDS = ("id", "online", "node", "package", "core", "thread_siblings", "die", "apic_id", "max_khz", "hart_id")
PACKAGE_FIELDS = ("id", "cpus", "nodes", "cores")
DEVICE_FIELDS = ("address", "node", "local_cpus", "vendor", "device", "pci_class")
BLOCK_FIELDS = ("start", "end", "node", "online")
ACCESS_FIELDS = ("node", "access", "initiators", "read_latency", "write_latency", "read_bandwidth",
                 "write_bandwidth")
ZONE_FIELDS = ("node", "zone", "free_pages", "min_pages", "low_pages", "high_pages", "spanned_pages",
               "present_pages", "managed_pages", "start_pfn")
BUDDY_FIELDS = ("node", "zone", "free_blocks")
USAGE_FIELDS = ("node", "huge", "heap", "stack", "file", "anon")


def _tuples(v: Any) -> Any:
    """JSON arrays back into the tuples the records hold (nested ones too)."""
    return tuple(_tuples(x) for x in v) if isinstance(v, list) else v


def _table(records: Sequence[Any], fields: Sequence[str]) -> Dict[str, Any]:
    return {"fields": list(fields), "rows": [[getattr(r, f) for f in fields] for r in records]}


def _rows(doc: Dict[str, Any], fields: Sequence[str], make: Callable[..., Any]) -> Tuple[Any, ...]:
    # A snapshot of an older numaprobe lacks the fields added since, at the end: their defaults stand.
    if list(fields)[:len(doc.get("fields") or ())] != doc.get("fields") or not doc.get("fields"):
        raise InputError("snapshot table has fields %s, expected %s" % (doc.get("fields"), list(fields)))
    return tuple(make(*(_tuples(v) for v in row)) for row in doc["rows"])


def _notes(notes: Sequence[Note]) -> List[List[str]]:
    return [[n.code, n.message] for n in notes]


def _load_notes(doc: Sequence[Sequence[str]]) -> Tuple[Note, ...]:
    return tuple(Note(code, message) for code, message in doc)


def _node(n: Node) -> Dict[str, Any]:
    return {"id": n.id, "cpus": n.cpus, "all_cpus": n.all_cpus, "memory_total_bytes": n.memory_total_bytes,
            "memory_free_bytes": n.memory_free_bytes, "distances": n.distances, "has_cpu": n.has_cpu,
            "has_memory": n.has_memory, "hugepages": [[h.size_bytes, h.total, h.free] for h in n.hugepages],
            "memory_reclaimable_bytes": n.memory_reclaimable_bytes, "high_watermark_bytes": n.high_watermark_bytes,
            "device_memory": n.device_memory}


def _load_node(d: Dict[str, Any]) -> Node:
    return Node(id=d["id"], cpus=tuple(d["cpus"]), all_cpus=tuple(d["all_cpus"]),
                memory_total_bytes=d["memory_total_bytes"], memory_free_bytes=d["memory_free_bytes"],
                distances=_tuples(d["distances"]), has_cpu=d["has_cpu"], has_memory=d["has_memory"],
                hugepages=tuple(HugePages(*h) for h in d["hugepages"]),
                memory_reclaimable_bytes=d.get("memory_reclaimable_bytes"),
                high_watermark_bytes=d.get("high_watermark_bytes"), device_memory=d.get("device_memory"))


def _topology(t: Topology) -> Dict[str, Any]:
    s = t.source
    return {"source": {"kind": s.kind, "path": s.path, "kernel": s.kernel, "hostname": s.hostname},
            "nodes": [_node(n) for n in t.nodes], "cpus": _table(t.cpus, CPU_FIELDS),
            "packages": _table(t.packages, PACKAGE_FIELDS), "devices": _table(t.devices, DEVICE_FIELDS),
            "allowed": {"cpus": t.allowed_cpus, "mems": t.allowed_mems},
            "memory_total_bytes": t.memory_total_bytes, "memory_free_bytes": t.memory_free_bytes,
            "notes": _notes(t.notes)}


def _load_topology(d: Dict[str, Any]) -> Topology:
    return Topology(source=Source(**d["source"]), nodes=tuple(_load_node(n) for n in d["nodes"]),
                    cpus=_rows(d["cpus"], CPU_FIELDS, Cpu), packages=_rows(d["packages"], PACKAGE_FIELDS, Package),
                    devices=_rows(d["devices"], DEVICE_FIELDS, Device), notes=_load_notes(d["notes"]),
                    allowed_cpus=_tuples(d["allowed"]["cpus"]), allowed_mems=_tuples(d["allowed"]["mems"]),
                    memory_total_bytes=d["memory_total_bytes"], memory_free_bytes=d["memory_free_bytes"])


def _acpi(a: AcpiTables) -> List[Dict[str, Any]]:
    return [{"signature": r.signature, "data": base64.b64encode(r.data).decode() if r.data is not None else None,
             "note": [r.note.code, r.note.message] if r.note is not None else None} for r in a.reads]


def _load_acpi(doc: Sequence[Dict[str, Any]]) -> AcpiTables:
    return AcpiTables(tuple(TableRead(r["signature"], base64.b64decode(r["data"]) if r["data"] is not None else None,
                                      Note(*r["note"]) if r["note"] is not None else None) for r in doc))


def _dmesg(d) -> Optional[Dict[str, Any]]:
    """Every field of DmesgNuma, and srat_rejected / fake_numa (now derived) as the first snapshots had them."""
    from dataclasses import fields

    if d is None:
        return None
    out = {f.name: getattr(d, f.name) for f in fields(d)}
    out.update(srat_rejected=d.srat_rejected, fake_numa=d.fake_numa)
    return out


def _load_dmesg(dm: Optional[Dict[str, Any]]):
    from dataclasses import fields

    from numaprobe.readers.dmesg import DmesgNuma

    if dm is None:
        return None
    names = {f.name for f in fields(DmesgNuma)}
    args = {k: _tuples(v) for k, v in dm.items() if k in names}
    if "rejection" not in dm and dm.get("srat_rejected"):  # a first-version snapshot: only the verdict
        args["rejection"] = ("SRAT not used",)
    if "fake_cmdline" not in dm and dm.get("fake_numa"):
        args["fake_cmdline"] = True
    return DmesgNuma(**args)


def _kernel(k: KernelView) -> Dict[str, Any]:
    dmesg = _dmesg(k.dmesg)
    return {"acpi_present": k.acpi_present, "cmdline": k.cmdline, "dmesg": dmesg,
            "access": _table(k.access, ACCESS_FIELDS)}


def _load_kernel(d: Dict[str, Any]) -> KernelView:
    from numaprobe.readers.node_access import NodeAccess

    dmesg = _load_dmesg(d["dmesg"])
    return KernelView(acpi_present=d["acpi_present"], cmdline=d["cmdline"], dmesg=dmesg,
                      access=_rows(d["access"], ACCESS_FIELDS, NodeAccess))


def _memory(m: MemoryMap) -> Dict[str, Any]:
    return {"ram": m.ram, "ram_source": m.ram_source, "block_size": m.block_size,
            "blocks": _table(m.blocks, BLOCK_FIELDS)}


def _load_memory(d: Dict[str, Any]) -> MemoryMap:
    return MemoryMap(ram=_tuples(d["ram"]), ram_source=d["ram_source"], blocks=_rows(d["blocks"], BLOCK_FIELDS,
                                                                                     MemBlock),
                     block_size=d["block_size"])


def _heap(h: HeapState) -> Dict[str, Any]:
    return {"node_memory": [[m.node, m.total_bytes, m.free_bytes, [[x.size_bytes, x.total, x.free]
                                                                    for x in m.hugepages]] for m in h.node_memory],
            "buddyinfo": _table(h.buddyinfo, BUDDY_FIELDS), "zoneinfo": _table(h.zoneinfo, ZONE_FIELDS),
            "counters": [[c.node, c.values] for c in h.counters]}


def _load_heap(d: Dict[str, Any]) -> HeapState:
    from numaprobe.readers.buddyinfo import BuddyZone
    from numaprobe.readers.numastat import NodeCounters
    from numaprobe.readers.zoneinfo import ZoneInfo

    memory = tuple(NodeMemory(n, t, f, tuple(HugePages(*x) for x in huge)) for n, t, f, huge in d["node_memory"])
    return HeapState(node_memory=memory, buddyinfo=_rows(d["buddyinfo"], BUDDY_FIELDS, BuddyZone),
                     zoneinfo=_rows(d["zoneinfo"], ZONE_FIELDS, ZoneInfo),
                     counters=tuple(NodeCounters(n, _tuples(v)) for n, v in d["counters"]))


def _process(p: Process) -> Dict[str, Any]:
    maps = p.numa_maps
    return {"pid": p.pid, "name": p.name, "cmdline": p.cmdline, "cpus_allowed": p.cpus_allowed,
            "mems_allowed": p.mems_allowed, "threads": p.threads, "kernel_thread": p.kernel_thread,
            "last_cpus": p.last_cpus,
            "numa_maps": None if maps is None else {"nodes": _table(maps.nodes, USAGE_FIELDS),
                                                    "mappings": maps.mappings, "skipped_lines": maps.skipped_lines}}


def _load_process(d: Dict[str, Any]) -> Process:
    from numaprobe.readers.numa_maps import NodeUsage, NumaMaps

    m = d["numa_maps"]
    maps = None if m is None else NumaMaps(_rows(m["nodes"], USAGE_FIELDS, NodeUsage), m["mappings"],
                                           m["skipped_lines"])
    return Process(pid=d["pid"], name=d["name"], cmdline=tuple(d["cmdline"]), cpus_allowed=_tuples(d["cpus_allowed"]),
                   mems_allowed=_tuples(d["mems_allowed"]), threads=d["threads"], kernel_thread=d["kernel_thread"],
                   last_cpus=_tuples(d["last_cpus"]), numa_maps=maps)


def _dmi(d: Any) -> Dict[str, str]:
    if d is None:
        return {}
    if not isinstance(d, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in d.items()):
        raise ValueError("dmi is not an object of strings")
    return dict(d)


def to_json(machine: Machine) -> Dict[str, Any]:
    """The snapshot document: every fact of the Machine, nothing derived."""
    from numaprobe import __version__

    return {"schema_version": SCHEMA_VERSION, "document": DOCUMENT, "numaprobe_version": __version__,
            "topology": _topology(machine.topology), "acpi": _acpi(machine.acpi), "memory": _memory(machine.memory),
            "kernel": _kernel(machine.kernel), "heap": _heap(machine.heap),
            "processes": [_process(p) for p in machine.processes], "libvirt_pids": machine.libvirt_pids,
            "cpu_mhz": machine.cpu_mhz, "cpu_vendor": machine.cpu_vendor, "dmi": dict(machine.dmi)}


def from_json(doc: Any, what: str = "snapshot") -> Machine:
    """The Machine of a snapshot document. Raises InputError (one line) for anything else, another
    schema_version included."""
    if not isinstance(doc, dict) or doc.get("document") != DOCUMENT:
        raise InputError("%s: not a numaprobe snapshot (no \"document\": \"%s\")" % (what, DOCUMENT))
    if doc.get("schema_version") != SCHEMA_VERSION:
        raise InputError("%s: snapshot schema_version %r, this numaprobe reads %d"
                         % (what, doc.get("schema_version"), SCHEMA_VERSION))
    try:
        return Machine(topology=_load_topology(doc["topology"]), acpi=_load_acpi(doc["acpi"]),
                       memory=_load_memory(doc["memory"]), kernel=_load_kernel(doc["kernel"]),
                       heap=_load_heap(doc["heap"]), processes=tuple(_load_process(p) for p in doc["processes"]),
                       libvirt_pids=_tuples(doc["libvirt_pids"]), cpu_mhz=doc["cpu_mhz"],
                       # added within schema 1 (fleet): absent from older snapshots
                       cpu_vendor=doc.get("cpu_vendor"), dmi=_dmi(doc.get("dmi")))
    except InputError as e:
        raise InputError("%s: %s" % (what, e)) from None
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise InputError("%s: malformed snapshot (%s: %s)" % (what, type(e).__name__, e)) from None


def dumps(machine: Machine) -> str:
    """The snapshot as one line of JSON (the C encoder: no indent) and a newline."""
    import json

    return json.dumps(to_json(machine), separators=(",", ":")) + "\n"


def loads(text: Any, what: str = "snapshot") -> Machine:
    import json

    try:
        doc = json.loads(text)
    except (ValueError, UnicodeDecodeError) as e:
        raise InputError("%s: not JSON: %s" % (what, e)) from None
    return from_json(doc, what)


def read_snapshot(path: str, limit: Optional[int] = None) -> Machine:
    """A snapshot file, read with the same bounds as any file of a capture."""
    from numaprobe.source.root import MAX_FILE_BYTES, read_regular_file

    try:
        data = read_regular_file(path, limit or 4 * MAX_FILE_BYTES)
    except OSError as e:
        raise InputError("%s: %s" % (path, e.strerror or e)) from None
    return loads(data, path)
