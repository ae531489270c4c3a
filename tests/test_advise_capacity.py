"""Plans fit what the kernel can hand out and what the caller may use. Usable memory is counted here from the
capture's own files (nodeN/meminfo, proc/zoneinfo, read with tarfile, not with numaprobe's readers), by the rule
in docs/advice.md: MemFree + Inactive(file) + SReclaimable - the zone high watermarks (or --reserve PCT of
MemTotal); without proc/zoneinfo, the watermark Linux's mm/page_alloc.c would set."""

from __future__ import annotations

import json
import math
import re
import tarfile
from functools import lru_cache
from typing import Dict

import pytest

from oracles import FIXTURES, HWLOC_CORPUS, need_shared

MIB = 1 << 20


@lru_cache(maxsize=None)
def _files(path: str) -> Dict[str, str]:
    out = {}
    with tarfile.open(path) as t:
        for m in t.getmembers():
            name = re.sub(r"^[^/]*/(?=sys/|proc/)", "", m.name)
            if m.isfile() and (re.search(r"node\d+/meminfo$", name) or name == "proc/zoneinfo"):
                out[name] = t.extractfile(m).read().decode()
    return out


def _meminfo(text: str) -> Dict[str, int]:
    out = {}
    for line in text.splitlines():
        m = re.match(r"Node \d+ (\S+):\s+(\d+) kB", line)
        if m:
            out[m.group(1)] = int(m.group(2)) * 1024
    return out


