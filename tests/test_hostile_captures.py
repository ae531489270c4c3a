"""Hostile captures, tarballs and directories, through the real CLI in a child process.

Each is refused with one line on stderr and exit status 2, or contained (read as if chrooted, the hostile part
ignored). Every run is under the audit hook of tests/audit.py: nothing may be written anywhere (numaprobe reads
tarballs in memory, so its private temporary place is TMPDIR, which must stay empty), and the stated bounds on
peak RSS and wall time hold. Bounds (measured on a shared 2-core VM, Python 3.11): the decompression bound is
MAX_ARCHIVE_BYTES (256 MiB), so a bomb costs at most BOMB_RSS_MB; everything else stays under SMALL_RSS_MB.
"""

from __future__ import annotations

import bz2
import lzma
import os
import stat
import tarfile
import zlib
from pathlib import Path

import pytest

from audit import SAMPLES, cli_commands, one_clean_line, run_audited
from numaprobe.errors import InputError, UnsafeArchiveError
from numaprobe.source import root as root_module
from numaprobe.source.root import TarRoot, open_root
from oracles import SCRATCH

SMALL_RSS_MB = 120
BOMB_RSS_MB = 450
MANY_RSS_MB = 300
SECONDS = 30  # generous: 2 cores shared by several test runs; a bound on hangs, not a benchmark

SECRET = "numaprobe-secret-outside-the-capture"

TREE = {
    "sys/devices/system/node/online": "0\n",
    "sys/devices/system/node/node0/cpulist": "0-1\n",
    "sys/devices/system/node/node0/meminfo": "Node 0 MemTotal:  1048576 kB\nNode 0 MemFree: 524288 kB\n",
    "sys/devices/system/node/node0/distance": "10\n",
    "sys/devices/system/cpu/online": "0-1\n",
    "sys/devices/system/cpu/cpu0/topology/thread_siblings_list": "0\n",
    "sys/devices/system/cpu/cpu1/topology/thread_siblings_list": "1\n",
    "proc/meminfo": "MemTotal: 1048576 kB\nMemFree: 524288 kB\n",
}


def header(name: str, kind: bytes = tarfile.REGTYPE, size: int = 0, link: str = "", fmt=tarfile.GNU_FORMAT) -> bytes:
    info = tarfile.TarInfo(name)
    info.type, info.size, info.linkname = kind, size, link
    return info.tobuf(format=fmt)


def file_member(name: str, data: bytes) -> bytes:
    return header(name, size=len(data)) + data + bytes(-len(data) % 512)


def base_tar(prefix: str = "m/") -> bytes:
    return b"".join(file_member(prefix + k, v.encode()) for k, v in TREE.items())


def finish(body: bytes) -> bytes:
    return body + bytes(1024)


def gz(data: bytes) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, 31)
    return c.compress(data) + c.flush()


@pytest.fixture(scope="module")
def place():
    """A private scratch place for the hostile inputs (RAM when possible), removed at the end."""
    import shutil
    import tempfile

    d = Path(tempfile.mkdtemp(prefix="numaprobe-hostile-", dir=str(SCRATCH) if SCRATCH else None))
    yield d
    shutil.rmtree(d, ignore_errors=True)


def run_contained(place: Path, argv, rss_mb=SMALL_RSS_MB, watch=()):
    """Run in an empty cwd with an empty private TMPDIR; check nothing was written and the bounds held."""
    import tempfile

    work = Path(tempfile.mkdtemp(dir=str(place)))
    tmpdir = work / "tmp"
    tmpdir.mkdir()
    before = sorted(os.listdir(place))
    run = run_audited(argv, cwd=str(work), env={"TMPDIR": str(tmpdir)}, timeout=SECONDS * 4, watch=watch)
    # shown with `pytest -s`: the numbers docs/fuzzing.md quotes
    print("measured: %-60s exit %d  peak RSS %5.0f MB  %5.2f s" % (os.path.basename(str(argv[-1]))[:60], run.code,
                                                                    run.maxrss_mb, run.seconds))
    assert run.events == [], run.events
    assert os.listdir(tmpdir) == [] and os.listdir(work) == ["tmp"]
    assert sorted(os.listdir(place)) == before
    assert run.maxrss_mb < rss_mb, "peak RSS %.0f MB over the %d MB bound" % (run.maxrss_mb, rss_mb)
    assert run.seconds < SECONDS, "%.1f s over the %d s bound" % (run.seconds, SECONDS)
    assert SECRET not in run.out + run.err
    assert "\x1b" not in run.out + run.err and "\r" not in run.out + run.err
    return run


