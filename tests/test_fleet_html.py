"""`numaprobe fleet ... --html FILE` as headless Chromium shows it: the planted outliers of tests/fleet_fixtures.py
(copies of one real QEMU capture, one edit each, so the expected outliers are known by construction) are the
rows labelled OUTLIER, each with the reason its plant implies; both hardware models are groups; the screenshot
at 1280 pixels is a picture."""

from __future__ import annotations

import re

import fleet_fixtures as ff
from chromium import decode_png, dump_dom, ink, screenshot
from oracles import run_numaprobe
from test_report import visible_text

# what each plant must be blamed for (analysis/fleet.py's criteria, docs/fleet.md)
BLAME = {"short-memory": "memory of node 1", "snc-off": "node count", "moved-cpu": "CPUs per node",
         "edited-distance": "distance matrix"}


def test_fleet_html_names_the_planted_outliers(scratch_dir):
    fleet = ff.build_fleet(scratch_dir / "fleet-html")
    page = scratch_dir / "fleet.html"
    proc = run_numaprobe("fleet", "--no-progress", "--html", str(page), *map(str, fleet.values()), check=False)
    assert proc.returncode == 1, proc.stderr  # outliers found
    assert "short-memory" in proc.stdout  # the text table is still printed
    dom = dump_dom(page)
    rows = re.findall(r'<tr class="outlier">(.*?)</tr>', dom, re.S)
    named = {re.search(r"fleet-html/([\w-]+)\.tar\.gz", r).group(1): visible_text(r) for r in rows}
    assert sorted(named) == sorted(ff.PLANTS)
    for plant, text in named.items():
        assert "OUTLIER" in text and BLAME[plant] in text, (plant, text)
    # the dead DIMM shows: node 1's bar (and only it) is marked in the short-memory row
    short = next(r for r in rows if "short-memory" in r)
    bars = re.findall(r"<rect [^>]*?(?:/>|></rect>)", short)
    assert [i for i, b in enumerate(bars) if 'class="odd"' in b] == [1]
    text = visible_text(dom)
    assert ff.DMI["product_name"] in text and "2-socket test box" in text  # both models are groups
    assert len(re.findall(r"<tr><td>ok</td>", dom)) == len(fleet) - len(ff.PLANTS)
    width, height, pixels = decode_png(screenshot(page, scratch_dir / "fleet.png"))
    assert width == 1280 and ink(pixels)[0] > 0.05


def test_fleet_html_refuses_a_bad_target_before_the_run(scratch_dir):
    fleet = ff.build_fleet(scratch_dir / "fleet-html-bad", normal=2, plants=(), other_model=0)
    proc = run_numaprobe("fleet", "--no-progress", "--html", str(scratch_dir), *map(str, fleet.values()),
                         check=False)
    assert proc.returncode == 2 and "is a directory" in proc.stderr and proc.stdout == ""
