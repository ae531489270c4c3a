"""Fuzz targets: one function per parser, taking raw bytes, letting only the documented exceptions through.

A target returns normally for any input the code handles as documented (a result, None/empty, or the one
documented exception, which is swallowed here); anything else escapes and is a finding. Used by fuzz.py
(atheris, coverage-guided) and by replay.py (line coverage of a saved corpus). Never writes outside
a private scratch file for the tarball target.
"""

from __future__ import annotations

import errno
import os
import posixpath
import tempfile
from typing import Callable, Dict, List, Optional

from numaprobe.source.root import MAX_FILE_BYTES, Root, _norm

# Separates the files of a multi-file input: "path SEP content SEP path SEP content ...".
SEP = b"\x00\x01\x02\x03\x04"  # five bytes: two (00 01) also occur inside binary ACPI tables


class DictRoot(Root):
    """A Root over {relative path: bytes} and {path: symlink target}, directories implied by the paths."""

    kind = "fuzz"
    path = "<fuzz>"

    def __init__(self, files: Dict[str, bytes], links: Optional[Dict[str, str]] = None) -> None:
        self.files = {_norm(k): v for k, v in files.items() if _norm(k)}
        self.links = {_norm(k): v for k, v in (links or {}).items() if _norm(k)}
        self.dirs = {""}
        for p in list(self.files) + list(self.links):
            d = posixpath.dirname(p)
            while d and d not in self.dirs:
                self.dirs.add(d)
                d = posixpath.dirname(d)

    def realpath(self, rel: str) -> str:
        from numaprobe.source.root import _resolve

        return _resolve(_norm(rel), self.links.get)

    def read_bytes(self, rel: str, limit: int = MAX_FILE_BYTES) -> bytes:
        p = self.realpath(rel)
        if p not in self.files:
            raise FileNotFoundError(errno.ENOENT, "absent", rel)
        if len(self.files[p]) > limit:
            raise OSError(errno.EFBIG, "too large", rel)
        return self.files[p]

    def listdir(self, rel: str) -> List[str]:
        p = self.realpath(rel)
        if p not in self.dirs:
            raise FileNotFoundError(errno.ENOENT, "absent", rel)
        pre = p + "/" if p else ""
        names = set()
        for q in list(self.files) + list(self.links) + list(self.dirs):
            if q.startswith(pre) and q != p:
                names.add(q[len(pre):].split("/")[0])
        return sorted(names)

    def is_dir(self, rel: str) -> bool:
        try:
            return self.realpath(rel) in self.dirs
        except OSError:
            return False

    def exists(self, rel: str) -> bool:
        try:
            p = self.realpath(rel)
        except OSError:
            return _norm(rel) in self.links
        return p in self.files or p in self.dirs or _norm(rel) in self.links

    def readlink(self, rel: str) -> Optional[str]:
        return self.links.get(_norm(rel))


def split_files(data: bytes) -> DictRoot:
    """Decode "path SEP content SEP ..."; a path starting with '@' is a symlink whose content is its target."""
    parts = data.split(SEP)
    files: Dict[str, bytes] = {}
    links: Dict[str, str] = {}
    for i in range(0, len(parts) - 1, 2):
        name = parts[i].decode("utf-8", "replace")
        if name.startswith("@"):
            links[name[1:]] = parts[i + 1].decode("utf-8", "replace")
        else:
            files[name] = parts[i + 1]
    return DictRoot(files, links)


def join_files(files: Dict[str, bytes], links: Optional[Dict[str, str]] = None) -> bytes:
    out: List[bytes] = []
    for k, v in sorted(files.items()):
        out += [k.encode(), v]
    for k, v in sorted((links or {}).items()):
        out += [("@" + k).encode(), v.encode()]
    return SEP.join(out)


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


# -- targets --------------------------------------------------------------------------------------------------
def acpi_decode(data: bytes) -> None:
    from numaprobe.acpi import AcpiTableError, decode_table

    try:
        table = decode_table(data)
    except AcpiTableError:
        return
    table.to_json()


def acpidump_text(data: bytes) -> None:
    from numaprobe.acpi import AcpiTableError, read_acpidump_text

    try:
        tables = read_acpidump_text(data.decode("latin-1"))
    except AcpiTableError:
        return
    assert tables and all(isinstance(v, bytes) for v in tables.values())