def assert_refused(run):
    assert run.code == 2, (run.code, run.err)
    assert run.out == ""
    assert one_clean_line(run.err), run.err


# -- tarballs: refused ------------------------------------------------------------------------------------------
def _pax_negative_size() -> bytes:
    rec = b" size=-1536\n"
    rec = str(len(rec) + 2).encode() + rec
    return (header("x", tarfile.XHDTYPE, len(rec), fmt=tarfile.USTAR_FORMAT) + rec.ljust(512, b"\0")
            + header("m/sys/a", fmt=tarfile.USTAR_FORMAT))


HOSTILE_TARS = {
    "dotdot": lambda: file_member("m/sys/../../../evil", b"x"),
    "absolute-name": lambda: file_member("/etc/evil", b"x"),
    "symlink-out": lambda: header("m/sys/devices/x", tarfile.SYMTYPE, link="../../../../etc/passwd"),
    "symlink-absolute": lambda: header("m/sys/devices/x", tarfile.SYMTYPE, link="/etc/passwd"),
    "hardlink-out": lambda: header("m/proc/cpuinfo", tarfile.LNKTYPE, link="/etc/shadow"),
    "hardlink-inside": lambda: header("m/proc/cpuinfo", tarfile.LNKTYPE, link="m/proc/meminfo"),
    "chardev": lambda: header("m/proc/kmsg", tarfile.CHRTYPE),
    "blockdev": lambda: header("m/sys/sda", tarfile.BLKTYPE),
    "fifo": lambda: header("m/sys/devices/system/node/online2", tarfile.FIFOTYPE),
    "control-chars": lambda: file_member("m/sys/devices/x\x1b]0;pwned\x07\x1b[2J", b"x"),
    "newline-name": lambda: file_member("m/sys/devices/x\nnumaprobe: ok", b"x"),
    # a several-GB member claimed by the header, no data behind it (sparse): must not be read or allocated
    "huge-member-octal": lambda: header("m/proc/meminfo2", size=(6 << 30)),
    "huge-member-base256": lambda: header("m/proc/meminfo2", size=(1 << 42)),
    "gnu-sparse": lambda: header("m/proc/meminfo2", tarfile.GNUTYPE_SPARSE, size=512) + bytes(512),
    "pax-negative-size-loop": _pax_negative_size,
    "oversized-longname": lambda: header("././@LongLink", tarfile.GNUTYPE_LONGNAME, size=64 << 20),
    # a 60 KB link target made one lookup take 6 s (quadratic resolution); 800 KB would take half an hour
    "symlink-long-target": lambda: header("m/sys/devices/system/cpu", tarfile.SYMTYPE, link="a/" * 30000),
}


@pytest.mark.parametrize("compress", ["tar", "gz"])
@pytest.mark.parametrize("case", sorted(HOSTILE_TARS))
def test_hostile_tarball_refused(case, compress, place):
    body = finish(base_tar() + HOSTILE_TARS[case]())
    path = place / ("%s.%s" % (case, "tar" if compress == "tar" else "tar.gz"))
    path.write_bytes(body if compress == "tar" else gz(body))
    with pytest.raises(InputError):
        TarRoot(str(path))
    run = run_contained(place, ["probe", "--root", str(path)], watch=[SECRET, "/etc/passwd", "/etc/shadow"])
    assert_refused(run)
    path.unlink()


