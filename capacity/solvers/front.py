"""Front doors: one function per question, each with ``method=`` (networkx style).

* :func:`representable` -- can one hidden layer of the class compute all the problem's features at once?
* :func:`min_width` -- the proven minimum width for a feature set (a witness at ``n``, a certificate at ``n-1``).
* :func:`capacity` -- the largest subset of a family one hidden layer of width ``n`` computes at once.
* :func:`representable_set` -- which features of a family a code represents, one readout each.

Methods: ``enumerate`` (the Numba core), ``sat`` (python-sat, DRUP-checked), ``cpsat`` (OR-Tools CP-SAT),
``milp`` (mixed-integer programming, needed for real-weight ReLU), ``reference`` (plain-Python brute force)
and ``auto``. A NOT_REPRESENTABLE answer leaves a front door only with a checked certificate: when a method's
own infeasibility claim cannot be checked (CP-SAT, MILP), a second, independent method is run and the answer
becomes an ``agreement`` certificate; if the second method cannot decide, the answer is UNKNOWN.
"""

from __future__ import annotations

import enum
import importlib
import math
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from ..codes import Code
from ..drup import warm_up
from ..domain import Domain
from ..errors import CapacityError
from ..features import FeatureSet
from ..network import Network
from .problem import Certificate, Problem, Result, Status

__all__ = ["METHODS", "representable", "min_width", "capacity", "representable_set", "MinWidthResult",
           "CapacityResult", "RepresentableSet", "WidthStatus", "choose_method", "auto_steps", "auto_answer",
           "run_step"]

METHODS = ("auto", "enumerate", "sat", "cpsat", "milp", "reference")
#: ``auto`` enumerates when the estimated number of hidden layers is at most this
ENUMERATE_LIMIT = 2_000_000
#: CP-SAT's first try under ``auto``, in CP-SAT deterministic seconds (a work measure, not the wall clock)
AUTO_CPSAT_DETERMINISTIC_TIME = 2.0
#: ``auto`` enumerates a width-2 integer ReLU problem when ``enumerate.pair_count`` (exact) is at most this
ENUMERATE_PAIR_LIMIT = 20_000_000
#: ... and lists its units to count the pairs only when the box has at most this many weight rows times points
PAIR_COUNT_UNITS = 5_000_000
#: conflict budget of the SAT try on the restriction to one input fewer (deterministic)
RESTRICTION_CONFLICTS = 200_000


def _module(method: str):
    if method not in METHODS or method == "auto":
        raise CapacityError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    return importlib.import_module(f"capacity.solvers.{method}")


def _enumeration_size(problem: Problem) -> float:
    """A rough upper estimate of the hidden layers ``enumerate`` visits (``inf`` when it cannot run)."""
    from ..enumeration import integer_class

    try:
        K_in, _ = integer_class(problem.domain.m, problem.d_hidden, problem.n_features, problem.activation,
                                problem.weight_bound, problem.code)
    except CapacityError:
        return math.inf
    if problem.activation == "step" and problem.d_hidden > 6:
        return math.inf
    lo_in, hi_in, _, _ = problem.weight_bounds()
    lo_in = np.where(np.isfinite(lo_in), lo_in, -K_in)
    hi_in = np.where(np.isfinite(hi_in), hi_in, K_in)
    per_unit = float(np.prod(hi_in[0] - lo_in[0] + 1)) * (problem.domain.size + 1)
    n = problem.d_hidden
    return per_unit ** n / math.factorial(n)


def _pairs_enumerable(problem: Problem) -> bool:
    """Whether ``auto`` decides this width-2 integer ReLU problem by enumeration: its exact pair count (after
    the level-set filter and the input-permutation orbits, :func:`capacity.solvers.enumerate.pair_count`) is at
    most :data:`ENUMERATE_PAIR_LIMIT`. A property of the problem alone, never of the machine."""
    if problem.activation != "relu" or problem.d_hidden != 2 or problem.real:
        return False
    lo_in, hi_in, _, _ = problem.weight_bounds()
    if not (np.isfinite(lo_in).all() and np.isfinite(hi_in).all()):
        return False
    if float(np.prod(hi_in[0] - lo_in[0] + 1)) * problem.domain.size > PAIR_COUNT_UNITS:
        return False
    from .enumerate import pair_count

    try:
        return pair_count(problem) <= ENUMERATE_PAIR_LIMIT
    except CapacityError:  # a class the enumeration cannot take
        return False


