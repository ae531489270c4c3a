"""Turn what the readers found under a Root into one frozen Topology, with a Note for every oddity."""

from __future__ import annotations

from dataclasses import replace
from typing import Dict, List, Optional, Sequence, Set, Tuple

from numaprobe.model.node_extras import device_memory_nodes, gpu_memory_nodes, high_watermarks
from numaprobe.model.topology import Cpu, Device, HugePages, Node, Note, Package, Source, Topology
from numaprobe.readers import cpus as cpu_reader
from numaprobe.readers import nodes as node_reader
from numaprobe.readers.cpumask import format_cpulist
from numaprobe.readers.cpuset import read_allowed_sets
from numaprobe.readers.devices import read_pci_devices
from numaprobe.readers.meminfo import read_meminfo
from numaprobe.source.root import Root


# What build_topology reads beyond the readers': the source's names, NVIDIA GPU memory nodes.
CAPTURE_FILES = ("proc/version", "proc/sys/kernel/osrelease", "proc/sys/kernel/hostname")
CAPTURE_TREES = ("proc/driver/nvidia/gpus",)


def _fmt(ids: Sequence[int]) -> str:
    return format_cpulist(ids) or "none"


def read_source(root: Root) -> Source:
    version = root.read_text("proc/version")
    kernel = root.read_text("proc/sys/kernel/osrelease")
    if kernel is None and version:
        words = version.split()
        kernel = words[2] if len(words) > 2 and words[0] == "Linux" else None
    return Source(kind=root.kind, path=root.path, kernel=kernel,
                  hostname=root.read_text("proc/sys/kernel/hostname"))


def _node_ids(root: Root, notes: List[Note]) -> Tuple[int, ...]:
    dirs = node_reader.list_node_dirs(root)
    online = node_reader.read_node_state(root, "online")
    if online is None:
        ids = dirs
    else:
        # Offline nodes have no directory; a node listed online without one is a truncated capture.
        missing = [n for n in online if n not in dirs]
        if missing:
            notes.append(Note("node-dir-missing", "node(s) %s listed in node/online have no directory; ignored"
                              % _fmt(missing)))
        ids = tuple(n for n in online if n in dirs)
        extra = [n for n in dirs if n not in online]
        if extra:
            notes.append(Note("node-not-online", "node directories %s are not in node/online; ignored"
                              % _fmt(extra)))
    if ids and list(ids) != list(range(len(ids))):
        notes.append(Note("sparse-node-ids", "node ids are sparse (%s): distance rows follow the order of "
                          "node ids, not the ids themselves" % _fmt(ids)))
    return ids


def _cpu_node_link(root: Root, cpu: int) -> Optional[int]:
    for name in root.try_listdir("%s/cpu%d" % (cpu_reader.CPU_DIR, cpu)):
        if name.startswith("node") and name[4:].isdigit():
            return int(name[4:])
    return None


def _online_cpus(root: Root, raw: Dict[int, cpu_reader.RawCpu], notes: List[Note]) -> Set[int]:
    online_list = cpu_reader.read_cpu_state(root, "online")
    if online_list is not None:
        return set(online_list)
    # Without cpu/online (very old kernels, partial captures), a CPU is online unless cpuN/online says 0.
    notes.append(Note("cpu-online-missing", "cpu/online is absent; per-CPU online files were used"))
    return {c for c, r in raw.items() if r.online_file is not False}


def _group_ids(groups: Dict[Tuple[int, ...], List[int]], file_ids: Dict[Tuple[int, ...], Optional[int]],
               what: str, notes: List[Note]) -> Dict[Tuple[int, ...], int]:
    """Give each sibling group an id unique machine-wide: the kernel's when usable, else dense by first CPU."""
    ordered = sorted(groups, key=lambda g: g[0])
    ids = [file_ids.get(g) for g in ordered]
    if all(i is not None and i >= 0 for i in ids) and len(set(ids)) == len(ids):
        return {g: i for g, i in zip(ordered, ids)}  # type: ignore[misc]
    if any(i is None or i < 0 for i in ids):
        notes.append(Note("%s-id-unusable" % what, "some %s ids are missing or -1; %ss are numbered from "
                          "their sibling masks instead" % (what, what)))
    else:
        notes.append(Note("%s-id-duplicate" % what, "%s ids repeat across distinct sibling groups; %ss are "
                          "numbered from their sibling masks instead" % (what, what)))
    return {g: i for i, g in enumerate(ordered)}


