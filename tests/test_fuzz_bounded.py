"""Bounded fuzzing inside the suite (hypothesis): the parsers and TarRoot never raise anything but their
documented exceptions, and each input takes bounded time.

The targets are bench/fuzz/targets.py's, shared with the long coverage-guided runs (docs/fuzzing.md): each
swallows exactly the documented exception (AcpiTableError for tables and acpidump text, InputError and its
UnsafeArchiveError for archives; the sysfs/proc readers return None or empty and raise nothing), so anything
escaping is a failure here. Inputs: random bytes, structured sysfs-like text, real files from ../shared
mutated, and tarballs built from hostile member lists.
"""

from __future__ import annotations

import io
import sys
import tarfile
import time
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench" / "fuzz"))
import targets  # noqa: E402

from oracles import ACPI_CORPUS, HWLOC_CORPUS  # noqa: E402

BOUNDED = settings(max_examples=150, deadline=timedelta(seconds=3), derandomize=True,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
PER_INPUT_SECONDS = 3.0


def run_bounded(target, data: bytes) -> None:
    started = time.monotonic()
    target(data)
    assert time.monotonic() - started < PER_INPUT_SECONDS


# -- random bytes into every target ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(targets.TARGETS))
@BOUNDED
@given(data=st.binary(max_size=4096))
def test_random_bytes(name, data):
    run_bounded(targets.TARGETS[name], data)


# -- text that looks like sysfs/proc ----------------------------------------------------------------------------
NUMBERS = st.one_of(st.integers(-2**70, 2**70).map(str), st.sampled_from(["0", "-0", "0x1f", "1_000", "nan", "",
                                                                         "4294967296", "١٢", "+5", "0-3", "3-0"]))
WORDS = st.one_of(NUMBERS, st.sampled_from(["kB", "MB", "Node", "0", "Zone", "Normal", "DMA32", "pages", "free",
                                            "N0=1", "N1=", "=5", "huge", "anon=3", "processor", ":", ",", "-",
                                            "cpu", "\x00", "\t", "\ufffd"]))
LINES = st.lists(st.lists(WORDS, max_size=12).map(" ".join), max_size=40).map("\n".join)


@pytest.mark.parametrize("name", ["cpumask", "meminfo", "cpuinfo", "procfs"])
@BOUNDED
@given(text=LINES)
def test_sysfs_like_text(name, text):
    run_bounded(targets.TARGETS[name], text.encode("utf-8", "surrogatepass"))


SYSFS_FILES = [
    "sys/devices/system/node/online", "sys/devices/system/node/possible", "sys/devices/system/node/has_cpu",
    "sys/devices/system/node/node0/cpulist", "sys/devices/system/node/node0/cpumap",
    "sys/devices/system/node/node0/distance", "sys/devices/system/node/node0/meminfo",
    "sys/devices/system/node/node1/cpulist", "sys/devices/system/node/node1/distance",
    "sys/devices/system/node/node99999999/cpulist", "sys/devices/system/node/node0/numastat",
    "sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages",
    "sys/devices/system/cpu/online", "sys/devices/system/cpu/possible", "sys/devices/system/cpu/present",
    "sys/devices/system/cpu/cpu0/topology/core_id", "sys/devices/system/cpu/cpu0/topology/physical_package_id",
    "sys/devices/system/cpu/cpu0/topology/thread_siblings_list", "sys/devices/system/cpu/cpu0/topology/core_cpus",
    "sys/devices/system/cpu/cpu1/topology/core_siblings", "sys/devices/system/cpu/cpu1/online",
    "sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq", "sys/devices/system/memory/block_size_bytes",
    "sys/devices/system/memory/memory0/phys_index", "sys/devices/system/memory/memory0/state",
    "sys/firmware/memmap/0/start", "sys/firmware/memmap/0/end", "sys/firmware/memmap/0/type",
    "proc/meminfo", "proc/cpuinfo", "proc/buddyinfo", "proc/zoneinfo", "proc/iomem", "proc/self/status",
    "proc/1/status", "proc/1/numa_maps", "proc/1/cmdline", "proc/1/stat", "proc/version",
]
SYSFS_LINKS = ["sys/devices/system/cpu/cpu0/node0", "sys/bus/pci/devices/0000:00:01.0",
               "sys/devices/system/node/node1"]
LINK_TARGETS = st.sampled_from(["../../node/node0", "../../../devices/pci0000:00/0000:00:01.0", ".", "..",
                                "/", "node1", "../../../../../../..", "cpu0/node0"])


@pytest.mark.parametrize("name", ["sysfs_tree", "commands"])
@BOUNDED
@given(files=st.dictionaries(st.sampled_from(SYSFS_FILES), LINES, max_size=25),
       links=st.dictionaries(st.sampled_from(SYSFS_LINKS), LINK_TARGETS, max_size=3))
def test_sysfs_tree_readers_topology_and_every_command(name, files, links):
    data = targets.join_files({k: v.encode("utf-8", "surrogatepass") for k, v in files.items()}, links)
    run_bounded(targets.TARGETS[name], data)


# -- real files, mutated ---------------------------------------------------------------------------------------
def _real(pattern_dir: Path, names) -> list:
    if not pattern_dir.exists():
        return []
    return sorted(p for p in pattern_dir.rglob("*") if p.is_file() and p.name in names)[:40]


REAL_TABLES = _real(ACPI_CORPUS, {"SRAT", "SLIT", "HMAT"})
REAL_DUMPS = [p for p in _real(ACPI_CORPUS, {"acpidump-0001.log", "acpidump-0002.log"})]
REAL_TARS = sorted(HWLOC_CORPUS.glob("*.tar.bz2"), key=lambda p: p.stat().st_size)[:6] if HWLOC_CORPUS.exists() else []


@st.composite
def mutated(draw, files):
    data = bytearray(draw(st.sampled_from(files)).read_bytes())
    for _ in range(draw(st.integers(0, 8))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "dup"]))
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[at] = draw(st.integers(0, 255))
        elif op == "cut":
            del data[at:at + draw(st.integers(1, 64))]
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        else:
            data[at:at] = data[at:at + draw(st.integers(1, 256))]
    return bytes(data)