def choose_method(problem: Problem) -> str:
    """What ``auto`` runs first: enumeration for small classes and for width-2 ReLU problems with few unit pairs
    (:func:`_pairs_enumerable`); otherwise CP-SAT (quick at finding witnesses)
    for integer ReLU, SAT for step units (its point-indicator encoding refutes U-AND-like sets fast), MILP for
    real-weight ReLU. ``representable`` then falls back to SAT (a checkable proof) when the first is undecided."""
    if _enumeration_size(problem) <= ENUMERATE_LIMIT or _pairs_enumerable(problem):
        return "enumerate"
    if problem.activation == "step":
        return "sat"
    return "milp" if problem.real else "cpsat"


def _choose_by(problem: Problem, deadline) -> str | None:
    """:func:`choose_method`, or None when the deadline comes first. Counting the pairs of a width-2 ReLU class
    lists its units (about 3 s for 6 inputs, K = 3) and cannot be interrupted; it runs in a thread (the Numba
    kernels release the GIL), so the call can return UNKNOWN on time and the choice itself never depends on
    the clock (a late thread finishes in the background and leaves its unit list in the cache)."""
    if deadline is None:
        return choose_method(problem)
    import threading

    out: list = []
    worker = threading.Thread(target=lambda: out.append(choose_method(problem)), daemon=True)
    worker.start()
    worker.join(max(0.0, deadline - time.perf_counter()))
    return out[0] if out else None


def _confirm(first: Result, problem: Problem, deadline, seed, progress, known=None) -> Result:
    """Turn an unchecked NOT_REPRESENTABLE into a checked one by an independent second method (``known``:
    results of second methods already computed, by method name)."""
    second_methods = ["enumerate"] if _enumeration_size(problem) <= ENUMERATE_LIMIT or _pairs_enumerable(problem) \
        else []
    if not problem.real or (problem.activation == "step" and problem.code is None):
        second_methods.append("sat")
    else:  # real ReLU: CP-SAT and MILP are independent engines on the same exact reduction (milp.search_class)
        second_methods += ["milp", "cpsat"]
    if first.method in second_methods:
        second_methods.remove(first.method)
    for m in second_methods:
        left = None if deadline is None else max(0.0, deadline - time.perf_counter())
        if known and m in known:
            second = known[m]
        elif left is not None and left <= 0:
            break
        else:
            second = _call(m, problem, left, seed, progress)
        if second.status is Status.UNKNOWN and m in ("enumerate", "sat"):
            break  # only the wall clock stops these two: never let it pick the next method
        if second.status is Status.REPRESENTABLE:
            # a verified witness beats an unverifiable infeasibility claim; the first method has a bug
            info = {**second.info, "disagreement": f"{first.method} said NOT_REPRESENTABLE"}
            return Result(Status.REPRESENTABLE, problem, second.method, second.seconds, second.witness, None, info)
        if second.status is Status.NOT_REPRESENTABLE and second.certificate.checked:
            cert = Certificate("agreement", True,
                               f"{first.method}: {first.certificate.detail}; {second.method}: "
                               f"{second.certificate.kind} ({second.certificate.detail})",
                               data={"first": first.certificate, "second": second.certificate},
                               path=second.certificate.path)
            return Result(Status.NOT_REPRESENTABLE, problem, f"{first.method}+{second.method}",
                          first.seconds + second.seconds, None, cert, {**first.info, "second": second.info})
    return Result(Status.UNKNOWN, problem, first.method, first.seconds,
                  info={**first.info, "reason": f"{first.method} claims infeasible; no second method confirmed it"})