def _build_cpus(root: Root, node_of: Dict[int, int], notes: List[Note],
                cpuinfo: Dict[int, cpu_reader.CpuinfoEntry]) -> Tuple[Tuple[Cpu, ...], Set[int]]:
    dir_ids = cpu_reader.list_cpu_dirs(root)
    raw = {c: cpu_reader.read_cpu(root, c) for c in dir_ids}
    online = _online_cpus(root, raw, notes)

    in_nodes_only = sorted(set(node_of) - set(raw))
    if in_nodes_only:
        notes.append(Note("cpu-not-in-sysfs", "CPU(s) %s are named by a node but have no directory under "
                          "sys/devices/system/cpu; counted as offline" % _fmt(in_nodes_only)))
    no_topo = sorted(c for c in online if c in raw and not raw[c].has_topology)
    if no_topo and len(no_topo) < len(raw):
        # hwloc skips such CPUs too (look_sysfscpu: "no topology dir"); they are usually being hot-added.
        notes.append(Note("cpu-without-topology", "online CPU(s) %s have no topology directory; treated as "
                          "offline" % _fmt(no_topo)))
        online -= set(no_topo)
    online &= set(raw)
    offline = sorted(set(raw) - online)
    if offline:
        notes.append(Note("offline-cpus", "CPU(s) %s are offline" % _fmt(offline)))

    def group(mask: Optional[Tuple[int, ...]], cpu: int) -> Tuple[int, ...]:
        members = tuple(c for c in (mask or ()) if c in online)
        return members if cpu in members else (cpu,)

    pkg_groups: Dict[Tuple[int, ...], List[int]] = {}
    core_groups: Dict[Tuple[int, ...], List[int]] = {}
    pkg_file_id: Dict[Tuple[int, ...], Optional[int]] = {}
    for c in sorted(online):
        r = raw[c]
        pg = group(r.package_cpus, c)
        pkg_groups.setdefault(pg, []).append(c)
        pkg_file_id.setdefault(pg, r.physical_package_id)
        core_groups.setdefault(group(r.core_cpus, c), []).append(c)
    _note_missing_sibling_info(raw, online, notes)
    pkg_id = _group_ids(pkg_groups, pkg_file_id, "package", notes)
    core_id = {g: i for i, g in enumerate(sorted(core_groups, key=lambda g: g[0]))}
    _note_amd_compute_units(raw, core_groups, cpuinfo, notes)

    cpus = []
    for c in sorted(set(raw) | set(in_nodes_only)):
        r = raw.get(c)
        is_online = c in online
        info = cpuinfo.get(c)
        node = node_of.get(c)
        if node is None and r is not None and r.node_link is not None:
            node = r.node_link
        cpus.append(Cpu(
            id=c,
            online=is_online,
            node=node,
            package=pkg_id[group(r.package_cpus, c)] if is_online and r else None,
            core=core_id[group(r.core_cpus, c)] if is_online and r else None,
            thread_siblings=group(r.core_cpus, c) if is_online and r else (),
            die=r.die_id if r else None,
            apic_id=info.apic_id if info else None,
            hart_id=info.hart_id if info else None,
            max_khz=r.max_khz if r else None,
        ))
    return tuple(cpus), online


def _note_missing_sibling_info(raw, online: Set[int], notes: List[Note]) -> None:
    """Some kernels (PS3, s390 before 3.x, fake test trees) export no core or package sibling masks.

    hwloc then creates no Core (or Package) objects at all; numaprobe counts each CPU as its own core (or
    package), which is what the scheduler sees, and says so.
    """
    present = [raw[c] for c in online if raw[c].has_topology]
    if present and all(r.core_cpus is None for r in present):
        notes.append(Note("core-info-missing", "no CPU exports core sibling masks (core_cpus/thread_siblings); "
                          "each CPU is counted as its own core"))
    if present and all(r.package_cpus is None and r.physical_package_id is None for r in present):
        notes.append(Note("package-info-missing", "no CPU exports package information (package_cpus/"
                          "core_siblings/physical_package_id); each CPU is counted as its own package"))


def _note_amd_compute_units(raw, core_groups, cpuinfo, notes: List[Note]) -> None:
    """AMD family 15h/16h report the two cores of a compute unit as thread siblings with distinct core_ids.

    hwloc (is_amd_with_CU) then makes each thread a Core; numaprobe keeps the kernel's sibling masks, so its core
    count is hwloc's divided by two on those machines. Say so.
    """
    for g in core_groups:
        if len(g) > 1 and len({raw[c].core_id for c in g}) > 1:
            info = cpuinfo.get(g[0])
            if info and info.vendor == "AuthenticAMD" and info.family in (0x15, 0x16):
                notes.append(Note("amd-compute-units", "AMD family %#x compute units: sibling CPUs have distinct "
                                  "core ids; counted as one core per compute unit (hwloc counts each)" % info.family))
            else:
                notes.append(Note("siblings-distinct-core-ids", "thread siblings %s report distinct core ids"
                                  % _fmt(g)))
            return


