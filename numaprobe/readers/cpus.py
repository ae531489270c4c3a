"""sys/devices/system/cpu and /proc/cpuinfo: which CPUs exist, are online, and how they group."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from numaprobe.readers.cpumask import parse_cpulist, parse_cpumask
from numaprobe.source.root import Root

CPU_DIR = "sys/devices/system/cpu"
CAPTURE_TREES = (CPU_DIR,)
CAPTURE_FILES = ("proc/cpuinfo",)
_CPU_RE = re.compile(r"^cpu(\d+)$")
_NODE_LINK_RE = re.compile(r"^node(\d+)$")


@dataclass(frozen=True)
class RawCpu:
    id: int
    online_file: Optional[bool]  # cpuN/online; None when absent (cpu0 on x86 usually has none)
    has_topology: bool
    physical_package_id: Optional[int]
    die_id: Optional[int]
    core_id: Optional[int]
    package_cpus: Optional[Tuple[int, ...]]  # package_cpus, else core_siblings
    die_cpus: Optional[Tuple[int, ...]]
    core_cpus: Optional[Tuple[int, ...]]  # core_cpus, else thread_siblings
    node_link: Optional[int]  # the cpuN/nodeM link
    max_khz: Optional[int]


def _int(text: Optional[str]) -> Optional[int]:
    if text is None:
        return None
    try:
        return int(text.split()[0], 0) if text.split() else None
    except ValueError:
        return None


def _mask(root: Root, base: str, names, list_name: str, mask_name: str) -> Optional[Tuple[int, ...]]:
    cpus = parse_cpulist(root.read_text("%s/%s" % (base, list_name))) if list_name in names else None
    if cpus is None and mask_name in names:
        cpus = parse_cpumask(root.read_text("%s/%s" % (base, mask_name)))
    return cpus


def list_cpu_dirs(root: Root) -> Tuple[int, ...]:
    return tuple(sorted(int(m.group(1)) for m in map(_CPU_RE.match, root.try_listdir(CPU_DIR)) if m))


def read_cpu_state(root: Root, state: str) -> Optional[Tuple[int, ...]]:
    """cpu/online, cpu/possible, cpu/present, cpu/offline."""
    return parse_cpulist(root.read_text("%s/%s" % (CPU_DIR, state)))


def read_cpu(root: Root, cpu_id: int) -> RawCpu:
    base = "%s/cpu%d" % (CPU_DIR, cpu_id)
    topo = base + "/topology"
    # One listing per directory, then only the files that exist: a 256-CPU capture has ~4,000 of them.
    entries = root.try_listdir(base)
    names = set(root.try_listdir(topo)) if "topology" in entries else set()
    online = root.read_text(base + "/online") if "online" in entries else None
    node_link = None
    for name in entries:
        m = _NODE_LINK_RE.match(name)
        if m:
            node_link = int(m.group(1))
            break
    package_cpus = _mask(root, topo, names, "package_cpus_list", "package_cpus")
    if package_cpus is None:
        package_cpus = _mask(root, topo, names, "core_siblings_list", "core_siblings")
    core_cpus = _mask(root, topo, names, "core_cpus_list", "core_cpus")
    if core_cpus is None:
        core_cpus = _mask(root, topo, names, "thread_siblings_list", "thread_siblings")

    def topo_int(name: str) -> Optional[int]:
        return _int(root.read_text(topo + "/" + name)) if name in names else None

    return RawCpu(
        id=cpu_id,
        # 2.6-era ia64 kernels leave cpuN/online empty; hwloc then treats the CPU as online, and so do we.
        online_file={"0": False, "1": True}.get(online or ""),
        has_topology=bool(names),
        physical_package_id=topo_int("physical_package_id"),
        die_id=topo_int("die_id"),
        core_id=topo_int("core_id"),
        package_cpus=package_cpus,
        die_cpus=_mask(root, topo, names, "die_cpus_list", "die_cpus"),
        core_cpus=core_cpus,
        node_link=node_link,
        max_khz=_int(root.read_text(base + "/cpufreq/cpuinfo_max_freq")) if "cpufreq" in entries else None,
    )


@dataclass(frozen=True)
class CpuinfoEntry:
    processor: int
    apic_id: Optional[int]  # x86 "initial apicid" (what SRAT names), else "apicid"
    physical_id: Optional[int]
    core_id: Optional[int]
    vendor: Optional[str]
    family: Optional[int]
    model_name: Optional[str]
    mhz: Optional[float]
    hart_id: Optional[int] = None  # RISC-V "hart": what the kernel's SRAT RINTC lines name


_CPUINFO_KEYS = re.compile(r"^(processor|initial apicid|apicid|physical id|core id|vendor_id|vendor|cpu family|"
                           r"model name|cpu model|cpu|cpu mhz|hart)[ \t]*:[ \t]*(.*?)[ \t]*$", re.M | re.I)


def parse_cpuinfo(text: Optional[str]) -> Dict[int, CpuinfoEntry]:
    """The few /proc/cpuinfo fields numaprobe uses, per processor (x86, arm64, ppc, ia64, s390 spellings).

    One regex pass over the text: a 256-CPU cpuinfo is ~85 KB and splitting every line of it was the largest
    single cost of probing such a capture.
    """
    blocks: List[Dict[str, str]] = []
    for m in _CPUINFO_KEYS.finditer(text or ""):
        key = m.group(1).lower()
        if key == "processor":
            blocks.append({})
        if blocks:
            blocks[-1].setdefault(key, m.group(2))
    out: Dict[int, CpuinfoEntry] = {}
    for fields in blocks:
        proc = _int(fields.get("processor"))
        if proc is None:
            continue
        apic = _int(fields.get("initial apicid"))
        if apic is None:
            apic = _int(fields.get("apicid"))
        try:
            mhz = float(fields["cpu mhz"]) if "cpu mhz" in fields else None
        except ValueError:
            mhz = None
        out[proc] = CpuinfoEntry(
            processor=proc,
            apic_id=apic,
            physical_id=_int(fields.get("physical id")),
            core_id=_int(fields.get("core id")),
            vendor=fields.get("vendor_id") or fields.get("vendor"),
            family=_int(fields.get("cpu family")),
            model_name=fields.get("model name") or fields.get("cpu model") or fields.get("cpu"),
            mhz=mhz,
            hart_id=_int(fields.get("hart")),
        )
    return out


def read_cpuinfo(root: Root) -> Dict[int, CpuinfoEntry]:
    return parse_cpuinfo(root.read_text("proc/cpuinfo"))
