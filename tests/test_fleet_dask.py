"""`fleet --scheduler`: the same run on a Dask distributed LocalCluster (2 worker processes on loopback) gives
exactly the local run's document. distributed comes from Debian (python3-distributed, .ci/setup) or PyPI (the
venv step of .ci/run)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

import fleet_fixtures as ff
from oracles import SCRATCH


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as lc:
        yield lc


def test_dask_run_equals_local_run(cli, cluster):
    base = Path(tempfile.mkdtemp(prefix="fleet-dask-", dir=str(SCRATCH) if SCRATCH else None))
    ff.build_fleet(base / "fleet", normal=4, other_model=2)
    (base / "fleet" / "broken.tar.gz").write_bytes(b"\x1f\x8b not really gzip")
    code_local, out_local, _ = cli("fleet", "--json", "--jobs", "2", str(base / "fleet"))
    code_dask, out_dask, err = cli("fleet", "--json", "--scheduler", cluster.scheduler_address, str(base / "fleet"))
    assert code_dask == code_local == 1, err
    local, dask = json.loads(out_local), json.loads(out_dask)
    assert dask == local
    assert {m["hostname"] for m in dask["machines"] if m["outlier"]} == set(ff.PLANTS)
    assert dask["summary"]["errors"] == 1
    # both workers took part (the batches are spread over the cluster's cores)
    assert len(cluster.scheduler_info["workers"]) == 2


def test_unreachable_scheduler_is_one_line_exit_2(cli):
    pytest.importorskip("distributed")
    code, out, err = cli("fleet", "--scheduler", "tcp://127.0.0.1:9", str(ff.BASE))
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "cannot reach the Dask scheduler" in err