def usable_by_hand(path: str, reserve_pct=None) -> Dict[int, int]:
    files = _files(path)
    nodes = {int(re.search(r"node(\d+)/meminfo", k).group(1)): _meminfo(v) for k, v in files.items()
             if k.endswith("/meminfo")}
    high: Dict[int, int] = {}
    node = None
    for line in files.get("proc/zoneinfo", "").splitlines():
        m = re.match(r"Node (\d+), zone", line)
        if m:
            node = int(m.group(1))
        m = re.match(r"\s+high\s+(\d+)$", line)
        if m and node is not None:
            high[node] = high.get(node, 0) + int(m.group(1)) * 4096
    total = sum(v.get("MemTotal", 0) for v in nodes.values())
    out = {}
    for n, mi in nodes.items():
        if reserve_pct is not None:
            head = int(mi.get("MemTotal", 0) * reserve_pct / 100)
        elif "proc/zoneinfo" in files:
            head = high.get(n, 0)
        else:  # mm/page_alloc.c: min_free_kbytes = sqrt(16 * KiB), clamped, shared by size; high = min + 2 * step
            mine = mi.get("MemTotal", 0)
            kib = min(max(math.isqrt(total // 1024 * 16), 128), 262144)
            node_min = kib * 1024 * mine // total if total else 0
            head = node_min + 2 * max(node_min // 4, mine * 10 // 10000) if mine else 0
        free = mi.get("MemFree", 0) + mi.get("Inactive(file)", 0) + mi.get("SReclaimable", 0)
        out[n] = max(0, free - head) // MIB * MIB
    return out


def _advise(cli, *args):
    code, out, err = cli("advise", "--json", *args)
    return code, (json.loads(out) if out.strip() else None), err


def test_every_plan_in_the_sweep_fits_the_usable_memory_counted_by_hand():
    from test_advise_consumers import _cases, _captures

    paths = {__import__("re").sub(r"[^A-Za-z0-9]+", "-", p.name.split(".tar")[0]): str(p) for p in _captures()}
    checked = 0
    for case, p, inp, cpus, mems in _cases():
        if not p.feasible or p.request.hugepage_bytes:
            continue
        usable = usable_by_hand(paths[case.split("--")[0]])
        for node, b in p.chosen.bytes_by_node:
            assert b <= usable[node], (case, node, b, usable[node])
        checked += 1
    assert checked >= 400


def test_the_8_node_fixture_is_not_filled_to_its_last_page(cli):
    # the case: 496.2 of 496.2 MiB on node 5; now at most what is usable there
    path = str(FIXTURES / "4s4c-8node-nps2-uneven.tar.gz")
    usable = usable_by_hand(path)
    code, doc, err = _advise(cli, "--vcpus", "4", "--memory", "512M", "--root", path)
    assert code == 0, err
    for n, b in doc["placement"]["bytes_by_node"].items():
        assert b <= usable[int(n)]
    assert {int(r["id"]): r["usable_bytes"] for r in doc["host"]["nodes"]} == usable
    for pct in (15, 50):
        code, doc, err = _advise(cli, "--vcpus", "1", "--memory", "64M", "--reserve", str(pct), "--root", path)
        assert code == 0 and {int(r["id"]): r["usable_bytes"] for r in doc["host"]["nodes"]} == \
            usable_by_hand(path, pct)


def test_inactive_page_cache_counts_so_100g_stays_on_one_socket(cli):
    # 40intel64-4n10c+pci-conflicts: each 128 GiB node has 72-92 GiB free plus 19-37 GiB of inactive page
    # cache and reclaimable slab; 100 GiB fits node 0 once those count (numad's default, -K 0)
    path = str(need_shared(HWLOC_CORPUS / "40intel64-4n10c+pci-conflicts.tar.bz2"))
    usable = usable_by_hand(path)
    assert max(usable.values()) >= 100 << 30
    code, doc, err = _advise(cli, "--vcpus", "8", "--memory", "100G", "--root", path)
    assert code == 0 and len(doc["placement"]["nodes"]) == 1
    assert doc["placement"]["bytes_by_node"] == {str(doc["placement"]["nodes"][0]): 100 << 30}


def test_the_captured_cpuset_bounds_the_plan(cli):
    # 16amd64-8n2c-cpusets: probe shows the captured process's cpuset (mems 1-4); --ignore-cpuset lifts it
    path = str(need_shared(HWLOC_CORPUS / "16amd64-8n2c-cpusets.tar.bz2"))
    code, probe, _ = cli("probe", "--json", "--root", path)
    allowed = json.loads(probe)["allowed"]
    code, doc, err = _advise(cli, "--vcpus", "2", "--memory", "1G", "--root", path)
    assert code == 0, err
    assert set(doc["placement"]["nodes"]) <= set(allowed["mems"])
    assert set(doc["placement"]["pinning"]) <= set(allowed["cpus"])
    assert 0 not in allowed["mems"]
    code, doc, err = _advise(cli, "--vcpus", "2", "--memory", "1G", "--root", path, "--ignore-cpuset")
    assert code == 0 and doc["placement"]["nodes"] == [0]
    # --nodes and --cpus restrict further, inside the cpuset
    code, doc, err = _advise(cli, "--vcpus", "1", "--memory", "1G", "--root", path, "--nodes", "3", "--cpus",
                             ",".join(str(c) for c in allowed["cpus"]))
    assert code == 0 and set(doc["placement"]["nodes"]) <= {3} and doc["placement"]["bytes_by_node"]["3"] == 1 << 30
    code, doc, err = _advise(cli, "--vcpus", "1", "--memory", "1G", "--root", path, "--nodes", "0")
    assert code == 1 and "within the caller's cpuset and --nodes" in err


def test_gpu_memory_is_never_vm_ram_unless_allowed(cli):
    # nvidiagpunumanodes: nodes 250-255 are the HBM of six GPUs (probe's gpu-memory-node notes)
    path = str(need_shared(HWLOC_CORPUS / "nvidiagpunumanodes.tar.bz2"))
    code, probe, _ = cli("probe", "--json", "--root", path)
    gpu = {int(re.search(r"node(\d+)", n["message"]).group(1)) for n in json.loads(probe)["notes"]
           if n["code"] == "gpu-memory-node"}
    assert gpu == set(range(250, 256))
    code, doc, err = _advise(cli, "--vcpus", "8", "--memory", "250G", "--root", path)
    assert code == 1 and not set(doc["placement"]["nodes"] if doc["placement"] else []) & gpu
    excluded = {r["id"] for r in doc["host"]["nodes"] if r["excluded"]}
    assert gpu <= excluded
    code, doc, err = _advise(cli, "--vcpus", "8", "--memory", "250G", "--root", path, "--allow-device-memory")
    assert code == 0 and set(doc["placement"]["nodes"]) & gpu


def test_cpu_less_memory_is_a_slower_tier_used_last(cli):
    # c-3node-memonly (QEMU: node 2 has memory, no CPUs): a request the CPU nodes hold stays off node 2; one
    # they cannot hold uses it, with a note
    from oracles import qemu_tarballs

    path = next((str(p) for p in qemu_tarballs() if p.name.startswith("c-3node-memonly")), None)
    assert path, "../shared/corpus/qemu/c-3node-memonly.tar.gz is missing"
    usable = usable_by_hand(path)
    cpu_nodes = usable[0] + usable[1]
    code, doc, err = _advise(cli, "--vcpus", "2", "--memory", "%dM" % ((cpu_nodes >> 20) - 1), "--root", path)
    assert code == 0 and "2" not in {k for k, v in doc["placement"]["bytes_by_node"].items() if v}
    code, doc, err = _advise(cli, "--vcpus", "2", "--memory", "%dM" % ((cpu_nodes >> 20) + 64), "--root", path)
    assert code == 0 and doc["placement"]["bytes_by_node"]["2"] > 0
    assert "slow-tier-memory" in [n["code"] for n in doc["notes"]]
    assert [r["slow_tier"] for r in doc["host"]["nodes"]] == [False, False, True]
