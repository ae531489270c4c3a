"""Text output folds repeats (issue 16): identical per-node notes and findings become one line naming the nodes
as a range, in `probe` and `check` alike, while probe's first block stays numactl -H's layout. Expected values
come from the capture's own files (read here with tarfile) and lstopo's expected output, not from numaprobe."""

from __future__ import annotations

import re
import tarfile
from pathlib import Path
from typing import Dict, List

from oracles import HWLOC_CORPUS, need_shared
from test_report import lstopo_output

from numaprobe.notes import Note
from numaprobe.render.fold import fold_findings, fold_messages

M64 = HWLOC_CORPUS / "256ia64-64n2s2c.tar.bz2"
MEMTIERS = HWLOC_CORPUS / "fakeheteromemtiers.tar.bz2"


def node_files(tarball: Path, name: str) -> Dict[int, str]:
    """node id -> content of sys/devices/system/node/nodeN/<name>, for the nodes that have the file."""
    out = {}
    with tarfile.open(tarball) as tar:
        for m in tar.getmembers():
            found = re.search(r"sys/devices/system/node/node(\d+)/%s$" % name, m.name)
            if found and m.isfile():
                out[int(found.group(1))] = tar.extractfile(m).read().decode()
    return out


def node_dirs(tarball: Path) -> List[int]:
    with tarfile.open(tarball) as tar:
        return sorted({int(m.group(1)) for m in (re.search(r"sys/devices/system/node/node(\d+)$", x.name)
                                                 for x in tar.getmembers()) if m})


def test_probe_folds_the_64_node_machine(cli):
    need_shared(M64)
    nodes = node_dirs(M64)
    assert not node_files(M64, "cpulist") and len(nodes) == 64  # no node has a cpulist: 64 notes to fold
    code, out, _ = cli("probe", "--root", str(M64))
    assert code == 0
    lines = out.splitlines()
    # the numactl block: 1 + 3 per node + 2 + one matrix row per node, with lstopo's matrix in it
    ids, latency = lstopo_output(M64.with_name("256ia64-64n2s2c.output"))
    assert lines[0] == "available: 64 nodes (0-63)" and lines[1 + 3 * 64] == "node distances:"
    for row in lines[3 + 3 * 64:3 + 4 * 64]:
        first, *values = row.replace(":", "").split()
        assert [int(v) for v in values] == [latency[(int(first), j)] for j in ids]
    rest = lines[3 + 4 * 64:]
    notes = [line for line in rest if "node-cpulist-missing" in line]
    assert notes == ["  [node-cpulist-missing] node0-63 has no cpulist; its cpumap was used"]
    assert [line for line in rest if line.startswith("node")] == [
        "nodes 0-63: 2 package(s), 2 die(s), 4 cores, 4 threads"]
    assert sum(1 for line in rest if line.startswith("package")) <= 1  # 128 alike packages, one line
    assert len(lines) < 300  # was 519


def test_check_folds_cpuless_nodes_into_one_line(cli):
    need_shared(MEMTIERS)
    cpulists = node_files(MEMTIERS, "cpulist")
    memory = {n: int(re.search(r"MemTotal:\s+(\d+)", t).group(1)) for n, t in node_files(MEMTIERS, "meminfo").items()}
    cpuless = sorted(n for n, t in cpulists.items() if not t.strip() and memory.get(n, 0) > 0)
    assert cpuless == [4, 6, 8, 9]
    code, out, _ = cli("check", "--root", str(MEMTIERS))
    lines = [line for line in out.splitlines() if "cpuless-node" in line]
    assert len(lines) == 1, out
    assert "[nodes 4,6,8-9]" in lines[0] and "node 4,6,8-9 has memory but no online CPU" in lines[0]


def test_fold_messages_keeps_order_and_distinct_notes():
    notes = [Note("a", "node3 has no cpulist"), Note("b", "node3 is odd"), Note("a", "node1 has no cpulist"),
             Note("a", "node2 has no cpulist"), Note("c", "node1 and node2 overlap"), Note("a", "no node here")]
    assert fold_messages([(n.code, n.message) for n in notes]) == [
        ("a", "node1-3 has no cpulist"), ("b", "node3 is odd"), ("c", "node1 and node2 overlap"),
        ("a", "no node here")]


def test_fold_findings_merges_only_what_differs_by_node():
    from numaprobe.analysis.crosscheck import Finding

    same = [Finding("cpuless-node", "info", "node %d has memory but no online CPU" % n, nodes=(n,)) for n in (5, 6, 7)]
    cpus = [Finding("memoryless-node", "info", "node %d has CPUs %d but no memory" % (n, n), nodes=(n,), cpus=(n,))
            for n in (0, 1)]
    out = fold_findings(same + cpus)
    assert [(f.code, f.nodes, f.message) for f in out] == [
        ("cpuless-node", (5, 6, 7), "node 5-7 has memory but no online CPU"),
        ("memoryless-node", (0,), "node 0 has CPUs 0 but no memory"),
        ("memoryless-node", (1,), "node 1 has CPUs 1 but no memory")]
