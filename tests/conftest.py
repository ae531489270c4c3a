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
