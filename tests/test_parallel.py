"""The parallel portfolio of ``auto`` (capacity.solvers.parallel): its steps run at once, yet the answer (status,
method, certificate kind and proof size, witness) is the sequential one, on an idle and a busy machine, on local
processes and on Dask; a lost worker gives UNKNOWN; the time limit bounds the call."""

import multiprocessing
import os
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capacity import Domain, from_spec, min_width
from capacity.features import FeatureSet, formulas
from capacity.scaling.executors import DaskExecutor, LocalExecutor
from capacity.solvers import front, parallel
from capacity.solvers.problem import Problem, Status


def _spin(stop_at):
    while time.time() < stop_at:
        pass


def _fingerprint(r) -> dict:
    """Everything an answer says, without timings: the proof of a refutation by its number of lemmas."""
    cert, lemmas = r.certificate, []
    while cert is not None:
        data = cert.data
        if cert.kind == "agreement":
            data = data["second"].data
        lemmas.append(getattr(data, "lemmas", None))
        cert = data if cert.kind == "restriction" else None
    return {"status": str(r.status), "method": r.method,
            "certificate": None if r.certificate is None else r.certificate.kind, "lemmas": lemmas,
            "witness": None if r.witness is None else r.witness.to_dict()}


def _points():
    """(problem, CP-SAT budget): the budgets make different steps answer (CP-SAT's witness or infeasibility
    confirmed by SAT, the restriction's refutation, SAT on the whole problem)."""
    pairs3, pairs4 = from_spec(Domain(3, 2), "pairs"), from_spec(Domain(4, 2), "pairs")
    parity = formulas(Domain(3), "x0 ^ x1 ^ x2")
    out = []
    for budget in (2.0, 0.001):
        out += [(Problem(pairs3, 1, "relu", 1), budget), (Problem(pairs3, 2, "relu", 2), budget),
                (Problem(pairs4, 2, "relu", 1), budget), (Problem(pairs4, 3, "relu", 1), budget),
                (Problem(parity, 1, "relu", 1), budget), (Problem(parity, 2, "relu", 1), budget)]
    # refuted through its restriction to 4 inputs (U-AND m = 4 needs width 3)
    return out + [(Problem(from_spec(Domain(5, 2), "pairs"), 2, "relu", 1), 0.001)]


@pytest.fixture
def force_portfolio(monkeypatch):
    """auto starts with CP-SAT on these small classes too (no enumeration)."""
    monkeypatch.setattr(front, "ENUMERATE_LIMIT", 0)
    monkeypatch.setattr(front, "ENUMERATE_PAIR_LIMIT", -1)
    return monkeypatch


def test_the_portfolio_gives_the_sequential_answer_on_many_points(force_portfolio):
    seen = set()
    for problem, budget in _points():
        force_portfolio.setattr(front, "AUTO_CPSAT_DETERMINISTIC_TIME", budget)
        one = front.representable(problem, time_limit=120)
        two = front.representable(problem, time_limit=120, workers=2)
        assert _fingerprint(two) == _fingerprint(one), (problem.d_hidden, budget)
        assert one.status is not Status.UNKNOWN and two.info["portfolio"]["workers"] == 2
        cost = two.info["portfolio"]  # the steps the rule read finished, and in parallel they end no later
        assert set(cost["needed"]) <= set(cost["steps_finished"])
        assert 0 < cost["critical_path_cpu_seconds"] <= cost["needed_cpu_seconds"] + 1e-9
        seen.add((str(one.status), one.method))
    # the points exercise every step of the rule
    assert {m for _, m in seen} >= {"cpsat", "cpsat+sat", "restriction+sat", "sat"}


@settings(deadline=None, max_examples=8, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(1, 2 ** 8 - 2), min_size=1, max_size=3, unique=True), st.integers(1, 2),
       st.sampled_from([2.0, 0.001]))
def test_the_portfolio_agrees_with_the_sequential_walk_on_random_feature_sets(force_portfolio, tables, n, budget):
    force_portfolio.setattr(front, "AUTO_CPSAT_DETERMINISTIC_TIME", budget)
    domain = Domain(3)
    bits = np.array([[(t >> p) & 1 for p in range(domain.size)] for t in tables], dtype=np.uint8)
    problem = Problem(FeatureSet.from_bits(domain, bits, [f"f{t}" for t in tables]), n, "relu", 1)
    one = front.representable(problem, time_limit=60)
    two = front.representable(problem, time_limit=60, workers=2)
    assert one.status is not Status.UNKNOWN and _fingerprint(two) == _fingerprint(one)


