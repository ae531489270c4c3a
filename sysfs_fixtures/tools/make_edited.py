#!/usr/bin/python3
"""Writes sysfs_fixtures/edited/*.tar.gz: real QEMU captures (sysfs_fixtures/*.tar.gz) edited so
that each shows one finding of `numaprobe check` (issue 4). Deterministic: run it again and the
tarballs come out byte for byte the same.

usage: /usr/bin/python3 sysfs_fixtures/tools/make_edited.py [name ...]   (default: all)

Each edited tarball carries `fixture-edit.txt` at its top: the base capture, what was changed,
and the finding it should trigger. ACPI table edits recompute the checksum, except in
table-checksum-slit, whose whole point is the bad checksum.
"""
from __future__ import annotations

import os
import re
import struct
import sys
from typing import Callable, Dict, List, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixtree import (  # noqa: E402
    ACPI_HEADER_LEN, Tree, fix_checksum, format_cpulist, format_cpumap, parse_cpulist,
    slit_offset, slit_size, srat_apic, srat_entries, srat_memory,
)

FIXTURES = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(FIXTURES, "edited")
NODE = "sys/devices/system/node"
CPU = "sys/devices/system/cpu"
MEM = "sys/devices/system/memory"
TABLES = "sys/firmware/acpi/tables"


# -------------------------------------------------------------------- helpers
def nr_cpu_ids(tree: Tree) -> int:
    return max(parse_cpulist(tree.text(f"{CPU}/possible"))) + 1


def set_node_cpus(tree: Tree, node: int, cpus: List[int]) -> None:
    tree.write(f"{NODE}/node{node}/cpulist", format_cpulist(cpus))
    tree.write(f"{NODE}/node{node}/cpumap", format_cpumap(cpus, nr_cpu_ids(tree)))


def move_cpu(tree: Tree, cpu: int, src: int, dst: int) -> None:
    """Move a CPU between nodes in sysfs only: cpulist/cpumap, the node's cpuN link, cpuN/nodeX."""
    src_cpus = [c for c in parse_cpulist(tree.text(f"{NODE}/node{src}/cpulist")) if c != cpu]
    dst_cpus = parse_cpulist(tree.text(f"{NODE}/node{dst}/cpulist")) + [cpu]
    set_node_cpus(tree, src, src_cpus)
    set_node_cpus(tree, dst, dst_cpus)
    tree.remove(f"{NODE}/node{src}/cpu{cpu}")
    tree.symlink(f"{NODE}/node{dst}/cpu{cpu}", f"../../cpu/cpu{cpu}")
    tree.remove(f"{CPU}/cpu{cpu}/node{src}")
    tree.symlink(f"{CPU}/cpu{cpu}/node{dst}", f"../../node/node{dst}")


def move_memory_block(tree: Tree, block: int, src: int, dst: int) -> None:
    tree.remove(f"{MEM}/memory{block}/node{src}")
    tree.symlink(f"{MEM}/memory{block}/node{dst}", f"../../node/node{dst}")
    tree.remove(f"{NODE}/node{src}/memory{block}")
    tree.symlink(f"{NODE}/node{dst}/memory{block}", f"../../memory/memory{block}")


def set_distances(tree: Tree, rows: Dict[int, List[int]]) -> None:
    for node, row in rows.items():
        tree.write(f"{NODE}/node{node}/distance", " ".join(str(d) for d in row) + "\n")


def table(tree: Tree, sig: str) -> bytearray:
    return bytearray(tree.read(f"{TABLES}/{sig}"))


def put_table(tree: Tree, sig: str, data: bytearray, checksum: bool = True) -> None:
    struct.pack_into("<I", data, 4, len(data))
    if checksum:
        fix_checksum(data)
    tree.write(f"{TABLES}/{sig}", bytes(data))


def remove_table(tree: Tree, sig: str) -> None:
    tree.remove(f"{TABLES}/{sig}")


def dmesg_drop(tree: Tree, pattern: str) -> int:
    rx = re.compile(pattern)
    return tree.filter_lines("dmesg.txt", lambda line: bool(rx.search(line)))


def dmesg_insert_after(tree: Tree, pattern: str, text: str) -> None:
    """Insert `text` (without timestamp) after the last line matching pattern, with its timestamp."""
    lines = tree.text("dmesg.txt").splitlines(keepends=True)
    rx = re.compile(pattern)
    idx = max(i for i, line in enumerate(lines) if rx.search(line))
    stamp = lines[idx][: lines[idx].index("]") + 1]
    lines.insert(idx + 1, f"{stamp} {text}\n")
    tree.write("dmesg.txt", "".join(lines))


