"""Every HMAT we have (../shared corpus, QEMU corpus, sysfs_fixtures and its edited and handmade trees) against
`iasl -d`, field by field, and the values against what iasl's own fields give and what QEMU was told.

Oracles: iasl's disassembly of the same bytes (parsed by tests/iasl_oracle.py; the name mapping there is written
from ../shared/notes/acpi/iasl.md), the arithmetic of ACPI 6.5 §5.2.28.4 (value = Entry x Entry Base Unit) on
iasl's fields, and the `-numa hmat-lb` options of each capture's qemu-cmdline.txt (latency in ns, bandwidth with
a binary suffix, which Linux shows in MB/s: 20G -> 20480)."""

from __future__ import annotations

import re
import tarfile
from typing import Dict, List, Tuple

import pytest

from iasl_oracle import disassemble, expected_fields, fields_mismatch
from oracles import ACPI_CORPUS, FIXTURES, QEMU_CORPUS

from numaprobe.acpi import decode_table


def _hmats() -> List[Tuple[str, bytes, str]]:
    """(name, HMAT bytes, qemu command line or "")."""
    out = []
    if ACPI_CORPUS.exists():
        out += [(str(p.relative_to(ACPI_CORPUS)), p.read_bytes(), "") for p in sorted(ACPI_CORPUS.rglob("HMAT"))]
    tarballs = sorted(QEMU_CORPUS.glob("*.tar.gz")) if QEMU_CORPUS.exists() else []
    tarballs += sorted(FIXTURES.rglob("*.tar.gz"))
    for tb in tarballs:
        with tarfile.open(str(tb)) as tf:
            names = {m.name.lstrip("./"): m for m in tf.getmembers() if m.isfile()}
            hmat = next((m for n, m in names.items() if n.endswith("acpi/tables/HMAT")), None)
            if hmat is None:
                continue
            cmd = names.get("qemu-cmdline.txt")
            out.append((str(tb.relative_to(tb.parents[1])), tf.extractfile(hmat).read(),
                        tf.extractfile(cmd).read().decode() if cmd else ""))
    return out


HMATS = _hmats()


def test_the_hmats_are_there():
    names = [n for n, _, _ in HMATS]
    # rzwisler rev 1, fwts' two acpidumps, QEMU d-2node-hmat, the 3-node fixture (and its hmat-mismatch edit),
    # the arm64 UEFI capture.
    assert len(HMATS) >= 7, names
    assert any("arm64" in n for n in names) and any("rzwisler" in n for n in names)


def _structures(fields) -> List[Dict[str, list]]:
    """iasl's fields grouped per HMAT structure: name -> values in order."""
    out: List[Dict[str, list]] = []
    for f in fields:
        if f.name == "Structure Type":
            out.append({})
        if out:
            out[-1].setdefault(f.name, []).append(f.value)
    return out


@pytest.mark.oracle
@pytest.mark.parametrize("name,data,cmdline", HMATS, ids=[n for n, _, _ in HMATS])
def test_hmat_field_by_field_with_iasl(name, data, cmdline, scratch_dir):
    work = scratch_dir / ("hmat-" + re.sub(r"[^A-Za-z0-9]+", "_", name))
    work.mkdir()
    fields, _ = disassemble(data, work, "HMAT")
    table = decode_table(data)
    assert len(fields) > 20
    # Every field this iasl printed, in order (newer iasl versions print more: iasl_oracle.OneOf).
    assert fields_mismatch(fields, expected_fields(table)) is None, fields_mismatch(fields, expected_fields(table))
    # The values from iasl's own fields: Entry x Entry Base Unit, row per initiator, column per target.
    by_iasl = [s for s in _structures(fields) if s["Structure Type"] == [1]]
    ours = [s for s in table.structures if s.type == 1]
    assert len(by_iasl) == len(ours)
    for s, mine in zip(by_iasl, ours):
        base = s["Entry Base Unit"][0]
        n_t = s["Target Proximity Domains #"][0]
        entries = s["Entry"]
        # ACPI 6.5 5.2.28.4: an entry of 0 means "not provided", 0xFFFF "unreachable": no value.
        rows = [[None if entries[i * n_t + t] in (0, 0xFFFF) else entries[i * n_t + t] * base for t in range(n_t)]
                for i in range(s["Initiator Proximity Domains #"][0])]
        assert [list(r) for r in mine.values] == rows
        assert list(mine.initiators) == s["Initiator Proximity Domain List"]
        assert list(mine.targets) == s["Target Proximity Domain List"]


_SIZE = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def _qemu_hmat_lb(cmdline: str) -> Dict[Tuple[int, int, str], int]:
    """(initiator, target, 'latency'|'bandwidth') -> ns or MB/s, from -numa hmat-lb options."""
    out = {}
    for m in re.finditer(r"hmat-lb,([^ ']+)", cmdline):
        o = dict(kv.split("=", 1) for kv in m.group(1).split(","))
        key = (int(o["initiator"]), int(o["target"]))
        if "latency" in o:
            out[key + ("latency",)] = int(o["latency"])
        else:
            num, unit = re.match(r"(\d+)([KMGT]?)", o["bandwidth"]).groups()
            out[key + ("bandwidth",)] = int(num) * _SIZE[unit] // (1 << 20)
    return out


@pytest.mark.parametrize("name,data,cmdline", [h for h in HMATS if "hmat-lb" in h[2]],
                         ids=[n for n, _, c in HMATS if "hmat-lb" in c])
def test_hmat_values_are_what_qemu_was_told(name, data, cmdline):
    want = _qemu_hmat_lb(cmdline)
    got = {}
    for s in decode_table(data).structures:
        if s.type != 1 or s.memory_hierarchy != 0:
            continue
        kind = "latency" if s.data_type <= 2 else "bandwidth"
        for i, ini in enumerate(s.initiators):
            for t, tgt in enumerate(s.targets):
                if s.converted[i][t] is not None:
                    got[(ini, tgt, kind)] = s.converted[i][t]
    assert got == want
