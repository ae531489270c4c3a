"""The topology drawing's stylesheet, patterns and labels (render/topology_svg.py draws with them)."""

from __future__ import annotations

from numaprobe.model.topology import Device

STYLE = """
.bg{fill:#fff}.pkg{fill:#f1f3f5;stroke:#495057;stroke-width:1.5}.node,.tile{fill:#fff;stroke:#1c7ed6;
stroke-width:1.5}.node.memonly,.tile.memonly{fill:url(#np-hatch);stroke:#7048e8}.node.nomem,.tile.nomem{
stroke:#e8590c;stroke-dasharray:5 3}.node.placed,.tile.placed{stroke:#2b8a3e;stroke-width:4}.core{fill:#e9ecef;stroke:#868e96}.sub{fill:none;stroke:#adb5bd;
stroke-dasharray:3 2}.cpu{fill:#d0ebff;stroke:#4dabf7}.cpu.off{fill:#fff;stroke:#ced4da;stroke-dasharray:2 2}
.cpu.placed{fill:url(#np-dots);stroke:#2b8a3e;stroke-width:2.5}.track{fill:#fff;stroke:#495057}
.used{fill:#495057}.dev{fill:#fff3bf;stroke:#e67700}.tag{fill:#343a40}.tag.placed{fill:#2b8a3e}
.tag.memonly{fill:#7048e8}.tag.nomem{fill:#e8590c}
text{fill:#212529;font-size:12px}.h{font-size:14px;font-weight:bold}.t{font-size:16px;font-weight:bold}
.c{font-size:11px}.small{font-size:11px;fill:#495057}.tagt{font-size:10px;font-weight:bold;fill:#fff}
.cpu.placed+text{font-weight:bold}
"""
DEFS = ('<pattern id="np-hatch" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<rect width="8" height="8" fill="#f3f0ff"/><line x1="0" y1="0" x2="0" y2="8" stroke="#b197fc" '
        'stroke-width="3"/></pattern><pattern id="np-dots" width="6" height="6" patternUnits="userSpaceOnUse">'
        '<rect width="6" height="6" fill="#d3f9d8"/><circle cx="1.5" cy="1.5" r="0.9" fill="#69db7c"/></pattern>')

PCI_CLASSES = {"0x0108": "NVMe", "0x0106": "SATA", "0x0104": "RAID", "0x0107": "SAS", "0x01": "storage",
               "0x02": "network", "0x03": "display", "0x04": "multimedia", "0x05": "memory", "0x06": "bridge",
               "0x07": "communication", "0x08": "system", "0x0c03": "USB", "0x0c": "serial bus",
               "0x0b": "processor", "0x12": "accelerator", "0x00": "unclassified"}


# Node.device_memory (model/node_extras.py) -> the tag drawn; the kernel's own name for anything else.
DEVICE_MEMORY = {"gpu-memory-node": "GPU MEMORY", "soft-reserved": "SOFT-RESERVED",
                 "device-initiator": "DEVICE-ATTACHED"}


def pci_kind(device: Device) -> str:
    cls = (device.pci_class or "").lower()
    for prefix in (cls[:6], cls[:4]):
        if prefix in PCI_CLASSES:
            return PCI_CLASSES[prefix]
    return "device"
