"""`numaprobe check` on real captures: each edited tree shows its finding, every clean capture gives no error."""

from __future__ import annotations

import dataclasses
import json

import pytest

from oracles import FIXTURES, QEMU_CORPUS, fixture_tarballs, need_shared, qemu_tarballs

from numaprobe.analysis.crosscheck import crosscheck, summarize
from numaprobe.model.gather import build_machine
from numaprobe.source.root import open_root

EDITED = FIXTURES / "edited"

_cache = {}


def inputs(path):
    key = str(path)
    if key not in _cache:
        root = open_root(key)
        _cache[key] = build_machine(root)
    return _cache[key]


MEMORY_FIELDS = ("ram", "ram_source")


def findings(path, **kernel_changes):
    """`kernel_changes`: the kernel's view (dmesg, access) or its memory map (ram, ram_source) as another kernel,
    or another capture, would have shown them."""
    machine = inputs(path)
    memory = {k: v for k, v in kernel_changes.items() if k in MEMORY_FIELDS}
    kernel = {k: v for k, v in kernel_changes.items() if k not in MEMORY_FIELDS}
    machine = dataclasses.replace(machine, kernel=dataclasses.replace(machine.kernel, **kernel),
                                  memory=dataclasses.replace(machine.memory, **memory))
    return crosscheck(machine)


def by_code(fs, code):
    return [f for f in fs if f.code == code]


# Captures of healthy firmware whose kernel did not use it (sysfs_fixtures/README.md): each shows its root cause
# (tests/test_check_rootcause.py), so "no error" is not what they should give.
ROOT_CAUSE_TREES = {"2s2c2t-2node-numaoff.tar.gz", "2s2c2t-2node-numafake4.tar.gz",
                    "arm64-2s2c-2node-uefi-srat-rejected.tar.gz"}


def clean_trees():
    return [p for p in qemu_tarballs() + fixture_tarballs() if p.name not in ROOT_CAUSE_TREES]


@pytest.mark.parametrize("path", clean_trees(), ids=lambda p: p.name)
def test_clean_capture_has_no_error(path):
    fs = findings(path)
    assert summarize(fs)["errors"] == 0, [f.message for f in fs if f.severity == "error"]
    # Nor any finding that says firmware and kernel disagree.
    disagree = {"pxm-node-map", "cpu-not-in-srat", "cpu-node-mismatch", "memory-node-mismatch", "distance-mismatch",
                "hmat-mismatch", "memory-not-covered", "table-checksum", "slit-invalid"}
    assert not [f for f in fs if f.code in disagree]


@pytest.mark.parametrize("path", [p for p in clean_trees() if "numafake" not in p.name and "arm64" not in p.name],
                         ids=lambda p: p.name)
def test_clean_capture_without_dmesg_or_iomem_has_no_error(path):
    """The same verdict when the PXM->node map has to be inferred from CPU and memory placement, and when RAM is
    known only from memory blocks (/proc/iomem read without root shows zeros)."""
    fs = findings(path, dmesg=None)
    assert summarize(fs)["errors"] == 0, [f.message for f in fs if f.severity == "error"]
    blocks = inputs(path).memory.blocks
    fs = findings(path, dmesg=None, ram_source="memory-blocks",
                  ram=tuple((b.start, b.end) for b in blocks if b.online))
    assert not by_code(fs, "memory-not-covered")


# tree, code, severity, nodes, cpus -- the values come from each tree's fixture-edit.txt (what was edited).
EXPECTED = [
    ("cpu-node-mismatch", "cpu-node-mismatch", "error", (0, 1), (3,)),
    ("cpu-not-in-srat", "cpu-not-in-srat", "error", (0,), (5,)),
    ("memory-node-mismatch", "memory-node-mismatch", "error", (1, 2), ()),
    ("memory-not-covered", "memory-not-covered", "error", (), ()),
    ("slit-missing", "slit-missing", "warning", (0, 1), ()),
    ("slit-invalid-diagonal", "slit-invalid", "error", (0, 1, 2, 3), ()),
    ("slit-asymmetric", "slit-asymmetric", "warning", (0, 1), ()),
    ("distance-mismatch", "distance-mismatch", "error", (0, 5), ()),
    ("distance-mismatch-unmapped", "distance-mismatch", "error", (0, 1, 2), ()),
    ("hmat-mismatch", "hmat-mismatch", "warning", (2,), ()),
    ("table-checksum-slit", "table-checksum", "warning", (), ()),
    ("disabled-entry-data", "disabled-entry-data", "info", (), ()),
    ("srat-absent", "srat-absent", "warning", (0, 1), ()),
    ("srat-absent", "node-without-srat", "info", (0, 1), ()),
    ("pxm-node-map", "pxm-node-map", "error", (0, 1), ()),
    # RISC-V, RINTC entries matched by hart id (sysfs_fixtures/tools/make_riscv.py: CPU 3 is hart 2, PXM 1)
    ("riscv-cpu-node-mismatch", "cpu-node-mismatch", "error", (0, 1), (3,)),
]


