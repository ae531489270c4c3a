"""Tables compiled by the real iasl from `iasl -T` templates, edited, decode to what the source says.

The source is the installed iasl's own template (`iasl -T SRAT|SLIT|HMAT`, any version); the test edits field values
and repeats or drops subtable blocks, compiles with `iasl`, decodes the .aml and compares every field with the
source (iasl_oracle.parse_dsl reads the source format), then checks the facts the edits were made for.
iasl rewrites the table length, checksum and Asl Compiler ID/Revision on compiling, so those are not compared.
"""

from __future__ import annotations

import re
from typing import Dict, List, Tuple

import pytest

from iasl_oracle import compile_source, expected_fields, fields_mismatch, parse_dsl, template, without_names

from numaprobe.acpi import decode_table

REWRITTEN_BY_IASL = ("Table Length", "Checksum", "Asl Compiler ID", "Asl Compiler Revision")


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("iasl-compiled")


def _split(text: str, marker: str) -> Tuple[List[str], Dict[int, List[str]]]:
    """Template -> (header lines, {type: block lines}) where each block starts at its `marker` line."""
    head: List[str] = []
    blocks: Dict[int, List[str]] = {}
    current = None
    for line in text.splitlines():
        m = re.match(r"^\[\d+\] +%s : ([0-9A-F]+)" % re.escape(marker), line)
        if m:
            current = blocks.setdefault(int(m.group(1), 16), [])
        (head if current is None else current).append(line)
    return head, blocks


def _edit(lines: List[str], **changes) -> List[str]:
    """Set field values by iasl name (keyword with spaces as _ and '#' as N, or a dict via __fields).
    A list value repeats the line once per element (HMAT lists)."""
    fields = changes.pop("__fields", {})
    fields.update({k.replace("_", " "): v for k, v in changes.items()})
    out = []
    for line in lines:
        m = re.match(r"^(\[\d+\] +| +)(.+?) : ", line)
        name = " ".join(m.group(2).split()) if m else None
        if name in fields:
            values = fields[name] if isinstance(fields[name], list) else [fields[name]]
            out += [line[:m.end()] + v for v in values]
        else:
            out.append(line)
    return out


def _compile_and_compare(source: str, work, name: str):
    data = compile_source(source, work, name)
    table = decode_table(data)
    src_fields, _ = parse_dsl(source)  # source lines carry no offsets: names and values are compared
    why = fields_mismatch(without_names(src_fields, REWRITTEN_BY_IASL),
                          without_names(expected_fields(table), REWRITTEN_BY_IASL))
    assert why is None, why
    return table


def _srat_source(work, revision: str = "03") -> str:
    head, b = _split(template("SRAT", work), "Subtable Type")
    head = _edit(head, Revision=revision, __fields={"Oem Table ID": '"NUMAPRB "'})
    lapic = [
        _edit(b[0], __fields={"Proximity Domain Low(8)": "00", "Apic ID": "00"}),
        _edit(b[0], __fields={"Proximity Domain Low(8)": "01", "Apic ID": "02", "Clock Domain": "00000001"}),
        # disabled, with a split proximity domain: low 02, high 000001 -> 0x102 from revision 2 on
        _edit(b[0], __fields={"Proximity Domain Low(8)": "02", "Apic ID": "04", "Flags (decoded below)": "00000000",
                              "Enabled": "0", "Proximity Domain High(24)": "000001"}),
    ]

    def mem(pxm, base, length, enabled="1", hotplug="0", nv="0"):
        flags = int(enabled) | int(hotplug) << 1 | int(nv) << 2
        return _edit(b[1], __fields={"Proximity Domain": pxm, "Base Address": base, "Address Length": length,
                                     "Flags (decoded below)": "%08X" % flags, "Enabled": enabled,
                                     "Hot Pluggable": hotplug, "Non-Volatile": nv})

    memory = [
        mem("00000000", "0000000000000000", "000000000009FC00"),
        mem("00000000", "0000000000100000", "000000007FF00000"),
        mem("00000001", "0000000100000000", "0000000080000000"),
        mem("00000002", "0000000180000000", "0000000040000000", nv="1"),  # memory-only domain 2
        mem("00000001", "0000001000000000", "0000001000000000", hotplug="1"),  # hot-pluggable range
        mem("00000000", "0000000000000000", "0000000000000000", enabled="0"),  # disabled, all zero
        mem("00000105", "00000001C0000000", "0000000010000000"),  # domain 0x105: 5 in a revision-1 SRAT
    ]
    x2apic = [
        _edit(b[2], __fields={"Proximity Domain": "00000001", "Apic ID": "00000100"}),
        _edit(b[2], __fields={"Apic ID": "FFFFFFFF", "Flags (decoded below)": "00000000", "Enabled": "0"}),
    ]
    gi = _edit(b[5], __fields={"Device Handle Type": "01", "Proximity Domain": "00000003",
                               "Device Handle": "00 00 00 03 00 00 00 00 00 00 00 00 00 00 00 00",
                               "Flags (decoded below)": "00000001", "Enabled": "1"})
    lines = head + [l for blk in lapic + memory + x2apic for l in blk] + b[3] + b[4] + gi
    return "\n".join(lines) + "\n"


