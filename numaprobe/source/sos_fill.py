"""The sysfs and procfs files a SosRoot makes from a sosreport's command outputs (see source/sosreport.py).

Each function looks at what sos copied, makes only what is missing, in the kernel's own file formats (so every
reader works unchanged), and records where each fact came from.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

from numaprobe.readers import sos_commands as cmds
from numaprobe.readers.cpumask import format_cpulist

NODE_DIR = "sys/devices/system/node"
CPU_DIR = "sys/devices/system/cpu"
MEMORY_DIR = "sys/devices/system/memory"
DMI_DIR = "sys/class/dmi/id"
LOCAL_DISTANCE = 10  # include/linux/topology.h


def identity(sr) -> None:
    uname_text, uname_path = sr.command("uname")
    if sr.copied("proc/sys/kernel/osrelease"):
        sr.note("kernel release", "sos's copy of proc/sys/kernel/osrelease")
    elif cmds.parse_uname_release(uname_text):
        sr.put("proc/sys/kernel/osrelease", cmds.parse_uname_release(uname_text))
        sr.note("kernel release", uname_path)
    if sr.copied("proc/sys/kernel/hostname"):
        return
    host_text, host_path = sr.command("hostname")
    words = (uname_text or "").split()
    if host_text and host_text.split():
        sr.put("proc/sys/kernel/hostname", host_text.split()[0])
        sr.note("host name", host_path)
    elif len(words) > 1 and words[0] == "Linux":
        sr.put("proc/sys/kernel/hostname", words[1])
        sr.note("host name", uname_path)


def dmi(sr) -> None:
    if sr.copied(DMI_DIR + "/product_name"):
        sr.note("hardware model and BIOS", "sos's copy of " + DMI_DIR)
        return
    text, path = sr.command("dmidecode")
    fields = cmds.parse_dmidecode(text)
    for attr, value in fields.items():
        sr.put("%s/%s" % (DMI_DIR, attr), value)
    if fields:
        sr.note("hardware model and BIOS", path)


def dmesg(sr) -> None:
    """numaprobe's captures keep the kernel log as dmesg.txt; sos as the output of `dmesg`."""
    if sr.copied("dmesg.txt"):
        return
    text, path = sr.command("dmesg")
    if text is None and sr.copied("var/log/dmesg"):
        text, path = sr.base.read_text("var/log/dmesg", limit=64 << 20), "var/log/dmesg"
    if text:
        sr.put("dmesg.txt", text)
        sr.note("kernel log", path)


def _cpu_dirs(sr) -> List[int]:
    return sorted(int(n[3:]) for n in sr.base.try_listdir(CPU_DIR) if n.startswith("cpu") and n[3:].isdigit())


def cpus(sr, lscpu: Optional[Sequence[cmds.LscpuCpu]]) -> None:
    if _cpu_dirs(sr):
        sr.note("CPU topology", "sos's copy of " + CPU_DIR)
        return
    if not lscpu:
        return
    online = [c.cpu for c in lscpu if c.online is not False]
    everyone = [c.cpu for c in lscpu]
    for state, ids in (("online", online), ("present", everyone), ("possible", everyone)):
        if not sr.copied("%s/%s" % (CPU_DIR, state)):
            sr.put("%s/%s" % (CPU_DIR, state), format_cpulist(ids))
    by_core: Dict[Tuple[int, int], List[int]] = {}
    by_socket: Dict[int, List[int]] = {}
    for c in lscpu:
        if c.online is not False and c.socket is not None and c.core is not None:
            by_core.setdefault((c.socket, c.core), []).append(c.cpu)
            by_socket.setdefault(c.socket, []).append(c.cpu)
    for c in lscpu:
        base = "%s/cpu%d" % (CPU_DIR, c.cpu)
        sr.put(base + "/online", "0" if c.online is False else "1")
        if c.node is not None:
            sr.put_dir("%s/node%d" % (base, c.node))
        if c.online is False or c.socket is None or c.core is None:
            continue
        core = format_cpulist(by_core[(c.socket, c.core)])
        package = format_cpulist(by_socket[c.socket])
        for name, value in (("physical_package_id", str(c.socket)), ("core_id", str(c.core)),
                            ("core_cpus_list", core), ("thread_siblings_list", core),
                            ("package_cpus_list", package), ("core_siblings_list", package)):
            sr.put("%s/topology/%s" % (base, name), value)
    sr.note("CPU topology", "%s (sos did not copy %s)" % (sr.command("lscpu")[1], CPU_DIR))


def _node_ids(sr, numactl, lscpu, zones: Dict[int, Tuple[int, int]]) -> Tuple[List[int], str]:
    copied = sorted(int(n[4:]) for n in sr.base.try_listdir(NODE_DIR) if n.startswith("node") and n[4:].isdigit())
    if copied:
        return copied, "sos's copy of %s/node*" % NODE_DIR
    if numactl is not None:
        return [n.id for n in numactl.nodes], sr.command("numactl")[1]
    # Without either, every witness adds its nodes: lscpu knows only nodes with CPUs, zoneinfo and lsmem only
    # nodes with memory.
    found = {n: "" for n in cmds.cpus_by_node(lscpu or ())}
    names = [sr.command("lscpu")[1]] if found else []
    if set(zones) - set(found):
        names.append("proc/zoneinfo")
    found.update(dict.fromkeys(zones, ""))
    parsed = cmds.parse_lsmem(sr.command("lsmem")[0])
    lsmem_nodes = {b.node for b in (parsed[1] if parsed else ()) if b.node is not None}
    if lsmem_nodes - set(found):
        names.append(sr.command("lsmem")[1])
    found.update(dict.fromkeys(lsmem_nodes, ""))
    return sorted(found), " and ".join(names)


