"""check and physinfo over the whole hwloc corpus (real machines, captured without ACPI tables): no error, no
crash, and sockets_per_node always adds up to the number of packages."""

from __future__ import annotations

from fractions import Fraction

import pytest

from oracles import fixture_tarballs, hwloc_tarballs

from numaprobe.acpi import load_numa_tables
from numaprobe.analysis.crosscheck import crosscheck, summarize
from numaprobe.analysis.physinfo import build_physinfo
from numaprobe.model.gather import build_machine
from numaprobe.readers.zoneinfo import read_zoneinfo
from numaprobe.source.root import open_root


@pytest.mark.parametrize("path", hwloc_tarballs() + fixture_tarballs("handmade"), ids=lambda p: p.name)
def test_no_error_and_physinfo_adds_up(path):
    root = open_root(str(path))
    machine = build_machine(root)
    topo = machine.topology
    fs = crosscheck(machine)
    assert summarize(fs)["errors"] == 0, [f.message for f in fs]
    p = build_physinfo(topo, read_zoneinfo(root))
    spn = dict(p.sockets_per_node)
    listed = {n.id for n in topo.nodes}
    stray = [c for c in topo.online_cpus if c.node not in listed]
    # fakeheterocpunuma (CPUs 4-7 in no node), offline-cpu0-node0 (node 0 not online): their share is missing.
    missing = sum(Fraction(1, len(pk.cpus)) for c in stray for pk in topo.packages if c.id in pk.cpus)
    assert sum(spn.values()) + missing == len(topo.packages)
    assert bool(stray) == ("cpus-outside-nodes" in {n.code for n in p.notes})
    for n in topo.nodes:
        assert (spn[n.id] == 0) == (not n.cpus)
    assert p.nr_cpus == len(topo.online_cpus) == sum(len(c) for _, c in p.node_to_cpu) + len(stray)
