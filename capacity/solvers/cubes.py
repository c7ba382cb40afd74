"""Cube-and-conquer for the ``sat`` method: split one CNF into cubes, decide them in parallel processes (or
on Dask, through :mod:`capacity.scaling.executors`), and still back every answer.

:func:`solve` takes *all* ``2^d`` assignments of the first ``d`` bits of the first hidden unit's weights
(:func:`capacity.solvers.sat.encode` reports them as ``info["split_bits"]``); :func:`capacity.solvers.sat.solve`
splits a hard CNF with rule 7 into one cube per count of row 0's lowest weights (:func:`count_cubes`). Either
way the disjunction of the cubes is a tautology by construction. Each worker encodes the problem once
(deterministic: the same variables), adds each cube as unit clauses and runs CaDiCaL with a proof (LRAT with
hints for ``cadical195``, DRUP otherwise):

* NOT REPRESENTABLE needs every cube refuted by a proof that :func:`capacity.drup.check_drup` accepted
  against the CNF plus that cube's unit clauses: then no assignment of the split bits extends to a model;
* REPRESENTABLE returns the witness of the *lowest-numbered* satisfiable cube, verified exactly, once every
  lower cube is refuted, so the answer does not depend on the number of workers or on which finishes first;
* a cube whose worker runs out of time, or dies, is UNKNOWN, and so is the answer unless a lower cube
  already decided it.
"""

from __future__ import annotations

import itertools
import time

from ..errors import CapacityError
from .problem import Certificate, Problem, Result, Status, verify_witness

__all__ = ["count_cubes", "cubes", "decide", "solve"]


_ENCODED: dict = {}  # per worker process: the last problem's encoding


def _cube_task(item) -> dict:
    """Worker: decide the CNF of ``problem`` under one cube. ``deadline`` is a ``time.time()`` value."""
    from ..drup import check_drup
    from ..lrat import lrat_solver, solver_proof
    from ._interrupt import deadline_timer
    from .sat import _search, encode

    index, problem, symmetry_breaking, solver, cube, deadline, options = item
    t0 = time.perf_counter()
    key = (repr(problem.to_dict()), problem.features.bits.tobytes(), symmetry_breaking, repr(sorted(options.items())))
    if key not in _ENCODED:  # a worker encodes each problem once, however many cubes it decides
        _ENCODED.clear()
        _ENCODED[key] = encode(problem, symmetry_breaking, **options)
    clauses, decode, info = _ENCODED[key]
    split = set(info["split_bits"]) | set(info["split_counts"])
    if list(cube) and any(abs(l) not in split for l in cube):  # pragma: no cover - a bug
        raise RuntimeError("cube literal outside the split literals: the encoding is not deterministic")
    units = [[l] for l in cube]
    out = {"index": index, "cube": list(cube), "status": "UNKNOWN"}
    with lrat_solver(solver, clauses + units) as s:
        end = None if deadline is None else time.perf_counter() + (deadline - time.time())
        timer = None if end is None else deadline_timer(s, solver, end)
        try:
            answer = _search(s, end if timer is None else None, None)
        finally:
            if timer is not None:
                timer.cancel()
        if answer is None:
            return {**out, "seconds": time.perf_counter() - t0}
        out["conflicts"] = int(s.accum_stats().get("conflicts", 0))
        if answer:
            return {**out, "status": "SAT", "witness": decode(s.get_model()), "seconds": time.perf_counter() - t0}
        proof = solver_proof(s)  # LRAT text for cadical195 (checked in one pass), DRUP lines for the others
    t1 = time.perf_counter()
    left = None if deadline is None else deadline - time.time()
    check = check_drup(clauses + units, proof, deadline=None if left is None else time.perf_counter() + left)
    status = "UNSAT" if check.ok else ("UNKNOWN" if check.timed_out else "BAD")
    return {**out, "status": status, "check": check, "search_seconds": t1 - t0,
            "check_seconds": time.perf_counter() - t1, "seconds": time.perf_counter() - t0}


def cubes(split_bits, depth: int) -> list[tuple[int, ...]]:
    """All ``2^depth`` assignments of the first ``depth`` split bits, in a fixed order."""
    bits = list(split_bits)[:depth]
    return [tuple(v if s else -v for v, s in zip(bits, signs)) for signs in itertools.product((0, 1), repeat=len(bits))]


def count_cubes(counts) -> list[tuple[int, ...]]:
    """One cube per value of a count given in unary (``counts[t - 1]`` = "the count is at least ``t``"):
    ``not u_1``, ``u_1 and not u_2``, ..., ``u_m``. Their disjunction is a tautology: an assignment outside the
    first ``t`` cubes has ``u_1 .. u_t`` true, so the last cube holds it."""
    u = list(counts)
    return [(-u[0],)] + [(u[t - 1], -u[t]) for t in range(1, len(u))] + [(u[-1],)]


