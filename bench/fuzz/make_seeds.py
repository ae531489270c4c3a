"""Build the seed corpus of every fuzz target from ../shared/corpus (read only) into a scratch directory.

    /usr/bin/python3 bench/fuzz/make_seeds.py [OUT]      (default /dev/shm/numaprobe-fuzz/seeds)

Seeds: raw SRAT/SLIT/HMAT and acpidump text from corpus/acpi; single sysfs/proc files and whole trees (as
targets.join_files) from the hwloc and QEMU capture tarballs; the small hwloc tarballs themselves, and small
trees re-packed as .tar/.tar.gz/.tar.xz, for the TarRoot target.
"""

from __future__ import annotations

import hashlib
import io
import os
import sys
import tarfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))
from targets import join_files  # noqa: E402

SHARED = Path(os.environ.get("NUMAPROBE_SHARED", HERE.parents[2] / "shared"))
MAX_SEED = 64 * 1024

SINGLE = {
    "cpumask": ("cpulist", "cpumap", "thread_siblings", "thread_siblings_list", "core_siblings",
                "core_siblings_list", "online", "possible", "present", "has_cpu", "has_memory", "local_cpus",
                "local_cpulist", "package_cpus_list", "core_cpus_list"),
    "meminfo": ("meminfo",),
    "cpuinfo": ("cpuinfo",),
    "procfs": ("buddyinfo", "zoneinfo", "numastat", "iomem", "status", "numa_maps"),
}
TREE_KEEP = ("sys/devices/system/node/", "sys/devices/system/cpu/", "sys/devices/system/memory/",
             "sys/firmware/memmap/", "proc/meminfo", "proc/cpuinfo", "proc/self/status", "proc/buddyinfo",
             "proc/version", "sys/bus/pci/devices/", "sys/firmware/acpi/tables/SRAT", "sys/firmware/acpi/tables/SLIT",
             "sys/firmware/acpi/tables/HMAT")


def save(out: Path, target: str, data: bytes) -> None:
    data = data[:MAX_SEED]
    d = out / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()[:16]).write_bytes(data)


def captures():
    hw = SHARED / "corpus" / "hwloc-linux"
    for p in sorted(hw.glob("*.tar.bz2")) + sorted((hw / "extra").glob("*.tar.bz2")):
        yield p
    yield from sorted((SHARED / "corpus" / "qemu").glob("*.tar.gz"))


def main(out: Path) -> None:
    for tb in captures():
        files, links = {}, {}
        with tarfile.open(tb) as tf:
            members = tf.getmembers()
            top = os.path.commonprefix([m.name for m in members]).split("/")[0]
            for m in members:
                rel = m.name[len(top) + 1:] if top and m.name.startswith(top + "/") else m.name
                if m.isfile() and m.size <= MAX_SEED:
                    data = tf.extractfile(m).read()
                    base = rel.rsplit("/", 1)[-1]
                    for target, names in SINGLE.items():
                        if base in names:
                            save(out, target, data)
                    if rel.startswith("sys/firmware/acpi/tables/") and base in ("SRAT", "SLIT", "HMAT", "APIC"):
                        save(out, "acpi_decode", data)
                    if rel.startswith(TREE_KEEP):
                        files[rel] = data
                elif m.issym() and rel.startswith(TREE_KEEP):
                    links[rel] = m.linkname
        # Keep trees small: the first CPUs and nodes only, so a mutation still reaches the builder quickly.
        def small(p: str) -> bool:
            import re
            m = re.search(r"/(cpu|node|memory)(\d+)(/|$)", p)
            return m is None or int(m.group(2)) < 4
        blob = join_files({k: v for k, v in files.items() if small(k)}, {k: v for k, v in links.items() if small(k)})
        if len(blob) <= MAX_SEED:
            save(out, "sysfs_tree", blob)
            save(out, "commands", blob)
        if tb.stat().st_size <= 8 * 1024:
            save(out, "tarroot", tb.read_bytes())
            # the same tree re-packed uncompressed, gzip and xz (tarfile picks the decompressor by magic)
            with tarfile.open(tb) as tf:
                raw = io.BytesIO()
                with tarfile.open(fileobj=raw, mode="w") as w:
                    for m in tf.getmembers()[:40]:
                        w.addfile(m, tf.extractfile(m) if m.isfile() else None)
            save(out, "tarroot", raw.getvalue())
            for mode in ("w:gz", "w:xz"):
                buf = io.BytesIO()
                with tarfile.open(fileobj=buf, mode=mode) as w, tarfile.open(fileobj=io.BytesIO(raw.getvalue())) as r:
                    for m in r.getmembers():
                        w.addfile(m, r.extractfile(m) if m.isfile() else None)
                save(out, "tarroot", buf.getvalue())
    acpi = SHARED / "corpus" / "acpi"
    for p in sorted(acpi.rglob("*")):
        if not p.is_file():
            continue
        if p.name in ("SRAT", "SLIT", "HMAT") or p.suffix == ".aml":
            save(out, "acpi_decode", p.read_bytes())
        elif p.name.startswith("acpidump-") and p.suffix == ".log":
            save(out, "acpidump_text", p.read_bytes())
    for t in ("acpi_decode", "acpidump_text", "cpumask", "meminfo", "cpuinfo", "procfs", "sysfs_tree", "tarroot",
              "commands"):
        d = out / t
        print("%-14s %4d seeds" % (t, len(list(d.iterdir())) if d.exists() else 0))


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "/dev/shm/numaprobe-fuzz/seeds"))