def swap_node_words(text: str, a: int, b: int) -> str:
    def repl(m: "re.Match[str]") -> str:
        n = int(m.group(2))
        return f"{m.group(1)} {b if n == a else a}"
    def fallback(m: "re.Match[str]") -> str:  # "Fallback order for Node 0: 0 1" lists node ids
        ids = [str(b if int(x) == a else a if int(x) == b else int(x)) for x in m.group(2).split()]
        return m.group(1) + " ".join(ids)
    text = re.sub(r"(Fallback order for Node \d+: )([\d ]+?)(?= *$)", fallback, text, flags=re.M)
    return re.sub(r"\b([Nn]ode) (%d|%d)\b" % (a, b), repl, text)


# -------------------------------------------------------------------- the edits
# Each returns (base capture, description of the edit, finding(s) it should trigger).
Edit = Callable[[Tree], Tuple[str, str]]
EDITS: Dict[str, Tuple[str, Edit]] = {}


def edit(name: str, base: str):
    def register(fn: Edit) -> Edit:
        EDITS[name] = (base, fn)
        return fn
    return register


@edit("cpu-node-mismatch", "2s4c2t-2node-pxb")
def _cpu_node_mismatch(t: Tree) -> Tuple[str, str]:
    move_cpu(t, 3, 0, 1)
    return ("sysfs only: cpu3 (APIC id 3, SRAT PXM 0 -> node 0) moved to node 1: node0/cpulist 0-2,4-7, "
            "node1/cpulist 3,8-15 (cpumap too), node1/cpu3 and cpu3/node1 links. SRAT, dmesg ('SRAT: PXM 0 -> "
            "APIC 0x03 -> Node 0') and cpu3's SMT sibling cpu2 (still node 0) untouched.",
            "cpu-node-mismatch (cpu 3: SRAT says node 0, kernel node 1)")


@edit("cpu-not-in-srat", "2s4c2t-2node-pxb")
def _cpu_not_in_srat(t: Tree) -> Tuple[str, str]:
    srat = table(t, "SRAT")
    for off, typ, length in srat_entries(srat):
        if typ == 0 and srat_apic(srat, off)[1] == 5:
            del srat[off:off + length]
            break
    else:
        raise SystemExit("APIC 5 entry not found")
    put_table(t, "SRAT", srat)
    dmesg_drop(t, r"SRAT: PXM 0 -> APIC 0x05 ")
    return ("SRAT: the Local APIC affinity entry of APIC id 5 deleted (table length and checksum fixed); "
            "dmesg line 'SRAT: PXM 0 -> APIC 0x05 -> Node 0' dropped. sysfs untouched: cpu5 online in node 0.",
            "cpu-not-in-srat (cpu 5, APIC id 5)")


@edit("slit-missing", "2s4c2t-2node-pxb")
def _slit_missing(t: Tree) -> Tuple[str, str]:
    remove_table(t, "SLIT")
    set_distances(t, {0: [10, 20], 1: [20, 10]})
    dmesg_drop(t, r"SLIT|Initialized distance table")
    return ("SLIT removed from tables/; node distance files set to the kernel's fallback 10/20 (what Linux "
            "6.1 shows without SLIT); dmesg lines with 'SLIT' and 'NUMA: Initialized distance table' dropped "
            "(without SLIT the kernel prints neither).",
            "slit-missing (2 nodes, kernel distances are the 10/20 default)")


@edit("slit-invalid-diagonal", "1s8c-snc4-10-11-12")
def _slit_invalid(t: Tree) -> Tuple[str, str]:
    slit = table(t, "SLIT")
    slit[slit_offset(slit, 2, 2)] = 20
    put_table(t, "SLIT", slit)
    n = slit_size(slit)
    set_distances(t, {i: [10 if i == j else 20 for j in range(n)] for i in range(n)})
    dmesg_drop(t, r"Initialized distance table")
    dmesg_insert_after(t, r"ACPI: SRAT: Node \d+ PXM", "ACPI: SLIT table looks invalid. Not used.")
    return ("SLIT entry [2][2] set from 10 to 20 (checksum fixed). Linux rejects such a SLIT (slit_valid()) and "
            "falls back to 10/20, so the node distance files are set to 10/20, dmesg gets 'ACPI: SLIT table "
            "looks invalid. Not used.' and loses 'NUMA: Initialized distance table'.",
            "slit-invalid (diagonal entry of PXM 2 is 20); the kernel fell back to 10/20")