def solve(problem: Problem, *, depth: int = 4, workers: int = 1, executor=None, time_limit: float | None = None,
          seed: int = 0, solver: str = "cadical195", symmetry_breaking: bool = True) -> Result:
    """Decide ``problem`` by cube-and-conquer over ``2^depth`` cubes (module docstring). ``executor``: any
    executor of :mod:`capacity.scaling.executors` (e.g. a ``DaskExecutor``); otherwise ``workers`` local
    processes (1: in this process). ``time_limit`` bounds the whole call, proof checks included."""
    from .sat import PROOF_SOLVERS, encode

    if time_limit is not None and not time_limit > 0:
        raise CapacityError(f"time limit must be a positive number of seconds, got {time_limit!r}")
    if isinstance(depth, bool) or int(depth) != depth or depth < 0:
        raise CapacityError(f"depth must be an integer >= 0, got {depth!r}")
    if solver not in PROOF_SOLVERS:
        raise CapacityError(f"solver {solver!r} cannot log DRUP proofs; use one of {PROOF_SOLVERS}")
    t0 = time.perf_counter()
    _, _, info = encode(problem, symmetry_breaking)
    split = info.pop("split_bits")
    del info["split_counts"]
    todo = cubes(split, int(depth))
    info.update({"split_depth": min(int(depth), len(split)), "symmetry_breaking": symmetry_breaking})
    what = f"all {len(todo)} assignments of {info['split_depth']} bits of the first unit's weights"
    return decide(problem, todo, what, {}, info, t0=t0, workers=workers, executor=executor, time_limit=time_limit,
                  seed=seed, solver=solver, symmetry_breaking=symmetry_breaking)


def decide(problem: Problem, todo, what: str, options: dict, info: dict, *, t0: float, workers: int = 1,
           executor=None, time_limit: float | None = None, seed: int = 0, solver: str = "cadical195",
           symmetry_breaking: bool = True) -> Result:
    """Decide the ``todo`` cubes (whose disjunction is a tautology; ``what`` says which) of the CNF
    ``encode(problem, symmetry_breaking, **options)`` and combine them (module docstring). ``time_limit``
    counts from ``t0`` (a :func:`time.perf_counter` value)."""
    from ..drup import warm_up
    from ..scaling.executors import LocalExecutor, SerialExecutor

    deadline = None if time_limit is None else time.time() + float(time_limit) - (time.perf_counter() - t0)
    warm_up()  # the proof checker loads here once; forked workers inherit it instead of loading it each
    info.update({"solver": solver, "seed": seed, "cubes": len(todo), "split": what})
    items = [(i, problem, symmetry_breaking, solver, c, deadline, options) for i, c in enumerate(todo)]
    own = executor is None
    if own:
        executor = SerialExecutor() if workers == 1 else LocalExecutor(workers)
    info["executor"] = executor.describe()
    done: dict[int, dict] = {}
    try:
        for i, r in executor.run(_cube_task, items):
            done[i] = r
            if _decided(done, len(todo)):
                break
    except Exception as exc:  # a killed worker process (BrokenProcessPool), a lost Dask worker, ...
        info["worker_failure"] = f"{type(exc).__name__}: {str(exc)[:200]}"
    finally:
        _ENCODED.clear()  # the serial executor's encoding, in this process
        if own:
            _close(executor)
    return _result(problem, todo, done, info, t0)


def _close(executor) -> None:
    """Close our own executor without waiting for cubes the answer no longer needs (their processes are
    killed)."""
    pool = getattr(executor, "_pool", None)
    if pool is None:
        executor.close()
        return
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        if proc.is_alive():
            proc.kill()
        proc.join()


def _decided(done: dict, total: int) -> bool:
    """The answer is fixed: the lowest satisfiable cube has all lower cubes refuted, or every cube refuted."""
    for i in range(total):
        r = done.get(i)
        if r is None or r["status"] in ("UNKNOWN", "BAD"):
            return False
        if r["status"] == "SAT":
            return True
    return True


def _result(problem, todo, done, info, t0) -> Result:
    info["cube_status"] = {s: sum(r["status"] == s for r in done.values()) for s in ("SAT", "UNSAT", "UNKNOWN", "BAD")}
    info["cube_status"]["missing"] = len(todo) - len(done)
    for i in range(len(todo)):
        r = done.get(i)
        if r is None or r["status"] == "UNKNOWN":
            info["reason"] = f"cube {i} undecided (time limit or a lost worker)"
            return Result(Status.UNKNOWN, problem, "sat", time.perf_counter() - t0, info=info)
        if r["status"] == "BAD":
            raise RuntimeError(f"cube {i}: the solver answered UNSAT but its DRUP proof does not check: "
                               f"{r['check'].reason}")
        if r["cube"] != list(todo[i]):  # pragma: no cover - results are matched by index
            raise RuntimeError("a worker answered for another cube")
        if r["status"] == "SAT":
            ok, why = verify_witness(problem, r["witness"])
            if not ok:
                raise RuntimeError(f"sat encoding bug: the decoded witness of cube {i} fails verification ({why})")
            info["witness_cube"] = i
            return Result(Status.REPRESENTABLE, problem, "sat", time.perf_counter() - t0, witness=r["witness"],
                          info=info)
    checks = [done[i]["check"] for i in range(len(todo))]
    info.update({"proof_lemmas": sum(c.lemmas for c in checks),
                 "search_seconds": round(sum(done[i]["search_seconds"] for i in done), 6),
                 "check_seconds": round(sum(done[i]["check_seconds"] for i in done), 6)})
    detail = (f"cube-and-conquer: {info['split']}, each refuted by a proof (engine {checks[0].engine}) checked "
              f"against the symmetry-broken CNF plus the cube ({info['proof_lemmas']} lemmas in all)")
    cert = Certificate("drup", True, detail=detail, data=checks)
    return Result(Status.NOT_REPRESENTABLE, problem, "sat", time.perf_counter() - t0, certificate=cert, info=info)
