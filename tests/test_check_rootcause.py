"""check names the root cause when the kernel did not use the firmware's NUMA description.

Oracles: the QEMU command line in each capture (which socket and memory backend is on which node), the kernel's
own dmesg lines (what it printed and why), and for the message variants of other kernel versions the format
strings of Linux 5.4-6.12 as cited in numaprobe/readers/dmesg.py (each variant below names its source)."""

from __future__ import annotations

import dataclasses

import pytest

from oracles import FIXTURES

from numaprobe.analysis.crosscheck import crosscheck, summarize
from numaprobe.model.gather import build_machine
from numaprobe.readers.dmesg import parse_dmesg_numa
from numaprobe.source.root import open_root

NUMAOFF = FIXTURES / "2s2c2t-2node-numaoff.tar.gz"
FAKE4 = FIXTURES / "2s2c2t-2node-numafake4.tar.gz"
ARM_UEFI = FIXTURES / "arm64-2s2c-2node-uefi-srat-rejected.tar.gz"
GiB = 1 << 30

_cache = {}


def inputs(path):
    if path not in _cache:
        _cache[path] = build_machine(open_root(str(path)))
    return _cache[path]


def machine_with(path, topology=None, **changes):
    """The capture's Machine as another kernel (command line, dmesg) or memory map (blocks) would have shown it."""
    m = inputs(path)
    kernel = {k: v for k, v in changes.items() if k in ("cmdline", "dmesg", "access")}
    memory = {k: v for k, v in changes.items() if k in ("blocks", "ram", "ram_source")}
    return dataclasses.replace(m, topology=topology or m.topology, kernel=dataclasses.replace(m.kernel, **kernel),
                               memory=dataclasses.replace(m.memory, **memory))


def findings(path, **changes):
    return crosscheck(machine_with(path, **changes))


def loud(fs):
    return [(f.code, f.severity) for f in fs if f.severity != "info"]


@pytest.mark.parametrize("path,code,severity", [
    (NUMAOFF, "kernel-numa-off", "warning"),
    (FAKE4, "kernel-fake-numa", "info"),
    (ARM_UEFI, "srat-rejected", "error"),
])
def test_each_capture_shows_exactly_its_root_cause(path, code, severity):
    fs = findings(path)
    assert [(f.code, f.severity) for f in fs if f.code == code] == [(code, severity)]
    assert [c for c, s in loud(fs) if c != code] == []  # no other error or warning
    assert summarize(fs)["errors"] == (1 if severity == "error" else 0)


def _consequences(fs, code):
    (root,) = [f for f in fs if f.code == code]
    return {(c.code, c.cpus, c.ranges) for c in root.consequences if c.severity == "error"}


def test_numa_off_holds_what_follows_from_it():
    """-numa cpu,node-id=1,socket-id=1 (CPUs 4-7, 2 sockets x 2 cores x 2 threads) and m1 (1 GiB at 1 GiB) are
    node 1 in the firmware; with numa=off the kernel has node 0 only."""
    fs = findings(NUMAOFF)
    (root,) = fs
    assert "numa=off" in root.message and "2 proximity domains" in root.message
    got = _consequences(fs, "kernel-numa-off")
    assert ("cpu-node-mismatch", (4, 5, 6, 7), ()) in got
    assert ("memory-node-mismatch", (), ((GiB, 2 * GiB),)) in got
    assert {c for c, _, _ in got} <= {"cpu-node-mismatch", "memory-node-mismatch", "pxm-node-map"}


def test_numa_off_from_dmesg_alone_and_numa_noacpi():
    # arch/x86/mm/numa.c dummy_numa_init(): "NUMA turned off" (numa_off set by numa_setup()).
    fs = findings(NUMAOFF, cmdline="console=ttyS0")
    assert [f.code for f in fs] == ["kernel-numa-off"] and "turned off" in fs[0].message
    fs = findings(NUMAOFF, cmdline="console=ttyS0 numa=noacpi", dmesg=None)
    assert [f.code for f in fs] == ["kernel-numa-off"] and "numa=noacpi" in fs[0].message


