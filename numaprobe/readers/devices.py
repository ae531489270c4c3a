"""PCI devices' NUMA locality: pyudev on the live host, the captured sysfs files offline. Same result."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Tuple

from numaprobe.readers.cpumask import parse_cpulist, parse_cpumask
from numaprobe.source.root import Root

PCI_DIR = "sys/bus/pci/devices"
CAPTURE_PCI_ATTRS = ("numa_node", "local_cpulist", "local_cpus", "vendor", "device", "class")


@dataclass(frozen=True)
class RawDevice:
    address: str
    numa_node: Optional[int]  # None for -1 ("no locality known") or an unreadable file
    local_cpus: Optional[Tuple[int, ...]]
    vendor: Optional[str]
    device: Optional[str]
    pci_class: Optional[str]


def _numa_node(text: Optional[str]) -> Optional[int]:
    try:
        n = int(text) if text is not None else -1
    except ValueError:
        return None
    return n if n >= 0 else None


def _device_from_attrs(address: str, get: Callable[[str], Optional[str]]) -> RawDevice:
    local = parse_cpulist(get("local_cpulist"))
    if local is None:
        local = parse_cpumask(get("local_cpus"))
    return RawDevice(
        address=address,
        numa_node=_numa_node(get("numa_node")),
        local_cpus=local,
        vendor=get("vendor"),
        device=get("device"),
        pci_class=get("class"),
    )


def read_pci_devices_from_files(root: Root) -> Tuple[RawDevice, ...]:
    out = []
    for address in root.try_listdir(PCI_DIR):
        base = "%s/%s" % (PCI_DIR, address)
        out.append(_device_from_attrs(address, lambda name, b=base: root.read_text("%s/%s" % (b, name))))
    return tuple(sorted(out, key=lambda d: d.address))


# libudev's soname since systemd 183 (2012); dlopen finds it through ld.so.cache without running anything.
LIBUDEV_SONAME = "libudev.so.1"


def _udev_context():
    """A pyudev.Context whose libudev is loaded by soname, as Debian's pyudev does.

    Upstream pyudev (PyPI 0.24.x) looks libudev up with ctypes.util.find_library("udev"), which runs
    `/sbin/ldconfig -p` (then gcc or ld when that fails): a process started on every live run, which the read-only
    proof (tests/test_readonly.py) refuses. Debian's pyudev asks for "libudev.so.1" and skips the lookup. Both
    call find_library through pyudev._ctypeslib.utils, so while the Context is made that name answers with the
    soname."""
    import pyudev
    from pyudev._ctypeslib import utils

    find = getattr(utils, "find_library", None)
    if find is None:  # a future pyudev that no longer looks libraries up this way
        return pyudev.Context()
    utils.find_library = lambda name: LIBUDEV_SONAME if name in ("udev", LIBUDEV_SONAME) else find(name)
    try:
        return pyudev.Context()
    finally:
        utils.find_library = find


def read_pci_devices_udev() -> Tuple[RawDevice, ...]:
    """The live host's PCI devices through pyudev (libudev's view of sysfs)."""
    context = _udev_context()
    out = []
    for dev in context.list_devices(subsystem="pci"):
        attrs = dev.attributes

        def get(name: str, attrs=attrs) -> Optional[str]:
            try:
                value = attrs.get(name)
            except Exception:  # pyudev raises various errors for unreadable attributes; treat as absent
                return None
            if value is None:
                return None
            return value.decode("utf-8", "replace").replace("\x00", "").strip()

        out.append(_device_from_attrs(dev.sys_name, get))
    return tuple(sorted(out, key=lambda d: d.address))


def read_pci_devices(root: Root) -> Tuple[RawDevice, ...]:
    if root.kind == "live":
        try:
            return read_pci_devices_udev()
        except Exception:  # no libudev in a minimal container: the files say the same
            return read_pci_devices_from_files(root)
    return read_pci_devices_from_files(root)
