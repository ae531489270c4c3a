"""--root refuses to guess: a directory holding several captures, a tree with nothing of a machine in it; and the
notes tell an unreadable file from an absent one."""

from __future__ import annotations

import errno

from oracles import FIXTURES, HWLOC_CORPUS, need_shared, unpack

from numaprobe.model.gather import build_machine
from numaprobe.source.root import Root, open_root


def _one_line_exit_2(result, *words):
    code, out, err = result
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, (code, err)
    for w in words:
        assert w in err, err


def test_a_directory_of_several_captures_is_refused_and_they_are_named(cli, scratch_dir):
    parent = scratch_dir / "several"
    unpack(FIXTURES / "2s2c-3node-hmat-cache.tar.gz", parent / "hmat")
    unpack(FIXTURES / "2s2c-2node-memoryless-node1.tar.gz", parent / "memoryless")
    for command in (("probe",), ("check",), ("numastat",), ("snapshot",)):
        _one_line_exit_2(cli(*command, "--root", str(parent)), "holds 2 captures", "hmat", "memoryless")
    # One capture in a wrapping directory (hwloc-gather-topology's layout) is still read.
    code, out, err = cli("probe", "--root", str(parent / "hmat"))
    assert code == 0 and out.startswith("available: 3 nodes"), err


def test_an_empty_sys_and_proc_is_refused(cli, tmp_path):
    (tmp_path / "sys" / "devices" / "system" / "cpu").mkdir(parents=True)
    (tmp_path / "proc").mkdir()
    for command in (("probe",), ("probe", "--json"), ("check",), ("physinfo",), ("snapshot",)):
        _one_line_exit_2(cli(*command, "--root", str(tmp_path)), "no node, CPU or meminfo data")
    (tmp_path / "proc" / "meminfo").write_text("MemTotal: 1024 kB\nMemFree: 512 kB\n")
    assert cli("probe", "--root", str(tmp_path))[0] == 0


def test_hwloc_gather_topology_tarballs_still_open(cli):
    tarball = need_shared(HWLOC_CORPUS / "16amd64-8n2c-cpusets.tar.bz2")
    code, out, _ = cli("probe", "--root", str(tarball))
    assert code == 0 and out.startswith("available: 8 nodes")


class _Denying(Root):
    """A capture, except that some files answer "permission denied" as root-only files do for a user."""

    def __init__(self, denied):
        self.live, self.denied = open_root(str(FIXTURES / "2s2c-3node-hmat-cache.tar.gz")), set(denied)
        self.kind, self.path = "tarball", self.live.path

    def read_bytes(self, rel, limit=1 << 24):
        if rel in self.denied:
            raise PermissionError(errno.EACCES, "Permission denied", rel)
        return self.live.read_bytes(rel, limit)

    def listdir(self, rel):
        return self.live.listdir(rel)

    def is_dir(self, rel):
        return self.live.is_dir(rel)

    def exists(self, rel):
        return self.live.exists(rel)

    def readlink(self, rel):
        return self.live.readlink(rel)

    def realpath(self, rel):
        return self.live.realpath(rel)


def test_notes_tell_unreadable_from_absent():
    machine = build_machine(_Denying(["proc/zoneinfo", "proc/buddyinfo"]))
    (note,) = [n for n in machine.notes if n.code == "files-unreadable"]
    assert note.message.startswith("2 file(s) exist but could not be read (permission denied), e.g. /proc/buddyinfo")
    # The capture lacks many files the readers try (sys/firmware/memmap, per-CPU cpufreq): absent is
    # normal, and not "unreadable".
    assert not [n for n in build_machine(_Denying([])).notes if n.code == "files-unreadable"]
