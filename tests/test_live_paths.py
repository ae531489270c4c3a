"""On the live host, the live-only libraries (pyudev, psutil) and the plain files give the same facts, so a
capture of this host reads the same as the host itself."""

from __future__ import annotations

import pytest

from numaprobe.readers.devices import read_pci_devices_from_files, read_pci_devices_udev
from numaprobe.readers.meminfo import read_meminfo
from numaprobe.source.root import open_root


def test_pyudev_and_sysfs_files_agree_on_pci_locality():
    root = open_root(None)
    from_files = read_pci_devices_from_files(root)
    try:
        from_udev = read_pci_devices_udev()
    except Exception as e:  # pragma: no cover - a container without libudev
        pytest.skip("pyudev cannot enumerate devices here: %s" % e)
    if not from_files:
        pytest.skip("this machine exposes no PCI devices")
    assert from_udev == from_files


def test_psutil_and_meminfo_agree_on_total_memory():
    psutil = pytest.importorskip("psutil")
    assert psutil.virtual_memory().total == read_meminfo(open_root(None))["MemTotal"]


def test_psutil_and_sysfs_agree_on_cpu_count():
    psutil = pytest.importorskip("psutil")
    from numaprobe.model.build import build_topology

    topo = build_topology(open_root(None))
    assert len(topo.online_cpus) == psutil.cpu_count(logical=True)
