"""Snapshot a live host's NUMA-relevant /sys and /proc into a tarball that `--root` reads back.

Everything hwloc-gather-topology takes for NUMA, plus what it lacks (ACPI tables, firmware memmap, memory blocks,
buddyinfo/zoneinfo, PCI locality, dmesg) and a manifest. Files are copied by reading them (sysfs sizes lie),
symlinks are kept as links, and the archive is written under a temporary name beside the target and renamed
only when complete: an interrupted capture leaves nothing at the target path.
"""

from __future__ import annotations

import io
import json
import os
import platform
import posixpath
import signal
import subprocess
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, List, Optional, Sequence, Tuple

from numaprobe import SCHEMA_VERSION, __version__
from numaprobe.errors import InputError
from numaprobe.source.root import LiveRoot, Root

# Files the guest-side capture.sh also refuses: sysfs has a few multi-MB binary attributes (PCI config, ROMs).
CAPTURE_MAX_FILE = 1024 * 1024

# Subdirectories that are large, volatile or irrelevant to NUMA.
SKIP_NAMES = {"power", "cpuidle", "hotplug", "uevent", "subsystem", "driver", "firmware_node", "microcode",
              "vulnerabilities", "trace", "events"}
PCI_DIR = "sys/bus/pci/devices"


@dataclass(frozen=True)
class CapturePlan:
    """What to copy: the readers' own declarations, collected by model/capture.py (source/ knows no reader)."""

    trees: Tuple[str, ...] = ()  # walked recursively, links kept, never followed
    files: Tuple[str, ...] = ()
    process_files: Tuple[str, ...] = ()  # under proc/PID/ for every process
    detail_files: Tuple[str, ...] = ()  # under proc/PID/ (and proc/PID/task/TID/stat) for the processes asked
    pci_attrs: Tuple[str, ...] = ()  # of every device under sys/bus/pci/devices
    dynamic: Tuple[Callable[[Root], Iterable[str]], ...] = ()  # files whose place depends on the host
    commands: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()  # (member name, argv) whose output is captured


@dataclass
class CaptureResult:
    path: str
    files: int
    links: int
    unreadable: List[Tuple[str, str]] = field(default_factory=list)


class _Writer:
    def __init__(self, tf: tarfile.TarFile, now: float) -> None:
        self.tf = tf
        self.now = now
        self.seen = set()
        self.files = 0
        self.links = 0
        self.unreadable: List[Tuple[str, str]] = []

    def _dirs(self, rel: str) -> None:
        parent = posixpath.dirname(rel)
        chain = []
        while parent and parent not in self.seen:
            chain.append(parent)
            parent = posixpath.dirname(parent)
        for d in reversed(chain):
            info = tarfile.TarInfo(d)
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            info.mtime = self.now
            self.tf.addfile(info)
            self.seen.add(d)

    def add_bytes(self, rel: str, data: bytes) -> None:
        if rel in self.seen:
            return
        self._dirs(rel)
        info = tarfile.TarInfo(rel)
        info.size = len(data)
        info.mode = 0o444
        info.mtime = self.now
        self.tf.addfile(info, io.BytesIO(data))
        self.seen.add(rel)
        self.files += 1

    def add_link(self, rel: str, target: str) -> None:
        if rel in self.seen:
            return
        self._dirs(rel)
        info = tarfile.TarInfo(rel)
        info.type = tarfile.SYMTYPE
        info.linkname = target
        info.mode = 0o777
        info.mtime = self.now
        self.tf.addfile(info)
        self.seen.add(rel)
        self.links += 1

    def copy(self, root: Root, rel: str, quiet: bool = False) -> None:
        try:
            data = root.read_bytes(rel, CAPTURE_MAX_FILE)
        except OSError as e:
            if not quiet:
                self.unreadable.append((rel, e.strerror or str(e)))
            return
        self.add_bytes(rel, data)


def _walk(root: Root, top: str, w: _Writer, depth: int = 0) -> None:
    if depth > 12:  # sysfs trees here are at most ~6 deep; a loop of directories must not recurse forever
        return
    for name in root.try_listdir(top):
        if name in SKIP_NAMES:
            continue
        rel = top + "/" + name
        target = root.readlink(rel)
        if target is not None:
            w.add_link(rel, target)
        elif root.is_dir(rel):
            _walk(root, rel, w, depth + 1)
        else:
            w.copy(root, rel)