def restriction(problem: Problem) -> Problem | None:
    """The same question on the points with ``x_{m-1} = 0`` (one input fewer), or None when it does not apply.

    Deleting column ``m-1`` of ``W_in`` turns any network of the class computing the features on the domain
    into one of the same class and width computing them on those points, which form the same kind of domain
    on ``m - 1`` inputs. So if no network computes the restricted features, none computes the originals: a
    checked refutation of the restriction is a checked refutation of ``problem``. Features constant on the
    sub-domain (computable by the readout bias alone) and repeated ones are dropped. Not for coded classes
    (a code may tie the deleted column to the others)."""
    d = problem.domain
    if problem.code is not None or d.m < 2:
        return None
    sub = Domain(d.m - 1) if d.is_cube else Domain(d.m - 1, min(d.sparsity, d.m - 1))
    full = np.concatenate([sub.points, np.zeros((sub.size, 1), dtype=np.int8)], axis=1)
    bits = problem.features.bits[:, d.lookup(full)].astype(bool)
    keep, seen = [], set()
    for f, row in enumerate(bits):
        if row.any() and not row.all() and row.tobytes() not in seen:
            seen.add(row.tobytes())
            keep.append(f)
    if not keep:
        return None
    fs = FeatureSet.from_bits(sub, bits[keep], [problem.features.names[f] for f in keep])
    return Problem(fs, problem.d_hidden, problem.activation, problem.weight_bound, problem.nonnegative, None,
                   problem.seed)


def _restricted(problem: Problem, sub: Result, t0: float) -> Result:
    """NOT_REPRESENTABLE for ``problem`` from the checked refutation ``sub`` of its :func:`restriction`."""
    c = sub.certificate
    cert = Certificate("restriction", c.checked,
                       f"the {sub.problem.n_features} features restricted to x{problem.domain.m - 1} = 0 are not "
                       f"representable at width {problem.d_hidden}: {c.kind} ({c.detail})", data=c, path=c.path)
    return Result(Status.NOT_REPRESENTABLE, problem, f"restriction+{sub.method}", time.perf_counter() - t0,
                  certificate=cert, info={"restriction": sub.info})


def _call(method, problem, time_limit, seed, progress, **options) -> Result:
    mod = _module(method)
    kwargs = {"time_limit": time_limit, "seed": seed, **options}
    if method == "enumerate":
        kwargs["progress"] = progress
    return mod.solve(problem, **kwargs)


def representable(problem: Problem, method: str = "auto", *, time_limit: float | None = None,
                  seed: int | None = None, proof_path=None, progress: bool = False, workers: int = 1,
                  executor=None) -> Result:
    """Decide ``problem``; the result carries a verified witness, a checked certificate, or is UNKNOWN.

    ``proof_path`` (method ``sat``) stores the CNF and the DRUP proof there. ``workers`` > 1 (local processes)
    or an ``executor`` of :mod:`capacity.scaling.executors` runs the steps of ``auto`` (:func:`auto_steps`)
    concurrently and combines them by the sequential rule (:mod:`capacity.solvers.parallel`): the same answer,
    method, certificate kind and witness as ``workers=1``. Where ``auto`` (or the caller) picks ``sat``, they
    decide a hard CNF as cubes (:func:`capacity.solvers.sat.solve`): the same answer and certificate kind.
    """
    if method not in METHODS:
        raise CapacityError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise CapacityError(f"workers must be an integer >= 1, got {workers!r}")
    t0 = time.perf_counter()
    deadline = None if time_limit is None else t0 + float(time_limit)
    seed = problem.seed if seed is None else seed
    chosen = _choose_by(problem, deadline) if method == "auto" else method
    if chosen is None:
        return Result(Status.UNKNOWN, problem, "auto", time.perf_counter() - t0,
                      info={"unknown_reason": "time limit", "stopped_by": "deadline while choosing the method"})
    if chosen != "enumerate" or method == "auto":
        warm_up()  # a SAT step may follow: its proof checker loads in the background meanwhile
    # auto with CP-SAT: a first try bounded in CP-SAT's deterministic time (witnesses come fast), then SAT,
    # whose refutations are checkable. Only running out of the deterministic budget moves on to SAT; the wall
    # clock only ever makes the answer UNKNOWN, so the method and the witness do not depend on machine load.
    if method == "auto" and chosen == "cpsat" and not problem.real:
        steps = auto_steps(problem, proof_path)
        if workers > 1 or executor is not None:
            from .parallel import portfolio

            return portfolio(problem, steps, t0=t0, deadline=deadline, seed=seed, workers=workers,
                             executor=executor, progress=progress)
        got: dict = {}
        while True:  # the sequential walk: run the step the rule asks for next
            k = auto_answer(problem, steps, got, t0, deadline, seed, progress)
            if isinstance(k, Result):
                return k
            if progress and k == 1:
                _say(f"  trying the restriction to x{problem.domain.m - 1} = 0 ({steps[1][1].n_features} features)")
            got[k] = run_step(steps[k], deadline, seed, progress)
    options = {"proof_path": proof_path} if chosen == "sat" and proof_path is not None else {}
    if chosen == "sat" and (workers > 1 or executor is not None):  # hard CNFs split into cubes there
        options.update(workers=workers, executor=executor)
    res = _call(chosen, problem, time_limit, seed, progress, **options)
    if res.status is Status.NOT_REPRESENTABLE and not res.certificate.checked:
        res = _confirm(res, problem, deadline, seed, progress)
    return res


