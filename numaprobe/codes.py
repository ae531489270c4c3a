"""Every stable code numaprobe prints: the findings of `check` with the severities each may have, and the note
codes of every document, by where they appear in docs/json.md. One place, so a new code is added here, in
docs/json.md and where it is raised (tests/test_codes.py checks that the three agree).

No imports: every layer (acpi, readers, model, analysis, render) may use it.
"""

ERROR = "error"
WARNING = "warning"
INFO = "info"
SEVERITIES = (ERROR, WARNING, INFO)

# -- check findings: code -> the severities it may carry (the first is the usual one) --------------------------
# Root causes: the kernel did not use the firmware's NUMA description. Findings that only follow from a root
# cause are attached to it as consequences and not counted.
KERNEL_NUMA_OFF = "kernel-numa-off"
KERNEL_FAKE_NUMA = "kernel-fake-numa"
SRAT_REJECTED = "srat-rejected"
# Firmware against the kernel's nodes.
PXM_NODE_MAP = "pxm-node-map"
CPU_NOT_IN_SRAT = "cpu-not-in-srat"
CPU_NODE_MISMATCH = "cpu-node-mismatch"
CPU_ENTRIES_UNMATCHED = "cpu-entries-unmatched"
MEMORY_NOT_COVERED = "memory-not-covered"
MEMORY_NODE_MISMATCH = "memory-node-mismatch"
HOTPLUG_RANGE = "hotplug-range"
SLIT_MISSING = "slit-missing"
SLIT_INVALID = "slit-invalid"
SLIT_ASYMMETRIC = "slit-asymmetric"
DISTANCE_MISMATCH = "distance-mismatch"
HMAT_MISMATCH = "hmat-mismatch"
CPULESS_NODE = "cpuless-node"
MEMORYLESS_NODE = "memoryless-node"
NODE_WITHOUT_SRAT = "node-without-srat"
SRAT_ABSENT = "srat-absent"
TABLE_CHECKSUM = "table-checksum"
DISABLED_ENTRY_DATA = "disabled-entry-data"
TABLES_UNREADABLE = "tables-unreadable"

FINDINGS = {
    KERNEL_NUMA_OFF: (WARNING,),
    KERNEL_FAKE_NUMA: (INFO,),
    SRAT_REJECTED: (ERROR,),
    PXM_NODE_MAP: (ERROR,),
    CPU_NOT_IN_SRAT: (ERROR,),
    CPU_NODE_MISMATCH: (ERROR,),
    CPU_ENTRIES_UNMATCHED: (INFO,),
    MEMORY_NOT_COVERED: (ERROR, INFO),
    MEMORY_NODE_MISMATCH: (ERROR,),
    HOTPLUG_RANGE: (INFO,),
    SLIT_MISSING: (WARNING,),
    SLIT_INVALID: (ERROR, WARNING),
    SLIT_ASYMMETRIC: (WARNING,),
    DISTANCE_MISMATCH: (ERROR,),
    HMAT_MISMATCH: (WARNING,),
    CPULESS_NODE: (INFO,),
    MEMORYLESS_NODE: (INFO,),
    NODE_WITHOUT_SRAT: (INFO, WARNING),
    SRAT_ABSENT: (WARNING,),
    TABLE_CHECKSUM: (WARNING,),
    DISABLED_ENTRY_DATA: (INFO,),
    TABLES_UNREADABLE: (INFO,),
}

# -- notes: code lists by document (the docs/json.md section that lists them) --------------------------------------
NOTES = {
    "probe": (
        "sparse-node-ids", "node-dir-missing", "node-not-online", "node-cpulist-missing", "node-cpus-unreadable",
        "overlapping-node-cpus", "cpu-online-missing", "cpu-not-in-sysfs", "cpu-without-topology", "offline-cpus",
        "cpu-without-node", "package-id-unusable", "package-id-duplicate", "core-info-missing",
        "package-info-missing", "amd-compute-units", "siblings-distinct-core-ids", "distance-missing",
        "distance-row-long", "distance-row-short", "has-cpu-empty", "has-cpu-disagrees", "has-memory-disagrees",
        "cpuless-node", "memoryless-node", "no-numa-nodes", "node-straddles-packages", "hmat-initiators",
        "gpu-memory-node", "device-memory-node", "cpuset-restricted", "mems-restricted", "nul-terminated-values",
        "files-unreadable", "node-memory-sum", "sos-fact-source",
    ),
    "memory_map": (
        "chunks-from-memory-blocks", "chunks-unknown", "chunks-no-nodes", "chunks-ram-without-node",
        "chunks-hotplug-node-from-blocks", "chunks-single-kernel-node", "chunks-nodes-from-blocks",
    ),
    "acpi": ("acpi-table-absent", "acpi-table-unreadable", "acpi-table-undecodable"),
    "tables": (
        "acpi-bad-checksum", "acpi-table-truncated", "acpi-trailing-bytes",
        "srat-zero-length", "srat-subtable-past-end", "srat-trailing-bytes", "srat-unknown-type",
        "srat-subtable-too-short", "srat-subtable-long", "srat-table-revision", "srat-unknown-revision",
        "srat-reserved-nonzero", "srat-reserved-flags", "srat-specific-purpose",
        "slit-bad-diagonal", "slit-reserved-distance", "slit-remote-is-local", "slit-truncated",
        "slit-length-mismatch", "slit-empty", "slit-ignored-by-linux",
        "hmat-unknown-revision", "hmat-zero-length", "hmat-structure-past-end", "hmat-trailing-bytes",
        "hmat-unknown-type", "hmat-structure-too-short", "hmat-structure-long", "hmat-bad-length",
        "hmat-reserved-nonzero", "hmat-reserved-flags", "hmat-bad-memory-hierarchy", "hmat-bad-data-type",
        "hmat-zero-base-unit", "hmat-min-transfer-size", "hmat-cache-attributes-reserved",
    ),
    "physinfo": ("legacy-sockets-per-node-wrong", "cores-per-socket-differ", "threads-per-core-differ",
                 "cpus-outside-nodes"),
    "numastat": ("buddyinfo-unreadable",),
    "simulate": ("seed-node-totals", "seed-xen-dma-bitsize", "partial-placement"),
    "advise": ("no-single-socket", "spans-sockets", "overcommit", "device-elsewhere", "memory-only-use",
               "slow-tier-memory", "heuristic-search", "cost-source", "partial-option"),
}


def note_codes():
    """Every note code of every document."""
    return {c for codes in NOTES.values() for c in codes}