@edit("slit-asymmetric", "2s4c2t-2node-pxb")
def _slit_asymmetric(t: Tree) -> Tuple[str, str]:
    slit = table(t, "SLIT")
    slit[slit_offset(slit, 1, 0)] = 31
    put_table(t, "SLIT", slit)
    set_distances(t, {1: [31, 10]})
    return ("SLIT entry [1][0] set from 21 to 31 (checksum fixed); node1/distance set to '31 10' as Linux "
            "copies an asymmetric SLIT as it is. node0/distance stays '10 21'.",
            "slit-asymmetric (0->1 21, 1->0 31); no distance-mismatch")


@edit("table-checksum-slit", "2s4c2t-2node-pxb")
def _table_checksum(t: Tree) -> Tuple[str, str]:
    slit = table(t, "SLIT")
    slit[9] = (slit[9] + 1) & 0xFF
    put_table(t, "SLIT", slit, checksum=False)
    return ("SLIT checksum byte (offset 9) incremented by one; nothing else changed (Linux only warns about a "
            "bad checksum and still uses the table; the warning was not added to dmesg).",
            "table-checksum (SLIT)")


@edit("distance-mismatch", "4s4c-8node-nps2-uneven")
def _distance_mismatch(t: Tree) -> Tuple[str, str]:
    rows = {n: [int(x) for x in t.text(f"{NODE}/node{n}/distance").split()] for n in (0, 5)}
    rows[0][5] = 32
    rows[5][0] = 32
    set_distances(t, rows)
    return ("sysfs only: node0/distance and node5/distance entry for the pair 0<->5 changed from 20 (SLIT) to 32.",
            "distance-mismatch (nodes 0 and 5: SLIT 20, kernel 32)")


@edit("distance-mismatch-unmapped", "2s2c-3node-memonly-pxm1")
def _distance_unmapped(t: Tree) -> Tuple[str, str]:
    slit = table(t, "SLIT")
    n = slit_size(slit)
    raw = {i: [slit[slit_offset(slit, i, j)] for j in range(n)] for i in range(n)}
    set_distances(t, raw)
    return ("sysfs only: the node distance files replaced by the SLIT rows in PXM order (10 17 21 / 17 10 28 / "
            "21 28 10), i.e. as if the kernel had not mapped PXM 1 -> node 2 and PXM 2 -> node 1. The real "
            "capture (mapped: 10 21 17 / 21 10 28 / 17 28 10) must stay clean.",
            "distance-mismatch (pairs 0-1 and 0-2 swapped through the PXM->node map)")


@edit("memory-node-mismatch", "1s8c-snc4-10-11-12")
def _memory_node_mismatch(t: Tree) -> Tuple[str, str]:
    move_memory_block(t, 4, 1, 2)
    return ("sysfs only: memory block 4 (0x20000000-0x27ffffff, SRAT PXM 1 -> node 1) moved to node 2: "
            "memory4/node1 -> memory4/node2 and node1/memory4 -> node2/memory4. Node meminfo not adjusted.",
            "memory-node-mismatch (memory4: SRAT node 1, kernel node 2)")


@edit("memory-not-covered", "2s4c2t-2node-pxb")
def _memory_not_covered(t: Tree) -> Tuple[str, str]:
    srat = table(t, "SRAT")
    for off, typ, _ in srat_entries(srat):
        if typ == 1 and srat_memory(srat, off)[:2] == (1, 0x40000000):
            struct.pack_into("<Q", srat, off + 16, 0x30000000)
            break
    else:
        raise SystemExit("PXM 1 memory entry not found")
    put_table(t, "SRAT", srat)
    t.write("dmesg.txt", t.text("dmesg.txt").replace(
        "ACPI: SRAT: Node 1 PXM 1 [mem 0x40000000-0x7fffffff]", "ACPI: SRAT: Node 1 PXM 1 [mem 0x40000000-0x6fffffff]"))
    return ("SRAT: the PXM 1 memory range shortened from 1 GiB to 768 MiB (0x40000000-0x6fffffff; checksum fixed), "
            "dmesg's 'ACPI: SRAT: Node 1 PXM 1' line changed to match. Memory blocks 14-15 (0x70000000-0x7fffffff) "
            "stay online in node 1. (A real Linux 6.1 would reject such an SRAT: 'NUMA: nodes only cover ...'.)",
            "memory-not-covered (0x70000000-0x7fffffff)")


@edit("srat-absent", "2s4c2t-2node-pxb")
def _srat_absent(t: Tree) -> Tuple[str, str]:
    remove_table(t, "SRAT")
    remove_table(t, "SLIT")
    dmesg_drop(t, r"SRAT|SLIT")
    return ("SRAT and SLIT removed from tables/ (a SLIT without SRAT is ignored by Linux); dmesg lines naming "
            "SRAT or SLIT dropped. sysfs untouched: the kernel still shows 2 nodes with distances 10/21.",
            "srat-absent (kernel has 2 nodes), node-without-srat (nodes 0 and 1)")


