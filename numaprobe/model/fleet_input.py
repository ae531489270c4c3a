"""One fleet input (a capture, a sosreport or a snapshot) turned into what the fleet compares, built once.

This is the one place `numaprobe fleet` touches numaprobe.source: the analyses above it get the built
Topology and the facts beside it, never a path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Optional

from numaprobe.model.build import build_topology
from numaprobe.model.topology import Topology


@dataclass(frozen=True)
class FleetMachine:
    topology: Topology
    dmi: Dict[str, str] = field(default_factory=dict)
    cpu_vendor: Optional[str] = None
    cmdline: str = ""
    # What the checks need besides the topology (firmware tables, kernel view); built by the caller's loader.
    check_inputs: Any = None


def load_capture(path: str) -> FleetMachine:
    """A capture tarball or directory, or a sosreport: raises numaprobe.errors.InputError when unusable."""
    from numaprobe.readers.cpus import read_cpuinfo
    from numaprobe.readers.dmi import read_dmi
    from numaprobe.source.root import open_root

    root = open_root(path)
    topo = build_topology(root)
    cpuinfo = read_cpuinfo(root)
    vendor = next((c.vendor for c in cpuinfo.values() if c.vendor), None)
    return FleetMachine(topology=topo, dmi=read_dmi(root), cpu_vendor=vendor,
                        cmdline=root.read_text("proc/cmdline") or "", check_inputs=root)


def discover_inputs(paths):
    """The machines under `paths` as (path, kind) pairs (source/discover.py), for the fleet's runner."""
    from numaprobe.source.discover import discover

    return [(i.path, i.kind) for i in discover(paths)]
