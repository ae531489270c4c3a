import os
import shutil
import tempfile
from pathlib import Path

import pytest

from oracles import SCRATCH


@pytest.fixture(scope="session")
def scratch_dir():
    """A private temporary place, in RAM when possible (creating files on this disk is slow), removed at the end."""
    d = Path(tempfile.mkdtemp(prefix="numaprobe-test-", dir=str(SCRATCH) if SCRATCH else None))
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def cli(capsys):
    """Run numaprobe's real CLI entry point in-process; returns (exit status, stdout, stderr)."""
    from numaprobe.cli.app import main

    def run(*args):
        try:
            main(list(args))
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        out, err = capsys.readouterr()
        return code, out, err

    return run


# ---- no skips in CI ---------------------------------------------------------------------------------------
# .ci/run exports CI=true: there every oracle, the shared corpus and root are provided, so a skipped test is a
# check that silently did not happen. The run prints each reason (-rs) and fails.
_SKIPPED = []


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_runtest_logreport(report):
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        _SKIPPED.append((report.nodeid, reason))


pytest_collectreport = pytest_runtest_logreport  # a whole module skipped at import


def pytest_terminal_summary(terminalreporter):
    if _in_ci() and _SKIPPED:
        terminalreporter.section("skipped tests fail the run in CI (CI=%s)" % os.environ.get("CI"), red=True)
        for nodeid, reason in _SKIPPED:
            terminalreporter.write_line("SKIPPED %s: %s" % (nodeid, reason))


def pytest_sessionfinish(session, exitstatus):
    if _in_ci() and _SKIPPED and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