def test_kernel_without_numa_support():
    """A kernel built with CONFIG_NUMA=n has no sys/devices/system/node (model/build.py notes no-numa-nodes)."""
    from numaprobe.notes import Note

    topo = inputs(NUMAOFF).topology
    topo = dataclasses.replace(topo, notes=topo.notes + (Note("no-numa-nodes", "no sys/devices/system/node"),))
    fs = findings(NUMAOFF, topology=topo, cmdline="console=ttyS0", dmesg=None)
    assert [(f.code, f.severity) for f in fs] == [("kernel-numa-off", "warning")]
    assert "CONFIG_NUMA=n" in fs[0].message


def test_arm64_uefi_rejection_carries_the_kernels_reason():
    (root,) = [f for f in findings(ARM_UEFI) if f.code == "srat-rejected"]
    # dmesg: "NUMA: Warning: invalid memblk node 16 [mem 0x0000000004000000-0x0000000007ffffff]"
    assert root.ranges == ((0x04000000, 0x08000000),)
    assert "invalid memblk node 16" in root.message and "Faking a node" in root.message
    # GICC entries matched through the kernel's MPIDR lines: socket 1 (CPUs 2-3) is node-id 1 in QEMU.
    got = _consequences(findings(ARM_UEFI), "srat-rejected")
    assert ("cpu-node-mismatch", (2, 3), ()) in got
    assert ("memory-node-mismatch", (), ((2 * GiB, 3 * GiB),)) in got  # m1: the second GiB of RAM at 1 GiB


def test_rejection_inferred_without_dmesg():
    fs = findings(ARM_UEFI, dmesg=None)
    assert loud(fs) == [("srat-rejected", "error")]
    assert "no dmesg was captured" in fs[0].message


X86_BOOT = "[    0.000000] Linux version 6.1.0-57-amd64\n[    0.000000] Command line: console=ttyS0\n"
FALLBACK = ("[    0.215161] No NUMA configuration found\n"
            "[    0.215178] Faking a node at [mem 0x0000000000000000-0x000000007ffdefff]\n")


@pytest.mark.parametrize("lines,reason", [
    # arch/x86/mm/numa.c numa_meminfo_cover_memory(), Linux 3.0-6.7
    ("[    0.2] NUMA: nodes only cover 1792MB of your 2047MB e820 RAM. Not used.\n",
     "nodes only cover 1792MB of your 2047MB e820 RAM"),
    # mm/memblock.c memblock_validate_numa_coverage(), Linux 6.8+
    ("[    0.2] NUMA: no nodes coverage for 255MB of 2047MB RAM\n", "no nodes coverage for 255MB"),
    # drivers/acpi/numa/srat.c acpi_parse_memory_affinity() then bad_srat()
    ("[    0.2] ACPI: SRAT: Unexpected header length: 32\n[    0.2] ACPI: SRAT: SRAT not used.\n",
     "Unexpected header length: 32"),
    # numa_cleanup_meminfo(): arch/x86/mm/numa.c up to 6.11, mm/numa_memblks.c 6.12
    ("[    0.2] NUMA: node 1 [mem 0x40000000-0x7fffffff] overlaps with node 0 [mem 0x00000000-0x7fffffff]\n",
     "overlaps with node 0"),
    # the dummy node alone, while SRAT has two domains (acpi_numa_init() returned an error)
    ("", "found no usable NUMA configuration"),
])
def test_x86_rejection_messages_of_5_4_to_6_12(lines, reason):
    """The numa=off capture's one-node kernel, booted without numa=off, with each kernel's rejection lines."""
    dmesg = parse_dmesg_numa(X86_BOOT + lines + FALLBACK)
    fs = findings(NUMAOFF, cmdline="console=ttyS0", dmesg=dmesg)
    assert loud(fs) == [("srat-rejected", "error")], fs
    assert reason in fs[0].message
    assert {c.code for c in fs[0].consequences} >= {"cpu-node-mismatch", "memory-node-mismatch"}