@pytest.mark.parametrize("tree,code,severity,nodes,cpus", EXPECTED, ids=lambda v: v if isinstance(v, str) else "")
def test_edited_tree_shows_its_finding(tree, code, severity, nodes, cpus):
    path = EDITED / (tree + ".tar.gz")
    if not path.exists():
        pytest.skip("%s not made yet (sysfs_fixtures/tools/make_edited.py)" % path.name)
    got = by_code(findings(path), code)
    assert len(got) == 1, [f.code for f in findings(path)]
    f = got[0]
    assert (f.severity, f.nodes, f.cpus) == (severity, nodes, cpus)


def test_only_the_edited_finding_shows():
    """Each edit changes one thing, so a tree shows its finding and no other error or warning."""
    extra = {"srat-absent": {"srat-absent"}}
    for tree, code, *_ in EXPECTED:
        path = EDITED / (tree + ".tar.gz")
        if not path.exists():
            continue
        loud = {f.code for f in findings(path) if f.severity != "info"}
        assert loud <= extra.get(tree, {code}), (tree, loud)


def test_memory_not_covered_names_the_range():
    f = by_code(findings(EDITED / "memory-not-covered.tar.gz"), "memory-not-covered")[0]
    # SRAT PXM 1 was cut to end at 0x6fffffff; /proc/iomem System RAM runs to 0x7ffdefff.
    assert f.ranges == ((0x70000000, 0x7ffdf000),)


def test_memory_not_covered_from_memory_blocks():
    path = EDITED / "memory-not-covered.tar.gz"
    blocks = inputs(path).memory.blocks
    (f,) = by_code(findings(path, ram_source="memory-blocks", ram=tuple((b.start, b.end) for b in blocks
                                                                        if b.online)), "memory-not-covered")
    assert f.severity == "error" and f.ranges == ((0x70000000, 0x80000000),)  # memory14-15


def test_memory_node_mismatch_names_block_4():
    f = by_code(findings(EDITED / "memory-node-mismatch.tar.gz"), "memory-node-mismatch")[0]
    assert f.ranges == ((0x20000000, 0x28000000),)  # memory4, 128 MiB blocks


def test_distance_mismatch_says_kernel_did_not_fall_back():
    f = by_code(findings(EDITED / "distance-mismatch.tar.gz"), "distance-mismatch")[0]
    assert "0->5 kernel 32, SLIT 20" in f.message and "did not fall back" in f.message


def test_slit_invalid_says_linux_fell_back():
    f = by_code(findings(EDITED / "slit-invalid-diagonal.tar.gz"), "slit-invalid")[0]
    assert "10/20" in f.message
    # The kernel's 10/20 rows are what Linux does with an invalid SLIT: no distance-mismatch.
    assert not by_code(findings(EDITED / "slit-invalid-diagonal.tar.gz"), "distance-mismatch")


def test_pxm_node_map_from_placement_when_dmesg_is_missing():
    path = EDITED / "pxm-node-map.tar.gz"
    with_dmesg = by_code(findings(path), "pxm-node-map")
    without = by_code(findings(path, dmesg=None), "pxm-node-map")
    assert "from dmesg" in with_dmesg[0].message
    assert "from CPU and memory placement" in without[0].message
    # Predicted by Linux's rule: PXM 3 (APIC 0, the first CPU entry) -> node 0, PXM 0 -> node 1; kernel swapped.
    for f in with_dmesg + without:
        assert "PXM 0 -> node 1 (kernel: node 0)" in f.message and "PXM 3 -> node 0 (kernel: node 1)" in f.message


def test_cpu_node_mismatch_without_dmesg():
    fs = findings(EDITED / "cpu-node-mismatch.tar.gz", dmesg=None)
    assert [(f.code, f.cpus) for f in fs if f.severity == "error"] == [("cpu-node-mismatch", (3,))]