def _pci(root: Root, w: _Writer, attrs: Sequence[str]) -> None:
    base = PCI_DIR
    for addr in root.try_listdir(base):
        rel = base + "/" + addr
        target = root.readlink(rel)
        if target is None:
            continue
        w.add_link(rel, target)
        real = root.realpath(rel)
        for attr in attrs:
            if root.exists(real + "/" + attr):
                w.copy(root, real + "/" + attr)


def _command(w: _Writer, name: str, argv: Sequence[str]) -> None:
    """The kernel log names SRAT/NUMA decisions (PXM -> node) that sysfs does not; unreadable without root
    when kernel.dmesg_restrict=1, which is then recorded, not fatal."""
    try:
        proc = subprocess.run(list(argv), capture_output=True, timeout=20, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as e:
        w.unreadable.append((name, str(e)))
        return
    if proc.returncode != 0 or not proc.stdout:
        w.unreadable.append((name, proc.stderr.decode("utf-8", "replace").strip() or "%s failed" % argv[0]))
        return
    w.add_bytes(name, proc.stdout)


def _processes(root: Root, w: _Writer, plan: CapturePlan, pids: Sequence[int]) -> None:
    for entry in root.try_listdir("proc"):
        if entry.isdigit():
            for name in plan.process_files:
                w.copy(root, "proc/%s/%s" % (entry, name), quiet=True)  # gone since the listing: fine
    for pid in pids:
        for name in plan.detail_files:
            w.copy(root, "proc/%d/%s" % (pid, name))
        # the CPU each thread last ran on (field 39 of stat) feeds numastat --pid's verdict
        for tid in root.try_listdir("proc/%d/task" % pid):
            w.copy(root, "proc/%d/task/%s/stat" % (pid, tid))


def _copy_plan(root: Root, w: _Writer, plan: CapturePlan, pids: Sequence[int], with_commands: bool) -> None:
    for top in plan.trees:
        _walk(root, top, w)
    for rel in plan.files + tuple(p for f in plan.dynamic for p in f(root)):
        if root.exists(rel):
            w.copy(root, rel)
    _pci(root, w, plan.pci_attrs)
    _processes(root, w, plan, pids)
    if with_commands:
        for name, argv in plan.commands:
            _command(w, name, argv)


def _manifest(w: _Writer, now: float, pids: Sequence[int]) -> bytes:
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "numaprobe_version": __version__,
        "kernel": platform.release(),
        "hostname": platform.node(),
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
        "uid": os.geteuid(),
        "pids": list(pids),
        "files": w.files,
        "links": w.links,
        "unreadable": [{"path": p, "why": why} for p, why in w.unreadable],
    }
    return (json.dumps(manifest, indent=2) + "\n").encode()


def _archive_mode(out_path: str) -> str:
    if out_path.endswith((".tar.xz", ".txz")):
        return "w:xz"
    if out_path.endswith((".tar.bz2", ".tbz2")):
        return "w:bz2"
    return "w" if out_path.endswith(".tar") else "w:gz"


def _check_target(out_path: str) -> None:
    out_dir = os.path.dirname(out_path)
    if not os.path.isdir(out_dir):
        raise InputError("%s: directory does not exist" % out_dir)
    if os.path.isdir(out_path):
        raise InputError("%s: is a directory" % out_path)
    # The archive is renamed over the target: as root, `capture /dev/null` would replace the device node.
    if os.path.lexists(out_path) and not os.path.isfile(out_path) or os.path.islink(out_path):
        raise InputError("%s: exists and is not a regular file; refusing to replace it" % out_path)


def _write_archive(f, mode: str, root: Root, plan: CapturePlan, pids: Sequence[int], with_dmesg: bool) -> _Writer:
    now = time.time()
    with tarfile.open(fileobj=f, mode=mode, format=tarfile.PAX_FORMAT) as tf:
        w = _Writer(tf, now)
        _copy_plan(root, w, plan, pids, with_dmesg)
        w.add_bytes("numaprobe-manifest.json", _manifest(w, now, pids))
    f.flush()
    os.fsync(f.fileno())
    return w


