"""One place for the external oracles (lstopo, iasl, ...) and the shared corpus. Tests skip, with the reason,
when a tool or ../shared is missing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("NUMAPROBE_SHARED", REPO.parent / "shared"))
HWLOC_CORPUS = SHARED / "corpus" / "hwloc-linux"
QEMU_CORPUS = SHARED / "corpus" / "qemu"
ACPI_CORPUS = SHARED / "corpus" / "acpi"
FIXTURES = REPO / "sysfs_fixtures"
SCRATCH = Path("/dev/shm") if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


def need_shared(path: Path) -> Path:
    if not path.exists():
        pytest.skip("shared test data %s is absent (it lives beside the repo as ../shared)" % path)
    return path


def need_tool(name: str) -> str:
    exe = shutil.which(name)
    if exe is None:
        pytest.skip("oracle %s is not installed (.ci/run installs it with apt)" % name)
    return exe


def hwloc_tarballs() -> List[Path]:
    if not HWLOC_CORPUS.exists():
        return []
    return sorted(HWLOC_CORPUS.glob("*.tar.bz2")) + sorted((HWLOC_CORPUS / "extra").glob("*.tar.bz2"))


def qemu_tarballs() -> List[Path]:
    return sorted(QEMU_CORPUS.glob("*.tar.gz")) if QEMU_CORPUS.exists() else []


def fixture_tarballs(sub: str = "") -> List[Path]:
    base = FIXTURES / sub if sub else FIXTURES
    return sorted(base.glob("*.tar.gz")) if base.exists() else []


def run_numaprobe(*args: str, check: bool = True, env: Optional[dict] = None) -> subprocess.CompletedProcess:
    """Run the CLI as a user would, in a separate process, from this checkout."""
    e = dict(os.environ)
    e["PYTHONPATH"] = str(REPO) + os.pathsep + e.get("PYTHONPATH", "")
    if env:
        e.update(env)
    proc = subprocess.run([sys.executable, "-m", "numaprobe", *args], capture_output=True, text=True, env=e,
                          timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError("numaprobe %s exited %d: %s" % (" ".join(args), proc.returncode, proc.stderr))
    return proc


def numaprobe_json(*args: str) -> dict:
    return json.loads(run_numaprobe(*args, "--json").stdout)


def unpack(tarball: Path, dest: Path) -> Path:
    """Unpack into dest (under /dev/shm: disk is slow here) and return the tree root holding sys/ and proc/."""
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tarball) as tf:
        members = [m for m in tf.getmembers() if not (m.isdev() or m.islnk())]
        if hasattr(tarfile, "data_filter"):
            tf.extractall(dest, members=members, filter="tar")
        else:
            tf.extractall(dest, members=members)
    if (dest / "sys").exists() or (dest / "proc").exists():
        return dest
    for sub in sorted(dest.iterdir()):
        if (sub / "sys").exists() or (sub / "proc").exists():
            return sub
    return dest


# ---- lstopo ---------------------------------------------------------------------------------------------

def _hwloc_set(text: Optional[str]) -> Tuple[int, ...]:
    if not text:
        return ()
    # hwloc bitmaps: 32-bit words, most significant first, "0x" each, unpadded; an empty word is zero.
    value = 0
    for word in text.split(","):
        word = word[2:] if word.startswith("0x") else word
        value = (value << 32) | int(word or "0", 16)
    out = []
    i = 0
    while value:
        if value & 1:
            out.append(i)
        value >>= 1
        i += 1
    return tuple(out)


@dataclass
class LstopoFacts:
    nodes: Dict[int, Tuple[Tuple[int, ...], int]]  # os_index -> (cpuset, local_memory)
    distances: Optional[Dict[Tuple[int, int], int]]
    packages: int
    cores: int
    pus: int


def lstopo_facts(tree: Path, extra_env: Optional[Dict[str, str]] = None) -> LstopoFacts:
    exe = need_tool("lstopo-no-graphics")
    env = dict(os.environ, LANG="C", LC_ALL="C", HWLOC_COMPONENTS="linux,stop", HWLOC_FSROOT=str(tree))
    if extra_env:
        env.update(extra_env)
    # --disallowed: count what is online even outside the capture's cpuset, as numaprobe's summary does.
    out = subprocess.run([exe, "--of", "xml", "--disallowed", "-"], capture_output=True, text=True, env=env,
                         timeout=120, check=True).stdout
    xml = ET.fromstring(out)
    nodes = {}
    counts = {"Package": 0, "Core": 0, "PU": 0}
    for obj in xml.iter("object"):
        t = obj.get("type")
        if t == "NUMANode":
            nodes[int(obj.get("os_index"))] = (_hwloc_set(obj.get("cpuset")), int(obj.get("local_memory") or 0))
        elif t in counts:
            counts[t] += 1
    distances = None
    for d in xml.iter("distances2"):
        if d.get("type") != "NUMANode" or d.get("name") not in (None, "NUMALatency"):
            continue
        idx = [int(v) for e in d.iter("indexes") for v in (e.text or "").split()]
        vals = [int(v) for e in d.iter("u64values") for v in (e.text or "").split()]
        n = len(idx)
        distances = {(idx[i], idx[j]): vals[i * n + j] for i in range(n) for j in range(n)}
    return LstopoFacts(nodes, distances, counts["Package"], counts["Core"], counts["PU"])


def parse_env_file(path: Path) -> Dict[str, str]:
    env = {}
    if path.exists():
        for line in path.read_text().splitlines():
            line = line.strip()
            if line.startswith("export "):
                line = line[len("export "):]
            if "=" in line and not line.startswith("#"):
                k, _, v = line.partition("=")
                env[k.strip()] = v.strip().strip("'\"")
    return env
