"""A capture holds every file the commands read: each reader declares what it reads, the capture copies the
union (model/capture.py), and here every read of the live host is recorded through the Root and looked up in
the capture of the same host."""

from __future__ import annotations

import os

from numaprobe.analysis.chunks import memory_chunks
from numaprobe.analysis.crosscheck import crosscheck
from numaprobe.analysis.heap import heap_report, process_placements
from numaprobe.model.capture import READING_MODULES, capture_host, capture_plan
from numaprobe.model.gather import build_machine
from numaprobe.source.recording import RecordingRoot
from numaprobe.source.root import LiveRoot, open_root


def _still_there(path):
    """A process that ended between the probe and the capture took its proc/PID with it."""
    parts = path.split("/")
    return not (parts[0] == "proc" and len(parts) > 1 and parts[1].isdigit() and not os.path.exists("/" + "/".join(
        parts[:2])))


def test_every_file_read_of_the_live_host_is_in_its_capture(scratch_dir):
    me = os.getpid()
    recorded = RecordingRoot(LiveRoot())
    # probe, check, numastat --pid and advise: the Machine is all they read (tests/test_layering.py).
    machine = build_machine(recorded, detail_pids=[me])
    memory_chunks(machine), crosscheck(machine), heap_report(machine)
    assert process_placements(machine, [me])[0].readable
    out = scratch_dir / "host.tar"
    capture_host(str(out), pids=[me], with_dmesg=False)
    captured = open_root(str(out))
    read = sorted(recorded.read)
    assert len(read) > 50 and "proc/meminfo" in read and "proc/%d/numa_maps" % me in read
    missing = [p for p in read if not captured.exists(p) and _still_there(p)]
    assert not missing, missing


def test_every_reading_module_declares_what_it_reads():
    import importlib
    import pathlib

    import numaprobe

    declared = set(READING_MODULES)
    pkg = pathlib.Path(numaprobe.__file__).parent
    for p in sorted((pkg / "readers").glob("*.py")):
        name = "numaprobe.readers." + p.stem
        text = p.read_text()
        if "root.read_" in text or "root.try_listdir" in text:
            assert name in declared, name
            mod = importlib.import_module(name)
            assert any(k.startswith("CAPTURE_") for k in dir(mod)) or hasattr(mod, "capture_paths"), name
    plan = capture_plan()
    assert "sys/devices/system/node" in plan.trees and "proc/cpuinfo" in plan.files