# The signals that end a capture early (Ctrl-C; a systemd stop or `timeout`).
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _commit(tmp: str, out_path: str, process_ends: bool) -> None:
    """Rename the finished archive into place with SIGINT and SIGTERM blocked, so a signal comes either before
    the rename (no archive; interrupted) or after it. When the process ends with this capture, one after it is
    discarded: ignoring a blocked pending signal drops it, and the capture, complete, exits 0."""
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        os.replace(tmp, out_path)
        if process_ends:
            for sig in STOP_SIGNALS:
                signal.signal(sig, signal.SIG_IGN)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def _holds(path: str, ident: Tuple[int, int]) -> bool:
    """path is the archive this capture wrote (renamed into place), not an older file."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    return (st.st_dev, st.st_ino) == ident


def write_capture(out_path: str, plan: CapturePlan, pids: Sequence[int] = (), root: Optional[Root] = None,
                  with_dmesg: bool = True, process_ends: bool = False) -> CaptureResult:
    """Write the capture to out_path atomically. Raises InputError for an unusable target.

    process_ends=True (the CLI, which exits when this returns): from the rename on, SIGINT and SIGTERM are
    ignored, and an interrupt already on its way when the archive landed is not raised: a capture whose archive
    is complete succeeds. Otherwise (in-process callers) such an interrupt reaches the caller."""
    root = root or LiveRoot()
    out_path = os.path.abspath(out_path)
    _check_target(out_path)
    # SIGTERM (a systemd stop, `timeout`) must clean up like SIGINT does: installed before the temporary exists.
    old_term = signal.getsignal(signal.SIGTERM)
    try:
        signal.signal(signal.SIGTERM, signal.default_int_handler)
    except ValueError:  # not the main thread
        old_term = None
    try:
        return _write_and_commit(out_path, plan, pids, root, with_dmesg, process_ends)
    finally:
        if old_term is not None and not process_ends:
            signal.signal(signal.SIGTERM, old_term)


def _write_and_commit(out_path: str, plan: CapturePlan, pids: Sequence[int], root: Root, with_dmesg: bool,
                      process_ends: bool) -> CaptureResult:
    out_dir = os.path.dirname(out_path)
    try:
        fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(out_path) + ".", suffix=".partial", dir=out_dir)
    except OSError as e:
        raise InputError("cannot write in %s: %s" % (out_dir, e.strerror or e)) from None
    w = None
    try:
        st = os.fstat(fd)
        ident = (st.st_dev, st.st_ino)
        with os.fdopen(fd, "wb") as f:
            w = _write_archive(f, _archive_mode(out_path), root, plan, pids, with_dmesg)
        os.chmod(tmp, 0o644)
        _commit(tmp, out_path, process_ends)
        return CaptureResult(out_path, w.files, w.links, w.unreadable)
    except BaseException:
        if w is not None and _holds(out_path, ident):
            # Renamed into place: the archive is complete. An interrupt raised after that is the caller's when
            # it goes on; a process that ends here has succeeded.
            if process_ends:
                return CaptureResult(out_path, w.files, w.links, w.unreadable)
            raise
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def check_target(out_path: str) -> str:
    """The absolute path of a file we may write (as for an archive), or InputError."""
    out_path = os.path.abspath(out_path)
    _check_target(out_path)
    return out_path


def write_atomically(out_path: str, data: bytes, process_ends: bool = False) -> str:
    """Write data (a snapshot) to out_path under a temporary name beside it, renamed into place only when
    complete, with the archive's signal rules (_commit)."""
    out_path = check_target(out_path)
    out_dir = os.path.dirname(out_path)
    try:
        fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(out_path) + ".", suffix=".partial", dir=out_dir)
    except OSError as e:
        raise InputError("cannot write in %s: %s" % (out_dir, e.strerror or e)) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        _commit(tmp, out_path, process_ends)
        return out_path
    except BaseException:
        if not os.path.exists(tmp):
            raise  # renamed already: the file is complete
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