def _cpus_from_links(sr) -> Dict[int, List[int]]:
    out: Dict[int, List[int]] = {}
    for cpu in _cpu_dirs(sr):
        for name in sr.base.try_listdir("%s/cpu%d" % (CPU_DIR, cpu)):
            if name.startswith("node") and name[4:].isdigit():
                out.setdefault(int(name[4:]), []).append(cpu)
    return out


def _node_cpus(sr, ids, numactl, lscpu) -> Tuple[Dict[int, List[int]], str]:
    links = _cpus_from_links(sr)
    if links:
        return links, "the cpuN/nodeM links of sos's copy of " + CPU_DIR
    if numactl is not None:
        return {n.id: list(n.cpus) for n in numactl.nodes}, sr.command("numactl")[1]
    if lscpu and cmds.cpus_by_node(lscpu):
        return cmds.cpus_by_node(lscpu), sr.command("lscpu")[1]
    return {}, ""


def _node_memory(sr, numactl, zones) -> Tuple[Dict[int, Tuple[int, Optional[int]]], str]:
    if zones:
        return dict(zones), "proc/zoneinfo (managed and free pages)"
    if numactl is not None and all(n.size_mb is not None for n in numactl.nodes):
        return ({n.id: (n.size_mb << 20, None if n.free_mb is None else n.free_mb << 20) for n in numactl.nodes},
                "%s (whole MB)" % sr.command("numactl")[1])
    parsed = cmds.parse_lsmem(sr.command("lsmem")[0])
    if parsed and all(b.node is not None for b in parsed[1]):
        out: Dict[int, Tuple[int, Optional[int]]] = {}
        for b in parsed[1]:
            if b.online:
                out[b.node] = (out.get(b.node, (0, None))[0] + b.end - b.start, None)  # type: ignore[index]
        return out, "%s (online memory blocks: RAM, more than MemTotal)" % sr.command("lsmem")[1]
    return {}, ""


def _distances(sr, ids, numactl) -> Tuple[Dict[int, Tuple[int, ...]], str]:
    if numactl is not None and numactl.distances and sorted(numactl.distances) == ids:
        return numactl.distances, sr.command("numactl")[1]
    if len(ids) == 1:
        return {ids[0]: (LOCAL_DISTANCE,)}, "a lone node's distance to itself (10)"
    return {}, ""


def nodes(sr, numactl, numactl_path, lscpu) -> None:
    from numaprobe.source.sosreport import node_memory_from_zoneinfo

    zones = node_memory_from_zoneinfo(sr.base)
    ids, ids_from = _node_ids(sr, numactl, lscpu, zones)
    if not ids:
        return
    sr.note("nodes", ids_from)
    plans = (
        ("node CPU lists", "cpulist", _node_cpus(sr, ids, numactl, lscpu), lambda v: format_cpulist(v)),
        ("node memory", "meminfo", _node_memory(sr, numactl, zones), None),
        ("node distances", "distance", _distances(sr, ids, numactl), lambda v: " ".join(map(str, v))),
    )
    for fact, name, (values, source), fmt in plans:
        copied = [n for n in ids if sr.copied("%s/node%d/%s" % (NODE_DIR, n, name))]
        made = [n for n in ids if n not in copied and n in values]
        for n in made:
            value = values[n]
            sr.put("%s/node%d/%s" % (NODE_DIR, n, name), _meminfo(n, *value) if fmt is None else fmt(value))
        if copied:
            sr.note(fact, "sos's copy of %s/node*/%s for node(s) %s" % (NODE_DIR, name, format_cpulist(copied)))
        if made:
            sr.note(fact, "%s for node(s) %s (sos has no copy of node*/%s)" % (source, format_cpulist(made), name))
        unknown = [n for n in ids if n not in copied and n not in made]
        if unknown:
            sr.note(fact, "unknown for node(s) %s: no copy and no command output has it" % format_cpulist(unknown))


def _meminfo(node: int, total: int, free: Optional[int]) -> str:
    lines = ["Node %d MemTotal:       %8d kB" % (node, total >> 10)]
    if free is not None:
        lines.append("Node %d MemFree:        %8d kB" % (node, free >> 10))
    return "\n".join(lines) + "\n"


def memory_blocks(sr) -> None:
    if sr.base.is_dir(MEMORY_DIR):
        return
    text, path = sr.command("lsmem")
    parsed = cmds.parse_lsmem(text)
    if not parsed or not parsed[0]:
        return
    size, ranges = parsed
    for r in ranges:
        for index in range(r.start // size, r.end // size):
            base = "%s/memory%d" % (MEMORY_DIR, index)
            sr.put(base + "/phys_index", "%08x" % index)
            sr.put(base + "/state", "online" if r.online else "offline")
            if r.node is not None:
                sr.put_dir("%s/node%d" % (base, r.node))
    sr.put(MEMORY_DIR + "/block_size_bytes", "%x" % size)
    sr.note("memory blocks", "%s (sos did not copy %s)" % (path, MEMORY_DIR))
