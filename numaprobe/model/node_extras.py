"""Per-node facts the placement advice needs beyond numactl -H: the zones' high watermarks (the headroom the
kernel keeps free: kswapd reclaims until a zone is back above it) and whether a node's memory belongs to a
device rather than to the host's RAM (never handed to a domain unless asked).

Device memory, by the evidence Linux leaves:
- gpu-memory-node: NVIDIA's driver onlines the GPU's memory as a NUMA node (proc/driver/nvidia/gpus/*/numa_status);
- soft-reserved: memory the firmware marked EFI_MEMORY_SP (specific purpose: HBM, CXL set aside for a driver),
  which /proc/iomem lists as "Soft Reserved" and dax/kmem onlines as a CPU-less node;
- device-initiator: a CPU-less node whose best initiator (nodeN/access0/initiators) is a generic initiator, a
  device with its own SRAT affinity (node/has_generic_initiator), not a CPU node.
"""

from __future__ import annotations

from typing import Dict, Iterable

from numaprobe.readers.iomem import read_iomem
from numaprobe.readers.memory_blocks import read_memory_blocks
from numaprobe.readers.nodes import read_node_state
from numaprobe.readers.zoneinfo import read_zoneinfo
from numaprobe.source.root import Root

ZONEINFO_PAGE = 4096  # proc/zoneinfo counts base pages; 4 KiB on x86 (arm64 64 KiB kernels would differ)


def high_watermarks(root: Root) -> Dict[int, int]:
    """Node id -> bytes of the sum of its zones' high watermarks (absent zones and fields count 0)."""
    out: Dict[int, int] = {}
    for z in read_zoneinfo(root):
        if z.high_pages is not None:
            out[z.node] = out.get(z.node, 0) + z.high_pages * ZONEINFO_PAGE
    return out


def gpu_memory_nodes(root: Root) -> Dict[int, str]:
    base = "proc/driver/nvidia/gpus"
    out: Dict[int, str] = {}
    for gpu in root.try_listdir(base):
        for line in (root.read_text("%s/%s/numa_status" % (base, gpu)) or "").splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "Node" and value.strip().lstrip("-").isdigit() and int(value) >= 0:
                out[int(value)] = gpu
    return out


def _soft_reserved_nodes(root: Root, cpuless: Iterable[int]) -> set:
    iomem = read_iomem(root)
    ranges = [(e.start, e.end) for e in iomem.entries if e.name.strip().lower() == "soft reserved"]
    if not ranges:
        return set()
    nodes = set(cpuless)
    out = set()
    for b in read_memory_blocks(root).blocks:
        if b.node in nodes and any(s <= b.start and b.end <= e for s, e in ranges):
            out.add(b.node)
    return out


def _device_initiator_nodes(root: Root, cpuless: Iterable[int]) -> set:
    generic = set(read_node_state(root, "has_generic_initiator") or ())
    cpu_nodes = set(read_node_state(root, "has_cpu") or ())
    out = set()
    for n in cpuless:
        names = root.try_listdir("sys/devices/system/node/node%d/access0/initiators" % n)
        inits = {int(x[4:]) for x in names if x.startswith("node") and x[4:].isdigit()}
        if inits and inits <= generic - cpu_nodes:
            out.add(n)
    return out


def device_memory_nodes(root: Root, cpuless: Iterable[int]) -> Dict[int, str]:
    """Node id -> the kind of device memory it is (see the module docstring); CPU nodes are never listed."""
    cpuless = tuple(cpuless)
    out: Dict[int, str] = {n: "gpu-memory-node" for n in gpu_memory_nodes(root)}
    for n in _soft_reserved_nodes(root, cpuless):
        out.setdefault(n, "soft-reserved")
    for n in _device_initiator_nodes(root, cpuless):
        out.setdefault(n, "device-initiator")
    return out