@pytest.mark.parametrize("name,files", [("acpi_decode", REAL_TABLES), ("acpidump_text", REAL_DUMPS),
                                        ("tarroot", REAL_TARS)])
def test_mutated_real_inputs(name, files):
    if not files:
        pytest.skip("../shared corpus absent: no real %s inputs to mutate" % name)

    @BOUNDED
    @given(data=mutated(files))
    def check(data):
        run_bounded(targets.TARGETS[name], data)

    check()


# -- tarballs built from hostile member lists -----------------------------------------------------------------
NAME_PARTS = st.sampled_from(["m", "sys", "proc", "devices", "system", "node", "node0", "cpu0", "..", ".", "",
                              "a\x1bb", "x\ny", "meminfo", "cpulist", "d" * 120, "é", "\udcff"])
MEMBER = st.tuples(
    st.lists(NAME_PARTS, min_size=1, max_size=8).map("/".join),
    st.sampled_from([tarfile.REGTYPE, tarfile.DIRTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.FIFOTYPE,
                     tarfile.CHRTYPE, tarfile.GNUTYPE_SPARSE, b"9"]),
    st.binary(max_size=64),
    st.sampled_from(["../..", "/etc/passwd", "node0", ".", "../../../../x", ""]),
    st.booleans(),
)


def _build_tar(members, fmt, compression) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=fmt) as tf:
        for name, kind, data, link, absolute in members:
            info = tarfile.TarInfo(("/" if absolute else "") + name)
            info.type, info.linkname = kind, link
            if kind == tarfile.REGTYPE:
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
            else:
                tf.addfile(info)
    body = raw.getvalue()
    if compression == "gz":
        import gzip

        return gzip.compress(body)
    if compression == "xz":
        import lzma

        return lzma.compress(body)
    return body


@BOUNDED
@given(members=st.lists(MEMBER, min_size=1, max_size=12),
       fmt=st.sampled_from([tarfile.GNU_FORMAT, tarfile.PAX_FORMAT]),
       compression=st.sampled_from(["", "gz", "xz"]),
       cut=st.one_of(st.none(), st.integers(0, 4096)))
def test_tarballs_of_hostile_members(members, fmt, compression, cut):
    try:
        data = _build_tar(members, fmt, compression)
    except (ValueError, UnicodeError):
        return  # tarfile itself refuses to write this member (e.g. a name not encodable in ustar)
    if cut is not None:
        data = data[:cut]
    run_bounded(targets.tarroot, data)


# -- option values: only InputError ------------------------------------------------------------------------------
SIZE_TEXT = st.one_of(st.text(max_size=30), st.builds(lambda n, u: n + u, NUMBERS,
                                                      st.sampled_from(["", "K", "M", "G", "T", "GiB", "kB", "Q", "e9"])))


@BOUNDED
@given(text=SIZE_TEXT)
def test_size_parsers_accept_or_raise_input_error(text):
    from numaprobe.errors import InputError
    from numaprobe.units import parse_size

    try:
        value = parse_size(text)
    except InputError:
        return
    assert isinstance(value, int) and value >= 4096, (text, value)


@BOUNDED
@given(spec=st.one_of(st.text(max_size=60), st.lists(st.sampled_from(
    ["x:", "vcpus=", "memory=", "nodes=", "policy=", "2", "1G", "0+1", "0+0", "-1", "balance", ",", "=", ":", "12Q"]),
    max_size=10).map("".join)))
def test_domain_specs_accept_or_raise_input_error(spec):
    from numaprobe.errors import InputError
    from numaprobe.sim.seed import parse_domain

    try:
        req = parse_domain(spec)
    except InputError:
        return
    assert req.vcpus >= 1 and req.memory_bytes > 0
