"""Memory chunks per node against the kernel's own accounting on every QEMU capture and fixture."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from oracles import fixture_tarballs, qemu_tarballs
from numaprobe.model.gather import build_machine
from numaprobe.analysis.chunks import assign_nodes, memory_chunks, pxm_to_node, split_zones, srat_ranges
from numaprobe.readers.meminfo import read_node_meminfo
from numaprobe.readers.nodes import list_node_dirs
from numaprobe.readers.zoneinfo import read_zoneinfo
from numaprobe.source.root import open_root

MiB = 1 << 20
GiB = 1 << 30
CAPTURES = qemu_tarballs() + fixture_tarballs()

# MemTotal counts the pages the kernel manages: the RAM present minus what it reserved at boot. On these guests
# that is the struct page array (64 bytes per 4 KiB page: 1/64), plus memblock reservations that land on some
# nodes only (kernel image, initrd, swiotlb's 64 MiB, page tables, percpu areas): up to 158 MiB seen on a node.
RESERVED_SHARE = 1 / 64
RESERVED_EXTRA = 160 * MiB


def _pages(chunks):
    return sum(c.end // 4096 - -(-c.start // 4096) for c in chunks)


_EARLY_RANGE = re.compile(r"^\[[ \d.]+\]   node +(\d+): \[mem 0x([0-9a-f]+)-0x([0-9a-f]+)\]$", re.M)


def _nomap_pages(dmesg, cm):
    """arm64 under UEFI: firmware regions the kernel maps as memblock "nomap" (EFI runtime, reserved, the NOR-flash
    variable window Debian's EDK2 reports WC) count in the zones' present pages but are not System RAM in
    /proc/iomem. The kernel's own "Early memory node ranges" lines (mm/mm_init.c) list every memblock range."""
    if "Booting Linux on physical CPU" not in dmesg or cm.ram_source != "iomem":
        return {}
    out = {}
    for node, start, end in _EARLY_RANGE.findall(dmesg):
        s, e = int(start, 16), int(end, 16) + 1
        listed = sum(max(0, min(e, c.end) - max(s, c.start)) for c in cm.of_node(int(node)))
        out[int(node)] = out.get(int(node), 0) + ((e - s) - listed) // 4096
    return out


@pytest.mark.skipif(not CAPTURES, reason="no captures (../shared/corpus/qemu, sysfs_fixtures) present")
@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_chunks_match_kernel_node_totals(path):
    root = open_root(str(path))
    cm = memory_chunks(build_machine(root))
    present = {}
    for z in read_zoneinfo(root):
        present[z.node] = present.get(z.node, 0) + (z.present_pages or 0)
    assert cm.chunks, cm.notes
    nomap = _nomap_pages(root.read_text("dmesg.txt") or "", cm)
    for node in list_node_dirs(root):
        chunks = cm.of_node(node)
        # Exact: the page frames in the chunks are the zones' present pages (arm64 UEFI: plus the no-map ranges).
        assert _pages(chunks) + nomap.get(node, 0) == present.get(node, 0), (node, cm.ram_source, cm.node_source)
        total = read_node_meminfo(root, node).get("MemTotal", 0)
        size = sum(c.size for c in chunks)
        assert total <= size <= total + size * RESERVED_SHARE + RESERVED_EXTRA, (node, size, total)
    assert set(cm.node_ids()) <= set(list_node_dirs(root))


def test_pxm_numbering_cpu_entries_first_then_memory_only():
    e = SimpleNamespace
    entries = [
        e(type=1, enabled=True, proximity_domain=7, base_address=0, range_length=GiB, hot_pluggable=False),
        e(type=0, enabled=True, proximity_domain=5),
        e(type=0, enabled=False, proximity_domain=9),  # disabled: no node
        e(type=2, enabled=True, proximity_domain=3),
        e(type=1, enabled=True, proximity_domain=5, base_address=GiB, range_length=GiB, hot_pluggable=False),
        e(type=1, enabled=True, proximity_domain=1, base_address=4 * GiB, range_length=GiB, hot_pluggable=True),
        e(type=1, enabled=False, proximity_domain=2, base_address=8 * GiB, range_length=GiB, hot_pluggable=False),
    ]
    assert pxm_to_node(entries) == {5: 0, 3: 1, 7: 2, 1: 3}
    ranges = srat_ranges(entries)
    assert [(r.node, r.start, r.hot_pluggable) for r in ranges] == [(2, 0, False), (0, GiB, False),
                                                                        (3, 4 * GiB, True)]
    chunks, uncovered = assign_nodes([(4096, 3 * GiB), (4 * GiB, 6 * GiB)], ranges)
    assert uncovered == GiB + 2 * GiB - GiB  # [2G,3G) and [5G,6G) are on no node
    assert [(c.node, c.start, c.end, c.zone) for c in chunks] == [
        (2, 4096, 16 * MiB, "DMA"), (2, 16 * MiB, GiB, "DMA32"), (0, GiB, 2 * GiB, "DMA32"),
        (3, 4 * GiB, 5 * GiB, "Normal")]
    assert chunks[-1].hot_pluggable


def test_zone_split():
    assert split_zones(0, 8 * GiB) == [(0, 16 * MiB, "DMA"), (16 * MiB, 4 * GiB, "DMA32"),
                                       (4 * GiB, 8 * GiB, "Normal")]
    assert split_zones(5 * GiB, 6 * GiB) == [(5 * GiB, 6 * GiB, "Normal")]


def test_hot_added_dimm_takes_the_memory_block_node():
    path = next((p for p in fixture_tarballs() if "memhotplug-2dimm" in p.name), None)
    if path is None:
        pytest.skip("fixture 2s2c-2node-memhotplug-2dimm absent")
    cm = memory_chunks(build_machine(open_root(str(path))))
    # QEMU: 1 GiB per node at boot, then a 512 MiB DIMM with node=0 and a 1 GiB DIMM with node=1, both inside the
    # SRAT hot-pluggable window that SRAT gives to node 1.
    hot = [(c.node, c.size) for c in cm.chunks if c.hot_pluggable]
    assert hot == [(0, 512 * MiB), (1, GiB)]
    assert "chunks-hotplug-node-from-blocks" in [n.code for n in cm.notes]
