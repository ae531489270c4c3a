"""numastat's node counters against the real numastat (Debian's numactl package) on this host."""

from __future__ import annotations

import json
import subprocess

import pytest

from oracles import need_tool


def _parse_compat(text: str):
    """numastat with no argument: a 'nodeN' header line, then 'name  count count ...' rows."""
    lines = [line.split() for line in text.splitlines() if line.strip()]
    nodes = [int(h[4:]) for h in lines[0]]
    return {row[0]: dict(zip(nodes, map(int, row[1:]))) for row in lines[1:]}


def test_counters_agree_with_numastat(cli):
    exe = need_tool("numastat")
    code, out, err = cli("numastat", "--format", "json")
    assert code == 0, err
    ours = {n["id"]: n["counters"] for n in json.loads(out)["nodes"]}
    proc = subprocess.run([exe], capture_output=True, text=True, timeout=30)
    if proc.returncode != 0:
        pytest.skip("numastat does not work here: %s" % proc.stderr.strip())
    theirs = _parse_compat(proc.stdout)
    assert set(theirs) == {"numa_hit", "numa_miss", "numa_foreign", "interleave_hit", "local_node", "other_node"}
    for name, per_node in theirs.items():
        for node, value in per_node.items():
            # read first by us, then by numastat: counters only grow in between, and not by much
            assert ours[node][name] <= value <= ours[node][name] + 10_000_000, (name, node)