@pytest.mark.parametrize("name,code,nodes", [
    ("2s2c-3node-memonly-pxm1", "cpuless-node", (2,)),
    ("2s2c-2node-memoryless-node1", "memoryless-node", (1,)),
    ("2s2c-2node-memhotplug-2dimm", "hotplug-range", (0, 1)),
])
def test_capture_shows_info(name, code, nodes):
    got = by_code(findings(FIXTURES / (name + ".tar.gz")), code)
    assert [(f.severity, f.nodes) for f in got] == [("info", nodes)]


def test_numa_fake_without_srat_says_so_and_holds_node_without_srat():
    """numa=fake=2 on a machine without SRAT: the root cause is the emulation; node-without-srat follows from it."""
    fs = findings(FIXTURES / "2s2c2t-nonuma-numafake2.tar.gz")
    assert [(f.code, f.severity) for f in fs] == [("kernel-fake-numa", "info")]
    assert "numa=fake=2" in fs[0].message and "no SRAT" in fs[0].message
    assert [(c.code, c.nodes) for c in fs[0].consequences] == [("node-without-srat", (0, 1))]


def test_hotplug_range_reports_online_memory():
    f = by_code(findings(FIXTURES / "2s2c-2node-memhotplug-2dimm.tar.gz"), "hotplug-range")[0]
    # QEMU: SRAT hotplug range 0x100000000-0x37fffffff on PXM 1; dimm0 (512M, node=0) and dimm1 (1G, node=1).
    assert f.ranges == ((0x100000000, 0x380000000),)
    assert "512 MiB in node 0, 1024 MiB in node 1" in f.message


def test_qemu_corpus_findings():
    need_shared(QEMU_CORPUS)
    got = {p.name: sorted((f.code, f.severity) for f in findings(p)) for p in qemu_tarballs()}
    assert got["arm64-a-2node-dt.tar.gz"] == [("node-without-srat", "info")]
    assert got["c-3node-memonly.tar.gz"] == [("cpuless-node", "info"), ("slit-asymmetric", "warning")]
    assert got["f-memhotplug.tar.gz"] == [("hotplug-range", "info")]
    assert got["scale-64.tar.gz"] == [("slit-missing", "warning")]  # no -numa dist: QEMU builds no SLIT
    for name in ("a-2node-2s2c2t.tar.gz", "b-snc4-1s8c.tar.gz", "d-2node-hmat.tar.gz", "e-uneven-sparse-pxm.tar.gz"):
        assert got[name] == []


def test_check_cli_json_and_exit_status(cli):
    code, out, err = cli("check", "--root", str(EDITED / "cpu-not-in-srat.tar.gz"), "--json")
    assert code == 1 and err == ""
    doc = json.loads(out)
    assert doc["schema_version"] == 1
    assert doc["summary"] == {"errors": 1, "warnings": 0, "infos": 0}
    assert doc["findings"] == [{"code": "cpu-not-in-srat", "severity": "error", "message": doc["findings"][0]["message"],
                                "nodes": [0], "cpus": [5], "ranges": [], "consequences": []}]
    code, out, _ = cli("check", "--root", str(FIXTURES / "2s4c2t-2node-pxb.tar.gz"))
    assert code == 0 and out.strip().endswith("0 error(s), 0 warning(s), 0 info(s)")
    code, out, _ = cli("check", "--root", str(EDITED / "memory-not-covered.tar.gz"), "--json")
    assert code == 1 and json.loads(out)["findings"][0]["ranges"] == [{"start": 0x70000000, "end": 0x7ffdf000}]


def test_check_cli_misuse(cli, tmp_path):
    assert cli("check", "--no-such-option")[0] == 2
    code, out, err = cli("check", "--root", str(tmp_path / "absent"))
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1


def test_hmat_initiator_link_differs():
    """QEMU: node 2's attached initiator is PXM 0 (node 0); a kernel linking node 1 instead is a mismatch."""
    path = FIXTURES / "2s2c-3node-hmat-cache.tar.gz"
    kernel = inputs(path).kernel
    access = tuple(dataclasses.replace(a, initiators=(1,)) if (a.node, a.access) == (2, 1) else a
                   for a in kernel.access)
    (f,) = by_code(findings(path, access=access), "hmat-mismatch")
    assert f.nodes == (2,) and "initiators: HMAT node(s) 0, sysfs 1" in f.message and "access1" in f.message
