"""The Debian package builds on Debian 12 from Debian's packages alone, is lintian-clean, and its unpacked CLI
works on fixtures with Debian's python3 libraries (packaging/build-deb.sh does the work; ~20 s)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DEBIAN = REPO / "packaging" / "debian"


def _unmet_build_deps() -> str:
    r = subprocess.run(["dpkg-checkbuilddeps", str(DEBIAN / "control")], capture_output=True, text=True)
    return "" if r.returncode == 0 else (r.stderr.strip() or "dpkg-checkbuilddeps failed")


def test_changelog_version_is_the_package_version():
    from numaprobe import __version__

    first = (DEBIAN / "changelog").read_text().splitlines()[0]
    assert first.startswith("numaprobe (%s-" % __version__), first


def test_debian_dependencies_match_pyproject():
    """Every runtime dependency of pyproject.toml is a Depends (and a Build-Depends: the man pages import the CLI)
    of the Debian package, with the same floor."""
    import re

    deps = _pyproject_dependencies()
    control = (DEBIAN / "control").read_text()
    for name, floor in deps:
        debname = "python3-" + name.lower()
        assert re.search(r"%s \(>= %s\)" % (re.escape(debname), re.escape(floor)), control), (debname, floor)
        assert control.count(debname) >= 2, debname


def _pyproject_dependencies():
    import re

    text = (REPO / "pyproject.toml").read_text()
    block = re.search(r"^dependencies = \[(.*?)^\]", text, re.M | re.S).group(1)
    return re.findall(r'"([A-Za-z0-9_.-]+)>=([0-9.]+)"', block)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("dpkg-buildpackage") is None, reason="dpkg-buildpackage not installed (dpkg-dev)")
def test_deb_builds_lintian_clean_and_runs_from_dpkg_x(tmp_path):
    unmet = _unmet_build_deps()
    if unmet:
        pytest.skip("build dependencies missing (see .ci/setup): " + unmet)
    r = subprocess.run(["sh", str(REPO / "packaging" / "build-deb.sh"), "-o", str(tmp_path)],
                       capture_output=True, text=True, timeout=600)
    report = r.stdout + r.stderr
    assert r.returncode == 0, report
    assert "build-deb: ok" in report
    for command in ("--version", "probe", "tables", "advise"):
        assert "smoke: numaprobe %s" % command in report, report
    debs = list(tmp_path.glob("numaprobe_*_all.deb"))
    assert len(debs) == 1
    if shutil.which("lintian"):
        assert not [l for l in (tmp_path / "lintian.txt").read_text().splitlines() if l.startswith("E:")]