@pytest.mark.oracle
def test_edited_srat_template_decodes_as_its_source(work):
    t = _compile_and_compare(_srat_source(work), work, "srat-edited")
    assert t.revision == 3 and t.checksum_ok and not t.notes
    lapic = t.of_type(0)
    assert [(e.apic_id, e.proximity_domain, e.enabled) for e in lapic] == [(0, 0, True), (2, 1, True),
                                                                           (4, 0x102, False)]
    mem = t.memory
    enabled = [e for e in mem if e.enabled]
    cpu_domains = {e.proximity_domain for e in t.cpus if e.enabled}
    assert {e.proximity_domain for e in enabled} - cpu_domains == {2, 0x105}  # memory-only domains
    assert [e for e in mem if e.proximity_domain == 2][0].non_volatile
    hot = [e for e in mem if e.hot_pluggable]
    assert [(e.base_address, e.range_length, e.proximity_domain) for e in hot] == [(0x1000000000, 0x1000000000, 1)]
    assert sum(not e.enabled for e in t.entries) == 3  # one LAPIC, one memory, one x2APIC
    assert [e.x2apic_id for e in t.of_type(2)] == [0x100, 0xFFFFFFFF]
    (gi,) = t.of_type(5)
    assert (gi.proximity_domain, gi.enabled, gi.device_handle_type) == (3, True, 1)
    assert (gi.pci_segment, gi.pci_bus, gi.pci_device, gi.pci_function) == (0, 3, 0, 0)
    assert [e.type for e in t.entries].count(3) == 1 and t.of_type(4)[0].its_id == 1


@pytest.mark.oracle
def test_revision_1_srat_keeps_8_bit_domains(work):
    t = _compile_and_compare(_srat_source(work, revision="01"), work, "srat-rev1")
    assert t.revision == 1
    assert t.of_type(0)[2].proximity_domain == 2  # high bytes ignored, as Linux does for revision 1
    (m,) = [e for e in t.memory if e.proximity_domain_raw == 0x105]
    assert m.proximity_domain == 5


@pytest.mark.oracle
def test_slit_template_with_rows_over_16_entries(work):
    t = _compile_and_compare(template("SLIT", work), work, "slit-template")
    assert t.localities == 20 and len(t.matrix) == 20 and all(len(r) == 20 for r in t.matrix)
    assert all(t.matrix[i][i] == 10 for i in range(20))


@pytest.mark.oracle
def test_edited_slit_asymmetric(work):
    head, _ = _split(template("SLIT", work), "Localities")
    src = "\n".join(head) + "\n" + "\n".join([
        "[0008]                         Localities : 0000000000000003",
        "[0003]                       Locality   0 : 0A 15 19",
        "[0003]                       Locality   1 : 15 0A 19",
        "[0003]                       Locality   2 : 23 23 0A",
    ]) + "\n"
    t = _compile_and_compare(src, work, "slit-edited")
    assert t.matrix == ((10, 21, 25), (21, 10, 25), (35, 35, 10)) and t.linux_valid and not t.notes


@pytest.mark.oracle
def test_edited_hmat_template(work):
    head, b = _split(template("HMAT", work), "Structure Type")
    attrs = [
        _edit(b[0], __fields={"Flags (decoded below)": "0001", "Processor Proximity Domain Valid": "1",
                              "Attached Initiator Proximity Domain": "00000000", "Memory Proximity Domain": "00000000"}),
        _edit(b[0], __fields={"Memory Proximity Domain": "00000002"}),  # no attached initiator
    ]
    latency = _edit(b[1], __fields={
        "Length": "00000040", "Data Type": "00", "Initiator Proximity Domains #": "00000002",
        "Target Proximity Domains #": "00000003", "Entry Base Unit": "0000000000000064",
        "Initiator Proximity Domain List": ["00000000", "00000001"],
        "Target Proximity Domain List": ["00000000", "00000001", "00000002"],
        "Entry": ["000A", "0014", "FFFF", "0014", "000A", "0000"]})
    bandwidth = _edit(b[1], __fields={
        "Data Type": "03", "Entry Base Unit": "0000000000000400", "Entry": "0010"})
    cache = _edit(b[2], __fields={
        "Length": "00000024", "Memory Proximity Domain": "00000002", "Memory Side Cache Size": "0000000001000000",
        "Cache Attributes (decoded below)": "00401111", "Total Cache Levels": "1", "Cache Level": "1",
        "Cache Associativity": "1", "Write Policy": "1", "Cache Line Size": "0040",
        "SMBIOS Handle #": "0002", "SMBIOS Handle": ["0010", "0011"]})
    src = "\n".join(head + [l for blk in attrs for l in blk] + latency + bandwidth + cache) + "\n"
    t = _compile_and_compare(src, work, "hmat-edited")
    assert t.revision == 2 and t.checksum_ok
    a0, a1, lat, bw, cache_s = t.structures
    assert (a0.initiator_pd_valid, a0.memory_proximity_domain, a1.initiator_pd_valid) == (True, 0, False)
    assert lat.entries == ((10, 20, 0xFFFF), (20, 10, 0))
    # base unit 100 ps: 10 -> 1000 ps -> 1 ns; unreachable and not-provided are None
    assert lat.converted == ((1, 2, None), (2, 1, None)) and lat.unit == "ps" and lat.converted_unit == "ns"
    assert bw.converted == ((16 * 1024,),) and bw.converted_unit == "MB/s"
    assert (cache_s.cache_size, cache_s.total_levels, cache_s.cache_level, cache_s.associativity,
            cache_s.write_policy, cache_s.line_size, cache_s.smbios_handles) == (16 << 20, 1, 1, 1, 1, 64,
                                                                                  (0x10, 0x11))
