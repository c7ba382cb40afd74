"""A deterministic parallel portfolio for ``auto``: its steps run at the same time, the answer is the sequential one.

On an integer class where ``auto`` starts with CP-SAT, one width is decided by a fixed sequence of steps
(:func:`capacity.solvers.front.auto_steps`): CP-SAT within 2 deterministic seconds, SAT on the restriction to
one input fewer within 200 000 conflicts, SAT on the whole problem. Each budget is deterministic, so whether a
step decides depends on the problem alone. :func:`portfolio` starts all of them at once, in worker processes
(``workers``) or on any executor of :mod:`capacity.scaling.executors` (Dask included), and combines the
results as they arrive by the sequential rule (:func:`capacity.solvers.front.auto_answer`): the first step in
sequence order that decides within its budget answers, and a later step counts only once every earlier one has
used up its budget. So the status, the method, the certificate (kind and proof) and the witness are those of
the sequential walk whatever finishes first; only the time differs. Every answer carries its own witness
(verified again here) or checked certificate (checked in the worker that found it).

Once the answer is fixed, the steps still running are killed (local processes) or cancelled (Dask). A step
whose worker dies is UNKNOWN, and so is the answer whenever the rule needs that step.
"""

from __future__ import annotations

import dataclasses
import time

from .problem import Result, Status, verify_witness

__all__ = ["portfolio"]


def _step_task(item) -> Result:
    """Worker: one step of ``auto``; ``end`` is a ``time.time()`` deadline (or None)."""
    from .front import run_step

    _, step, end, seed = item
    deadline = None if end is None else time.perf_counter() + (end - time.time())
    cpu = time.process_time()
    res = run_step(step, deadline, seed)
    return dataclasses.replace(res, info={**res.info, "step_cpu_seconds": round(time.process_time() - cpu, 6)})


def _critical_path(problem, steps, got, t0, deadline, seed, workers: int) -> dict:
    """What the answer cost in CPU seconds: the steps the sequential rule read (``needed``), their sum (the
    sequential walk on one core) and the time at which they are all done when the steps start in order on
    ``workers`` idle cores, each taking its own CPU seconds (the portfolio on an idle machine). An estimate
    for a shared machine, where the wall clock says little; from local processes (a Dask worker's threads
    share one process's CPU clock)."""
    from .front import auto_answer

    read: dict = {}
    while not isinstance(k := auto_answer(problem, steps, read, t0, deadline, seed), Result):
        if k not in got:
            return {}
        read[k] = got[k]
    cpu = {k: r.info.get("step_cpu_seconds") for k, r in got.items()}
    if any(cpu[k] is None for k in read):
        return {}
    free, done = [0.0] * workers, {}
    for k in sorted(k for k, step in enumerate(steps) if step is not None):
        start = min(free)
        done[k] = start + cpu[k] if cpu.get(k) is not None else float("inf")  # a killed step never ends
        free[free.index(start)] = done[k]
    return {"needed": sorted(read), "needed_cpu_seconds": round(sum(cpu[k] for k in read), 6),
            "critical_path_cpu_seconds": round(max(done[k] for k in read), 6)}


def _verified(res: Result) -> Result:
    """A worker's result, its witness verified in this process (exact arithmetic) as a second look."""
    if res.status is Status.REPRESENTABLE:
        ok, why = verify_witness(res.problem, res.witness)
        if not ok:  # pragma: no cover - a bug in a solver or in the transport
            raise RuntimeError(f"a portfolio worker returned a witness that fails verification: {why}")
    return res


def portfolio(problem, steps, *, t0: float, deadline, seed, workers: int = 2, executor=None,
              progress: bool = False) -> Result:
    """Decide ``problem`` by running the ``steps`` of :func:`capacity.solvers.front.auto_steps` concurrently
    and combining them by :func:`capacity.solvers.front.auto_answer` (module docstring). ``deadline`` is a
    ``time.perf_counter`` value (or None); ``executor``: any executor of :mod:`capacity.scaling.executors`,
    otherwise ``workers`` local processes of our own, killed at the end."""
    from ..scaling.executors import LocalExecutor
    from .cubes import _close
    from .front import _say, auto_answer

    todo = [k for k, step in enumerate(steps) if step is not None]
    end = None if deadline is None else time.time() + (deadline - time.perf_counter())
    own = executor is None
    if own:
        executor = LocalExecutor(workers)
    if progress:
        _say(f"  portfolio: {len(todo)} steps on {executor.describe()}")
    got: dict = {}
    answer, failure = None, None
    runs = executor.run(_step_task, [(k, steps[k], end, seed) for k in todo])
    try:
        for i, res in runs:
            got[todo[i]] = _verified(res)
            answer = auto_answer(problem, steps, got, t0, deadline, seed, progress)
            if isinstance(answer, Result):
                break
    except Exception as exc:  # a killed worker process (BrokenProcessPool), a lost Dask worker, ...
        failure = f"{type(exc).__name__}: {str(exc)[:200]}"
    finally:
        runs.close()  # cancels what has not started
        if own:
            _close(executor)  # kills what is still running
    finished = sorted(got)
    if not isinstance(answer, Result):  # a worker was lost: its step is UNKNOWN, and so is what needs it
        for k in todo:
            got.setdefault(k, Result(Status.UNKNOWN, steps[k][1], steps[k][0], 0.0,
                                     info={"unknown_reason": "worker lost", "worker_failure": failure}))
        answer = auto_answer(problem, steps, got, t0, deadline, seed, progress)
    info = {**answer.info, "portfolio": {**executor.describe(), "steps_finished": finished,
                                         **_critical_path(problem, steps, got, t0, deadline, seed, executor.workers)}}
    if failure is not None:
        info["worker_failure"] = failure
        if answer.status is Status.UNKNOWN:
            info.setdefault("reason", f"a portfolio worker was lost ({failure})")
    return dataclasses.replace(answer, seconds=time.perf_counter() - t0, info=info)
