#!/usr/bin/python3
"""Writes the RISC-V ACPI trees (issue 14: RINTC entries matched to CPUs by hart id). No RISC-V kernel could be
booted with ACPI NUMA here (Debian 12's QEMU 7.2 builds no RISC-V SRAT; Linux has ACPI NUMA for RISC-V only
since 6.10), so the tree is written by hand after what those kernels show:

- SRAT revision 3 with RINTC Affinity entries (type 7, 20 bytes, ACPI 6.6: +2 reserved u16, +4 proximity domain
  u32, +8 ACPI processor UID u32, +12 flags u32 (bit 0 enabled), +16 clock domain u32; ACPICA actbl3.h
  ACPI_SRAT_RINTC_AFFINITY) and Memory Affinity entries (type 1, 40 bytes), packed here with struct from those
  layouts, not with numaprobe's builders; SLIT 2x2 10/21.
- 4 harts, the boot hart is hart 3, so Linux's logical CPU 0 is hart 3 and CPUs 1-3 are harts 0-2 (the logical
  numbering starts at the boot hart: arch/riscv/kernel/smpboot.c). RINTC UIDs are hart id + 0x10, so a
  UID is never a hart id. Harts 0-1 are PXM 0 (memory 0x80000000-0xbfffffff), harts 2-3 PXM 1
  (0xc0000000-0xffffffff): Linux gives PXM 0 node 0 (first RINTC entry), PXM 1 node 1, so node 0 = CPUs 1-2,
  node 1 = CPUs 0 and 3.
- dmesg as drivers/acpi/numa/srat.c and arch/riscv/kernel/acpi_numa.c print it (`ACPI: SRAT: Node n PXM p
  [mem ...]`, `ACPI: NUMA: SRAT: PXM p -> HARTID 0xh -> Node n`, one per RINTC entry in table order), and
  /proc/cpuinfo with `processor` and `hart` lines as arch/riscv/kernel/cpu.c show_cpuinfo() prints them.

Trees written (deterministic, like make_handmade.py):
  handmade/riscv-2node-rintc.tar.gz        the machine above, consistent: check finds nothing wrong;
  edited/riscv-cpu-node-mismatch.tar.gz    the same with CPU 3 (hart 2, SRAT PXM 1) in node 0 in sysfs only.

usage: /usr/bin/python3 sysfs_fixtures/tools/make_riscv.py
"""
from __future__ import annotations

import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixtree import Tree, fix_checksum  # noqa: E402
from make_handmade import NODE, Machine, build_base  # noqa: E402

FIXTURES = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HART_OF_CPU = {0: 3, 1: 0, 2: 1, 3: 2}
PXM_OF_HART = {0: 0, 1: 0, 2: 1, 3: 1}
GiB = 1 << 30
MEM = {0: (0x80000000, GiB), 1: (0xC0000000, GiB)}
UID_BASE = 0x10


def header(sig: bytes, length: int, revision: int) -> bytes:
    return struct.pack("<4sIBB6s8sI4sI", sig, length, revision, 0, b"HANDMD", b"RISCVNUM", 1, b"NPRB", 1)


def srat() -> bytes:
    body = struct.pack("<IQ", 1, 0)  # Table Revision 1, reserved
    for hart in sorted(PXM_OF_HART):
        body += struct.pack("<BBHIIII", 7, 20, 0, PXM_OF_HART[hart], UID_BASE + hart, 1, 0)
    for pxm, (base, size) in sorted(MEM.items()):
        body += struct.pack("<BBIHQQIIQ", 1, 40, pxm, 0, base, size, 0, 1, 0)
    return bytes(fix_checksum(bytearray(header(b"SRAT", 36 + len(body), 3) + body)))


def slit() -> bytes:
    body = struct.pack("<Q", 2) + bytes([10, 21, 21, 10])
    return bytes(fix_checksum(bytearray(header(b"SLIT", 36 + len(body), 1) + body)))


def dmesg() -> str:
    lines = ["Linux version 6.12.0-riscv64 (handmade) #1 SMP",
             "Kernel command line: console=ttyS0 root=/dev/vda"]
    for pxm, (base, size) in sorted(MEM.items()):
        lines.append("ACPI: SRAT: Node %d PXM %d [mem %#010x-%#010x]" % (pxm, pxm, base, base + size - 1))
    lines.append("NUMA: Initialized distance table, cnt=2")
    for hart in sorted(PXM_OF_HART):
        lines.append("ACPI: NUMA: SRAT: PXM %d -> HARTID 0x%x -> Node %d" % (PXM_OF_HART[hart], hart,
                                                                          PXM_OF_HART[hart]))
    lines.append("smp: Brought up 2 nodes, 4 CPUs")
    return "".join("[    0.%06d] %s\n" % (i, ln) for i, ln in enumerate(lines))


def cpuinfo() -> str:
    return "".join("processor\t: %d\nhart\t\t: %d\nisa\t\t: rv64imafdch_zicsr_zifencei\nmmu\t\t: sv57\n\n"
                   % (cpu, hart) for cpu, hart in sorted(HART_OF_CPU.items()))


def build(nodes, packages) -> Tree:
    m = Machine(nodes=nodes, packages=packages)
    t = build_base(m)
    t.write("proc/cpuinfo", cpuinfo())
    t.write("sys/firmware/acpi/tables/SRAT", srat())
    t.write("sys/firmware/acpi/tables/SLIT", slit())
    for n in nodes:
        t.write(f"{NODE}/node{n}/distance", "10 21\n" if n == 0 else "21 10\n")
    t.write("proc/iomem", "80000000-ffffffff : System RAM\n")
    t.write("proc/cmdline", "console=ttyS0 root=/dev/vda\n")
    t.write("dmesg.txt", dmesg())
    return t


def main() -> int:
    real = {0: [1, 2], 1: [0, 3]}  # node of each CPU from its hart's PXM
    t = build(real, real)
    t.write("fixture-handmade.txt", "handmade fixture: riscv-2node-rintc\nmade by: sysfs_fixtures/tools/"
            "make_riscv.py\nwhat: RISC-V ACPI NUMA, 2 nodes, SRAT RINTC entries (UID = hart + 0x10); CPU -> hart "
            "0:3 1:0 2:1 3:2; node 0 = CPUs 1-2 (harts 0-1, PXM 0), node 1 = CPUs 0,3 (harts 3 and 2, PXM 1)\n")
    t.save(os.path.join(FIXTURES, "handmade", "riscv-2node-rintc.tar.gz"))
    t = build({0: [1, 2, 3], 1: [0]}, real)
    t.write("fixture-edit.txt", "edited fixture: riscv-cpu-node-mismatch\nbase: handmade/riscv-2node-rintc "
            "(sysfs_fixtures/tools/make_riscv.py)\nedit: sysfs only: CPU 3 (hart 2, SRAT RINTC UID 0x12, PXM 1 -> "
            "node 1) put in node 0 (node0/cpulist 1-3, cpu3/node0 link); packages unchanged; dmesg untouched\n"
            "expect: cpu-node-mismatch (cpu 3: SRAT says node 1, kernel node 0)\n")
    t.save(os.path.join(FIXTURES, "edited", "riscv-cpu-node-mismatch.tar.gz"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
