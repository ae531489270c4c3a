"""The one exception the ACPI decoders raise (kept apart so that importing it never imports construct)."""

from __future__ import annotations


class AcpiTableError(ValueError):
    """The bytes cannot be decoded as the ACPI table they claim to be (too short, bad header, bad acpidump text).

    Problems *inside* a table that still decodes (bad checksum, truncated subtable, reserved bits set) are not
    raised: they become notes on the decoded table, as Linux and iasl keep going past them.
    """