def test_the_portfolio_is_the_same_on_a_busy_machine(force_portfolio):
    force_portfolio.setattr(front, "AUTO_CPSAT_DETERMINISTIC_TIME", 0.001)
    points = [Problem(from_spec(Domain(4, 2), "pairs"), n, "relu", 1) for n in (2, 3)]
    idle = [front.representable(p, time_limit=120) for p in points]
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_spin, args=(time.time() + 30,), daemon=True) for _ in range(2 * os.cpu_count())]
    for p in procs:
        p.start()
    try:
        busy = [front.representable(p, time_limit=120, workers=2) for p in points]
    finally:
        for p in procs:
            p.terminate()
            p.join()
    assert [_fingerprint(r) for r in busy] == [_fingerprint(r) for r in idle]


def test_min_width_with_two_workers_is_the_sequential_ladder():
    fs = from_spec(Domain(4, 2), "pairs")  # width 3 is decided by the portfolio (CP-SAT's witness)
    one = min_width(fs, activation="relu", weight_bound=1, time_limit=120)
    two = min_width(fs, activation="relu", weight_bound=1, time_limit=120, workers=2)
    drop = lambda d: {**d, "seconds": 0, "steps": [{k: v for k, v in s.items() if "seconds" not in k}  # noqa: E731
                                                   for s in d["steps"]],
                      "certificate": None if d["certificate"] is None else d["certificate"]["kind"]}
    assert one.proven and one.min_width == 3
    assert drop(two.to_dict()) == drop(one.to_dict())


def _die_in_cpsat(item):
    if item[0] == 0:
        os._exit(1)  # the worker running CP-SAT disappears, as if killed
    return parallel._step_task(item)


class _KillingExecutor(LocalExecutor):
    def run(self, fn, items):
        return super().run(_die_in_cpsat, items)


def test_a_killed_worker_gives_unknown_not_an_answer(force_portfolio):
    problem = Problem(from_spec(Domain(3, 2), "pairs"), 2, "relu", 1)
    ex = _KillingExecutor(2)
    try:
        r = front.representable(problem, time_limit=60, executor=ex)
    finally:
        ex.close()
    assert r.status is Status.UNKNOWN and "worker_failure" in r.info
    assert front.representable(problem, time_limit=60).status is Status.REPRESENTABLE  # the step mattered


def test_the_portfolio_on_a_dask_cluster(force_portfolio):
    distributed = pytest.importorskip("distributed")
    force_portfolio.setattr(front, "AUTO_CPSAT_DETERMINISTIC_TIME", 0.001)
    problem = Problem(from_spec(Domain(4, 2), "pairs"), 2, "relu", 1)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster, set_as_default=False) as client:
        r = front.representable(problem, time_limit=120, executor=DaskExecutor(client=client))
    assert r.info["portfolio"]["executor"] == "dask"
    assert _fingerprint(r) == _fingerprint(front.representable(problem, time_limit=120))


def test_the_time_limit_bounds_the_parallel_call():
    problem = Problem(from_spec(Domain(5, 2), "pairs"), 3, "relu", 1)  # its SAT refutation takes seconds
    t = time.perf_counter()
    r = front.representable(problem, time_limit=3, workers=2)
    assert time.perf_counter() - t < 5
    assert r.status is Status.UNKNOWN or r.certificate.checked


def test_workers_must_be_a_positive_integer():
    from capacity.errors import CapacityError

    problem = Problem(from_spec(Domain(3, 2), "pairs"), 1, "relu", 1)
    for bad in (0, -1, 1.5, True):
        with pytest.raises(CapacityError, match="workers"):
            front.representable(problem, workers=bad)


def test_cli_workers(capsys):
    import json

    from capacity.cli import main

    args = ["min-width", "--inputs", "4", "--sparsity", "2", "--features", "pairs", "--activation", "relu", "-K", "1",
            "--json"]
    outs = []
    for workers in ("1", "2"):
        assert main([*args, "--workers", workers]) == 0
        d = json.loads(capsys.readouterr().out)
        outs.append((d["min_width"], d["status"], d["witness"], [(s["width"], s["method"]) for s in d["steps"]]))
    assert outs[0] == outs[1] and outs[0][0] == 3
    with pytest.raises(SystemExit) as e:
        main([*args, "--workers", "0"])
    assert e.value.code == 2 and "--workers" in capsys.readouterr().err
