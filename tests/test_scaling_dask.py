"""The Dask path runs the same sweep through the same code as the local path and gives the same tables;
an unreachable scheduler is one line on stderr and exit code 2 within seconds."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest

from capacity.scaling import DaskExecutor, LocalExecutor, SerialExecutor, SweepConfig, run_sweep, write_report

distributed = pytest.importorskip("distributed")

CFG = dict(
    families=("pairs", "uand"),
    inputs=(4,),
    feature_counts=(1, 2, 3),
    uand_inputs=(3, 4),
    widths=(1, 2),
    instances=2,
    columns=("min_width", "capacity", "construction"),
    construction_seeds=2,
    construction_max_width=10,
    time_limit=60.0,
)


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    # in-process workers (quick to start) behind a real TCP scheduler on loopback
    c = LocalCluster(
        n_workers=1,
        threads_per_worker=2,
        processes=False,
        dashboard_address=None,
        protocol="tcp://",
        host="127.0.0.1",
    )
    yield c
    c.close()


def _tables(sr, out):
    paths = write_report(sr, out, plots=False)
    return {k: paths[k].read_bytes() for k in ("min_width", "capacity", "constructions", "fits")}


def test_dask_cluster_gives_the_local_tables(cluster, tmp_path):
    from distributed import Client

    cfg = SweepConfig(**CFG)
    local = run_sweep(cfg, executor=LocalExecutor(2), progress=False)
    with Client(cluster, set_as_default=False) as client:
        ex = DaskExecutor(client=client)
        assert ex.workers == 2
        dask = run_sweep(cfg, executor=ex, progress=False)
    assert dask.run["executor"]["executor"] == "dask" and local.run["executor"]["executor"] == "local"
    assert [r["min_width"] for p, r in zip(dask.points, dask.results) if p.kind == "min_width"] == [
        r["min_width"] for p, r in zip(local.points, local.results) if p.kind == "min_width"
    ]
    assert _tables(dask, tmp_path / "dask") == _tables(local, tmp_path / "local")


def test_cli_dask_address_matches_local_run(cluster, tmp_path, capsys):
    from capacity.cli import main

    common = [
        "scaling",
        "--preset",
        "smoke",
        "--columns",
        "construction",
        "--no-cache",
        "--no-progress",
        "--no-plots",
    ]
    assert main(common + ["--dask", cluster.scheduler_address, "--out", str(tmp_path / "d")]) == 0
    assert main(common + ["--workers", "1", "--out", str(tmp_path / "s")]) == 0
    capsys.readouterr()
    for name in ("min_width.csv", "capacity.csv", "constructions.csv"):
        assert (tmp_path / "d" / name).read_bytes() == (tmp_path / "s" / name).read_bytes(), name


def test_unreachable_dask_address_is_one_line_and_exit_2_within_seconds(tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.perf_counter()
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "capacity",
            "scaling",
            "--preset",
            "smoke",
            "--no-cache",
            "--dask",
            f"tcp://127.0.0.1:{port}",
            "--out",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        timeout=60,
    )
    elapsed = time.perf_counter() - t0
    err = r.stderr.decode().strip().splitlines()
    assert r.returncode == 2 and len(err) == 1 and "Dask scheduler" in err[0], err
    assert elapsed < 12, elapsed
    assert not (tmp_path / "o").exists()


def test_serial_and_local_executors_agree():
    cfg = SweepConfig(**{**CFG, "columns": ("construction",)})
    a = run_sweep(cfg, executor=SerialExecutor(), progress=False)
    b = run_sweep(cfg, executor=LocalExecutor(2), progress=False)
    assert a.results == b.results or all(
        {k: v for k, v in x.items() if "seconds" not in k}
        == {k: v for k, v in y.items() if "seconds" not in k}
        for x, y in zip(a.results, b.results)
    )