@edit("hmat-mismatch", "2s2c-3node-hmat-cache")
def _hmat_mismatch(t: Tree) -> Tuple[str, str]:
    base = f"{NODE}/node2/access0/initiators"
    for f in ("read_latency", "write_latency"):
        assert t.text(f"{base}/{f}").strip() == "250"
        t.write(f"{base}/{f}", "120\n")
    return ("sysfs only: node2/access0/initiators/read_latency and write_latency changed from 250 (HMAT: initiator "
            "PXM 0 -> target PXM 2, 250 ns) to 120. access1 untouched.",
            "hmat-mismatch (node 2 access0 latency: HMAT 250 ns, sysfs 120)")


@edit("pxm-node-map", "4s2c-uneven-sparse-pxm3-first")
def _pxm_node_map(t: Tree) -> Tuple[str, str]:
    # Renumber the kernel's nodes 0 <-> 1 everywhere, as a kernel numbering nodes by PXM would.
    t.rename(f"{NODE}/node0", f"{NODE}/node.tmp")
    t.rename(f"{NODE}/node1", f"{NODE}/node0")
    t.rename(f"{NODE}/node.tmp", f"{NODE}/node1")
    for n in (0, 1):
        t.write(f"{NODE}/node{n}/meminfo", swap_node_words(t.text(f"{NODE}/node{n}/meminfo"), 0, 1))
        # each row moves with its node dir, and its columns are in node order, so they swap too
        row = t.text(f"{NODE}/node{n}/distance").split()
        row[0], row[1] = row[1], row[0]
        t.write(f"{NODE}/node{n}/distance", " ".join(row) + "\n")
    for name in list(t.members):
        m = re.fullmatch(r"(sys/devices/system/(?:cpu/cpu|memory/memory)\d+)/node([01])", name)
        if m and t.members[name].kind == "link":
            new = 1 - int(m.group(2))
            del t.members[name]
            t.symlink(f"{m.group(1)}/node{new}", f"../../node/node{new}")
    for name in ("dmesg.txt", "proc/zoneinfo", "proc/buddyinfo", "proc/pagetypeinfo"):
        if t.exists(name):
            t.write(name, swap_node_words(t.text(name), 0, 1))
    return ("sysfs/proc/dmesg: the kernel's nodes 0 and 1 swapped everywhere (node dirs, cpuN/nodeX and "
            "memoryN/nodeX links, 'Node N' in node meminfo, zoneinfo, buddyinfo, pagetypeinfo and dmesg), as a "
            "kernel numbering nodes in PXM order would: PXM 0 -> node 0, PXM 3 -> node 1. Linux's rule (CPU "
            "entries first, APIC 0 is in PXM 3) gives PXM 3 -> node 0. Distance rows move with their nodes, columns swapped.",
            "pxm-node-map (predicted PXM 3->0, 0->1; kernel PXM 0->0, 3->1)")


@edit("disabled-entry-data", "4s2c-uneven-sparse-pxm3-first")
def _disabled_entry_data(t: Tree) -> Tuple[str, str]:
    srat = table(t, "SRAT")
    for off, typ, _ in srat_entries(srat):
        if typ == 1 and srat_memory(srat, off) == (0, 0, 0, 0):
            struct.pack_into("<I", srat, off + 2, 1)
            struct.pack_into("<QQ", srat, off + 8, 0x180000000, 0x40000000)
            break
    else:
        raise SystemExit("no zeroed disabled memory entry")
    put_table(t, "SRAT", srat)
    return ("SRAT: the first of QEMU's zeroed, disabled memory affinity entries given PXM 1, base 0x180000000 and "
            "length 1 GiB; its flags stay 0 (not enabled). Checksum fixed. Nothing else changed; Linux skips "
            "disabled entries, so the kernel view is the same.",
            "disabled-entry-data (PXM 1, 0x180000000-0x1bfffffff, disabled)")


# -------------------------------------------------------------------- main
def build(name: str) -> str:
    base, fn = EDITS[name]
    tree = Tree.load(os.path.join(FIXTURES, base + ".tar.gz"))
    what, finding = fn(tree)
    tree.write("fixture-edit.txt",
               f"edited fixture: {name}\nbase capture: sysfs_fixtures/{base}.tar.gz\n"
               f"made by: sysfs_fixtures/tools/make_edited.py\nedit: {what}\nshould trigger: {finding}\n")
    out = os.path.join(OUT, name + ".tar.gz")
    tree.save(out)
    return f"{name}: {finding}"


def main(argv: List[str]) -> int:
    os.makedirs(OUT, exist_ok=True)
    for name in argv or sorted(EDITS):
        print(build(name))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