def auto_steps(problem: Problem, proof_path=None) -> list:
    """The steps of ``auto`` on an integer class that starts with CP-SAT, in priority order, each
    ``(method, problem, options)`` (None when it does not apply): CP-SAT within
    :data:`AUTO_CPSAT_DETERMINISTIC_TIME` (one worker: a deterministic search); SAT on the
    :func:`restriction` within :data:`RESTRICTION_CONFLICTS`; SAT on the whole problem. Every budget is
    deterministic, so which step answers depends on the problem alone (:func:`auto_answer`)."""
    sub = restriction(problem)
    return [("cpsat", problem, {"deterministic_time": AUTO_CPSAT_DETERMINISTIC_TIME, "num_workers": 1}),
            None if sub is None else ("sat", sub, {"conflict_limit": RESTRICTION_CONFLICTS}),
            ("sat", problem, {"proof_path": proof_path} if proof_path is not None else {})]


def run_step(step, deadline, seed, progress=False) -> Result:
    """One step of :func:`auto_steps` with the time left until ``deadline`` (a ``time.perf_counter`` value);
    UNKNOWN ("time limit") without starting when none is left."""
    method, problem, options = step
    left = None if deadline is None else deadline - time.perf_counter()
    if left is not None and left <= 0:
        return Result(Status.UNKNOWN, problem, method, 0.0, info={"unknown_reason": "time limit"})
    return _call(method, problem, left, seed, progress, **options)


def auto_answer(problem: Problem, steps: list, got: dict, t0: float, deadline, seed, progress=False):
    """The answer of ``auto`` from the results ``got`` (step index -> Result) of :func:`auto_steps`, or the
    index of the step it needs next. The first step in sequence order that decides within its deterministic
    budget answers; a later step counts only once every earlier one has used up its budget. So the answer does
    not depend on the order in which the steps finished (:mod:`capacity.solvers.parallel`), only the time does.
    A step that ran out of time (or whose worker was lost) makes the answer UNKNOWN."""
    first = got.get(0)
    if first is None:
        return 0
    if not (first.status is Status.UNKNOWN and first.info.get("unknown_reason") == "deterministic limit"):
        if first.status is Status.NOT_REPRESENTABLE and not first.certificate.checked:
            if 2 not in got:  # CP-SAT's infeasibility is confirmed by SAT on the whole problem: step 2
                return 2
            return _confirm(first, problem, deadline, seed, progress, known={"sat": got[2]})
        return first  # a witness, or the clock ran out
    if steps[1] is not None:  # no witness within CP-SAT's budget: the restriction, then the whole problem
        if 1 not in got:
            return 1
        r = got[1]
        if r.status is Status.NOT_REPRESENTABLE:
            return _restricted(problem, r, t0)
        if r.status is Status.UNKNOWN and r.info.get("unknown_reason") != "conflict limit":
            return Result(Status.UNKNOWN, problem, r.method, time.perf_counter() - t0,
                          info={"reason": f"{r.info.get('unknown_reason', 'time limit')} (in the restriction)",
                                "restriction": r.info})
    if 2 not in got:
        return 2
    res = got[2]
    if res.status is Status.NOT_REPRESENTABLE and not res.certificate.checked:  # pragma: no cover - sat checks
        res = _confirm(res, problem, deadline, seed, progress)
    return res


# -------------------------------------------------------------------------------------------------
# minimum width


class WidthStatus(str, enum.Enum):
    """How far :func:`min_width` got: PROVEN (witness at ``min_width`` and a checked certificate at
    ``min_width - 1``), UNKNOWN (``lower <= min width <= upper``), NONE (not representable up to ``max_width``).
    A ``str`` enum like :class:`Status`, so ``status == "PROVEN"`` and JSON output read as before."""

    PROVEN = "PROVEN"
    UNKNOWN = "UNKNOWN"
    NONE = "NONE"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, eq=False)
