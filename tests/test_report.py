"""`numaprobe report` and `probe --format svg` as a browser shows them: each page is rendered by headless Chromium
(tests/chromium.py) and its DOM checked against oracles -- lstopo 2.9's expected output for the hwloc corpus,
the QEMU command line inside each capture -- and its 1280-pixel screenshot checked for size and content.
Chromium starts once per page and kind (dump, screenshot): about a second each."""

from __future__ import annotations

import os
import re
import tarfile
import xml.etree.ElementTree as ET
from html import unescape
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from audit import run_audited
from chromium import decode_png, dump_dom, ink, screenshot
from oracles import FIXTURES, HWLOC_CORPUS, need_shared, run_numaprobe

M64 = HWLOC_CORPUS / "256ia64-64n2s2c.tar.bz2"
# 2 CPU nodes and a memory-only node with HMAT (base capture 2s2c-3node-hmat-cache), sysfs access0 edited so
# that check reports hmat-mismatch on node 2 (sysfs_fixtures/tools/make_edited.py).
HMAT = FIXTURES / "edited" / "hmat-mismatch.tar.gz"
NPS4 = FIXTURES / "2s8c2t-8node-nps4-nvme.tar.gz"


# -- oracles ------------------------------------------------------------------------------------------------

def lstopo_output(path: Path) -> Tuple[List[int], Dict[Tuple[int, int], int]]:
    """NUMA node P# ids and the latency matrix (P# to P#) of lstopo's expected output for a corpus tarball."""
    lines = path.read_text().splitlines()
    logical = {}
    for line in lines:
        m = re.search(r"NUMANode L#(\d+) \(P#(\d+)", line)
        if m:
            logical[int(m.group(1))] = int(m.group(2))
    start = next(i for i, line in enumerate(lines) if line.startswith("Relative latency matrix"))
    cols = [logical[int(x)] for x in lines[start + 1].split()[1:]]
    matrix = {}
    for line in lines[start + 2:start + 2 + len(cols)]:
        row = line.split()
        for col, value in zip(cols, row[1:]):
            matrix[(logical[int(row[0])], col)] = int(value)
    return sorted(logical.values()), matrix


def qemu_cmdline(tarball: Path) -> List[str]:
    with tarfile.open(tarball) as tar:
        member = next(m for m in tar.getmembers() if m.name.lstrip("./") == "qemu-cmdline.txt")
        return tar.extractfile(member).read().decode().split()


def qemu_hmat(tarball: Path) -> Dict[Tuple[str, int, int], int]:
    """(latency|bandwidth, initiator, target) -> ns or MB/s, from -numa hmat-lb options (QEMU's units: ns, and
    bandwidth with a binary suffix, which Linux shows in MB/s = MiB/s)."""
    out = {}
    for arg in qemu_cmdline(tarball):
        if not arg.startswith("hmat-lb,"):
            continue
        kv = dict(p.split("=", 1) for p in arg.split(",")[1:])
        if "latency" in kv:
            out[("latency", int(kv["initiator"]), int(kv["target"]))] = int(kv["latency"])
        else:
            value = kv["bandwidth"]
            scale = {"M": 1, "G": 1024, "T": 1024 * 1024}[value[-1]]
            out[("bandwidth", int(kv["initiator"]), int(kv["target"]))] = int(value[:-1]) * scale
    return out


# -- reading the rendered DOM -------------------------------------------------------------------------------

def section(dom: str, heading: str) -> str:
    """The DOM from an <h2> to the next one."""
    start = dom.index("<h2>%s" % heading)
    end = dom.find("<h2>", start + 4)
    return dom[start:end if end > 0 else len(dom)]


def heat_cells(fragment: str, table: int = 0) -> Dict[Tuple[int, int], str]:
    """(row header, column header) -> cell text of the table-th heat map in a DOM fragment."""
    tables = re.findall(r'<table class="heat">(.*?)</table>', fragment, re.S)
    body = tables[table]
    cols = [int(c) for c in re.findall(r'<th scope="col">(\d+)</th>', body)]
    cells = {}
    for row, tds in re.findall(r'<tr><th scope="row">(\d+)</th>(.*?)</tr>', body, re.S):
        values = re.findall(r"<td[^>]*>([^<]*)</td>", tds)
        assert len(values) == len(cols)
        for col, value in zip(cols, values):
            cells[(int(row), col)] = value
    return cells


