"""probe's first block is what `numactl -H` prints (Debian's numactl, the real one), free memory aside."""

from __future__ import annotations

import re
import subprocess

import pytest

from oracles import QEMU_CORPUS, need_tool


def _without_free(text: str):
    # free memory moves between the two runs; everything else must be identical
    return [line for line in text.splitlines() if not re.match(r"node \d+ free: ", line)]


def test_first_block_equals_numactl_hardware(cli):
    exe = need_tool("numactl")
    proc = subprocess.run([exe, "-H"], capture_output=True, text=True, timeout=30)
    if proc.returncode != 0:
        pytest.skip("numactl -H does not work here: %s" % proc.stderr.strip())
    code, out, _ = cli("probe")
    assert code == 0
    theirs = _without_free(proc.stdout)
    ours = _without_free(out)[: len(theirs)]
    assert ours == theirs


def test_numactl_layout_on_a_memory_only_node(cli):
    tarball = QEMU_CORPUS / "c-3node-memonly.tar.gz"
    if not tarball.exists():
        pytest.skip("shared corpus absent")
    code, out, _ = cli("probe", "--root", str(tarball))
    lines = out.splitlines()
    assert lines[0] == "available: 3 nodes (0-2)"
    # numactl prints " %d" per CPU: nothing at all after the colon for a memory-only node
    assert "node 2 cpus:" in lines
    i = lines.index("node distances:")
    assert lines[i + 1:i + 5] == ["node   0   1   2 ", "  0:  10  20  30 ", "  1:  20  10  25 ",
                                  "  2:  30  35  10 "]