class MinWidthResult:
    """The smallest width computing all features; ``status`` is a :class:`WidthStatus`."""

    features: FeatureSet
    min_width: int | None
    lower: int
    upper: int | None
    status: WidthStatus
    witness: Network | None
    certificate: Certificate | None
    seconds: float
    method: str
    steps: tuple = field(default=())

    @property
    def proven(self) -> bool:
        return self.status is WidthStatus.PROVEN

    @property
    def certificate_kind(self) -> str | None:
        if self.certificate is not None:
            return self.certificate.kind
        return "width-1" if self.proven and self.min_width == 1 else None

    def to_dict(self) -> dict:
        return {
            "min_width": self.min_width, "status": str(self.status), "lower": self.lower, "upper": self.upper,
            "certificate_kind": self.certificate_kind,
            "certificate": None if self.certificate is None else self.certificate.to_dict(),
            "witness": None if self.witness is None else self.witness.to_dict(),
            "seconds": round(self.seconds, 6), "method": self.method, "features": list(self.features.names),
            "steps": [dict(s) for s in self.steps],
        }

    def to_frame(self):
        """The ladder as a DataFrame, one row per width tried. Columns: ``width``, ``status`` (REPRESENTABLE,
        NOT_REPRESENTABLE or UNKNOWN), ``method``, ``seconds``, ``certificate_kind`` (None unless refuted)."""
        import pandas as pd

        cols = ["width", "status", "method", "seconds", "certificate_kind"]
        return pd.DataFrame([{c: s.get(c) for c in cols} for s in self.steps], columns=cols)


def _sat_seconds(info: dict) -> dict:
    """The SAT search and proof-check seconds of a step (also when SAT was the second method, or decided the
    restriction)."""
    while "restriction" in info:
        info = info["restriction"]
    src = info if "check_seconds" in info else info.get("second", {})
    if "cubes" in src:  # a split CNF: the cubes' search and check seconds, summed over the cubes
        return {"solve_seconds": src["search_seconds"], "check_seconds": src["check_seconds"]}
    return {k: src[k] for k in ("solve_seconds", "check_seconds") if k in src}


def _say(line: str) -> None:
    """One progress line on stderr that does not break a running tqdm bar."""
    from tqdm.auto import tqdm

    tqdm.write(line, file=sys.stderr)


def min_width(features: FeatureSet, *, activation: str = "relu", weight_bound: int | None = 1,
              nonnegative: bool = False, method: str = "auto", time_limit: float | None = None,
              max_width: int | None = None, seed: int = 0, progress: bool = False, workers: int = 1,
              executor=None) -> MinWidthResult:
    """The proven minimum number of hidden units that compute every feature at once.

    Widths are tried upwards from 1. Representability is monotone in the width (an extra unit with zero
    weights changes nothing), so a certificate at ``n - 1`` and a witness at ``n`` prove the minimum.
    ``max_width`` defaults to the domain size, which always suffices for integer weights with ``K >= 1``
    and no sign restriction (one point-detector unit per point). ``workers`` / ``executor``: each width's
    ``auto`` steps run concurrently (:func:`representable`); the answer is the sequential one.
    """
    t0 = time.perf_counter()
    deadline = None if time_limit is None else t0 + float(time_limit)
    max_width = features.domain.size if max_width is None else int(max_width)
    if max_width < 1:
        raise CapacityError(f"max_width must be >= 1, got {max_width}")
    lower, steps, last_cert = 1, [], None
    for n in range(1, max_width + 1):
        left = None if deadline is None else deadline - time.perf_counter()
        if left is not None and left <= 0:
            break
        problem = Problem(features, n, activation, weight_bound, nonnegative, None, seed)
        if progress:
            _say(f"min-width: width {n} (lower bound {lower}) ...")
        res = representable(problem, method, time_limit=left, seed=seed, progress=progress, workers=workers,
                            executor=executor)
        if progress:
            _say(f"min-width: width {n}: {res.status} by {res.method} in {res.seconds:.1f}s")
        steps.append({"width": n, "status": str(res.status), "method": res.method, "seconds": round(res.seconds, 6),
                      "certificate_kind": None if res.certificate is None else res.certificate.kind,
                      **_sat_seconds(res.info),
                      **{k: v for k, v in res.info.get("portfolio", {}).items() if k.endswith("cpu_seconds")}})
        if res.status is Status.REPRESENTABLE:
            proven = lower == n
            return MinWidthResult(features, n if proven else None, lower, n,
                                  WidthStatus.PROVEN if proven else WidthStatus.UNKNOWN,
                                  res.witness, last_cert if proven else None, time.perf_counter() - t0,
                                  res.method, tuple(steps))
        if res.status is Status.NOT_REPRESENTABLE:
            lower, last_cert = n + 1, res.certificate
    status = WidthStatus.NONE if lower > max_width else WidthStatus.UNKNOWN
    return MinWidthResult(features, None, lower, None, status, None, None, time.perf_counter() - t0,
                          method, tuple(steps))


