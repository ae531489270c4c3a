"""Readers of memory files, on small hand-made trees (odd and missing files included)."""

from __future__ import annotations

import os

from numaprobe.readers.buddyinfo import parse_buddyinfo
from numaprobe.readers.iomem import parse_iomem
from numaprobe.readers.memmap import read_memmap
from numaprobe.readers.memory_blocks import read_memory_blocks
from numaprobe.readers.numastat import parse_node_numastat
from numaprobe.readers.proc_lookup import _last_cpu, qemu_guest_name
from numaprobe.readers.zoneinfo import parse_zoneinfo
from numaprobe.source.root import open_root


def _tree(base, files, links=()):
    for rel, text in files.items():
        p = os.path.join(str(base), rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
    for rel, target in links:
        p = os.path.join(str(base), rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        os.symlink(target, p)
    return open_root(str(base))


def test_memmap_sorted_inclusive_end_and_odd_entries(tmp_path):
    root = _tree(tmp_path, {
        "sys/firmware/memmap/0/start": "0x0\n", "sys/firmware/memmap/0/end": "0x9fbff\n",
        "sys/firmware/memmap/0/type": "System RAM\n",
        "sys/firmware/memmap/10/start": "0x100000000\n", "sys/firmware/memmap/10/end": "0x13fffffff\n",
        "sys/firmware/memmap/10/type": "System RAM\n",
        "sys/firmware/memmap/2/start": "0xf0000\n", "sys/firmware/memmap/2/end": "0xfffff\n",
        "sys/firmware/memmap/2/type": "Reserved\n",
        "sys/firmware/memmap/3/start": "zz\n", "sys/firmware/memmap/3/end": "0x1\n",  # unreadable start
        "sys/firmware/memmap/4/start": "0x5000\n",  # no end
    })
    got = read_memmap(root)
    assert [(e.start, e.end, e.type) for e in got] == [
        (0, 0xA0000 - 0x400, "System RAM"), (0xF0000, 0x100000, "Reserved"), (4 << 30, 5 << 30, "System RAM")]
    assert read_memmap(_tree(tmp_path / "empty", {"proc/x": ""})) == ()


def test_iomem_top_level_ram_and_hidden_addresses():
    text = ("00000000-00000fff : Reserved\n00001000-0009fbff : System RAM\n00100000-7ffdefff : System RAM\n"
            "  01000000-01e0260f : Kernel code\n100000000-13fffffff : System RAM\n")
    io = parse_iomem(text)
    assert io.readable
    assert io.system_ram() == ((0x1000, 0x9FC00), (0x100000, 0x7FFDF000), (1 << 32, 0x140000000))
    # What a non-root user reads: every address zero.
    hidden = parse_iomem("00000000-00000000 : Reserved\n00000000-00000000 : System RAM\n")
    assert not hidden.readable and hidden.system_ram() == ()


def test_memory_blocks_links_both_ways(tmp_path):
    root = _tree(tmp_path, {
        "sys/devices/system/memory/block_size_bytes": "8000000\n",
        "sys/devices/system/memory/memory0/phys_index": "00000000\n",
        "sys/devices/system/memory/memory0/state": "online\n",
        "sys/devices/system/memory/memory1/phys_index": "00000001\n",
        "sys/devices/system/memory/memory1/state": "offline\n",
        "sys/devices/system/memory/memory33/state": "online\n",  # no phys_index: the block number
        "sys/devices/system/node/node1/cpulist": "\n",
    }, links=[("sys/devices/system/memory/memory0/node0", "../../node/node0"),
              ("sys/devices/system/node/node1/memory33", "../../memory/memory33")])
    mb = read_memory_blocks(root)
    assert mb.block_size == 128 << 20
    assert [(b.index, b.start, b.state, b.node) for b in mb.blocks] == [
        (0, 0, "online", 0), (1, 128 << 20, "offline", None), (33, 33 * (128 << 20), "online", 1)]
    assert [b.index for b in mb.online()] == [0, 33]


def test_buddyinfo_and_zoneinfo_tolerate_odd_lines():
    b = parse_buddyinfo("Node 0, zone      DMA      1 2 3\ngarbage\nNode x, zone Normal 1\n"
                        "Node 1, zone   Normal  4 0 1\n")
    assert [(z.node, z.zone, z.free_blocks, z.free_pages()) for z in b] == [
        (0, "DMA", (1, 2, 3), 17), (1, "Normal", (4, 0, 1), 8)]
    z = parse_zoneinfo("Node 0, zone   Normal\n  pages free     3712\n        min      117\n"
                       "        spanned  4095\n        present  3998\n        managed  3840\n"
                       "  start_pfn:           1\nNode 1, zone  Movable\n  pages free 0\n")
    assert (z[0].free_pages, z[0].min_pages, z[0].present_pages, z[0].managed_pages, z[0].start_pfn) == (
        3712, 117, 3998, 3840, 1)
    assert (z[1].zone, z[1].free_pages, z[1].present_pages) == ("Movable", 0, None)


def test_node_numastat_and_process_helpers():
    c = parse_node_numastat(3, "numa_hit 5911212\nnuma_miss 0\nbogus\nlocal_node x\nother_node 7\n")
    assert c.get("numa_hit") == 5911212 and c.get("other_node") == 7 and c.get("local_node") is None
    stat = "4242 (qemu (kvm) x) S" + " 0" * 35 + " 17 0 0"
    assert _last_cpu(stat) == 17
    assert qemu_guest_name(("qemu-system-x86_64", "-name", "guest=web1,debug-threads=on")) == "web1"
    assert qemu_guest_name(("qemu", "-name", "db,,2,process=x")) == "db,2"
    assert qemu_guest_name(("qemu", "-m", "1G")) is None
