"""sys/class/dmi/id: the machine's identity as firmware gives it (drivers/firmware/dmi-id.c), for fleets.

hwloc-gather-topology and sos's hardware plugin copy this directory; numaprobe capture keeps the same files.
Serial numbers and UUIDs are never read (they are root-only and say nothing about NUMA).
"""

from __future__ import annotations

from typing import Dict

from numaprobe.source.root import Root

DMI_DIR = "sys/class/dmi/id"
DMI_FIELDS = ("sys_vendor", "product_name", "product_version", "board_vendor", "board_name", "bios_vendor",
              "bios_version", "bios_date")
CAPTURE_FILES = tuple("%s/%s" % (DMI_DIR, f) for f in DMI_FIELDS)
# What firmware writes when it has nothing to say (SMBIOS spec 3.x examples; dmidecode prints them as is).
PLACEHOLDERS = {"", "to be filled by o.e.m.", "not specified", "default string", "system product name",
                "system manufacturer", "none", "n/a", "0123456789"}


def read_dmi(root: Root) -> Dict[str, str]:
    """field -> value for the identity fields present and not placeholders."""
    out: Dict[str, str] = {}
    names = set(root.try_listdir(DMI_DIR))
    for name in DMI_FIELDS:
        if name in names:
            value = " ".join((root.read_text("%s/%s" % (DMI_DIR, name)) or "").split())
            if value.lower() not in PLACEHOLDERS:
                out[name] = value
    return out