# -------------------------------------------------------------------------------------------------
# capacity


@dataclass(frozen=True, eq=False)
class CapacityResult:
    """The largest simultaneously computable subset of a family at width ``d_hidden``. ``proven`` means no
    larger subset is computable (every hidden layer visited, or every larger subset certified)."""

    family: FeatureSet
    d_hidden: int
    size: int
    chosen: tuple
    proven: bool
    upper: int
    witness: Network | None
    seconds: float
    method: str
    proof: str = ""
    parameter_size: int = 0

    def to_dict(self) -> dict:
        return {
            "d_hidden": self.d_hidden, "size": self.size, "upper": self.upper, "proven": self.proven,
            "chosen": list(self.chosen), "chosen_names": [self.family.names[i] for i in self.chosen],
            "family_size": len(self.family), "parameter_size": self.parameter_size, "proof": self.proof,
            "witness": None if self.witness is None else self.witness.to_dict(),
            "seconds": round(self.seconds, 6), "method": self.method,
        }

    def to_frame(self):
        """One row per feature of the family. Columns: ``feature`` (name), ``chosen`` (in the largest subset
        found), ``d_hidden``, ``size`` (that subset's size), ``proven`` (no larger subset is computable)."""
        import pandas as pd

        chosen = set(self.chosen)
        return pd.DataFrame({"feature": list(self.family.names),
                             "chosen": [i in chosen for i in range(len(self.family))],
                             "d_hidden": self.d_hidden, "size": self.size, "proven": self.proven})


def capacity(family: FeatureSet, d_hidden: int, *, activation: str = "relu", weight_bound: int | None = 1,
             nonnegative: bool = False, code: Code | None = None, method: str = "auto",
             time_limit: float | None = None, seed: int = 0, progress: bool = False,
             max_calls: int | None = None) -> CapacityResult:
    """The largest subset of ``family`` that one hidden layer of width ``d_hidden`` computes at once.

    ``enumerate`` visits every hidden layer and keeps the one reading out the most features (exact when it
    finishes). Other methods grow a subset greedily and then certify that no larger subset is computable by
    deciding every subset one larger (computable sets are closed under taking subsets), which is exact but
    exponential in the family size. Budgets end the search, never in an exception: when ``time_limit``
    (seconds) or ``max_calls`` (solver calls, deterministic) runs out, the best verified subset so far is
    returned with ``proven=False``.
    """
    t0 = time.perf_counter()
    if max_calls is not None and (isinstance(max_calls, bool) or int(max_calls) != max_calls or max_calls < 0):
        raise CapacityError(f"max_calls must be an integer >= 0, got {max_calls!r}")
    problem = Problem(family, d_hidden, activation, weight_bound, nonnegative, code, seed)
    chosen_method = ("enumerate" if _enumeration_size(problem) <= ENUMERATE_LIMIT else "cpsat") \
        if method == "auto" else method
    if chosen_method == "enumerate":
        from .enumerate import best_subset

        chosen, net, complete, info = best_subset(problem, time_limit=time_limit, progress=progress)
        return CapacityResult(family, d_hidden, len(chosen), chosen, complete, len(chosen) if complete else len(family),
                              net, time.perf_counter() - t0, "enumerate",
                              "exhaustive enumeration of hidden layers" if complete else "time limit: lower bound only",
                              problem.parameter_size())
    return _capacity_by_subsets(problem, chosen_method, time_limit, seed, progress, t0, max_calls)


