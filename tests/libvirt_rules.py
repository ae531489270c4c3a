"""libvirt as the oracle for advise's XML: its own parser and validator (`virsh -c test:///default define`),
plus the QEMU driver's start-time rules, which the test driver does not apply, encoded here from libvirt's
source with file and function. Versions: Debian 12 ships libvirt 9.0.0.

Rules encoded (each returns a message when broken):
  R1 src/util/virnuma.c virNumaSetupMemoryPolicy (called from src/qemu/qemu_process.c qemuProcessHook for
     <numatune><memory>): mode 'preferred' with more than one node fails with "NUMA memory tuning in 'preferred'
     mode only supports single node" unless libvirt was built with numa_set_preferred_many
     (WITH_NUMACTL_SET_PREFERRED_MANY, from libvirt 9.3.0; tp-libvirt's numa tests expect the error before 9.3.0).
  R2 src/qemu/qemu_domain.c qemuDomainAlignMemorySizes: each guest cell is rounded up to the memory alignment
     (1 MiB on x86, qemuDomainGetMemorySizeAlignment) and the initial memory becomes the sum of the aligned
     cells (src/conf/numa_conf.c virDomainNumaGetMemorySize); so cells must be whole MiB for the guest to get
     what was asked.
  R3 src/qemu/qemu_command.c qemuBuildNumaCommandLine -> QEMU -numa node,cpus=: every vCPU in exactly one cell
     (QEMU hw/core/machine.c warns "CPU(s) not present in any NUMA nodes" and deprecates partial mappings;
     overlapping cells are refused by numa_conf.c virDomainNumaDefValidate "overlapping vCPU ids").
  R4 src/qemu/qemu_command.c qemuBuildMemoryBackendProps: a huge-page backed cell becomes memory-backend-file
     with the page size of the <page> whose nodeset holds the cell; QEMU rounds such a backend up to whole pages
     (util/oslib-posix / physmem file_ram_alloc), so each cell is a whole number of pages.
  R5 src/qemu/qemu_command.c qemuBuildMemoryBackendProps: <memnode nodeset> becomes host-nodes with the cell's
     policy; QEMU before 8.0 (backends/hostmem.c host_memory_backend_memory_complete, no MPOL_PREFERRED_MANY)
     applies 'preferred' to the first host node only, so a preferred memnode names one node.
  R6 src/qemu/qemu_process.c qemuProcessSetupVcpu / qemuSetupCpusetMems: vcpupin and nodesets must lie in what
     the host allows (cgroup cpuset.cpus / cpuset.mems writes fail otherwise) - checked against the capture.
"""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

KIB = 1024
MIB_KIB = 1024


def _ids(text: Optional[str]) -> List[int]:
    out: List[int] = []
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        if part.startswith("^"):
            continue
        a, _, b = part.partition("-")
        out += list(range(int(a), int(b or a) + 1))
    return out


def qemu_start_rules(xml: str, version: Tuple[int, int], host_cpus: Iterable[int],
                     host_mems: Iterable[int]) -> List[str]:
    """The rules above that `virsh define` on the test driver does not check; [] when the domain would start."""
    dom = ET.fromstring(xml)
    broken: List[str] = []
    vcpus = int(dom.findtext("vcpu"))
    mem = dom.find("numatune/memory")
    if mem is not None and mem.get("mode") == "preferred" and len(_ids(mem.get("nodeset"))) > 1 \
            and version < (9, 3):
        broken.append("R1 virNumaSetupMemoryPolicy: 'preferred' mode only supports single node")
    cells = dom.findall("cpu/numa/cell")
    page = dom.find("memoryBacking/hugepages/page")
    page_kib = int(page.get("size")) if page is not None else None
    seen: Dict[int, int] = {}
    for c in cells:
        unit = c.get("unit", "KiB")
        kib = int(c.get("memory")) * {"KiB": 1, "MiB": 1024, "GiB": 1 << 20}[unit]
        if kib % MIB_KIB:
            broken.append("R2 qemuDomainAlignMemorySizes: cell %s is not whole MiB" % c.get("id"))
        if page_kib and kib % page_kib:
            broken.append("R4 qemuBuildMemoryBackendProps: cell %s is not whole %d KiB pages" % (c.get("id"),
                                                                                               page_kib))
        for v in _ids(c.get("cpus")):
            if v in seen:
                broken.append("R3: vCPU %d in cells %d and %s" % (v, seen[v], c.get("id")))
            seen[v] = int(c.get("id"))
    if cells and sorted(seen) != list(range(vcpus)):
        broken.append("R3 qemuBuildNumaCommandLine: vCPUs %s are in no cell"
                      % sorted(set(range(vcpus)) - set(seen)))
    for mn in dom.findall("numatune/memnode"):
        if mn.get("mode") == "preferred" and len(_ids(mn.get("nodeset"))) > 1:
            broken.append("R5 host_memory_backend_memory_complete: preferred memnode over several nodes")
    allowed_cpus, allowed_mems = set(host_cpus), set(host_mems)
    pins = [int(v.get("cpuset")) for v in dom.findall("cputune/vcpupin")]
    outside = set(pins) - allowed_cpus
    for e in [dom.find("vcpu")]:
        outside |= set(_ids(e.get("cpuset"))) - allowed_cpus
    if outside:
        broken.append("R6 qemuProcessSetupVcpu: CPUs %s are not allowed on the host" % sorted(outside))
    nodesets = [e.get("nodeset") for e in dom.findall("numatune/*")]
    bad_mems = {n for s in nodesets for n in _ids(s)} - allowed_mems
    if bad_mems:
        broken.append("R6 qemuSetupCpusetMems: nodes %s are not allowed on the host" % sorted(bad_mems))
    return broken


def domain_memory_kib(xml: str) -> int:
    """The memory the guest gets as libvirt computes it: the sum of the cells when there are cells
    (virDomainNumaGetMemorySize), else <memory>."""
    dom = ET.fromstring(xml)
    cells = dom.findall("cpu/numa/cell")
    if cells:
        return sum(int(c.get("memory")) for c in cells)
    return int(dom.findtext("memory"))


_DEFINED = re.compile(r"^Domain '([^']+)' defined from (\S+)$", re.M)
_INFO = re.compile(r"^Name:\s+(\S+)$.*?^Max memory:\s+(\d+) KiB$", re.M | re.S)


def virsh_define_all(docs: Sequence[Tuple[str, str]], workdir: Path, batch: int = 200) -> Dict[str, object]:
    """Feed every (name, xml) to libvirt's parser in as few virsh runs as possible (one connection defines a
    batch: `virsh "define a.xml; dominfo a; define b.xml; ..."`). Returns name -> Max memory in KiB as libvirt
    sees it, or name -> the error text libvirt printed."""
    out: Dict[str, object] = {}
    for start in range(0, len(docs), batch):
        chunk = docs[start:start + batch]
        cmds = []
        for name, xml in chunk:
            f = workdir / ("%s.xml" % name)
            f.write_text(xml)
            cmds += ["define %s" % f, "dominfo %s" % name]
        r = subprocess.run(["virsh", "-c", "test:///default", "; ".join(cmds)], capture_output=True,
                           text=True, timeout=300)
        defined = {m.group(1) for m in _DEFINED.finditer(r.stdout)}
        info = {m.group(1): int(m.group(2)) for m in _INFO.finditer(r.stdout)}
        errors = r.stderr
        for name, _ in chunk:
            out[name] = info[name] if name in defined and name in info else "not defined: %s" % errors[-2000:]
    return out
