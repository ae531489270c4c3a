"""Read everything once: a Root -> one frozen Machine (model/machine.py).

The one place where the memory map's source chain, the kernel's view, the heap state and the processes are read;
the analyses above model/ only ever see the Machine.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Collection, List, Optional, Tuple

from numaprobe.model.machine import HeapState, KernelView, Machine, MemBlock, MemoryMap, NodeMemory, Process
from numaprobe.model.topology import HugePages, Topology
from numaprobe.ranges import merge_ranges, overlaps
from numaprobe.notes import Note
from numaprobe.source.recording import RecordingRoot
from numaprobe.source.root import Root


CAPTURE_FILES = ("proc/cmdline",)  # read_kernel_view


def read_memory_map(root: Root) -> MemoryMap:
    """System RAM from the first source that has it: the firmware memmap (with RAM hot-added since boot, which
    is in /proc/iomem and the memory blocks but only sometimes in the firmware map), else /proc/iomem, else the
    online memory blocks."""
    from numaprobe.readers.iomem import read_iomem
    from numaprobe.readers.memmap import read_memmap
    from numaprobe.readers.memory_blocks import read_memory_blocks

    mb = read_memory_blocks(root)
    blocks = tuple(MemBlock(b.start, b.end, b.node, b.state in (None, "online")) for b in mb.blocks)
    ram = merge_ranges((e.start, e.end) for e in read_memmap(root) if e.is_ram)
    iomem_ram = read_iomem(root).system_ram()
    if ram:
        hot_added = [r for r in iomem_ram if not any(overlaps(r, m) for m in ram)]
        return MemoryMap(merge_ranges(list(ram) + hot_added), "memmap", blocks, mb.block_size)
    if iomem_ram:
        return MemoryMap(merge_ranges(iomem_ram), "iomem", blocks, mb.block_size)
    ram = merge_ranges((b.start, b.end) for b in blocks if b.online)
    return MemoryMap(ram, "memory-blocks" if ram else "none", blocks, mb.block_size)


def read_kernel_view(root: Root) -> KernelView:
    from numaprobe.readers.dmesg import read_dmesg_numa
    from numaprobe.readers.node_access import read_node_access

    return KernelView(acpi_present=root.is_dir("sys/firmware/acpi/tables"),
                      cmdline=root.read_text("proc/cmdline") or "", dmesg=read_dmesg_numa(root),
                      access=read_node_access(root))


def read_heap_state(root: Root, topology: Topology) -> HeapState:
    from numaprobe.readers.buddyinfo import read_buddyinfo
    from numaprobe.readers.meminfo import read_node_meminfo
    from numaprobe.readers.nodes import list_node_dirs, read_node_hugepages
    from numaprobe.readers.numastat import read_node_counters
    from numaprobe.readers.zoneinfo import read_zoneinfo

    dirs = list_node_dirs(root)
    known = {n.id: n for n in topology.nodes} if dirs else {}
    memory = []
    for d in dirs:
        n = known.get(d)
        if n is not None:  # read once already, for the topology
            memory.append(NodeMemory(d, n.memory_total_bytes, n.memory_free_bytes, n.hugepages))
            continue
        mem = read_node_meminfo(root, d)
        huge = tuple(HugePages(h.size_bytes, h.total or 0, h.free or 0) for h in read_node_hugepages(root, d))
        memory.append(NodeMemory(d, mem.get("MemTotal"), mem.get("MemFree"), huge))
    return HeapState(tuple(memory), read_buddyinfo(root), read_zoneinfo(root), read_node_counters(root))


def read_processes(root: Root) -> Tuple[Process, ...]:
    """Every process under proc/: its status and command line."""
    from numaprobe.readers import proc_lookup

    out: List[Process] = []
    for pid in proc_lookup.list_pids(root):
        status = proc_lookup.read_status(root, pid)
        if status is not None:  # else gone, or not a process directory
            out.append(proc_lookup.process_from_status(Process, pid, status, proc_lookup.read_cmdline(root, pid)))
    return tuple(out)


def with_detail(root: Root, processes: Tuple[Process, ...], wanted: Optional[Collection[int]]) -> Tuple[Process, ...]:
    """The processes, those in `wanted` (None: every one) with the CPUs their threads last ran on and numa_maps."""
    from dataclasses import replace

    from numaprobe.readers.numa_maps import huge_page_size, read_numa_maps
    from numaprobe.readers.proc_lookup import read_last_cpus

    chosen = [p for p in processes if wanted is None or p.pid in wanted]
    if not chosen:
        return processes
    huge = huge_page_size(root)
    detailed = {p.pid: replace(p, last_cpus=read_last_cpus(root, p.pid), numa_maps=read_numa_maps(root, p.pid, huge))
                for p in chosen}
    return tuple(detailed.get(p.pid, p) for p in processes)


def build_machine(root: Root, detail_pids: Optional[Collection[int]] = None, detail_all: Optional[bool] = None,
                  name_pattern: Optional[str] = None, guest: Optional[str] = None) -> Machine:
    """The Machine of `root`. Per-process detail (last CPUs, numa_maps) is read for every process of a capture;
    on a live host (where that means thousands of files) only for `detail_pids` and the processes that
    `name_pattern` or `guest` select (as model.processes selects them)."""
    from numaprobe.acpi import read_numa_tables
    from numaprobe.model.build import build_topology
    from numaprobe.model.machine import AcpiTables
    from numaprobe.readers.cpus import read_cpuinfo
    from numaprobe.readers.proc_lookup import read_libvirt_pids

    root = RecordingRoot(root)
    cpuinfo = read_cpuinfo(root)
    topology = build_topology(root, cpuinfo)
    if detail_all is None:
        detail_all = root.kind != "live"
    libvirt = read_libvirt_pids(root)
    processes = read_processes(root)
    if detail_all:
        processes = with_detail(root, processes, None)
    elif detail_pids or name_pattern is not None or guest is not None:
        from numaprobe.model.processes import select_pids

        wanted = set(detail_pids or ()) | set(select_pids(processes, libvirt, name_pattern, guest))
        processes = with_detail(root, processes, wanted)
    from numaprobe.readers.dmi import read_dmi

    first = next((c.id for c in topology.online_cpus), None)
    mhz = cpuinfo[first].mhz if first in cpuinfo else None
    vendor = next((c.vendor for c in cpuinfo.values() if c.vendor), None)
    acpi, memory = AcpiTables(read_numa_tables(root)), read_memory_map(root)
    kernel, heap = read_kernel_view(root), read_heap_state(root, topology)
    dmi = read_dmi(root)
    topology = replace(topology, notes=topology.notes + reading_notes(root))
    return Machine(topology=topology, acpi=acpi, memory=memory, kernel=kernel, heap=heap, processes=processes,
                   libvirt_pids=libvirt, cpu_mhz=mhz, cpu_vendor=vendor, dmi=dmi)


def reading_notes(root: RecordingRoot) -> Tuple[Note, ...]:
    """What the reads themselves showed: values ending in NULs, files that exist but could not be read (told
    apart from absent ones, which are normal: not every kernel has every file)."""
    # Roots that made some facts up from other evidence (a sosreport's command outputs) say where each came from.
    notes = [Note(code, message) for code, message in getattr(root.inner, "source_notes", ())]
    if root.nul_terminated:
        notes.append(Note("nul-terminated-values", "%d file(s) ended their value with NUL bytes (e.g. %s); the "
                          "NULs were stripped" % (len(root.nul_terminated), root.nul_terminated[0])))
    denied = sorted(set(root.denied))
    if denied:
        notes.append(Note("files-unreadable", "%d file(s) exist but could not be read (permission denied), e.g. "
                          "/%s; run as root to read them" % (len(denied), denied[0])))
    return tuple(notes)


def load_machine(path: Optional[str], **detail) -> Machine:
    """The Machine at `path`: the live host (None or "/"), a snapshot (model/snapshot.py), or a captured directory
    or tarball (source.root.open_root). `detail`: build_machine's process-detail arguments (a snapshot holds
    what it holds). Raises InputError with one line for unusable input."""
    from numaprobe.errors import InputError
    from numaprobe.source.root import has_machine_data, open_root

    if path is not None and _is_snapshot_file(path):
        from numaprobe.model.snapshot import read_snapshot

        return read_snapshot(path)
    root = open_root(path)
    if root.kind != "live" and not has_machine_data(root):
        raise InputError("%s: no node, CPU or meminfo data under sys/ and proc/ (an empty or container root file "
                         "system?)" % path)
    return build_machine(root, **detail)


def _is_snapshot_file(path: str) -> bool:
    import os
    import stat

    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return False
        with open(path, "rb") as f:
            head = f.read(64)
    except OSError:
        return False  # open_root says why, in its one line
    # A snapshot is a JSON object; a tarball never starts with "{". model/snapshot.py is imported only then.
    return head.lstrip()[:1] == b"{"