def test_arm64_riscv_numa_init_failure_messages():
    # drivers/base/arch_numa.c arch_acpi_numa_init() / numa_init() / dummy_numa_init()
    text = ("[    0.0] Booting Linux on physical CPU 0x0000000000 [0x000f0510]\n"
            "[    0.0] NUMA: Failed to initialise from firmware\n"
            "[    0.0] NUMA: Faking a node at [mem 0x0000000040000000-0x00000000bfffffff]\n")
    fs = findings(ARM_UEFI, dmesg=parse_dmesg_numa(text))
    assert loud(fs) == [("srat-rejected", "error")]
    assert "Failed to initialise from firmware" in fs[0].message


def test_coverage_rejection_takes_the_uncovered_range_from_memory_not_covered():
    """sysfs_fixtures/edited/memory-not-covered: SRAT's PXM 1 cut to end at 0x6fffffff. A real 6.1 kernel rejects
    that SRAT ('nodes only cover'); with that line the range becomes the reason, not a second error."""
    path = FIXTURES / "edited" / "memory-not-covered.tar.gz"
    text = X86_BOOT + "[    0.2] NUMA: nodes only cover 1792MB of your 2047MB e820 RAM. Not used.\n" + FALLBACK
    fs = findings(path, dmesg=parse_dmesg_numa(text))
    assert loud(fs) == [("srat-rejected", "error")]
    assert fs[0].ranges == ((0x70000000, 0x7ffdf000),)
    assert "memory-not-covered" in {c.code for c in fs[0].consequences}


def test_numa_fake_rebases_on_the_real_nodes():
    """dmesg: Faking node 0 at 0-0x1fffffff, 1 at 0x40000000-, 2 at 0x20000000-, 3 at 0x60000000-; SRAT (QEMU m0,
    m1): PXM 0 = [0, 1 GiB), PXM 1 = [1 GiB, 2 GiB). So fake nodes 0 and 2 are real node 0, 1 and 3 real node 1."""
    (f,) = findings(FAKE4)
    assert f.code == "kernel-fake-numa" and "numa=fake=4" in f.message
    assert "node(s) 0,2 on real node 0 (PXM 0), node(s) 1,3 on real node 1 (PXM 1)" in f.message
    # Without dmesg the memory blocks give the same map.
    (g,) = findings(FAKE4, dmesg=None)
    assert "node(s) 0,2 on real node 0 (PXM 0), node(s) 1,3 on real node 1 (PXM 1)" in g.message
    # Only emulation artefacts are attached: fake nodes 2 and 3 link no CPU.
    assert {(c.code, c.nodes) for c in f.consequences} == {("cpuless-node", (2,)), ("cpuless-node", (3,))}


def test_numa_fake_still_finds_a_real_misplacement():
    """Rebased, not skipped: memory block 4 (0x20000000, fake node 2 = real node 0) moved to fake node 3 (real
    node 1) is a memory-node-mismatch; node distances that break the real SLIT are a distance-mismatch."""
    m = inputs(FAKE4)
    blocks = tuple(dataclasses.replace(b, node=3) if b.start == 0x20000000 else b for b in m.memory.blocks)
    fs = findings(FAKE4, blocks=blocks)
    (f,) = [f for f in fs if f.code == "memory-node-mismatch"]
    assert f.severity == "error" and f.ranges == ((0x20000000, 0x28000000),) and f.nodes == (0, 3)
    nodes = tuple(dataclasses.replace(n, distances=(10, 10, 10, 10)) if n.id == 0 else n for n in m.topology.nodes)
    fs = findings(FAKE4, topology=dataclasses.replace(m.topology, nodes=nodes))
    assert [f.code for f in fs if f.severity == "error"] == ["distance-mismatch"]


def test_check_text_shows_consequences_uncounted(cli):
    code, out, err = cli("check", "--root", str(NUMAOFF))
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].startswith("warning kernel-numa-off")
    assert any(ln.startswith("        consequence (error, not counted) cpu-node-mismatch") for ln in lines)
    assert lines[-1] == "0 error(s), 1 warning(s), 0 info(s)"
    code, out, _ = cli("check", "--root", str(ARM_UEFI))
    assert code == 1 and out.splitlines()[-1] == "1 error(s), 0 warning(s), 0 info(s)"