def visible_text(fragment: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", fragment))


@pytest.fixture(scope="module")
def pages(scratch_dir):
    need_shared(M64)
    out = {}
    for name, tarball, extra in (("m64", M64, ()), ("hmat", HMAT, ()),
                                 ("nps4", NPS4, ("--advise", "vcpus=8,memory=1G"))):
        path = scratch_dir / ("report-%s.html" % name)
        run_numaprobe("report", "--root", str(tarball), "-o", str(path), *extra)
        out[name] = path
    return out


# -- the 64-node machine ------------------------------------------------------------------------------------

@pytest.mark.oracle
def test_64_node_report_shows_lstopo_facts(pages):
    nodes, latency = lstopo_output(M64.with_name("256ia64-64n2s2c.output"))
    dom = dump_dom(pages["m64"])
    assert "%d NUMA nodes" % len(nodes) in visible_text(dom.split("<h2>")[0])  # the summary at the top
    cells = heat_cells(section(dom, "Node distances"))
    assert len(cells) == len(nodes) ** 2 == 4096
    assert {k: int(v) for k, v in cells.items()} == latency
    # the capture has no ACPI tables at all (no sys/firmware member): check says so, once, for nodes 0-63
    with tarfile.open(M64) as tar:
        assert not any("sys/firmware/acpi" in m.name for m in tar.getmembers())
    findings = visible_text(section(dom, "Findings"))
    assert findings.count("node-without-srat") == 1 and "nodes 0-63" in findings and "INFO" in findings
    # the drawing folds the 64 alike nodes into one box that says so
    drawing = section(dom, "Topology")
    boxes = node_boxes(drawing)
    assert list(boxes) == [0] and "64 alike: nodes 0-63" in boxes[0]
    # the per-node table has every node, and nothing is fetched from anywhere
    assert len(re.findall(r'<tr><th scope="row">\d+</th><td>CPUs and memory', dom)) == 64
    html = pages["m64"].read_text()
    assert not re.search(r"<script|<link|<img|@import|url\((?!#)|src=|href=", html)


@pytest.mark.oracle
def test_64_node_screenshot_is_a_picture(pages, scratch_dir):
    width, height, pixels = decode_png(screenshot(pages["m64"], scratch_dir / "m64.png"))
    assert (width, height) == (1280, 900)
    share, colours = ink(pixels)
    # text, boxes and the heat map: well over a tenth of the page is not white, in many colours
    assert share > 0.10 and colours > 50, (share, colours)


# -- HMAT and a finding ---------------------------------------------------------------------------------------

@pytest.mark.oracle
def test_hmat_report_shows_qemu_values_and_the_finding(pages):
    expected = qemu_hmat(HMAT)
    assert expected, "the capture's QEMU command line has hmat-lb options"
    dom = dump_dom(pages["hmat"])
    perf = section(dom, "Memory performance")
    latency, bandwidth = heat_cells(perf, 0), heat_cells(perf, 1)
    for (kind, i, t), value in expected.items():
        assert (latency if kind == "latency" else bandwidth)[(i, t)] == str(value), (kind, i, t)
    findings = section(dom, "Findings")
    assert "hmat-mismatch" in findings and "WARNING" in visible_text(findings)
    drawing = visible_text(section(dom, "Topology"))
    assert "MEMORY ONLY" in drawing and "Node 2" in drawing  # QEMU node 2 has memory and no -numa cpu


# -- the NPS4 machine with devices, and the placement -----------------------------------------------------------

def _pxb_nodes(tarball: Path) -> Dict[int, int]:
    """PCI bus number -> NUMA node of each pxb-pcie expander bus on the QEMU command line."""
    out = {}
    for arg in qemu_cmdline(tarball):
        if arg.startswith("pxb-pcie,"):
            kv = dict(p.split("=", 1) for p in arg.split(",")[1:])
            out[int(kv["bus_nr"])] = int(kv["numa_node"])
    return out


def node_boxes(fragment: str) -> Dict[int, str]:
    """node id -> all text drawn inside its box, from the inline SVG of a DOM fragment (parsed as XML)."""
    svg = ET.fromstring(re.search(r"<svg .*?</svg>", fragment, re.S).group(0))
    ns = "{http://www.w3.org/2000/svg}"
    out = {}
    for g in svg.iter(ns + "g"):
        first = next(iter(g), None)
        title = first.find(ns + "title") if first is not None else None
        # a node's box is a group whose first child is its class="node ..." rect titled "node N" (legend
        # swatches share the class, without a title)
        if first.tag == ns + "rect" and "node" in first.get("class", "").split() and title is not None:
            out[int(title.text.split()[1])] = " ".join(t.text or "" for t in g.iter(ns + "text"))
    return out


@pytest.mark.oracle
def test_nps4_report_draws_devices_at_their_nodes_and_the_placement(pages, scratch_dir):
    buses = _pxb_nodes(NPS4)
    assert len(buses) == 2
    dom = dump_dom(pages["nps4"])
    text_of = node_boxes(section(dom, "Topology"))
    assert sorted(text_of) == list(range(8))  # 8 nodes, none folded
    for bus, node in buses.items():
        # the device behind the expander bus sits on its root port's secondary bus, bus_nr + 1
        address = "0000:%02x:00.0" % (bus + 1)
        assert [n for n, t in text_of.items() if address in t] == [node], address
    placed = [n for n, t in text_of.items() if "PLACED" in t]
    assert placed and all("advise:" in text_of[n] for n in placed)
    assert "<h2>Placement advice" in dom
    width, height, pixels = decode_png(screenshot(pages["nps4"], scratch_dir / "nps4.png"))
    assert width == 1280 and ink(pixels)[0] > 0.10


# -- probe --format svg ---------------------------------------------------------------------------------------

@pytest.mark.oracle
def test_probe_svg_parses_and_renders(scratch_dir):
    proc = run_numaprobe("probe", "--root", str(NPS4), "--format", "svg")
    root = ET.fromstring(proc.stdout)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    ns = {"s": "http://www.w3.org/2000/svg"}
    cpu_labels = sorted(int(t.text) for t in root.iterfind(".//s:text[@class='c']", ns) if t.text.isdigit())
    args = qemu_cmdline(NPS4)
    smp = args[args.index("-smp") + 1]
    assert cpu_labels == list(range(int(smp.split(",")[0])))  # -smp N,...: every CPU drawn once
    svg = scratch_dir / "nps4.svg"
    svg.write_text(proc.stdout)
    width, height, pixels = decode_png(screenshot(svg, scratch_dir / "nps4-svg.png", 1280, 700))
    share, colours = ink(pixels)
    assert width == 1280 and share > 0.05 and colours > 20, (share, colours)


# -- what report writes ---------------------------------------------------------------------------------------

def test_report_writes_only_its_output_file(tmp_path):
    out = tmp_path / "out" / "host.html"
    out.parent.mkdir()
    run = run_audited(["report", "--root", str(NPS4), "-o", str(out)], cwd=str(tmp_path))
    assert run.code == 0 and run.out == "", run.err
    sibling = str(out.parent / ".host.html.")
    for e in run.events:
        where = " ".join(map(str, e[1:]))
        if e[0] == "open-for-write" and re.match(r"^\d+ ", where):
            continue  # fdopen of the temporary file's descriptor
        assert sibling in where or "'%s'" % out in where, e
    assert sorted(p.name for p in out.parent.iterdir()) == ["host.html"]
    umask = os.umask(0o022)
    os.umask(umask)
    assert out.read_text().startswith("<!DOCTYPE html>") and out.stat().st_mode & 0o777 == 0o666 & ~umask


def test_report_refuses_to_replace_a_symlink(tmp_path):
    elsewhere = tmp_path / "elsewhere.html"
    elsewhere.write_text("keep me")
    (tmp_path / "r.html").symlink_to(elsewhere)
    proc = run_numaprobe("report", "--root", str(NPS4), "-o", str(tmp_path / "r.html"), check=False)
    assert proc.returncode == 2 and "not a regular file" in proc.stderr and elsewhere.read_text() == "keep me"


# -- 256 nodes: folded drawing, scrolling matrix --------------------------------------------------------------

def test_256_nodes_fold_into_one_box_and_the_matrix_scrolls():
    from numaprobe.advise.synthetic import grid
    from numaprobe.render.report_html import ReportInput, report_html

    topo = grid(16, 16)  # 16 sockets x 16 nodes of 16 threads: every node alike
    html = report_html(ReportInput(topo))
    boxes = node_boxes(section(html, "Topology"))
    assert list(boxes) == [0] and "16 alike: nodes 0-15" in boxes[0]
    svg = ET.fromstring(re.search(r"<svg .*?</svg>", section(html, "Topology"), re.S).group(0))
    tiles = [r for r in svg.iter("{http://www.w3.org/2000/svg}rect") if "tile" in r.get("class", "").split()]
    assert len(tiles) == 256 and int(svg.get("height")) < 1000  # every node still visible, on one screen
    cells = heat_cells(section(html, "Node distances"))
    assert len(cells) == 256 * 256 and cells[(0, 255)] == "32" and cells[(17, 16)] == "12"
    assert re.search(r"\.heatwrap\{overflow:auto;max-height:", html)


def test_gpu_memory_nodes_are_labelled_as_lstopo_names_them():
    tarball = need_shared(HWLOC_CORPUS / "nvidiagpunumanodes.tar.bz2")
    # hwloc's expected output with GPU memory nodes kept: NUMANode(GPUMemory) ... (P#N ...)
    kept = tarball.with_name("nvidiagpunumanodes.kept.output").read_text()
    gpu = sorted(int(p) for p in re.findall(r"NUMANode\(GPUMemory\) L#\d+ \(P#(\d+)", kept))
    assert len(gpu) == 6
    boxes = node_boxes(run_numaprobe("probe", "--root", str(tarball), "--format", "svg").stdout)
    assert sorted(n for n, t in boxes.items() if "GPU MEMORY" in t) == gpu
    assert all("GPU MEMORY" not in boxes[n] for n in boxes if n not in gpu)
