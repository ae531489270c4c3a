"""The rules behind `numaprobe check`, on synthetic tables built with numaprobe's own layouts (hand-computed)."""

from __future__ import annotations

from numaprobe.acpi.slit import build_slit, decode_slit
from numaprobe.acpi.srat import build_srat, decode_srat
from numaprobe.analysis.crosscheck import check_distances, check_slit, predict_pxm_to_node
from numaprobe.model.topology import Node, Source, Topology


def cpu(pxm, apic, enabled=True):
    return {"type": 0, "proximity_domain_lo": pxm, "apic_id": apic, "flags": int(enabled)}


def mem(pxm, base, length, enabled=True, hot=False):
    return {"type": 1, "proximity_domain": pxm, "base_address": base, "range_length": length,
            "flags": int(enabled) | (2 if hot else 0)}


def gi(pxm, enabled=True):
    return {"type": 5, "device_handle_type": 1, "proximity_domain": pxm, "device_handle": b"\0" * 16,
            "flags": int(enabled)}


def topo(rows):
    nodes = tuple(Node(id=i, cpus=(), all_cpus=(), memory_total_bytes=1, memory_free_bytes=1, distances=tuple(r),
                       has_cpu=True, has_memory=True) for i, r in enumerate(rows))
    return Topology(source=Source("directory", "x"), nodes=nodes, cpus=(), packages=(), devices=(), notes=())


def test_cpu_domains_numbered_before_memory_only_domains():
    # Memory of PXM 0 comes first in the table, but PXM 0 has no CPU: CPU domains 7 and 3 get nodes 0 and 1.
    srat = decode_srat(build_srat([mem(0, 0, 1 << 30), cpu(7, 0), cpu(3, 1), cpu(7, 2), mem(3, 1 << 30, 1 << 30),
                                   mem(7, 2 << 30, 1 << 30)]))
    assert predict_pxm_to_node(srat) == {7: 0, 3: 1, 0: 2}


def test_disabled_entries_allocate_no_node():
    srat = decode_srat(build_srat([cpu(5, 0, enabled=False), cpu(2, 1), mem(9, 0, 1 << 30, enabled=False),
                                   mem(2, 1 << 30, 1 << 30)]))
    assert predict_pxm_to_node(srat) == {2: 0}


def test_generic_initiator_counts_as_initiator_and_a_disabled_one_stops_the_walk():
    srat = decode_srat(build_srat([cpu(0, 0), gi(4), cpu(1, 1), mem(2, 0, 1 << 30)]))
    assert predict_pxm_to_node(srat) == {0: 0, 4: 1, 1: 2, 2: 3}
    # acpi_parse_gi_affinity's -EINVAL for a disabled GI ends pass 1: CPU PXM 1 after it gets no node there.
    srat = decode_srat(build_srat([cpu(0, 0), gi(4, enabled=False), cpu(1, 1), mem(2, 0, 1 << 30)]))
    assert predict_pxm_to_node(srat) == {0: 0, 2: 1}


def test_revision_1_srat_keeps_8_bit_memory_domains():
    srat = decode_srat(build_srat([cpu(1, 0), mem(0x101, 0, 1 << 30)], revision=1))
    assert predict_pxm_to_node(srat) == {1: 0}  # 0x101 & 0xff == 1


def slit_findings(matrix, pxm_node, rows=None):
    t = topo(rows or [[10 if i == j else 20 for j in range(len(pxm_node))] for i in range(len(pxm_node))])
    return check_slit(decode_slit(build_slit(matrix)), t, pxm_node)


def test_slit_entry_below_10_is_invalid_and_rejected_by_linux():
    (f,) = slit_findings([[10, 9], [9, 10]], {0: 0, 1: 1})
    assert (f.code, f.severity) == ("slit-invalid", "error")
    assert "off-diagonal" in f.message and "Linux ignores it" in f.message


def test_slit_unreachable_between_used_domains():
    (f,) = slit_findings([[10, 255], [255, 10]], {0: 0, 1: 1})
    assert (f.code, f.severity) == ("slit-invalid", "error")
    assert "unreachable (255)" in f.message and "Linux uses it as it is" in f.message


def test_slit_unreachable_towards_an_unused_locality_is_fine():
    assert slit_findings([[10, 20, 255], [20, 10, 255], [255, 255, 10]], {0: 0, 1: 1}) == []


def test_slit_too_small_for_the_domains():
    (f,) = slit_findings([[10, 20], [20, 10]], {0: 0, 1: 1, 2: 2})
    assert (f.code, f.severity) == ("slit-invalid", "warning")
    assert "2 localities but SRAT uses PXM 2" in f.message


def test_slit_asymmetric():
    (f,) = slit_findings([[10, 21], [31, 10]], {0: 0, 1: 1})
    assert (f.code, f.severity, f.nodes) == ("slit-asymmetric", "warning", (0, 1))


def test_distances_go_through_the_pxm_map():
    # CPU domains 0 and 2 first, memory-only domain 1 last: PXM 0 -> node 0, PXM 2 -> node 1, PXM 1 -> node 2.
    slit = decode_slit(build_slit([[10, 17, 21], [17, 10, 28], [21, 28, 10]]))
    pxm_node = {0: 0, 2: 1, 1: 2}
    good = topo([[10, 21, 17], [21, 10, 28], [17, 28, 10]])
    assert check_distances(slit, good, pxm_node) == []
    (f,) = check_distances(slit, topo([[10, 17, 21], [17, 10, 28], [21, 28, 10]]), pxm_node)
    assert f.code == "distance-mismatch" and f.nodes == (0, 1, 2)


def test_kernel_fallback_to_10_20_with_a_valid_slit_is_named():
    slit = decode_slit(build_slit([[10, 21], [21, 10]]))
    (f,) = check_distances(slit, topo([[10, 20], [20, 10]]), {0: 0, 1: 1})
    assert "fell back to 10/20" in f.message


def test_invalid_slit_expects_the_default_distances():
    slit = decode_slit(build_slit([[10, 21], [21, 20]]))
    assert check_distances(slit, topo([[10, 20], [20, 10]]), {0: 0, 1: 1}) == []
    (f,) = check_distances(slit, topo([[10, 21], [21, 10]]), {0: 0, 1: 1})
    assert "the SLIT is invalid, so the kernel should use 10/20" in f.message