def _capacity_by_subsets(problem, method, time_limit, seed, progress, t0, max_calls=None) -> CapacityResult:
    from itertools import combinations

    family, n = problem.features, problem.d_hidden
    deadline = None if time_limit is None else t0 + float(time_limit)
    calls = 0

    def decide(idx):
        """The sub-problem's result, or None when a budget has run out (no solver is started then)."""
        nonlocal calls
        left = None if deadline is None else deadline - time.perf_counter()
        if (left is not None and left <= 0) or (max_calls is not None and calls >= max_calls):
            return None
        calls += 1
        return representable(sub(idx), method, time_limit=left, seed=seed)

    def sub(idx):
        c = problem.code
        if c is not None and c.S_out is not None and c.S_out.shape[0] > 1:
            c = Code(c.S_in, c.S_b_in, c.S_out[list(idx)], c.mode)
        return Problem(family.select(list(idx)), n, problem.activation, problem.weight_bound,
                       problem.nonnegative, c, seed)

    chosen, witness = (), None
    for i in range(len(family)):  # greedy lower bound
        r = decide(chosen + (i,))
        if r is None:
            break
        if r.status is Status.REPRESENTABLE:
            chosen, witness = chosen + (i,), r.witness
    size, proven, upper = len(chosen), False, len(family)
    while size < len(family):  # is any subset of size + 1 computable?
        found, undecided = None, False
        for idx in combinations(range(len(family)), size + 1):
            r = decide(idx)
            if r is None:
                undecided = True
                break
            if r.status is Status.REPRESENTABLE:
                found = (idx, r.witness)
                break
            if r.status is Status.UNKNOWN:
                undecided = True
        if found is not None:
            chosen, witness, size = found[0], found[1], size + 1
            continue
        if not undecided:
            proven, upper = True, size
        break
    if size == len(family):
        proven, upper = True, size
    proof = (f"every subset of size {size + 1} certified not computable ({method})" if proven and size < len(family)
             else "all features computed" if proven else "budget ran out: lower bound only")
    return CapacityResult(family, n, size, chosen, proven, upper, witness, time.perf_counter() - t0, method, proof,
                          problem.parameter_size())


# -------------------------------------------------------------------------------------------------
# representable set of a code


@dataclass(frozen=True, eq=False)
class RepresentableSet:
    """Which features of a family one readout of the class computes (single-feature question). ``results``
    holds one :class:`Result` per feature (None with ``enumerate``, whose enumeration is the certificate);
    ``info`` says how the answers were reached (orbits merged, cheap witnesses, solver calls)."""

    family: FeatureSet
    mask: np.ndarray
    results: tuple
    parameter_size: int
    seconds: float
    method: str
    info: dict = field(default_factory=dict)

    @property
    def count(self) -> int:
        return int(self.mask.sum())

    @property
    def complete(self) -> bool:
        return all(r is None or r.status is not Status.UNKNOWN for r in self.results)

    @property
    def statuses(self) -> list:
        """Per feature: REPRESENTABLE, NOT_REPRESENTABLE or UNKNOWN."""
        return [str(Status.REPRESENTABLE if k else Status.NOT_REPRESENTABLE) if r is None else str(r.status)
                for r, k in zip(self.results, self.mask)]

    def to_dict(self) -> dict:
        st = self.statuses
        return {"count": self.count, "family_size": len(self.family), "complete": self.complete,
                "unknown": st.count("UNKNOWN"), "parameter_size": self.parameter_size, "method": self.method,
                "seconds": round(self.seconds, 6),
                "representable": [n for n, k in zip(self.family.names, self.mask) if k],
                "not_representable": [n for n, x in zip(self.family.names, st) if x == "NOT_REPRESENTABLE"],
                "info": self.info}

    def to_frame(self):
        """One row per feature of the family. Columns: ``feature`` (name), ``representable`` (bool),
        ``status`` (REPRESENTABLE, NOT_REPRESENTABLE or UNKNOWN), ``certificate_kind`` (how a refusal is
        proven; ``enumeration`` for every refusal of the ``enumerate`` method), ``method``."""
        import pandas as pd

        kinds = [("enumeration" if x == "NOT_REPRESENTABLE" else None) if r is None
                 else (r.certificate.kind if r.certificate is not None else None)
                 for r, x in zip(self.results, self.statuses)]
        return pd.DataFrame({"feature": list(self.family.names), "representable": np.asarray(self.mask, bool),
                             "status": list(self.statuses), "certificate_kind": kinds, "method": self.method})