def cpumask(data: bytes) -> None:
    from numaprobe.readers.cpumask import format_cpulist, parse_cpulist, parse_cpumask

    text = _text(data)
    for parse in (parse_cpulist, parse_cpumask):
        ids = parse(text)
        if ids is not None:
            assert list(ids) == sorted(set(ids))
            assert parse_cpulist(format_cpulist(ids)) == ids


def meminfo(data: bytes) -> None:
    from numaprobe.readers.meminfo import parse_meminfo

    assert isinstance(parse_meminfo(_text(data)), dict)


def cpuinfo(data: bytes) -> None:
    from numaprobe.readers.cpus import parse_cpuinfo

    assert isinstance(parse_cpuinfo(_text(data)), dict)


def procfs(data: bytes) -> None:
    """The one-file proc parsers: buddyinfo, zoneinfo, numa_maps, node numastat, iomem, status."""
    from numaprobe.readers.buddyinfo import parse_buddyinfo
    from numaprobe.readers.cpuset import parse_status
    from numaprobe.readers.iomem import parse_iomem
    from numaprobe.readers.numa_maps import parse_numa_maps
    from numaprobe.readers.numastat import parse_node_numastat
    from numaprobe.readers.zoneinfo import parse_zoneinfo

    text = _text(data)
    parse_buddyinfo(text)
    parse_zoneinfo(text)
    parse_numa_maps(text)
    parse_node_numastat(0, text)
    parse_iomem(text)
    parse_status(text)


def _all_readers(root: Root) -> None:
    from numaprobe.readers import (buddyinfo, cpus, cpuset, devices, iomem, meminfo, memmap, memory_blocks,
                                   nodes, numa_maps, numastat, proc_lookup, zoneinfo)

    for n in nodes.list_node_dirs(root)[:8]:
        nodes.read_node(root, n)
    for state in ("online", "possible", "has_cpu", "has_memory"):
        nodes.read_node_state(root, state)
        cpus.read_cpu_state(root, state)
    for c in cpus.list_cpu_dirs(root)[:8]:
        cpus.read_cpu(root, c)
    cpus.read_cpuinfo(root)
    meminfo.read_meminfo(root)
    buddyinfo.read_buddyinfo(root)
    zoneinfo.read_zoneinfo(root)
    iomem.read_iomem(root)
    memmap.read_memmap(root)
    memory_blocks.read_memory_blocks(root)
    numastat.read_node_counters(root)
    cpuset.read_allowed_sets(root)
    devices.read_pci_devices_from_files(root)
    for pid in proc_lookup.list_pids(root)[:4]:
        proc_lookup.read_status(root, pid)
        proc_lookup.read_cmdline(root, pid)
        proc_lookup.read_last_cpus(root, pid)
        numa_maps.read_numa_maps(root, pid)
    proc_lookup.read_libvirt_pids(root)


def _header(name: bytes, kind: bytes, size: int = 0, link: bytes = b"") -> bytes:
    """One ustar header block (tarfile.TarInfo.tobuf costs five times more, half of this target's time)."""
    h = bytearray(512)
    h[0:len(name[:100])] = name[:100]
    h[100:108] = b"0000644\0"
    h[108:116] = h[116:124] = b"0000000\0"
    h[124:136] = b"%011o\0" % size
    h[136:148] = b"00000000000\0"
    h[156:157] = kind
    h[157:157 + len(link[:100])] = link[:100]
    h[257:265] = b"ustar\x0000"
    h[148:156] = b"        "
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h)