RISCV = FIXTURES / "handmade" / "riscv-2node-rintc.tar.gz"


def test_riscv_rintc_entries_are_matched_by_hart_id():
    """make_riscv.py: CPU 0 is hart 3 (the boot hart), CPUs 1-3 harts 0-2; harts 0-1 are PXM 0 (node 0), harts
    2-3 PXM 1 (node 1); the kernel put CPUs 1-2 in node 0 and 0,3 in node 1. Matching CPU i to the i-th entry
    instead of by hart would put CPU 0 in PXM 0."""
    assert findings(RISCV) == ()
    topo = inputs(RISCV).topology
    assert [(c.id, c.hart_id) for c in topo.cpus] == [(0, 3), (1, 0), (2, 1), (3, 2)]
    # CPU 0 moved to node 0 by the kernel: its hart (3) is PXM 1, so that is a mismatch.
    cpus = tuple(dataclasses.replace(c, node=0) if c.id == 0 else c for c in topo.cpus)
    fs = findings(RISCV, topology=dataclasses.replace(topo, cpus=cpus))
    assert [(f.code, f.cpus, f.nodes) for f in fs] == [("cpu-node-mismatch", (0,), (0, 1))]


def test_cpu_entries_that_cannot_be_matched_are_named():
    fs = findings(RISCV, dmesg=None)
    assert [(f.code, f.severity) for f in fs] == [("cpu-entries-unmatched", "info")]
    assert "RINTC" in fs[0].message and "HARTID" in fs[0].message
    topo = inputs(RISCV).topology
    fs = findings(RISCV, topology=dataclasses.replace(topo, cpus=tuple(dataclasses.replace(c, hart_id=None)
                                                                           for c in topo.cpus)))
    assert [f.code for f in fs] == ["cpu-entries-unmatched"]
    # arm64 GICC without dmesg: said, as a consequence of the (inferred) rejection.
    (root,) = [f for f in findings(ARM_UEFI, dmesg=None) if f.code == "srat-rejected"]
    assert "cpu-entries-unmatched" in {c.code for c in root.consequences}


def test_arm64_gicc_matched_through_mpidr_lines_when_the_kernel_kept_srat():
    """The arm64 UEFI capture's dmesg without the lines of the failed NUMA init: the GICC match alone (MPIDR 0x2,
    0x3 are CPUs 2-3, PXM 1) finds CPUs 2-3 outside node 1, which QEMU's -numa cpu,node-id=1,socket-id=1 says."""
    text = open_root(str(ARM_UEFI)).read_text("dmesg.txt")
    kept = "\n".join(ln for ln in text.splitlines() if "invalid memblk" not in ln and "Faking a node" not in ln)
    fs = findings(ARM_UEFI, dmesg=parse_dmesg_numa(kept))
    assert ("cpu-node-mismatch", (2, 3)) in [(f.code, f.cpus) for f in fs if f.severity == "error"]


def test_check_json_lists_every_named_check_and_why_it_did_not_run(cli):
    import json

    from numaprobe.analysis.crosscheck import CHECKS, PRECONDITIONS

    code, out, _ = cli("check", "--root", str(FAKE4), "--json")
    runs = {r["name"]: r for r in json.loads(out)["checks"]}
    assert list(runs) == [c.name for c in CHECKS]
    # numa=fake: the HMAT comparison needs the kernel's own nodes; a tree with SRAT has no srat-absent check.
    assert runs["hmat"] == {"name": "hmat", "ran": False, "unmet": ["no-fake-numa"]}
    assert not runs["srat-present"]["ran"] and "no-srat" in runs["srat-present"]["unmet"]
    assert runs["distances"]["ran"] and runs["cpu-placement"]["ran"]
    assert {p for r in runs.values() for p in r["unmet"]} <= set(PRECONDITIONS)
    # The docs name every precondition.
    doc = (FIXTURES.parent / "docs" / "json.md").read_text()
    assert all("`%s`" % p in doc for p in PRECONDITIONS)