def _distances(raw_nodes: Sequence[node_reader.RawNode], notes: List[Note]) -> List[Optional[Tuple[int, ...]]]:
    n = len(raw_nodes)
    out: List[Optional[Tuple[int, ...]]] = []
    for rn in raw_nodes:
        row = rn.distance_row
        if row is None:
            notes.append(Note("distance-missing", "node%d has no readable distance file" % rn.id))
            out.append(None)
        elif len(row) > n:
            notes.append(Note("distance-row-long", "node%d distance row has %d values for %d nodes; the first %d "
                              "are used" % (rn.id, len(row), n, n)))
            out.append(row[:n])
        elif len(row) < n:
            notes.append(Note("distance-row-short", "node%d distance row has %d values for %d nodes; unusable"
                              % (rn.id, len(row), n)))
            out.append(None)
        else:
            out.append(row)
    return out


def _build_devices(root: Root) -> Tuple[Device, ...]:
    return tuple(Device(address=d.address, node=d.numa_node, local_cpus=d.local_cpus or (), vendor=d.vendor,
                        device=d.device, pci_class=d.pci_class) for d in read_pci_devices(root))


def _place_node_cpus(root: Root, raw_nodes: Sequence[node_reader.RawNode], notes: List[Note]) -> Dict[int, int]:
    """CPU id -> node id from the node cpulists; a CPU listed by two nodes goes by its cpuN/nodeM link."""
    node_of: Dict[int, int] = {}
    for rn in raw_nodes:
        if rn.cpus_from == "cpumap":
            notes.append(Note("node-cpulist-missing", "node%d has no cpulist; its cpumap was used" % rn.id))
        elif rn.cpus_from == "none":
            notes.append(Note("node-cpus-unreadable", "node%d has neither cpulist nor cpumap" % rn.id))
        overlap = [c for c in (rn.cpus or ()) if c in node_of]
        if overlap:
            # hwloc calls this a buggy BIOS and drops the later node. Linux's numa=fake=N does it too (every
            # fake node lists all CPUs of its physical node); there the cpuN/nodeM link is the kernel's answer.
            first = node_of[overlap[0]]
            for c in overlap:
                link = _cpu_node_link(root, c)
                if link == rn.id:
                    node_of[c] = rn.id
            notes.append(Note("overlapping-node-cpus", "CPU(s) %s are listed in node%d and node%d; each is "
                              "placed by its cpuN/nodeM link, else in node%d" % (_fmt(overlap), first, rn.id, first)))
        for c in rn.cpus or ():
            node_of.setdefault(c, rn.id)
    return node_of


def _node_records(raw_nodes, rows, online: Set[int], node_of: Dict[int, int], state_files, watermarks,
                  notes: List[Note]) -> List[Node]:
    """One Node per node directory; node/has_cpu and node/has_memory (state_files) are checked against it."""
    has_cpu_file, has_mem_file = state_files
    nodes = []
    for rn, row in zip(raw_nodes, rows):
        node_cpus_online = tuple(sorted(c for c in (rn.cpus or ()) if c in online and node_of.get(c) == rn.id))
        all_cpus = tuple(sorted(c for c in (rn.cpus or ()) if node_of.get(c) == rn.id))
        has_cpu = bool(node_cpus_online)
        has_memory = bool(rn.memory_total_bytes)
        if has_cpu_file and (rn.id in has_cpu_file) != has_cpu:
            notes.append(Note("has-cpu-disagrees", "node/has_cpu %s node%d, but it has %d online CPUs"
                              % ("lists" if rn.id in has_cpu_file else "omits", rn.id, len(node_cpus_online))))
        if has_mem_file and (rn.id in has_mem_file) != has_memory:
            notes.append(Note("has-memory-disagrees", "node/has_memory %s node%d, whose MemTotal is %s"
                              % ("lists" if rn.id in has_mem_file else "omits", rn.id, rn.memory_total_bytes)))
        if not has_cpu:
            notes.append(Note("cpuless-node", "node%d has no online CPU%s" % (
                rn.id, " (memory-only node)" if has_memory else "")))
        if not has_memory:
            notes.append(Note("memoryless-node", "node%d has no memory" % rn.id))
        nodes.append(Node(
            id=rn.id,
            cpus=node_cpus_online,
            all_cpus=all_cpus,
            memory_total_bytes=rn.memory_total_bytes,
            memory_free_bytes=rn.memory_free_bytes,
            distances=row,
            has_cpu=has_cpu,
            has_memory=has_memory,
            hugepages=tuple(HugePages(h.size_bytes, h.total or 0, h.free or 0) for h in rn.hugepages),
            memory_reclaimable_bytes=rn.memory_reclaimable_bytes,
            high_watermark_bytes=watermarks.get(rn.id),
        ))
    return nodes


