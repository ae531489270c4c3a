"""The one Root abstraction: live, directory and in-memory tarball give the same answers; hostile archives are
refused with one line and exit status 2, and nothing is written anywhere."""

from __future__ import annotations

import io
import json
import os
import tarfile
from pathlib import Path

import pytest

from numaprobe.errors import UnsafeArchiveError
from numaprobe.source.root import LiveRoot, TarRoot, open_root
from oracles import QEMU_CORPUS, need_shared, unpack


def make_tar(path: Path, members, mode="w:gz") -> Path:
    """members: (name, kind, payload) with kind file|dir|symlink|hardlink|fifo|chardev."""
    with tarfile.open(path, mode) as tf:
        for name, kind, payload in members:
            info = tarfile.TarInfo(name)
            data = None
            if kind == "file":
                data = payload.encode() if isinstance(payload, str) else payload
                info.size = len(data)
            elif kind == "dir":
                info.type = tarfile.DIRTYPE
            elif kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, payload
            elif kind == "hardlink":
                info.type, info.linkname = tarfile.LNKTYPE, payload
            elif kind == "fifo":
                info.type = tarfile.FIFOTYPE
            elif kind == "chardev":
                info.type = tarfile.CHRTYPE
            tf.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


MINIMAL = [
    ("m/sys/devices/system/node/node0/cpulist", "file", "0-1\n"),
    ("m/sys/devices/system/node/node0/meminfo", "file", "Node 0 MemTotal:  1024 kB\nNode 0 MemFree: 512 kB\n"),
    ("m/sys/devices/system/node/node0/distance", "file", "10\n"),
    ("m/sys/devices/system/node/online", "file", "0\n"),
    ("m/sys/devices/system/cpu/online", "file", "0-1\n"),
    ("m/sys/devices/system/cpu/cpu0/topology/thread_siblings_list", "file", "0\n"),
    ("m/sys/devices/system/cpu/cpu1/topology/thread_siblings_list", "file", "1\n"),
    ("m/proc/meminfo", "file", "MemTotal: 1024 kB\nMemFree: 512 kB\n"),
]


def test_tarball_with_top_directory_reads_like_hwloc_gather(tmp_path):
    root = open_root(str(make_tar(tmp_path / "t.tar.gz", MINIMAL)))
    assert root.kind == "tarball"
    assert root.read_text("sys/devices/system/node/node0/cpulist") == "0-1"
    assert root.listdir("sys/devices/system/node") and "node0" in root.listdir("sys/devices/system/node")


def test_nul_terminated_values_are_stripped(tmp_path):
    members = MINIMAL + [("m/sys/devices/system/node/has_cpu", "file", b"0\x00\n")]
    root = open_root(str(make_tar(tmp_path / "t.tar", members, "w")))
    assert root.read_text("sys/devices/system/node/has_cpu") == "0"


def test_symlinks_resolve_inside_the_archive(tmp_path):
    members = MINIMAL + [
        ("m/sys/devices/pci0000:00/0000:00:01.0/numa_node", "file", "0\n"),
        ("m/sys/bus/pci/devices/0000:00:01.0", "symlink", "../../../devices/pci0000:00/0000:00:01.0"),
    ]
    root = open_root(str(make_tar(tmp_path / "t.tar.bz2", members, "w:bz2")))
    assert root.read_text("sys/bus/pci/devices/0000:00:01.0/numa_node") == "0"
    assert root.realpath("sys/bus/pci/devices/0000:00:01.0") == "sys/devices/pci0000:00/0000:00:01.0"


def test_symlink_loop_is_an_error_not_a_hang(tmp_path):
    members = MINIMAL + [("m/sys/a", "symlink", "b"), ("m/sys/b", "symlink", "a")]
    root = open_root(str(make_tar(tmp_path / "t.tar.xz", members, "w:xz")))
    assert root.read_text("sys/a") is None
    with pytest.raises(OSError):
        root.read_bytes("sys/a")


HOSTILE = {
    "dotdot": [("m/sys/../../evil", "file", "x")],
    "absolute": [("/etc/evil", "file", "x")],
    "symlink-out": [("m/sys/devices/x", "symlink", "../../../../etc/passwd")],
    "symlink-absolute": [("m/sys/devices/x", "symlink", "/etc/passwd")],
    "hardlink": [("m/sys/devices/x", "hardlink", "/etc/passwd")],
    "fifo": [("m/sys/devices/x", "fifo", None)],
    "device": [("m/sys/devices/x", "chardev", None)],
    "control-chars": [("m/sys/devices/x\x1b[2J", "file", "x")],
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_archive_refused_with_one_line_and_nothing_written(case, tmp_path, cli, monkeypatch):
    tar = make_tar(tmp_path / "evil.tar.gz", MINIMAL + HOSTILE[case])
    with pytest.raises(UnsafeArchiveError):
        TarRoot(str(tar))
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    before = sorted(os.listdir(tmp_path))
    code, out, err = cli("probe", "--root", str(tar))
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("numaprobe: error: ")
    assert sorted(os.listdir(tmp_path)) == before and os.listdir(work) == []


@pytest.mark.parametrize("content", [b"", b"not a tarball at all", b"\x1f\x8b\x08\x00garbage", b"BZh91AY&SY"])
def test_corrupt_or_empty_archives_fail_cleanly(content, tmp_path, cli):
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(content)
    code, out, err = cli("probe", "--root", str(bad), "--json")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1


def test_truncated_archive_fails_cleanly(tmp_path, cli):
    good = make_tar(tmp_path / "good.tar.gz", MINIMAL)
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    code, _, err = cli("probe", "--root", str(cut))
    assert code == 2 and len(err.strip().splitlines()) == 1


def test_missing_path_and_unusable_directory(tmp_path, cli):
    code, _, err = cli("probe", "--root", str(tmp_path / "nope"))
    assert code == 2 and "No such file" in err
    code, _, err = cli("probe", "--root", str(tmp_path))
    assert code == 2 and "no sys/ or proc/" in err


def test_directory_root_keeps_links_inside_the_tree(tmp_path):
    tree = tmp_path / "tree"
    (tree / "sys" / "devices").mkdir(parents=True)
    (tree / "proc").mkdir()
    secret = tmp_path / "secret"
    secret.write_text("outside")
    os.symlink("../../../secret", tree / "sys" / "devices" / "escape")
    root = open_root(str(tree))
    # Resolved as if chrooted: '..' stops at the tree's top, so the file outside is never read.
    assert root.read_text("sys/devices/escape") is None


def test_directory_and_tarball_give_the_same_probe(scratch_dir, cli):
    tarball = need_shared(QEMU_CORPUS / "a-2node-2s2c2t.tar.gz")
    tree = unpack(tarball, scratch_dir / "same" / "a")
    _, from_tar, _ = cli("probe", "--root", str(tarball), "--json")
    _, from_dir, _ = cli("probe", "--root", str(tree), "--json")
    a, b = json.loads(from_tar), json.loads(from_dir)
    assert a.pop("source")["kind"] == "tarball" and b.pop("source")["kind"] == "directory"
    assert a == b


def test_live_root_reads_this_host():
    root = open_root(None)
    assert root.kind == "live" and isinstance(root, LiveRoot)
    assert root.read_text("proc/meminfo").startswith("MemTotal")


def test_open_root_rejects_special_files(cli):
    code, _, err = cli("probe", "--root", "/dev/null")
    assert code == 2 and "neither a directory nor a tarball" in err