def test_every_command_refuses_a_hostile_tarball(place):
    """The same refusal whatever the command: all of them open --root through open_root."""
    path = place / "symlink-out-all.tar.gz"
    path.write_bytes(gz(finish(base_tar() + HOSTILE_TARS["symlink-out"]())))
    commands = cli_commands()
    with_root = [n for n, c in commands.items() if any("--root" in p.opts for p in c.params)]
    assert "probe" in with_root and "capture" not in with_root
    for name in with_root:
        argv = [name] + SAMPLES.get(name, [[]])[0] + ["--root", str(path)]
        run = run_contained(place, argv)
        assert run.code == 2 and one_clean_line(run.err), (name, run.code, run.err)
        assert "symlink" in run.err, (name, run.err)


# -- compression bombs -----------------------------------------------------------------------------------------
def _zeros(n_mib: int):
    z = bytes(1 << 20)
    for _ in range(n_mib):
        yield z


def gzip_bomb(first: bytes) -> bytes:
    """One gzip stream of `first` then 1 GiB of zeros, compressed from a generator: 1 MB on disk."""
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    out = [c.compress(first)]
    out += [c.compress(z) for z in _zeros(1024)]
    return b"".join(out) + c.flush()


def concatenated_bomb(first: bytes, compressor, per_stream_mib=64, streams=16) -> bytes:
    """`streams` concatenated streams of 64 MiB of zeros each (1 GiB), as pbzip2/pixz write: a few KB."""
    c = compressor()
    one = b"".join([c.compress(z) for z in _zeros(per_stream_mib)]) + c.flush()
    c = compressor()
    head = c.compress(first) + b"".join(c.compress(z) for z in _zeros(per_stream_mib)) + c.flush()
    return head + one * (streams - 1)


BOMBS = {
    "gzip-member-of-zeros": lambda: gzip_bomb(header("m/proc/meminfo", size=1 << 30)),
    "gzip-pax-header-of-zeros": lambda: gzip_bomb(header("x", tarfile.XHDTYPE, size=1 << 30,
                                                          fmt=tarfile.USTAR_FORMAT)),
    "gzip-valid-tree-then-zeros": lambda: gzip_bomb(base_tar()),
    "bzip2-streams": lambda: concatenated_bomb(header("m/proc/meminfo", size=1 << 30),
                                               lambda: bz2.BZ2Compressor(9)),
    "xz-streams": lambda: concatenated_bomb(header("m/proc/meminfo", size=1 << 30),
                                            lambda: lzma.LZMACompressor(preset=1)),
}


@pytest.mark.parametrize("case", sorted(BOMBS))
def test_compression_bomb_stops_at_the_bound(case, place):
    path = place / ("%s.tar" % case)
    data = BOMBS[case]()
    assert len(data) < 2 << 20  # small on disk ...
    path.write_bytes(data)
    run = run_contained(place, ["probe", "--root", str(path)], rss_mb=BOMB_RSS_MB)
    assert_refused(run)
    assert "unpacks to more than" in run.err
    path.unlink()