def _unknown(problem, method, reason) -> Result:
    return Result(Status.UNKNOWN, problem, method, 0.0, info={"reason": reason})


def representable_set(code: Code | None, family: FeatureSet, *, d_hidden: int | None = None,
                      activation: str = "relu", weight_bound: int | None = 1, nonnegative: bool = False,
                      method: str = "auto", time_limit: float | None = None, seed: int = 0,
                      max_calls: int | None = None, network: Network | None = None, merge: bool = True,
                      workers: int = 1, executor=None, progress: bool = False) -> RepresentableSet:
    """The exact representable set of ``code`` (width = its rows) within ``family``, one readout per feature.

    With ``enumerate`` (and no budget) the code's whole function set is listed once and each feature looked
    up (the enumeration is the certificate for every feature outside it). ``incremental`` (what ``auto``
    picks for integer classes too large to enumerate) builds the code's encoding once and decides the features with one
    SAT solver, merging features a code automorphism maps onto each other and trying cheap witnesses first
    (``network``: a trained network, rounded into the class); see :mod:`capacity.solvers.codeset`. Other
    methods decide feature by feature through :func:`representable`.

    Budgets end in UNKNOWN, never in an exception: ``time_limit`` (seconds, wall clock) and ``max_calls``
    (deterministic: at most this many features go to a solver, feature by feature or, for ``incremental``,
    to the known-hidden-layer and SAT stage); answers found before either runs out are kept. With either
    budget, ``enumerate`` searches feature by feature (each search gets the time left) instead of listing the
    whole function set once. ``workers`` > 1 (or an
    ``executor`` from :mod:`capacity.scaling.executors`) spreads the incremental method over processes.
    """
    t0 = time.perf_counter()
    if code is None and d_hidden is None:
        raise CapacityError("give a code or a width")
    if max_calls is not None and (isinstance(max_calls, bool) or int(max_calls) != max_calls or max_calls < 0):
        raise CapacityError(f"max_calls must be an integer >= 0, got {max_calls!r}")
    n = code.d_hidden if code is not None else int(d_hidden)
    problems = [Problem(family.select([i]), n, activation, weight_bound, nonnegative, code, seed)
                for i in range(len(family))]
    first = problems[0]
    P = first.parameter_size()
    if method not in METHODS + ("incremental",):
        raise CapacityError(f"unknown method {method!r}; choose one of {', '.join(METHODS + ('incremental',))}")
    chosen = method
    if method == "auto":
        chosen = "enumerate" if _enumeration_size(first) <= ENUMERATE_LIMIT else \
            "cpsat" if first.real else "incremental"
    if chosen == "incremental" and first.real:
        raise CapacityError("the incremental method needs integer weights (a weight bound K)")
    if chosen == "enumerate" and time_limit is None and max_calls is None:  # one uninterrupted enumeration
        from ..enumeration import enumerate_functions

        en = enumerate_functions(family.domain, n, activation, weight_bound, nonnegative=nonnegative, code=code)
        have = {row.tobytes() for row in en.tables}
        mask = np.array([row.tobytes() in have for row in family.tables])
        return RepresentableSet(family, mask, tuple([None] * len(family)), P, time.perf_counter() - t0,
                                "enumerate")
    deadline = None if time_limit is None else t0 + float(time_limit)
    if chosen == "incremental":
        from .codeset import decide_set

        results, info = decide_set(problems, code, time_limit=time_limit, max_calls=max_calls, network=network,
                                   merge=merge, workers=workers, executor=executor, progress=progress, t0=t0)
    else:
        results, calls = [], 0
        for p in problems:
            left = None if deadline is None else deadline - time.perf_counter()
            if left is not None and left <= 0:
                results.append(_unknown(p, chosen, "time limit"))
            elif max_calls is not None and calls >= max_calls:
                results.append(_unknown(p, chosen, "call budget (max_calls) used up"))
            else:
                calls += 1
                results.append(representable(p, chosen, time_limit=left, seed=seed))
        info = {"solver_calls": calls}
    mask = np.array([r.status is Status.REPRESENTABLE for r in results])
    return RepresentableSet(family, mask, tuple(results), P, time.perf_counter() - t0, chosen, info)
