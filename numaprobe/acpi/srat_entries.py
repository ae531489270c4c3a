"""SRAT's decoded forms: one frozen class per subtable layout, and SubtableType, the descriptor each subtable
type has in acpi/srat.py (so adding a type is one descriptor plus its test)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional, Tuple

from numaprobe.acpi._common import FieldsJson, TableBase, optional
from numaprobe.acpi.header import AcpiHeader
from numaprobe.notes import Note

ROLES = ("cpu", "memory", "initiator", "port", "device")


@dataclass(frozen=True)
class SubtableType:
    """Everything numaprobe knows about one SRAT subtable type, asked by the decoder, the PXM numbering
    (analysis/pxm.py), the cross-check and the text renderer."""

    code: int
    name: str  # as iasl prints it after "Subtable Type :" (ACPICA dmtbinfo3.c / dmtbdump3.c)
    layout: Any  # the construct Struct: the one description of the bytes
    entry_class: type
    decode: Callable[..., Any]  # (parsed construct container, common fields, SRAT header revision) -> entry
    defined_flags: Optional[int]  # flag bits the type defines (None: no flags field); others are reserved
    role: str  # cpu, memory, initiator (generic initiator), port (generic port), device (GIC ITS)
    id_field: Optional[str] = None  # the field naming the CPU or device
    id_kind: Optional[str] = None  # apic (x86 APIC ids, as /proc/cpuinfo shows), uid (ACPI processor UID), its
    id_format: str = "%d"  # how the text output shows the id
    id_label: str = ""

    @property
    def initiates(self) -> bool:
        """Linux's first numbering pass (acpi_numa_init) covers CPUs and generic initiators."""
        return self.role in ("cpu", "initiator")


@dataclass(frozen=True)
class SratEntryBase(FieldsJson):
    """What every entry carries: offset (from the table start), type, type_name, length, enabled; then each
    class adds proximity_domain (None only for raw entries) and its type's fields exactly as stored."""

    offset: int
    type: int
    type_name: str
    length: int
    enabled: bool


@dataclass(frozen=True)
class SratCpuAffinity(SratEntryBase):
    """Type 0. proximity_domain follows Linux: low 8 bits only when the SRAT header revision is 1."""

    proximity_domain: int
    proximity_domain_lo: int
    proximity_domain_hi: int
    apic_id: int
    sapic_eid: int
    clock_domain: int
    flags: int


@dataclass(frozen=True)
class SratMemoryAffinity(SratEntryBase):
    """Type 1. proximity_domain is the low 8 bits of proximity_domain_raw when the header revision is 1 (Linux).

    Firmware leaves real-looking ranges in disabled entries: look at ``enabled`` before using base/length.
    """

    proximity_domain: int
    proximity_domain_raw: int
    base_address: int
    range_length: int
    hot_pluggable: bool
    non_volatile: bool
    specific_purpose: bool
    flags: int
    reserved1: int
    reserved2: int
    reserved3: int

    @property
    def end_address(self) -> int:
        """One past the last byte of the range."""
        return self.base_address + self.range_length


@dataclass(frozen=True)
class SratX2apicAffinity(SratEntryBase):
    """Type 2: a CPU by its 32-bit x2APIC id."""

    proximity_domain: int
    x2apic_id: int
    clock_domain: int
    flags: int
    reserved1: int
    reserved2: int

    @property
    def apic_id(self) -> int:
        return self.x2apic_id


@dataclass(frozen=True)
class SratGiccAffinity(SratEntryBase):
    """Type 3 (arm64): a CPU by the ACPI processor UID of its MADT GICC entry."""

    proximity_domain: int
    acpi_processor_uid: int
    clock_domain: int
    flags: int


@dataclass(frozen=True)
class SratGicItsAffinity(SratEntryBase):
    """Type 4 (arm64). The structure has no flags; ``enabled`` is always True."""

    proximity_domain: int
    its_id: int
    reserved: int


@dataclass(frozen=True)
class SratGenericAffinity(SratEntryBase):
    """Types 5 (generic initiator) and 6 (generic port). The device handle is decoded by its type:
    0 ACPI (acpi_hid, acpi_uid), 1 PCI (pci_segment, pci_bdf and its bus/device/function)."""

    proximity_domain: int
    device_handle_type: int
    device_handle: bytes
    architectural_transactions: bool
    flags: int
    reserved1: int
    reserved2: int
    acpi_hid: Optional[str] = optional()
    acpi_uid: Optional[int] = optional()
    pci_segment: Optional[int] = optional()
    pci_bdf: Optional[int] = optional()
    pci_bus: Optional[int] = optional()
    pci_device: Optional[int] = optional()
    pci_function: Optional[int] = optional()
    handle_reserved: Optional[bytes] = optional()


@dataclass(frozen=True)
class SratRintcAffinity(SratEntryBase):
    """Type 7 (RISC-V): a hart by the ACPI processor UID of its MADT RINTC entry."""

    proximity_domain: int
    acpi_processor_uid: int
    clock_domain: int
    flags: int
    reserved: int


@dataclass(frozen=True)
class SratRawEntry(SratEntryBase):
    """A subtable numaprobe does not interpret: an unknown type, or one shorter than its type's layout.

    Kept whole (``raw`` is the subtable's bytes, header included). ``enabled`` is False: neither Linux nor
    numaprobe uses it.
    """

    proximity_domain: Optional[int]
    raw: bytes


SratEntry = SratEntryBase


@dataclass(frozen=True)
class SratTable(TableBase):
    header: AcpiHeader
    table_revision: int
    reserved: int
    entries: Tuple[SratEntry, ...]
    notes: Tuple[Note, ...]

    def of_type(self, type_code: int) -> Tuple[SratEntry, ...]:
        return tuple(e for e in self.entries if e.type == type_code)

    def of_role(self, role: str) -> Tuple[SratEntry, ...]:
        """Decoded entries whose type has this role (SubtableType.role), enabled or not, in table order."""
        from numaprobe.acpi.srat import subtable_type

        out = []
        for e in self.entries:
            t = subtable_type(e.type)
            if t is not None and t.role == role and not isinstance(e, SratRawEntry):
                out.append(e)
        return tuple(out)

    @property
    def memory(self) -> Tuple[SratMemoryAffinity, ...]:
        return self.of_role("memory")  # type: ignore[return-value]

    @property
    def cpus(self) -> Tuple[Any, ...]:
        """CPU entries of every kind (types 0, 2, 3, 7), enabled or not, in table order."""
        return self.of_role("cpu")

    def to_json(self) -> Dict[str, Any]:
        out = self.header_json()
        out["table_revision"] = self.table_revision
        out["entries"] = [e.to_json() for e in self.entries]
        return out