def _memory_totals(root: Root, meminfo: Dict[str, int]) -> Tuple[Optional[int], Optional[int]]:
    """MemTotal and MemFree; on a live host psutil's, which agree with what `free` prints."""
    if root.kind == "live":
        import psutil

        vm = psutil.virtual_memory()
        return vm.total, vm.free
    return meminfo.get("MemTotal"), meminfo.get("MemFree")


def _note_device_memory(nodes: Sequence[Node], notes: List[Note]) -> None:
    for n in nodes:
        if n.device_memory in ("soft-reserved", "device-initiator"):
            notes.append(Note("device-memory-node", "node%d is a device's memory (%s): advise leaves it alone "
                              "unless --allow-device-memory" % (n.id, n.device_memory)))


def _note_allowed(allowed, online: Set[int], nodes: Sequence[Node], notes: List[Note]) -> None:
    if allowed.cpus is not None:
        restricted = sorted(online - set(allowed.cpus))
        if restricted:
            notes.append(Note("cpuset-restricted", "this process may use only CPUs %s (%s); %s are online but "
                              "not allowed" % (_fmt(allowed.cpus), allowed.source, _fmt(restricted))))
    if allowed.mems is not None:
        not_allowed = [n.id for n in nodes if n.id not in allowed.mems]
        if not_allowed:
            notes.append(Note("mems-restricted", "memory of node(s) %s is not allowed to this process (%s)"
                              % (_fmt(not_allowed), allowed.source)))


def build_topology(root: Root, cpuinfo: Optional[Dict[int, cpu_reader.CpuinfoEntry]] = None) -> Topology:
    """`cpuinfo`: /proc/cpuinfo as read_cpuinfo parsed it, when the caller has read it already."""
    notes: List[Note] = []
    node_ids = _node_ids(root, notes)
    raw_nodes = [node_reader.read_node(root, n) for n in node_ids]

    node_of = _place_node_cpus(root, raw_nodes, notes)
    cpus, online = _build_cpus(root, node_of, notes, cpu_reader.read_cpuinfo(root) if cpuinfo is None else cpuinfo)
    if not node_ids:
        notes.append(Note("no-numa-nodes", "no sys/devices/system/node: a kernel without NUMA; one node 0 "
                          "holding all CPUs and memory is assumed"))

    meminfo = read_meminfo(root)
    has_cpu_file = node_reader.read_node_state(root, "has_cpu")
    has_mem_file = node_reader.read_node_state(root, "has_memory")
    rows = _distances(raw_nodes, notes)
    if has_cpu_file == () and online and raw_nodes:
        notes.append(Note("has-cpu-empty", "node/has_cpu is empty although CPUs are online; CPUs per node come "
                          "from the node cpulists"))
    nodes = _node_records(raw_nodes, rows, online, node_of, (has_cpu_file, has_mem_file), high_watermarks(root),
                          notes)
    devmem = device_memory_nodes(root, [n.id for n in nodes if not n.has_cpu])
    nodes = [replace(n, device_memory=devmem.get(n.id)) if n.id in devmem else n for n in nodes]
    if not nodes:
        # A non-NUMA kernel: numactl -H shows one node 0 too.
        nodes.append(Node(id=0, cpus=tuple(sorted(online)), all_cpus=tuple(c.id for c in cpus),
                          memory_total_bytes=meminfo.get("MemTotal"), memory_free_bytes=meminfo.get("MemFree"),
                          distances=(10,), has_cpu=bool(online), has_memory=bool(meminfo.get("MemTotal"))))
        cpus = tuple(Cpu(**{**c.__dict__, "node": 0}) for c in cpus)

    unplaced = sorted(c.id for c in cpus if c.online and c.node is None)
    if unplaced:
        notes.append(Note("cpu-without-node", "online CPU(s) %s belong to no node" % _fmt(unplaced)))

    packages = _packages(cpus)
    _note_nodes_straddling_packages(nodes, packages, notes)
    _note_initiators(root, nodes, notes)
    _note_gpu_memory_nodes(root, notes)
    _note_device_memory(nodes, notes)
    allowed = read_allowed_sets(root)
    allowed_cpus = allowed.cpus
    _note_allowed(allowed, online, nodes, notes)
    _note_node_memory_sum(nodes, meminfo.get("MemTotal"), notes)
    total, free = _memory_totals(root, meminfo)
    return Topology(
        source=read_source(root),
        nodes=tuple(nodes),
        cpus=cpus,
        packages=packages,
        devices=_build_devices(root),
        notes=tuple(notes),
        allowed_cpus=allowed_cpus,
        allowed_mems=allowed.mems,
        memory_total_bytes=total,
        memory_free_bytes=free,
    )


