"""Device memory the kernel onlines as a NUMA node is not VM RAM unless --allow-device-memory: a soft-reserved
(EFI specific-purpose) range onlined by dax/kmem, and a CPU-less node whose best initiator is a device (an SRAT
generic initiator). No capture has them, so the trees are written here, file by file as Linux lays them out
(drivers/base/node.c: nodeN/access0/initiators/nodeM links, node/has_generic_initiator; /proc/iomem
"Soft Reserved" from kernel/resource.c / arch e820)."""

from __future__ import annotations

import json

import pytest

GIB = 1 << 30


def _tree(base, kind):
    def put(rel, text):
        p = base / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)

    node = "sys/devices/system/node"
    put(node + "/online", "0-1\n")
    put(node + "/possible", "0-2\n")
    put(node + "/has_cpu", "0\n")
    put(node + "/has_memory", "0-1\n")
    for n, cpus, gib in ((0, "0-1", 8), (1, "", 16)):
        put("%s/node%d/cpulist" % (node, n), cpus + "\n")
        put("%s/node%d/distance" % (node, n), "10 20\n" if n == 0 else "20 10\n")
        put("%s/node%d/meminfo" % (node, n), "Node %d MemTotal: %d kB\nNode %d MemFree: %d kB\n"
            % (n, gib << 20, n, (gib - 1) << 20))
    for c in (0, 1):
        put("sys/devices/system/cpu/cpu%d/topology/physical_package_id" % c, "0\n")
        put("sys/devices/system/cpu/cpu%d/topology/core_id" % c, "%d\n" % c)
        put("sys/devices/system/cpu/cpu%d/topology/thread_siblings_list" % c, "%d\n" % c)
        (base / ("%s/node0/cpu%d" % (node, c))).mkdir(parents=True, exist_ok=True)
    put("sys/devices/system/cpu/online", "0-1\n")
    put("proc/meminfo", "MemTotal: %d kB\nMemFree: %d kB\n" % (24 << 20, 22 << 20))
    if kind == "soft-reserved":
        # node 1's 16 GiB at 0x480000000: EFI_MEMORY_SP, onlined by dax/kmem in 128 MiB blocks
        put("proc/iomem", "00001000-0009ffff : System RAM\n100000000-2ffffffff : System RAM\n"
            "480000000-87fffffff : Soft Reserved\n  480000000-87fffffff : dax0.0\n")
        put("sys/devices/system/memory/block_size_bytes", "8000000\n")
        for i in range(0x480000000 >> 27, 0x880000000 >> 27, 32):
            put("sys/devices/system/memory/memory%d/state" % i, "online\n")
            put("sys/devices/system/memory/memory%d/phys_index" % i, "%x\n" % i)
            (base / ("sys/devices/system/memory/memory%d/node1" % i)).mkdir(parents=True, exist_ok=True)
    else:
        # node 2 is a generic initiator (a device with its own SRAT affinity) and node 1's best initiator
        put(node + "/has_generic_initiator", "2\n")
        (base / (node + "/node1/access0/initiators/node2")).mkdir(parents=True, exist_ok=True)
    return str(base)


@pytest.mark.parametrize("kind", ["soft-reserved", "device-initiator"])
def test_device_memory_is_left_alone_unless_allowed(cli, tmp_path, kind):
    root = _tree(tmp_path, kind)
    code, out, err = cli("advise", "--vcpus", "1", "--memory", "10G", "--json", "--root", root)
    doc = json.loads(out)
    # 10 GiB needs node 1 (node 0 has 7 GiB free): refused, and node 1 is named as device memory
    assert code == 1, err
    row = [r for r in doc["host"]["nodes"] if r["id"] == 1][0]
    assert row["excluded"] and kind in row["excluded"]
    code, out, err = cli("advise", "--vcpus", "1", "--memory", "10G", "--json", "--root", root,
                         "--allow-device-memory")
    doc = json.loads(out)
    assert code == 0 and doc["placement"]["bytes_by_node"]["1"] > 0, err
