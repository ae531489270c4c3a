"""One descriptor per SRAT subtable type (acpi/srat.py SUBTABLE_TYPES): the decoder, the PXM numbering, the
cross-check and the text renderer all ask it, so a type is one place plus this test; a type numaprobe does not
know is kept raw and shown, never a crash."""

from __future__ import annotations

import pytest

from numaprobe.acpi import decode_table
from numaprobe.acpi.srat import SUBTABLE_TYPES, build_srat, build_subtable, subtable_type
from numaprobe.analysis.pxm import pxm_to_node
from numaprobe.render.acpi import tables_text


def _minimal(t, pxm):
    """The smallest subtable of type t: every field zero but the type, its domain and, when defined, enabled."""
    fields = {"type": t.code}
    for sub in t.layout.subcons:
        if sub.name in ("type", "length") or sub.name.startswith("reserved"):
            continue
        fields[sub.name] = b"\0" * 16 if sub.name == "device_handle" else 0
    key = "proximity_domain_lo" if "proximity_domain_lo" in fields else "proximity_domain"
    fields[key] = pxm
    if t.defined_flags is not None:
        fields["flags"] = 1
    return fields


@pytest.mark.parametrize("code", sorted(SUBTABLE_TYPES))
def test_each_descriptor_decodes_renders_and_answers_its_role(code):
    t = subtable_type(code)
    assert t.layout.sizeof() == len(build_subtable(_minimal(t, 3)))
    table = decode_table(build_srat([_minimal(t, 3)]))
    (e,) = table.entries
    assert type(e) is t.entry_class and e.type_name == t.name and e.proximity_domain == 3 and e.enabled
    assert (e in table.cpus) == (t.role == "cpu") and (e in table.memory) == (t.role == "memory")
    if t.id_field is not None:
        assert getattr(e, t.id_field) == 0
    line = [ln for ln in tables_text([table], ()).splitlines() if t.name in ln]
    assert line and "pxm 3" in line[0]


def test_the_first_numbering_pass_is_linuxs():
    # drivers/acpi/numa/srat.c acpi_numa_init(): pass 1 parses ACPI_SRAT_TYPE_CPU_AFFINITY, X2APIC_CPU_AFFINITY,
    # GICC_AFFINITY, GENERIC_AFFINITY and RINTC_AFFINITY (0, 2, 3, 5, 7); pass 2 MEMORY_AFFINITY (1).
    assert sorted(c for c, t in SUBTABLE_TYPES.items() if t.initiates) == [0, 2, 3, 5, 7]
    assert [c for c, t in SUBTABLE_TYPES.items() if t.role == "memory"] == [1]
    entries = decode_table(build_srat([_minimal(SUBTABLE_TYPES[1], 9), _minimal(SUBTABLE_TYPES[6], 8),
                                       _minimal(SUBTABLE_TYPES[4], 7), _minimal(SUBTABLE_TYPES[7], 5)])).entries
    # The RINTC's PXM 5 first (pass 1), then the memory's 9; a generic port and a GIC ITS name no node.
    assert pxm_to_node(entries) == {5: 0, 9: 1}


def test_unknown_types_are_kept_raw_and_rendered():
    unknown = bytes([0x42, 8]) + b"\xaa" * 6
    table = decode_table(build_srat([unknown, _minimal(SUBTABLE_TYPES[0], 1)]))
    assert subtable_type(0x42) is None and table.cpus == (table.entries[1],)
    text = tables_text([table], ())
    assert "Unknown type 66" in text and "raw 4208aaaaaaaaaaaa" in text


def test_unknown_type_through_the_command(cli, tmp_path):
    path = tmp_path / "SRAT"
    path.write_bytes(build_srat([bytes([0x42, 8]) + bytes(6), _minimal(SUBTABLE_TYPES[5], 2)]))
    for args in ((str(path),), (str(path), "--json")):
        code, out, err = cli("tables", *args)
        assert code == 0 and "Traceback" not in err and ("Unknown" in out), err
