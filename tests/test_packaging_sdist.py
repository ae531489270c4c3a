"""The sdist carries what the packages and the test suite need, and nothing from caches."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

import packaging_help

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sdist_names(tmp_path_factory):
    sdist = packaging_help.build_sdist(REPO, tmp_path_factory.mktemp("sdist"))
    with tarfile.open(str(sdist)) as tar:
        names = tar.getnames()
    top = names[0].split("/")[0]
    from numaprobe import __version__

    assert top == "numaprobe-%s" % __version__
    return {n[len(top) + 1:] for n in names if "/" in n}


def test_sdist_has_tests_fixtures_and_packaging(sdist_names):
    for needed in ("LICENSE", "README.md", "pyproject.toml", "PKG-INFO", "tests/conftest.py",
                   "packaging/gen_manpages.py", "packaging/completion/numaprobe.bash", "packaging/completion/_numaprobe",
                   "packaging/rpm/numaprobe.spec", "packaging/debian/control", "numaprobe/cli/app.py"):
        assert needed in sdist_names, needed
    tracked_tests = {p.relative_to(REPO).as_posix() for p in (REPO / "tests").glob("*.py")}
    assert tracked_tests <= sdist_names, sorted(tracked_tests - sdist_names)
    fixtures = {p.relative_to(REPO).as_posix() for p in (REPO / "sysfs_fixtures").rglob("*.tar.gz")}
    assert fixtures and fixtures <= sdist_names, sorted(fixtures - sdist_names)


def test_sdist_has_no_caches(sdist_names):
    junk = [n for n in sdist_names if "__pycache__" in n or n.endswith(".pyc") or n.startswith(".hypothesis")
            or n.startswith(".pytest_cache")]
    assert not junk, junk
