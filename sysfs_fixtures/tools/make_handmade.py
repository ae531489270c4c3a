#!/usr/bin/python3
"""Writes sysfs_fixtures/handmade/*.tar.gz: small synthetic trees with sysfs oddities that no kernel
made for us under QEMU, one oddity per tarball (issue 2: readers must turn each into a note, never
a crash and never silent loss). Deterministic: same bytes on every run.

usage: /usr/bin/python3 sysfs_fixtures/tools/make_handmade.py [name ...]   (default: all)

Every tree starts from the same small machine, then one oddity is applied:
  2 nodes, 2 packages x 2 cores x 1 thread: node 0 = package 0 = cpus 0-1, node 1 = package 1 =
  cpus 2-3, 1 GiB per node, distances 10/20, no ACPI tables, no memory blocks.
Each tarball has `fixture-handmade.txt` at its top naming the oddity and what a reader should do.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixtree import Tree, format_cpulist, format_cpumap  # noqa: E402

FIXTURES = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(FIXTURES, "handmade")
NODE = "sys/devices/system/node"
CPU = "sys/devices/system/cpu"
KIB_PER_NODE = 1024 * 1024


@dataclass
class Machine:
    nodes: Dict[int, List[int]] = field(default_factory=lambda: {0: [0, 1], 1: [2, 3]})
    packages: Dict[int, List[int]] = field(default_factory=lambda: {0: [0, 1], 1: [2, 3]})
    nr_cpu_ids: int = 4

    def distance_row(self, node: int) -> List[int]:
        return [10 if other == node else 20 for other in sorted(self.nodes)]

    def node_of(self, cpu: int) -> int:
        return next(n for n, cpus in self.nodes.items() if cpu in cpus)

    def package_of(self, cpu: int) -> int:
        return next(p for p, cpus in self.packages.items() if cpu in cpus)


def node_meminfo(node: int, kib: int) -> str:
    free = kib - 40960
    rows = [("MemTotal", kib), ("MemFree", free), ("MemUsed", kib - free), ("HugePages_Total", 0),
            ("HugePages_Free", 0), ("HugePages_Surp", 0)]
    return "".join(f"Node {node} {k + ':':<16}{v:>8}{' kB' if not k.startswith('Huge') else ''}\n"
                   for k, v in rows)


def build_base(m: Machine) -> Tree:
    t = Tree()
    all_cpus = sorted(c for cpus in m.nodes.values() for c in cpus)
    nodes = sorted(m.nodes)
    node_list = format_cpulist(nodes)  # node masks print like cpu lists
    for f in ("possible", "online", "has_cpu", "has_memory", "has_normal_memory"):
        t.write(f"{NODE}/{f}", node_list)
    for n in nodes:
        d = f"{NODE}/node{n}"
        t.write(f"{d}/cpulist", format_cpulist(m.nodes[n]))
        t.write(f"{d}/cpumap", format_cpumap(m.nodes[n], m.nr_cpu_ids))
        t.write(f"{d}/distance", " ".join(map(str, m.distance_row(n))) + "\n")
        t.write(f"{d}/meminfo", node_meminfo(n, KIB_PER_NODE))
        hp = f"{d}/hugepages/hugepages-2048kB"
        for f in ("nr_hugepages", "free_hugepages", "surplus_hugepages"):
            t.write(f"{hp}/{f}", "0\n")
        for c in m.nodes[n]:
            t.symlink(f"{d}/cpu{c}", f"../../cpu/cpu{c}")
    cpus_text = format_cpulist(all_cpus)
    for f in ("possible", "present", "online"):
        t.write(f"{CPU}/{f}", cpus_text)
    t.write(f"{CPU}/offline", "\n")
    t.write(f"{CPU}/kernel_max", "8191\n")
    cpuinfo = []
    for c in all_cpus:
        pkg = m.package_of(c)
        core = m.packages[pkg].index(c)
        d = f"{CPU}/cpu{c}"
        t.write(f"{d}/online", "1\n")
        t.symlink(f"{d}/node{m.node_of(c)}", f"../../node/node{m.node_of(c)}")
        topo = {
            "physical_package_id": f"{pkg}\n", "die_id": "0\n", "core_id": f"{core}\n",
            "thread_siblings": format_cpumap([c], m.nr_cpu_ids), "thread_siblings_list": f"{c}\n",
            "core_cpus": format_cpumap([c], m.nr_cpu_ids), "core_cpus_list": f"{c}\n",
            "core_siblings": format_cpumap(m.packages[pkg], m.nr_cpu_ids),
            "core_siblings_list": format_cpulist(m.packages[pkg]),
            "package_cpus": format_cpumap(m.packages[pkg], m.nr_cpu_ids),
            "package_cpus_list": format_cpulist(m.packages[pkg]),
            "die_cpus": format_cpumap(m.packages[pkg], m.nr_cpu_ids),
            "die_cpus_list": format_cpulist(m.packages[pkg]),
        }
        for f, v in topo.items():
            t.write(f"{d}/topology/{f}", v)
        cpuinfo.append(f"processor\t: {c}\nvendor_id\t: GenuineIntel\nmodel name\t: handmade\n"
                       f"physical id\t: {pkg}\nsiblings\t: {len(m.packages[pkg])}\ncore id\t\t: {core}\n"
                       f"cpu cores\t: {len(m.packages[pkg])}\napicid\t\t: {c}\n\n")
    t.write("proc/cpuinfo", "".join(cpuinfo))
    total = KIB_PER_NODE * len(nodes)
    t.write("proc/meminfo", f"MemTotal:       {total} kB\nMemFree:        {total - 40960 * len(nodes)} kB\n"
                            f"Hugepagesize:       2048 kB\n")
    return t


# -------------------------------------------------------------------- the oddities
Oddity = Callable[[], Tuple[Tree, str]]
ODDITIES: Dict[str, Oddity] = {}


def oddity(name: str):
    def register(fn: Oddity) -> Oddity:
        ODDITIES[name] = fn
        return fn
    return register


@oddity("node-without-distance")
def _no_distance() -> Tuple[Tree, str]:
    t = build_base(Machine())
    t.remove(f"{NODE}/node1/distance")
    return t, "node1 has no `distance` file (node0/distance is '10 20'). Expect node 1's distances unknown, a note."


@oddity("distance-rows-short")
def _rows_short() -> Tuple[Tree, str]:
    m = Machine(nodes={0: [0, 1], 1: [2], 2: [3]})
    t = build_base(m)
    for n in m.nodes:
        t.write(f"{NODE}/node{n}/distance", " ".join(map(str, m.distance_row(n)[:2])) + "\n")
    return t, ("3 nodes (0: cpus 0-1, 1: cpu 2, 2: cpu 3) but every distance row has only 2 entries "
               "('10 20', '20 10', '20 20'). Expect distances unknown or partial, a note.")


@oddity("distance-rows-long")
def _rows_long() -> Tuple[Tree, str]:
    t = build_base(Machine())
    t.write(f"{NODE}/node0/distance", "10 20 30\n")
    t.write(f"{NODE}/node1/distance", "20 10 30\n")
    return t, "2 nodes but distance rows of 3 entries ('10 20 30', '20 10 30'). Expect the extra entry dropped, a note."


@oddity("cpulist-missing")
def _cpulist_missing() -> Tuple[Tree, str]:
    t = build_base(Machine())
    for n in (0, 1):
        t.remove(f"{NODE}/node{n}/cpulist")
    for c in range(4):
        for f in ("thread_siblings_list", "core_cpus_list", "core_siblings_list", "package_cpus_list",
                  "die_cpus_list"):
            t.remove(f"{CPU}/cpu{c}/topology/{f}")
    return t, ("no node cpulist (only cpumap: '3', 'c') and no topology *_list files (only the masks), as in "
               "old kernels. Expect the same topology as with lists: node 0 = cpus 0-1, node 1 = cpus 2-3.")


@oddity("nul-terminated")
def _nul() -> Tuple[Tree, str]:
    t = build_base(Machine())
    for name in [f"{NODE}/node{n}/{f}" for n in (0, 1) for f in ("cpulist", "distance")] + \
            [f"{CPU}/cpu{c}/topology/{f}" for c in range(4) for f in ("physical_package_id", "core_id")] + \
            [f"{NODE}/online", f"{NODE}/has_cpu", f"{CPU}/online"]:
        t.write(name, t.read(name).rstrip(b"\n") + b"\0")
    return t, ("node cpulist/distance, cpu physical_package_id/core_id, node/online, node/has_cpu and cpu/online "
               "end in a NUL byte instead of a newline (issue 2 lists NUL-terminated values among real oddities). Expect the same "
               "topology as without NULs.")


@oddity("package-id-minus-one")
def _pkg_minus_one() -> Tuple[Tree, str]:
    t = build_base(Machine())
    for c in range(4):
        t.write(f"{CPU}/cpu{c}/topology/physical_package_id", "-1\n")
    return t, ("physical_package_id is -1 on every CPU; package_cpus/core_siblings still say cpus 0-1 and 2-3. "
               "Expect 2 packages derived from the sibling masks, with unique ids, a note.")


@oddity("cpu-absent-from-cpu-dir")
def _cpu_absent() -> Tuple[Tree, str]:
    t = build_base(Machine())
    t.remove(f"{CPU}/cpu3")
    return t, ("node1/cpulist names cpus 2-3 (and has a cpu3 link) but sys/devices/system/cpu/cpu3 does not "
               "exist; cpu/online still says 0-3. Expect cpu 3 kept in node 1 with unknown package/core, a note.")


@oddity("sparse-node-ids")
def _sparse() -> Tuple[Tree, str]:
    m = Machine(nodes={0: [0, 1], 2: [2, 3]})
    t = build_base(m)
    return t, ("nodes 0 and 2 only (node/possible and online '0,2'; no node1 dir); distance rows have 2 "
               "entries, in the order of the node ids, as Linux prints them for online nodes.")


@oddity("empty-has-cpu")
def _empty_has_cpu() -> Tuple[Tree, str]:
    t = build_base(Machine())
    t.write(f"{NODE}/has_cpu", "\n")
    return t, "node/has_cpu is empty although both nodes list CPUs. Expect CPUs per node from the node cpulists, a note."


@oddity("cpu-offline")
def _offline() -> Tuple[Tree, str]:
    t = build_base(Machine())
    t.write(f"{CPU}/online", "0-2\n")
    t.write(f"{CPU}/offline", "3\n")
    t.write(f"{CPU}/cpu3/online", "0\n")
    t.remove(f"{CPU}/cpu3/topology")
    t.write(f"{NODE}/node1/cpulist", "2\n")
    t.write(f"{NODE}/node1/cpumap", format_cpumap([2], 4))
    return t, ("cpu 3 offline as x86 Linux shows it: cpu/online 0-2, offline 3, cpu3/online 0, no cpu3/topology, "
               "node1/cpulist '2' but the node1/cpu3 link stays. Expect cpu 3 offline in node 1, not counted.")


def build(name: str) -> str:
    tree, what = ODDITIES[name]()
    tree.write("fixture-handmade.txt",
               f"handmade fixture: {name}\nmade by: sysfs_fixtures/tools/make_handmade.py\n"
               f"base: 2 nodes, 2 packages x 2 cores, node 0 = cpus 0-1, node 1 = cpus 2-3, 1 GiB each\n"
               f"oddity: {what}\n")
    tree.save(os.path.join(OUT, name + ".tar.gz"))
    return f"{name}: {what}"


def main(argv: List[str]) -> int:
    os.makedirs(OUT, exist_ok=True)
    for name in argv or sorted(ODDITIES):
        print(build(name))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
