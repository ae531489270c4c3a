"""sosreports as --root: the shared real one, one made with Debian's sos here, and QEMU guests laid out as sos would.

Oracles: the report's own `numactl --hardware` (captured on the host at the same time; for the QEMU layouts the
real numactl run over the capture's sysfs, sysfs_fixtures/tools/make_sos_outputs.sh), its `lscpu -ae`, its
/proc/meminfo and values read by hand from its dmidecode.
"""

from __future__ import annotations

import io
import re
import sys
import tarfile
from pathlib import Path

import pytest

from oracles import FIXTURES, SHARED, need_shared

sys.path.insert(0, str(FIXTURES / "tools"))
import sos_layout  # noqa: E402

HOTSOS = SHARED / "corpus" / "sosreport" / "hotsos-kubernetes"
MADE_WITH_SOS = FIXTURES / "sos" / "sosreport-vm-debian12-sos4.0.tar.xz"
# Every QEMU capture with the tool outputs sysfs_fixtures/tools/make_sos_outputs.sh made for it (run it after adding
# a capture); test_every_capture_has_its_sos_outputs says which are missing.
CAPTURES = sorted(c for c in FIXTURES.glob("*.tar.gz") if (sos_layout.COMMANDS / c.name[:-7]).is_dir())
# numa=fake lists every CPU in both fake nodes; probe places each CPU once (by its cpuN/nodeM link, note
# overlapping-node-cpus), so its block differs from numactl's by design -- on the plain capture too.
NOT_NUMACTL_EQUAL = {"2s2c2t-nonuma-numafake2", "2s2c2t-2node-numafake4"}


def numactl_block(text: str, keep=lambda line: True):
    """numactl --hardware's lines up to the first blank line, free memory aside."""
    out = []
    for line in text.splitlines():
        if not line.strip():
            break
        if not re.match(r"node \d+ free: ", line) and keep(line):
            out.append(line)
    return out


def sos_text(archive: Path, rel: str) -> str:
    with tarfile.open(str(archive)) as tf:
        for m in tf.getmembers():
            if m.name.split("/", 1)[-1] == rel:
                return tf.extractfile(m).read().decode()
    raise AssertionError("%s has no %s" % (archive, rel))


def test_shared_sosreport_takes_cpus_from_lscpu_and_memory_from_its_copies(cli):
    need_shared(HOTSOS)
    code, out, _ = cli("probe", "--root", str(HOTSOS))
    assert code == 0
    lscpu = (HOTSOS / "sos_commands/processor/lscpu_-ae").read_text().splitlines()[1:]
    by_node = {}
    for line in lscpu:
        cpu, node = line.split()[:2]
        by_node.setdefault(int(node), []).append(cpu)
    lines = out.splitlines()
    assert lines[0] == "available: %d nodes (0)" % len(by_node)
    assert lines[1] == "node 0 cpus: " + " ".join(by_node[0])
    # One node: its MemTotal is the machine's (/proc/meminfo), in numactl's whole MB.
    mem_kb = int(re.search(r"MemTotal:\s+(\d+) kB", (HOTSOS / "proc/meminfo").read_text()).group(1))
    assert lines[2] == "node 0 size: %d MB" % (mem_kb >> 10)
    assert "  0:  10 " in lines
    notes = [line for line in lines if "[sos-fact-source]" in line]
    assert any("nodes: sos_commands/processor/lscpu_-ae" in n for n in notes)
    assert any("node memory: proc/zoneinfo" in n for n in notes)
    assert any("hardware model and BIOS: sos_commands/hardware/dmidecode" in n for n in notes)


def test_shared_sosreport_identity_from_its_command_outputs(cli):
    need_shared(HOTSOS)
    code, out, _ = cli("probe", "--json", "--root", str(HOTSOS))
    import json

    doc = json.loads(out)
    assert doc["source"]["kind"] == "sosreport"
    assert doc["source"]["hostname"] == (HOTSOS / "sos_commands/host/hostname").read_text().strip()
    assert doc["source"]["kernel"] == (HOTSOS / "sos_commands/kernel/uname_-a").read_text().split()[2]
    from numaprobe.readers.dmi import read_dmi
    from numaprobe.source.root import open_root

    # read by hand from sos_commands/hardware/dmidecode, "System Information" and "BIOS Information"
    dmi = read_dmi(open_root(str(HOTSOS)))
    assert dmi["sys_vendor"] == "OpenStack Foundation"
    assert dmi["product_name"] == "OpenStack Nova"
    assert dmi["bios_version"] == "1.10.2-1ubuntu1"
    assert "product_serial" not in dmi


@pytest.mark.parametrize("command", ["probe", "check", "physinfo", "numastat", "tables", "advise", "simulate"])
def test_every_command_takes_a_sosreport(cli, command):
    need_shared(HOTSOS)
    args = [command, "--root", str(HOTSOS)]
    if command == "advise":
        args += ["--vcpus", "1", "--memory", "512M"]
    if command == "simulate":
        args += ["--domain", "vm:vcpus=1,memory=512M"]
    code, out, err = cli(*args)
    assert code in (0, 1), err
    assert "Traceback" not in err and "error" not in err.lower(), err


