"""`numaprobe advise` end to end on a captured 8-node machine, and its misuse."""

from __future__ import annotations

import json

import pytest

from oracles import FIXTURES
from numaprobe.units import parse_size
from numaprobe.errors import InputError

CAPTURE = FIXTURES / "4s4c-8node-nps2-uneven.tar.gz"


def _root():
    if not CAPTURE.exists():
        pytest.skip("fixture %s is absent" % CAPTURE.name)
    return str(CAPTURE)


# expected values by hand: K, M, G, T are powers of 1024
@pytest.mark.parametrize("text,value", [("512M", 512 * 1024 ** 2), ("16G", 16 * 1024 ** 3), ("1T", 1024 ** 4),
                                        ("16GiB", 16 * 1024 ** 3), ("1.5G", 1536 * 1024 ** 2), ("4k", 4096),
                                        ("2MB", 2 * 1024 ** 2)])
def test_sizes(text, value):
    assert parse_size(text) == value


# no unit (1024 meant 1 GiB to whoever typed it, not 1024 bytes), less than a 4 KiB page, not whole bytes
@pytest.mark.parametrize("text", ["", "G", "16X", "-1G", "0", "0K", "1.3B", "16 GB x", "1024", "4096", "2k",
                                  "1.0000001G"])
def test_bad_sizes(text):
    with pytest.raises(InputError):
        parse_size(text)


@pytest.mark.parametrize("memory", ["lots", "1024", "2K"])
def test_bad_size_is_one_line_exit_2_with_an_example(cli, memory):
    code, out, err = cli("advise", "--vcpus", "2", "--memory", memory)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("numaprobe: error: bad --memory %r" % memory)
    assert "e.g. 512M" in err


def test_memory_that_xl_and_libvirt_cannot_carry_exactly_is_exit_2(cli):
    # xl's memory= and guest cells are whole MiB; huge-page backed memory is whole pages
    for args in (["--memory", "1025K"], ["--memory", "3M", "--hugepages", "2M"]):
        code, out, err = cli("advise", "--vcpus", "2", *args, "--root", _root())
        assert code == 2 and err.count("\n") == 1 and "e.g." in err, err


@pytest.mark.parametrize("args", [["--mode", "loose"], ["--hugepages", "4M"], ["--format", "yaml"],
                                  ["--count", "0"], ["--vcpus", "0"]])
def test_other_misuse_is_exit_2(cli, args):
    base = ["advise", "--vcpus", "2", "--memory", "1G", "--root", _root()]
    if args[0] == "--vcpus":
        base[1:3] = []
    code, out, err = cli(*(base + args))
    assert code == 2 and err.count("\n") == 1, err


def test_json_document(cli):
    code, out, err = cli("advise", "--vcpus", "2", "--memory", "256M", "--format", "json", "--root", _root())
    assert code == 0, err
    doc = json.loads(out)
    for key in ("schema_version", "request", "feasible", "placement", "candidates", "config", "notes"):
        assert key in doc
    assert doc["schema_version"] == 1 and doc["feasible"] is True
    assert doc["request"]["memory_bytes"] == 256 << 20
    assert set(doc["placement"]) >= {"nodes", "cpus", "bytes_by_node", "distance_weighted"}
    assert sum(doc["placement"]["bytes_by_node"].values()) == 256 << 20
    assert set(doc["config"]) == {"numactl", "libvirt", "xl", "systemd"}
    assert all({"nodes", "score", "reason"} <= set(c) for c in doc["candidates"])
    assert all(set(n) == {"code", "message"} for n in doc["notes"])


def test_count_places_domains_apart(cli):
    code, out, err = cli("advise", "--vcpus", "2", "--memory", "128M", "--count", "3", "--json",
                         "--root", _root())
    doc = json.loads(out)
    assert code == 0 and len(doc["domains"]) == 3
    pins = [c for d in doc["domains"] for c in d["placement"]["pinning"]]
    assert len(pins) == len(set(pins)) == 6


def test_impossible_request_is_exit_1_with_the_reason(cli):
    code, out, err = cli("advise", "--vcpus", "1000", "--memory", "1G", "--root", _root())
    assert code == 1
    assert "1000 vCPUs asked, the host has" in out and "best partial option" in out
    code, out, err = cli("advise", "--vcpus", "1", "--memory", "1T", "--format", "numactl", "--root", _root())
    assert code == 1 and out.strip() == "" and "short by" in err


def test_numactl_format_is_one_command(cli):
    code, out, err = cli("advise", "--vcpus", "2", "--memory", "256M", "--format", "numactl", "--root", _root())
    assert code == 0 and out.startswith("numactl --physcpubind=") and out.count("\n") == 1


def test_unknown_device_is_exit_2(cli):
    code, out, err = cli("advise", "--vcpus", "2", "--memory", "1G", "--device", "0000:ff:1f.7", "--root", _root())
    assert code == 2 and "no PCI device" in err


@pytest.mark.parametrize("device,node", [("0000:41:00.0", 0), ("81:00.0", 1)])
def test_device_pulls_the_domain_to_its_node(cli, device, node):
    # 2s4c2t-2node-pxb: a PCI expander bridge per node; its devices report numa_node 0 and 1
    capture = FIXTURES / "2s4c2t-2node-pxb.tar.gz"
    if not capture.exists():
        pytest.skip("fixture %s is absent" % capture.name)
    code, out, err = cli("advise", "--vcpus", "4", "--memory", "256M", "--device", device, "--json",
                         "--root", str(capture))
    doc = json.loads(out)
    assert code == 0 and doc["request"]["device_node"] == node
    assert doc["placement"]["nodes"] == [node]
    assert doc["candidates"][0]["reason"].startswith("farther from the device")


def test_hmat_latencies_replace_the_slit_when_the_firmware_has_them(cli):
    # 2s2c-3node-hmat-cache: QEMU -numa hmat-lb access latency 80/140/250 ns (node 0), 140/80/300 (node 1);
    # node 2 is CPU-less, its row is estimated from the SLIT (30, 35) at the best local latency (80 ns).
    from numaprobe.advise.advice import hmat_latency
    from numaprobe.model.gather import build_machine
    from numaprobe.source.root import open_root

    capture = FIXTURES / "2s2c-3node-hmat-cache.tar.gz"
    if not capture.exists():
        pytest.skip("fixture %s is absent" % capture.name)
    root = open_root(str(capture))
    assert hmat_latency(build_machine(root)) == [[80, 140, 250], [140, 80, 300], [240, 280, 80]]
    code, out, err = cli("advise", "--vcpus", "2", "--memory", "1200M", "--json", "--root", str(capture))
    doc = json.loads(out)
    assert code == 0 and doc["search"]["cost_source"] == "HMAT"
    # usable by hand from the capture (MemFree + SReclaimable - zone high watermarks x 4 KiB, whole MiB):
    # node 0 947720 + 8468 - 11174*4 kB = 890 MiB, node 1 949192 + 304 - 11034*4 kB = 884 MiB; node 2 is CPU-less
    # (a slower tier, unused while the CPU nodes hold 1200 MiB). vCPUs on node 0: D = (890*80 + 310*140) / 96000
    # = 1.19375; on node 1: (884*80 + 316*140) / 96000 = 1.1975. So node 0 runs the vCPUs.
    assert doc["placement"]["cpu_nodes"] == [0] and doc["placement"]["nodes"] == [0, 1]
    assert doc["placement"]["bytes_by_node"] == {"0": 890 << 20, "1": 310 << 20}
    assert doc["placement"]["distance_weighted"] == pytest.approx(1.19375)
    assert "cost-source" in [n["code"] for n in doc["notes"]]