def _entry(name: bytes, kind: bytes, payload: bytes = b"", link: bytes = b"") -> bytes:
    out = b""
    for flag, long in ((b"L", name), (b"K", link)):
        if len(long) > 100:  # GNU long name / long link target
            out += _header(b"././@LongLink", flag, len(long) + 1) + (long + b"\0").ljust(-(-(len(long) + 1) // 512) * 512, b"\0")
    return out + _header(name, kind, len(payload), link) + payload.ljust(-(-len(payload) // 512) * 512, b"\0")


def as_tarball(root: DictRoot) -> bytes:
    """The same tree as an uncompressed tarball, so that the real TarRoot answers the readers."""
    parts = [_entry(n.encode("utf-8", "surrogateescape"), b"0", payload) for n, payload in sorted(root.files.items())]
    parts += [_entry(n.encode("utf-8", "surrogateescape"), b"2", link=t.encode("utf-8", "surrogateescape"))
              for n, t in sorted(root.links.items())]
    return b"".join(parts) + bytes(1024)


def sysfs_tree(data: bytes) -> None:
    """Every Root-taking reader, then the whole Machine build, over a fuzzed multi-file tree served by the
    real TarRoot (a tree it refuses, e.g. a link out of the root, is skipped: that is the tarroot target's)."""
    from numaprobe.errors import InputError
    from numaprobe.model.gather import build_machine
    from numaprobe.source.root import TarRoot

    try:
        root = TarRoot(_scratch(as_tarball(split_files(data))))
    except InputError:
        return
    _all_readers(root)
    build_machine(root)


_SCRATCH: Optional[str] = None


def _scratch(data: bytes) -> str:
    """A private file in /dev/shm holding data (TarRoot reads a path), rewritten per input, removed at exit."""
    global _SCRATCH
    if _SCRATCH is None:
        import atexit

        fd, _SCRATCH = tempfile.mkstemp(prefix="numaprobe-fuzz-", suffix=".tar",
                                        dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
        os.close(fd)
        atexit.register(os.unlink, _SCRATCH)
    with open(_SCRATCH, "wb") as f:
        f.write(data)
    return _SCRATCH


def tarroot(data: bytes) -> None:
    """TarRoot on the bytes as an archive file (a private file in /dev/shm, rewritten per input)."""
    from numaprobe.errors import InputError
    from numaprobe.source.root import TarRoot

    try:
        root = TarRoot(_scratch(data))
    except InputError:
        return
    for top in ("", "sys", "proc", "sys/devices/system/node"):
        for name in root.try_listdir(top)[:16]:
            rel = top + "/" + name if top else name
            root.read_text(rel)
            root.exists(rel)
            root.is_dir(rel)
            root.readlink(rel)
            try:
                root.realpath(rel)
            except OSError:
                pass


def commands(data: bytes) -> None:
    """Every CLI command that takes --root, end to end in process, over a fuzzed tree (as sysfs_tree builds it):
    exit statuses 0, 1 (check: errors found; advise: cannot place) and 2 (one-line error) are documented;
    any other exception escaping the CLI would be a traceback for the user."""
    import contextlib
    import io

    from numaprobe.cli.app import main

    path = _scratch(as_tarball(split_files(data)))
    for argv in _COMMAND_ARGVS:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(argv + ["--root", path])
            except SystemExit as e:
                assert e.code in (0, 1, 2, None), (argv, e.code, err.getvalue())
        assert "Traceback" not in err.getvalue(), (argv, err.getvalue())
        assert err.getvalue().count("\n") <= 1 or "warning" in err.getvalue(), (argv, err.getvalue())


_COMMAND_ARGVS = [["probe"], ["probe", "--json"], ["tables"], ["check"], ["physinfo"], ["numastat"],
                  ["numastat", "--format", "prometheus"], ["simulate", "--domain", "a:vcpus=2,memory=64M"],
                  ["advise", "--vcpus", "2", "--memory", "64M"]]


TARGETS: Dict[str, Callable[[bytes], None]] = {
    "acpi_decode": acpi_decode,
    "acpidump_text": acpidump_text,
    "cpumask": cpumask,
    "meminfo": meminfo,
    "cpuinfo": cpuinfo,
    "procfs": procfs,
    "sysfs_tree": sysfs_tree,
    "tarroot": tarroot,
    "commands": commands,
}

# Which numaprobe modules each target exercises (for the coverage report).
MODULES: Dict[str, List[str]] = {
    "acpi_decode": ["numaprobe/acpi/"],
    "acpidump_text": ["numaprobe/acpi/acpidump.py"],
    "cpumask": ["numaprobe/readers/cpumask.py"],
    "meminfo": ["numaprobe/readers/meminfo.py"],
    "cpuinfo": ["numaprobe/readers/cpus.py"],
    "procfs": ["numaprobe/readers/buddyinfo.py", "numaprobe/readers/zoneinfo.py", "numaprobe/readers/numa_maps.py",
               "numaprobe/readers/numastat.py", "numaprobe/readers/iomem.py", "numaprobe/readers/cpuset.py"],
    "sysfs_tree": ["numaprobe/readers/", "numaprobe/model/build.py"],
    "tarroot": ["numaprobe/source/root.py", "numaprobe/source/tarparse.py"],
    "commands": ["numaprobe/"],
}