# -- sizes and counts ----------------------------------------------------------------------------------------
def test_hundred_thousand_members_are_read_within_bounds(place):
    names = ["m/sys/devices/system/node/node0/junk/d%03d/f%05d" % (i // 1000, i) for i in range(100_000)]
    info = tarfile.TarInfo("x")
    chunks = [base_tar()]
    for n in names:
        info.name = n
        chunks.append(info.tobuf(format=tarfile.USTAR_FORMAT))
    path = place / "many.tar.gz"
    path.write_bytes(gz(finish(b"".join(chunks))))
    run = run_contained(place, ["probe", "--root", str(path), "--json"], rss_mb=MANY_RSS_MB)
    # contained: the junk is ignored and the machine described
    assert run.code == 0, run.err
    assert '"nodes"' in run.out
    path.unlink()


def test_member_count_bound_refuses(place, monkeypatch):
    monkeypatch.setattr(root_module, "MAX_ARCHIVE_MEMBERS", 50)
    path = place / "count.tar"
    path.write_bytes(finish(base_tar() + b"".join(file_member("m/sys/j/f%d" % i, b"1") for i in range(60))))
    with pytest.raises(UnsafeArchiveError, match="more than 50 members"):
        TarRoot(str(path))


def _pax_member(name: str, data: bytes = b"1") -> bytes:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info.tobuf(format=tarfile.PAX_FORMAT) + data.ljust(512, b"\0")


def test_nested_member_within_the_depth_bound_is_contained(place):
    deep = "m/sys/devices/system/node/node0/" + "d/" * 100 + "f"
    path = place / "deep.tar.gz"
    path.write_bytes(gz(finish(base_tar() + _pax_member(deep))))
    assert TarRoot(str(path)).read_text(deep[2:]) == "1"
    run = run_contained(place, ["probe", "--root", str(path)])
    assert run.code == 0, run.err
    path.unlink()


@pytest.mark.parametrize("name", [
    "m/sys/" + "d/" * 5000 + "f",  # 10 KB: took 190 MB before names were bounded (each parent is an entry)
    "m/sys/" + "d/" * 400_000 + "f",  # 800 KB, as deep as a pax header allows: quadratic time and memory
    "m/sys/" + "x" * 600_000,  # one enormous component
], ids=["10KB-deep", "800KB-deep", "600KB-component"])
def test_overlong_or_overdeep_member_name_is_refused(name, place):
    path = place / "deeper.tar.gz"
    path.write_bytes(gz(finish(base_tar() + _pax_member(name))))
    run = run_contained(place, ["probe", "--root", str(path)])
    assert_refused(run)
    assert "longer than" in run.err and len(run.err) < 400
    path.unlink()


def test_many_distinct_deep_names_hit_the_names_bound(place, monkeypatch):
    monkeypatch.setattr(root_module, "MAX_NAMES_TOTAL_BYTES", 1 << 20)
    body = b"".join(_pax_member("m/sys/t%d/" % i + "d" * 60 + "/d" * 60 + "/f") for i in range(200))
    path = place / "names.tar"
    path.write_bytes(finish(base_tar() + body))
    with pytest.raises(UnsafeArchiveError, match="member names take more than"):
        TarRoot(str(path))


# -- directories: contained ------------------------------------------------------------------------------------
def make_tree(base: Path) -> Path:
    for rel, text in TREE.items():
        p = base / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return base


def _secret(place: Path) -> Path:
    s = place / "secret.txt"
    if not s.exists():
        s.write_text("MemTotal: 7 kB\n" + SECRET + "\n")
    return s


def _sparse(path: Path, size: int) -> None:
    with open(path, "wb") as f:
        f.write(b"MemTotal: 1 kB\n")
        f.truncate(size)  # a hole: no disk, no RAM


def _replace(tree: Path, rel: str, make) -> None:
    p = tree / rel
    if p.exists() or p.is_symlink():
        p.unlink()
    make(p)


DIR_CASES = {
    # (relative path replaced, how) -- each must be ignored, the rest of the tree read
    "symlink-out-relative": ("proc/meminfo", lambda p, s: os.symlink("../../../../../../" + str(s).lstrip("/"), p)),
    "symlink-out-absolute": ("sys/devices/system/node/node0/meminfo", lambda p, s: os.symlink(str(s), p)),
    "hardlink-out": ("proc/meminfo", lambda p, s: os.link(s, p)),
    "fifo": ("sys/devices/system/node/online", lambda p, s: os.mkfifo(p)),
    "chardev-zero": ("proc/meminfo", lambda p, s: os.mknod(p, 0o600 | stat.S_IFCHR, os.makedev(1, 5))),
    "blockdev-loop": ("proc/cpuinfo", lambda p, s: os.mknod(p, 0o600 | stat.S_IFBLK, os.makedev(7, 0))),
    "dir-loop-symlink": ("sys/devices/system/node/node0/loop", lambda p, s: os.symlink(".", p)),
    "sparse-6GiB-file": ("proc/meminfo", lambda p, s: _sparse(p, 6 << 30)),
    "control-char-name": ("sys/devices/system/node/node1\x1b[2J", lambda p, s: p.write_text("x")),
}


@pytest.mark.parametrize("case", sorted(DIR_CASES))
def test_hostile_directory_is_contained(case, place):
    if case.startswith(("chardev", "blockdev")) and os.geteuid() != 0:
        pytest.skip("mknod of a device node needs root")
    secret = _secret(place)
    tree = make_tree(place / ("tree-" + case))
    rel, make = DIR_CASES[case]
    try:
        _replace(tree, rel, lambda p: make(p, secret))
    except OSError as e:  # e.g. hard links across file systems, mknod refused in a container
        pytest.skip("cannot build this case here: %s" % e)
    run = run_contained(place, ["probe", "--root", str(tree), "--json"], watch=[str(secret)] + ([] if case.startswith("sparse") else [rel]))
    if run.code == 2:
        assert one_clean_line(run.err), run.err
    else:
        assert run.code == 0, run.err
        assert '"nodes"' in run.out
    root = open_root(str(tree))
    if case.startswith("sparse"):
        assert root.read_text(rel) is None  # read up to the 16 MiB bound, then refused
    elif not case.startswith(("dir-loop", "control")):
        assert root.read_text(rel) is None  # never opened, never read


def test_deeply_nested_directory_is_contained(place):
    tree = make_tree(place / "tree-deep")
    deep = tree / "sys/devices/system/node/node0"
    for _ in range(60):  # PATH_MAX allows more, but this is already ten times sysfs's depth
        deep = deep / ("d" * 60)
    deep.mkdir(parents=True)
    (deep / "f").write_text("1")
    run = run_contained(place, ["probe", "--root", str(tree)])
    assert run.code == 0, run.err


# -- symlink loops: contained by every command -------------------------------------------------------------
LOOPS = {
    "tables-self": [("m/sys/firmware/acpi/tables", "tables")],
    "node-self": [("m/sys/devices/system/node/node7", "node7")],
    "cpu-pair": [("m/sys/devices/system/cpu/cpu5", "cpu6"), ("m/sys/devices/system/cpu/cpu6", "cpu5")],
    "pci-self": [("m/sys/bus/pci/devices/0000:00:01.0", "0000:00:01.0")],
    "proc-self": [("m/proc/self", "self")],
    "memory-self": [("m/sys/devices/system/memory", "memory")],
    "memmap-up": [("m/sys/firmware/memmap", "../firmware/memmap")],
}


@pytest.mark.parametrize("form", ["tar", "dir"])
@pytest.mark.parametrize("case", sorted(LOOPS))
def test_symlink_loops_are_contained_by_every_command(case, form, place, cli):
    # found by review after fuzzing: TarRoot.is_dir raised ELOOP, so tables -> tables ended every command in a
    # traceback; a loop now reads as absent, as on a live system where the kernel answers ELOOP.
    if form == "tar":
        path = place / ("loop-%s.tar" % case)
        path.write_bytes(finish(base_tar() + b"".join(header(n, tarfile.SYMTYPE, link=t) for n, t in LOOPS[case])))
    else:
        path = make_tree(place / ("loop-" + case) / "m")
        for n, t in LOOPS[case]:
            (path / n[2:]).parent.mkdir(parents=True, exist_ok=True)
            os.symlink(t, path / n[2:])
    for name, cmd in cli_commands().items():
        if not any("--root" in p.opts for p in cmd.params):
            continue
        code, out, err = cli(name, *SAMPLES.get(name, [[]])[0], "--root", str(path))
        assert code == 0 and err == "", (case, name, code, err)


# -- terminal escapes in file contents ---------------------------------------------------------------------------
ESC = "\x1b]0;pwned\x07\x1b[2J\r"


def test_terminal_escapes_in_captured_values_never_reach_the_terminal(place, cli):
    # found by review: numastat printed a process name as is; any user can name a process like this (prctl)
    extra = {
        "m/proc/cpuinfo": "processor\t: 0\nvendor_id\t: Genu%sineIntel\nmodel name\t: Xeon %s\nphysical id\t: 0\n"
                          "core id\t: 0\n\nprocessor\t: 1\nmodel name\t: X%s\n" % (ESC, ESC, ESC),
        "m/proc/sys/kernel/hostname": "host" + ESC,
        "m/proc/sys/kernel/osrelease": "6.1" + ESC,
        "m/proc/version": "Linux version 6.1%s x" % ESC,
        "m/sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages": "1" + ESC,
        "m/proc/iomem": "00000000-0009ffff : System %s RAM\n" % ESC,
        "m/sys/firmware/memmap/0/type": "System %s RAM" % ESC,
        "m/sys/firmware/memmap/0/start": "0x0",
        "m/sys/firmware/memmap/0/end": "0x9ffff",
        "m/proc/1/cmdline": "qemu\x00-name\x00guest=evil%s\x00" % ESC,
        "m/proc/1/status": "Name:\tqemu%s\nCpus_allowed_list:\t0\n" % ESC,
    }
    path = place / "escapes.tar"
    path.write_bytes(finish(base_tar() + b"".join(file_member(k, v.encode()) for k, v in extra.items())))
    runs = [[name] + SAMPLES.get(name, [[]])[0] for name, cmd in cli_commands().items()
            if any("--root" in p.opts for p in cmd.params)]
    runs += [["numastat", "--pid", "1"], ["numastat", "--name", "qemu"], ["numastat", "--format", "prometheus"]]
    for argv in runs:
        code, out, err = cli(*argv, "--root", str(path))
        assert code == 0, (argv, err)
        assert "\x1b" not in out + err and "\x07" not in out + err, argv


# -- concatenated compressed streams -------------------------------------------------------------------------------
@pytest.mark.parametrize("count", [40_000, 70_000])
def test_many_empty_gzip_members_are_linear_and_bounded(count, place):
    # found by review: each stream copied the rest of the archive, so 40,000 empty members (800 KB) took 1.4 s
    # and 1 M (20 MB) would have taken a quarter of an hour; now an offset, and at most MAX_STREAMS streams
    path = place / ("streams-%d.tar.gz" % count)
    path.write_bytes(gz(b"") * count)
    run = run_contained(place, ["probe", "--root", str(path)])
    assert_refused(run)
    assert ("empty archive" if count < 65536 else "concatenated gzip streams") in run.err
    assert run.seconds < 5


@pytest.mark.parametrize("compress", [gz, bz2.compress, lzma.compress], ids=["gzip", "bzip2", "xz"])
def test_a_capture_split_into_several_streams_is_read(compress, place):
    body = finish(base_tar())
    path = place / "multi.tar.x"
    path.write_bytes(b"".join(compress(body[i:i + 1024]) for i in range(0, len(body), 1024)) + bytes(512))
    assert TarRoot(str(path)).read_text("proc/meminfo").startswith("MemTotal")


def test_a_sparse_multi_gigabyte_archive_file_is_refused_before_reading(place):
    path = place / "sparse.tar.gz"
    with open(path, "wb") as f:
        f.write(b"\x1f\x8b")
        f.truncate(6 << 30)
    run = run_contained(place, ["probe", "--root", str(path)])
    assert_refused(run)
    assert "archive larger than" in run.err and run.maxrss_mb < 60
    path.unlink()