def _note_nodes_straddling_packages(nodes: Sequence[Node], packages: Sequence[Package],
                                    notes: List[Note]) -> None:
    """A node that shares CPUs with a package without either holding the other (QEMU lets one build this;
    SNC firmware bugs too). hwloc refuses such a node ("intersection without inclusion") and hangs it at the
    machine level with all CPUs; numaprobe keeps the kernel's CPU list."""
    package_sets = [(p, set(p.cpus)) for p in packages]
    for n in nodes:
        ncpus = set(n.cpus)
        for p, pcpus in package_sets:
            if ncpus & pcpus and not (ncpus <= pcpus or pcpus <= ncpus):
                notes.append(Note("node-straddles-packages", "node%d (CPUs %s) partly overlaps package %d (CPUs "
                                  "%s)" % (n.id, _fmt(n.cpus), p.id, _fmt(p.cpus))))
                break


def _note_initiators(root: Root, nodes: Sequence[Node], notes: List[Note]) -> None:
    """Linux 5.10+ publishes HMAT's best initiators per memory node (access1: CPUs only, access0: any
    initiator). hwloc adds the initiators' CPUs to the node's CPU set; numaprobe reports the link."""
    for n in nodes:
        for access in ("access1", "access0"):
            names = root.try_listdir("sys/devices/system/node/node%d/%s/initiators" % (n.id, access))
            inits = sorted(int(x[4:]) for x in names if x.startswith("node") and x[4:].isdigit())
            if inits:
                if inits != [n.id]:
                    notes.append(Note("hmat-initiators", "node%d's nearest initiators (%s) are node(s) %s"
                                      % (n.id, access, _fmt(inits))))
                break


def _note_gpu_memory_nodes(root: Root, notes: List[Note]) -> None:
    """NVIDIA GPU memory onlined as NUMA nodes (POWER9/Grace). hwloc hides them on POWER unless told to keep."""
    for node, gpu in gpu_memory_nodes(root).items():
        notes.append(Note("gpu-memory-node", "node%d is the memory of GPU %s" % (node, gpu)))


def _note_node_memory_sum(nodes: Sequence[Node], mem_total: Optional[int], notes: List[Note]) -> None:
    """The nodes' MemTotal should add up to /proc/meminfo's. When they do not (memory onlined outside any node's
    accounting, a balloon or virtio-mem device in some VMs, a truncated capture), per-node figures undercount."""
    totals = [n.memory_total_bytes for n in nodes]
    if not mem_total or not totals or any(t is None for t in totals):
        return
    node_sum = sum(totals)  # type: ignore[arg-type]
    # Older kernels count present pages per node but managed pages in /proc/meminfo: nodes exceeding MemTotal
    # by a few percent is normal (2% on the hwloc corpus). Falling short is not.
    if mem_total - node_sum > max(mem_total // 100, 64 << 20) or node_sum > mem_total + mem_total // 10:
        notes.append(Note("node-memory-sum", "the nodes' MemTotal add up to %d MiB but /proc/meminfo says %d MiB; "
                          "per-node memory figures do not cover all of it" % (node_sum >> 20, mem_total >> 20)))


def _packages(cpus: Sequence[Cpu]) -> Tuple[Package, ...]:
    by_pkg: Dict[int, List[Cpu]] = {}
    for c in cpus:
        if c.online and c.package is not None:
            by_pkg.setdefault(c.package, []).append(c)
    return tuple(Package(
        id=p,
        cpus=tuple(c.id for c in members),
        nodes=tuple(sorted({c.node for c in members if c.node is not None})),
        cores=len({c.core for c in members}),
    ) for p, members in sorted(by_pkg.items()))
