"""A sweep killed with SIGKILL mid-run resumes from its cache with nothing lost and nothing corrupted: the
resumed run reuses every point finished before the kill and its tables equal an uninterrupted run's,
byte for byte."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from capacity.scaling import ResultCache, SweepConfig, plan
from capacity.scaling.sweep import PRESETS

COLUMNS = "construction,trained"


def _rows(path) -> int:
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
            return int(db.execute("SELECT COUNT(*) FROM results").fetchone()[0])
    except sqlite3.Error:
        return 0  # the schema is not written yet


def _cmd(out, *extra):
    return [
        sys.executable,
        "-m",
        "capacity",
        "scaling",
        "--preset",
        "smoke",
        "--columns",
        COLUMNS,
        "--out",
        str(out),
        "--no-progress",
        "--no-plots",
        "--workers",
        "2",
        *extra,
    ]


def test_sigkill_mid_sweep_resumes_with_nothing_lost(tmp_path):
    cache = tmp_path / "cache.sqlite"
    total = len(plan(SweepConfig(**{**PRESETS["smoke"].to_dict(), "columns": tuple(COLUMNS.split(","))})))
    proc = subprocess.Popen(
        _cmd(tmp_path / "killed", "--cache", str(cache)),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.time() + 120
        while time.time() < deadline and _rows(cache) < 3 and proc.poll() is None:
            time.sleep(0.02)
        assert proc.poll() is None, (
            "the sweep finished before it could be killed: " + proc.stderr.read().decode()
        )
        os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its worker processes, mid-run
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    at_kill = _rows(cache)
    assert 0 < at_kill < total, (at_kill, total)

    # nothing corrupted: the file opens (quick_check) and every row passes its checksum
    with ResultCache(cache) as c:
        kept = c.keys()
        assert len(kept) == at_kill and all(c.get(k) is not None for k in kept)

    resumed = subprocess.run(
        _cmd(tmp_path / "resumed", "--cache", str(cache)), capture_output=True, timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr.decode()
    run = json.loads(resumed.stdout)["run"]
    assert run["cached"] == at_kill and run["computed"] == total - at_kill

    from capacity.cli import main  # the uninterrupted run, in this process (same code path as the CLI)

    assert main(_cmd(tmp_path / "clean", "--no-cache")[3:]) == 0
    for name in ("min_width.csv", "capacity.csv", "constructions.csv", "fits.csv"):
        assert (tmp_path / "resumed" / name).read_bytes() == (tmp_path / "clean" / name).read_bytes(), name


@pytest.mark.parametrize("how", ["garbage", "truncated"])
def test_a_damaged_cache_is_never_silently_reused(tmp_path, how, capsys):
    from capacity.cli import main
    from capacity.scaling import SerialExecutor, run_sweep

    cache = tmp_path / "cache.sqlite"
    cfg = SweepConfig(**{**PRESETS["smoke"].to_dict(), "columns": ("construction",)})
    sr = run_sweep(cfg, cache=cache, executor=SerialExecutor(), progress=False)
    assert sr.run["computed"] == len(sr.points) > 0
    sr.close()  # checkpoints the write-ahead log into the file we then damage
    data = cache.read_bytes()
    cache.write_bytes(b"\x13" * len(data) if how == "garbage" else data[: len(data) // 3])
    rc = main(
        [
            "scaling",
            "--preset",
            "smoke",
            "--columns",
            "construction",
            "--cache",
            str(cache),
            "--out",
            str(tmp_path / "b"),
            "--no-progress",
            "--workers",
            "1",
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "--no-cache" in err[0], err
    assert not (tmp_path / "b").exists()