def test_report_made_with_sos_numactl_block_equals_its_numactl(cli, scratch_dir):
    oracle = numactl_block(sos_text(MADE_WITH_SOS, "sos_commands/numa/numactl_--hardware"))
    code, out, _ = cli("probe", "--root", str(MADE_WITH_SOS))
    assert code == 0
    assert numactl_block(out) == oracle
    # the same report unpacked (as support engineers keep them) and repacked as .tar.gz
    unpacked = scratch_dir / "sos-unpacked"
    with tarfile.open(str(MADE_WITH_SOS)) as tf:
        tf.extractall(str(unpacked))
    regz = scratch_dir / "sos.tar.gz"
    with tarfile.open(str(MADE_WITH_SOS)) as tin, tarfile.open(str(regz), "w:gz") as tout:
        for m in tin.getmembers():
            tout.addfile(m, tin.extractfile(m) if m.isfile() else None)
    for other in (unpacked, regz):
        code, out2, _ = cli("probe", "--root", str(other))
        assert code == 0 and numactl_block(out2) == oracle
    assert "[sos-fact-source] node memory: sos's copy of sys/devices/system/node/node*/meminfo" in out


@pytest.mark.parametrize("variant", ["sos", "commands", "lscpu"])
@pytest.mark.parametrize("capture", CAPTURES, ids=[c.name[:-7] for c in CAPTURES])
def test_qemu_guest_as_sosreport_numactl_block_equals_numactl(cli, scratch_dir, capture, variant):
    name = capture.name[:-7]
    if name in NOT_NUMACTL_EQUAL:
        return
    oracle_text = (sos_layout.COMMANDS / name / "numactl_--hardware").read_text()
    path = scratch_dir / ("%s-%s.tar.xz" % (name, variant))
    path.write_bytes(sos_layout.build_sosreport(capture, variant))
    code, out, err = cli("probe", "--root", str(path))
    assert code == 0, err
    if variant == "lscpu":  # no numactl output and no node copies: CPUs and sizes, no distances
        keep = lambda line: " cpus:" in line or " size:" in line  # noqa: E731
        assert numactl_block(out, keep) == numactl_block(oracle_text, keep)
        if oracle_text.count(" cpus:") > 1:
            assert "No distance information available." in out
    else:
        assert numactl_block(out) == numactl_block(oracle_text)
    if variant != "sos":
        assert "node CPU lists: sos_commands/" in out
        assert "CPU topology: sos_commands/processor/lscpu_-ae (sos did not copy sys/devices/system/cpu)" in out


def test_report_without_any_node_facts_keeps_numactl_free_of_guesses(cli, scratch_dir):
    """A report with neither node copies, numactl, lscpu nor zoneinfo: no node is made up."""
    capture = FIXTURES / "2s4c2t-2node-pxb.tar.gz"
    members = sos_layout.sos_members(capture, "lscpu")
    for rel in list(members):
        if rel.startswith(("sos_commands/processor", "sos_commands/memory", "proc/zoneinfo")):
            del members[rel]
    path = scratch_dir / "bare-sos.tar.xz"
    path.write_bytes(sos_layout.build_sosreport(capture, members=members))
    code, out, _ = cli("probe", "--root", str(path))
    assert code == 0
    assert out.splitlines()[0] == "available: 1 nodes (0)"
    assert "[no-numa-nodes]" in out
    assert "sos-fact-source] nodes:" not in out


def test_truncated_numactl_output_is_ignored_not_trusted():
    from numaprobe.readers.sos_commands import parse_numactl_hardware

    text = (sos_layout.COMMANDS / "1s8c-snc4-10-11-12" / "numactl_--hardware").read_text()
    cut = text[:text.index("node distances:") + 30]
    hw = parse_numactl_hardware(cut)
    assert hw is not None and [n.id for n in hw.nodes] == [0, 1, 2, 3] and hw.distances is None
    assert parse_numactl_hardware("numactl: This system does not support NUMA policy\n") is None


def test_hostile_sosreport_is_refused_in_one_line(cli, scratch_dir):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:xz") as tf:
        info = tarfile.TarInfo("sosreport-x/sos_commands/numa/numactl_--hardware")
        info.type = tarfile.SYMTYPE
        info.linkname = "/etc/shadow"
        tf.addfile(info)
    path = scratch_dir / "hostile-sos.tar.xz"
    path.write_bytes(buf.getvalue())
    code, out, err = cli("probe", "--root", str(path))
    assert code == 2 and len(err.strip().splitlines()) == 1 and "absolute target" in err


def test_every_capture_has_its_sos_outputs():
    missing = [c.name for c in FIXTURES.glob("*.tar.gz") if not (sos_layout.COMMANDS / c.name[:-7]).is_dir()]
    assert len(CAPTURES) >= 11
    assert not missing, "run sysfs_fixtures/tools/make_sos_outputs.sh (as root) for %s" % missing
