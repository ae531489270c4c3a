"""packaging/rpm/numaprobe.spec, checked with Debian's rpm and stand-ins for Fedora's pyproject-rpm-macros
(packaging/rpm/pyproject-macros.emulated). What this cannot check: the real macros' behaviour, a Fedora/EPEL
buildroot, the names of the Fedora packages the generated BuildRequires resolve to (see README, Packaging)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import packaging_help
import packaging_help as live

REPO = Path(__file__).resolve().parents[1]
SPEC = REPO / "packaging" / "rpm" / "numaprobe.spec"
MACROS = REPO / "packaging" / "rpm" / "pyproject-macros.emulated"

pytestmark = pytest.mark.skipif(shutil.which("rpmspec") is None, reason="rpmspec not installed (apt package rpm)")


def rpmspec(*args: str) -> str:
    r = subprocess.run(["rpmspec", "--load", str(MACROS), *args, str(SPEC)], capture_output=True, text=True,
                       env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "LANG": "C.UTF-8"})
    assert r.returncode == 0, r.stderr
    return r.stdout


def pyproject() -> dict:
    text = (REPO / "pyproject.toml").read_text()
    version = __import__("numaprobe").__version__
    license_text = re.search(r'^license = \{text = "([^"]+)"\}', text, re.M).group(1)
    homepage = re.search(r'^Homepage = "([^"]+)"', text, re.M).group(1)
    block = re.search(r"^dependencies = \[(.*?)^\]", text, re.M | re.S).group(1)
    deps = re.findall(r'"([A-Za-z0-9_.-]+)>=([0-9.]+)"', block)
    return {"version": version, "license": license_text, "url": homepage, "deps": deps}


def test_spec_header_matches_pyproject():
    name, version, license_, url = rpmspec("-q", "--srpm", "--qf", "%{NAME}|%{VERSION}|%{LICENSE}|%{URL}\n").strip().split("|")
    meta = pyproject()
    assert (name, version, license_, url) == ("numaprobe", meta["version"], meta["license"], meta["url"])


def test_spec_uses_the_pyproject_macros_and_installs_docs_and_completions():
    spec = SPEC.read_text()
    for macro in ("%pyproject_buildrequires", "%pyproject_wheel", "%pyproject_install", "%pyproject_save_files",
                  "%generate_buildrequires", "%{pyproject_files}", "BuildArch:      noarch"):
        assert macro in spec, macro
    parsed = rpmspec("-P")
    files = parsed[parsed.index("\n%files"):parsed.index("\n%changelog")]
    install = parsed[parsed.index("\n%install"):parsed.index("\n%check")]
    for path in ("/usr/share/man/man8/numaprobe.8*", "/usr/share/man/man8/numaprobe-*.8*",
                 "/usr/share/bash-completion/completions/numaprobe", "/usr/share/zsh/site-functions/_numaprobe",
                 "/usr/bin/numaprobe"):
        assert path in files, path
    assert "packaging/gen_manpages.py" in parsed[parsed.index("\n%build"):parsed.index("\n%install")]
    assert "/usr/share/man/man8/" in install and "packaging/completion/_numaprobe" in install


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("rpmbuild") is None, reason="rpmbuild not installed (apt package rpm)")
def test_emulated_rpmbuild_packages_every_page_and_requires_the_pyproject_floors(tmp_path, cli):
    """rpmbuild -bb on the sdist with the stand-in macros: %prep..%check run (the %check smoke commands too),
    %files matches what %install put in the buildroot, and rpm's pythondist generator turns the wheel's
    metadata into Requires."""
    sdist = packaging_help.build_sdist(REPO, tmp_path / "sd")
    top = tmp_path / "rpmbuild"
    (top / "SOURCES").mkdir(parents=True)
    shutil.copy(str(sdist), str(top / "SOURCES"))
    r = subprocess.run(["rpmbuild", "-bb", "--nodeps", "--load", str(MACROS), "--define", "_topdir %s" % top,
                        str(SPEC)], capture_output=True, text=True, timeout=600,
                       env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"})
    assert r.returncode == 0, (r.stdout + r.stderr)[-4000:]
    (rpm,) = (top / "RPMS" / "noarch").glob("numaprobe-*.noarch.rpm")
    listing = subprocess.run(["rpm", "-qpl", str(rpm)], capture_output=True, text=True, check=True).stdout.split()
    pages = {Path(p).name.split(".8")[0] for p in listing if "/man8/" in p}
    assert pages == {"numaprobe"} | {"numaprobe-" + c for c in live.commands(cli)}
    for path in ("/usr/bin/numaprobe", "/usr/share/bash-completion/completions/numaprobe",
                 "/usr/share/zsh/site-functions/_numaprobe"):
        assert path in listing, path
    requires = subprocess.run(["rpm", "-qp", "--requires", str(rpm)], capture_output=True, text=True,
                              check=True).stdout
    pyver = "%d.%d" % sys.version_info[:2]
    for name, floor in pyproject()["deps"]:
        assert "python%sdist(%s) >= %s" % (pyver, name, floor) in requires, (name, floor, requires)
