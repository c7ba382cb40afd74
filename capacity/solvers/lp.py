"""Which features a *fixed* hidden layer makes linearly readable, with exact witnesses and Farkas
certificates.

Given the hidden layer ``h(x) = act(W_in x + b_in)`` of a network (its readout is ignored), a feature ``f`` is
*readable* when some real readout ``(v, c)`` has ``y = v . h(x) + c >= 0`` on the ones of ``f`` and
``y <= -1`` on its zeros. The question is scale-free (``(v, c) -> t (v, c)``, ``t >= 1``), so margin 1 loses
nothing; sign constraints on ``v`` (non-negativity, a sign-mode code's strict signs, normalised to
``>= 1`` / ``<= -1`` by the same scaling) keep it a polyhedron ``G u <= g`` in ``u = (v, c)``.

The hidden values are computed exactly (integers, or :class:`~fractions.Fraction` for float weights: every
float is a rational). A float LP (GLOP) decides; then

* readable: the float readout (solved with margin 1 on *both* sides, so it has slack) is checked in exact
  arithmetic and rescaled by a power of two (exact in floats); if that fails, the float vertex is rebuilt
  exactly from its tight rows (Gauss-Jordan over the rationals, sympy) and checked again. The witness
  network is verified with :func:`verify_witness` on a real-weight problem.
* not readable: a Farkas vector ``lambda >= 0`` with ``lambda^T G = 0`` and ``lambda^T g < 0`` (then
  ``G u <= g`` would give ``0 = lambda^T G u <= lambda^T g < 0``). A float LP finds a basic one; its support
  determines it, so Gauss-Jordan over the rationals rebuilds it exactly, and :func:`check_farkas` checks it
  in rationals: ``Certificate(kind="farkas", checked=True)``. Without sign constraints on ``v`` it says: a
  convex combination of the ones' hidden vectors equals one of the zeros' hidden vectors.

We do not use sympy's exact simplex (``sympy.solvers.simplex``): in sympy 1.14 it returned points violating
the equality constraints of our Farkas systems (sympy issue #28089 reports wrong answers and loops).

If neither exact step succeeds the answer is UNKNOWN.
"""

from __future__ import annotations

import time
from fractions import Fraction
from math import ceil, inf, lcm

import numpy as np

from ..errors import CapacityError
from ..features import FeatureSet
from ..network import Network, _is_integral
from .milp import _structure
from .problem import Certificate, Problem, Result, Status, verify_witness

__all__ = ["check_farkas", "exact_readouts", "hidden_values", "readable", "readout", "solve"]

#: the sign convention of the Farkas data (stored with every certificate)
FARKAS_CONVENTION = (
    "rows: ones -(h(x),1).(v,c) <= 0; zeros (h(x),1).(v,c) <= -1; "
    "lo rows -v_k <= -lo_k; hi rows v_k <= hi_k. "
    "lambda (per point), mu_lo, mu_hi >= 0 with lambda^T G = 0 and lambda^T g < 0."
)


def _exact(a) -> np.ndarray:
    """An object array of Python ints (integral input) or Fractions (every float is a rational)."""
    a = np.asarray(a)
    if _is_integral(a):
        return np.vectorize(int, otypes=[object])(a.astype(np.int64) if a.dtype.kind == "f" else a)
    return np.vectorize(Fraction, otypes=[object])(a.astype(np.float64))


def hidden_values(hidden: Network, domain) -> np.ndarray:
    """``(N, d_hidden)`` exact hidden values ``act(W_in x + b_in)`` on every point (object array)."""
    if hidden.W_hidden:
        raise CapacityError("lp reads out from one hidden layer; the network has more")
    hidden._check_domain(domain)
    X = domain.points.astype(np.int64).astype(object)
    Z = X.dot(_exact(hidden.W_in).T) + _exact(hidden.b_in)
    if hidden.activation == "step":
        return np.where(Z >= 0, 1, 0).astype(object)
    return np.where(Z > 0, Z, 0).astype(object)


# ---------------------------------------------------------------------------------------------------------


def _rows(Hx, labels, lo, hi, free):
    """The system ``G u <= g`` (rationals) over ``u = (v_free, c)``, with a description of each row."""
    G, g, desc = [], [], []
    for x in range(Hx.shape[0]):
        row = [Hx[x, k] for k in free] + [1]
        if labels[x]:
            G.append([-a for a in row]), g.append(0), desc.append(("point", x))
        else:
            G.append(row), g.append(-1), desc.append(("point", x))
    for p, k in enumerate(free):
        if np.isfinite(lo[k]):
            G.append([0] * p + [-1] + [0] * (len(free) - p)), g.append(-int(lo[k])), desc.append(("lo", k))
        if np.isfinite(hi[k]):
            G.append([0] * p + [1] + [0] * (len(free) - p)), g.append(int(hi[k])), desc.append(("hi", k))
    return G, g, desc


def check_farkas(Hx, labels, lo, hi, data) -> bool:
    """Exact check of a Farkas certificate for "no readout ``(v, c)`` within the bounds ``lo, hi`` separates
    ``labels`` on the hidden values ``Hx``" (``FARKAS_CONVENTION``). Pure rational arithmetic."""
    try:
        lam = [Fraction(t) for t in data["lambda"]]
        mu_lo = {int(k): Fraction(t) for k, t in data["mu_lo"].items()}
        mu_hi = {int(k): Fraction(t) for k, t in data["mu_hi"].items()}
    except (KeyError, TypeError, ValueError):
        return False
    N, n = Hx.shape
    if len(lam) != N or any(t < 0 for t in lam) or any(t < 0 for t in (*mu_lo.values(), *mu_hi.values())):
        return False
    if any(not 0 <= k < n for k in (*mu_lo, *mu_hi)):  # malformed: lo[-1] would silently read the last bound
        return False
    if any(not np.isfinite(lo[k]) for k in mu_lo) or any(not np.isfinite(hi[k]) for k in mu_hi):
        return False
    sign = [1 if not labels[x] else -1 for x in range(N)]  # zeros rows +(h,1), ones rows -(h,1)
    for k in range(n):
        if lo[k] == 0 and hi[k] == 0:
            continue  # v_k = 0 is not a variable
        col = sum(sign[x] * lam[x] * Fraction(Hx[x, k]) for x in range(N)) - mu_lo.get(k, 0) + mu_hi.get(k, 0)
        if col != 0:
            return False
    if sum(sign[x] * lam[x] for x in range(N)) != 0:  # the bias column
        return False
    rhs = -sum(lam[x] for x in range(N) if not labels[x])
    rhs += sum(-Fraction(int(lo[k])) * t for k, t in mu_lo.items()) + sum(
        Fraction(int(hi[k])) * t for k, t in mu_hi.items()
    )
    return rhs < 0


def _solve_exact(A, b, guess):
    """An exact solution of ``A u = b`` (rationals) by Gauss-Jordan (sympy); free coordinates take the
    rationalised ``guess``. ``None`` when the system is inconsistent."""
    from sympy import Matrix, Rational

    M = Matrix([[Rational(a) for a in row] for row in A])
    rhs = Matrix([Rational(t) for t in b])
    try:
        sol, params, free = M.gauss_jordan_solve(rhs, freevar=True)
    except ValueError:
        return None
    subs = {p: Rational(Fraction(guess[i]).limit_denominator(10**6)) for p, i in zip(params, free)}
    out = []
    for t in sol.subs(subs):
        r = Rational(t)
        out.append(Fraction(int(r.p), int(r.q)))
    return out


def _glop(time_limit):
    from ortools.linear_solver import pywraplp

    s = pywraplp.Solver.CreateSolver("GLOP")
    if time_limit is not None:
        s.SetTimeLimit(max(1, int(time_limit * 1000)))
    return s


def _float_readout(Hx, labels, lo, hi, free, time_limit):
    """GLOP on the symmetric-margin system (``>= 1`` on ones, ``<= -1`` on zeros). ``(status, v, c)``."""
    from ortools.linear_solver import pywraplp

    s = _glop(time_limit)
    Inf = s.infinity()
    v = [
        s.NumVar(
            -Inf if not np.isfinite(lo[k]) else float(lo[k]),
            Inf if not np.isfinite(hi[k]) else float(hi[k]),
            f"v{k}",
        )
        for k in free
    ]
    c = s.NumVar(-Inf, Inf, "c")
    Hf = np.asarray(Hx, dtype=float)
    for x in range(Hx.shape[0]):
        y = s.Sum([float(Hf[x, k]) * v[p] for p, k in enumerate(free) if Hf[x, k] != 0]) + c
        s.Add(y >= 1) if labels[x] else s.Add(y <= -1)
    st = s.Solve()
    if st == pywraplp.Solver.OPTIMAL:
        return "optimal", [t.solution_value() for t in v], c.solution_value()
    if st == pywraplp.Solver.INFEASIBLE:
        return "infeasible", None, None
    return "unknown", None, None


def _check_readout(Hx, labels, lo, hi, v, c):
    """Exact: do ``(v, c)`` (rationals, full length) give ``y >= 0`` on ones, ``y < 0`` on zeros and the signs
    the bounds ask for? Returns the smallest ``-y`` on zeros (``> 0``), or None."""
    for k, t in enumerate(v):
        if (
            (lo[k] == 1 and not t > 0)
            or (lo[k] == 0 and t < 0)
            or (hi[k] == -1 and not t < 0)
            or (hi[k] == 0 and t > 0)
        ):
            return None
    worst = None
    for x in range(Hx.shape[0]):
        y = sum(Fraction(t) * Fraction(Hx[x, k]) for k, t in enumerate(v) if t) + Fraction(c)
        if labels[x]:
            if y < 0:
                return None
        else:
            if not y < 0:
                return None
            worst = -y if worst is None or -y < worst else worst
    return worst if worst is not None else Fraction(1)


def _as_floats(v, c, margin):
    """Scale rational ``(v, c)`` so that the zeros have ``y <= -1`` and every number is an exact float64."""
    vals = [Fraction(t) for t in v] + [Fraction(c)]
    if all(t.denominator & (t.denominator - 1) == 0 for t in vals):  # dyadic: scale by a power of two
        e = 0
        while Fraction(2) ** e * margin < 1:
            e += 1
        out = [float(t * 2**e) for t in vals]
        if all(Fraction(o) == t * 2**e for o, t in zip(out, vals)):
            return out[:-1], out[-1]
        return None
    d = lcm(*(t.denominator for t in vals))  # integers first, then a whole multiple for the margin
    k = max(1, ceil(1 / (margin * d)))
    ints = [int(t * d * k) for t in vals]
    if max(abs(t) for t in ints) >= 2**53:
        return None
    return [float(t) for t in ints[:-1]], float(ints[-1])


def readout(Hx, labels, lo=None, hi=None, *, time_limit=None):
    """Decide one feature on fixed exact hidden values ``Hx`` ``(N, n)``: ``("readable", v, c)`` with float64
    numbers that are exact, ``("farkas", data)`` with an exactly checked certificate, or ``("unknown", why)``.

    ``lo, hi``: per-coordinate cone bounds on ``v`` in {-inf, 0, 1} and {-1, 0, inf} (default free)."""
    Hx = np.asarray(Hx, dtype=object)
    N, n = Hx.shape
    labels = np.asarray(labels, dtype=bool)
    lo = np.full(n, -inf) if lo is None else np.asarray(lo, dtype=float)
    hi = np.full(n, inf) if hi is None else np.asarray(hi, dtype=float)
    if not (np.isin(lo, (-inf, 0, 1)).all() and np.isin(hi, (-1, 0, inf)).all()):
        raise CapacityError("readout bounds must be cone bounds: lo in {-inf, 0, 1}, hi in {-1, 0, inf}")
    free = [k for k in range(n) if not (lo[k] == 0 and hi[k] == 0)]

    def full(vf):
        out = [Fraction(0)] * n
        for p, k in enumerate(free):
            out[k] = vf[p]
        return out

    status, vf, cf = _float_readout(Hx, labels, lo, hi, free, time_limit)
    if status == "optimal":
        # snap the float answer into the sign cones (a -1e-17 on a non-negative weight), then check exactly
        vq = [
            Fraction(max(t, 0.0) if lo[k] == 0 else min(t, 0.0) if hi[k] == 0 else t)
            for t, k in zip(vf, free)
        ]
        v, c = full(vq), Fraction(cf)
        margin = _check_readout(Hx, labels, lo, hi, v, c)
        if margin is not None:
            res = _as_floats(v, c, margin)
            if res is not None:
                return ("readable", *res)
    G, g, desc = _rows(Hx, labels, lo, hi, free)
    if status == "optimal":  # rebuild the float vertex exactly from its tight rows (margin 1 on both sides)
        u = list(vf) + [cf]
        tight = [
            i
            for i, row in enumerate(G)
            if abs(sum(float(a) * t for a, t in zip(row, u)) - _sym_rhs(g[i], desc[i])) < 1e-7
        ]
        sol = (
            _solve_exact([G[i] for i in tight], [_sym_rhs(g[i], desc[i]) for i in tight], u)
            if tight
            else None
        )
        if sol is not None:
            v, c = full(sol[:-1]), sol[-1]
            margin = _check_readout(Hx, labels, lo, hi, v, c)
            res = None if margin is None else _as_floats(v, c, margin)
            if res is not None:
                return ("readable", *res)
        return "unknown", "float readout found but no exact readout could be rebuilt from it"
    if status != "infeasible":
        return "unknown", "float LP gave no answer (time limit or numerical trouble)"
    lam = _farkas(G, g, time_limit)
    if lam is None:
        return "unknown", "no exact Farkas vector found"
    data = {"lambda": [Fraction(0)] * N, "mu_lo": {}, "mu_hi": {}, "convention": FARKAS_CONVENTION}
    for t, (kind, idx) in zip(lam, desc):
        if kind == "point":
            data["lambda"][idx] = t
        elif t:
            data["mu_" + kind][idx] = t
    if not check_farkas(Hx, labels, lo, hi, data):
        return "unknown", "Farkas vector failed the exact check"
    return "farkas", data


def _sym_rhs(gi, d):
    """Right-hand side of row ``d`` in the symmetric-margin system the float LP solves (ones ``>= 1``)."""
    return -1 if d[0] == "point" and gi == 0 else gi


def _farkas(G, g, time_limit):
    """An exact ``lambda >= 0`` with ``G^T lambda = 0``, ``g^T lambda = -1``: the float LP gives a basic
    solution, whose support determines it; Gauss-Jordan in rationals rebuilds it. ``None`` if that fails."""
    from ortools.linear_solver import pywraplp

    R, C = len(G), len(G[0])
    s = _glop(time_limit)
    lam = [s.NumVar(0, s.infinity(), f"l{i}") for i in range(R)]
    for k in range(C):
        s.Add(s.Sum([float(G[i][k]) * lam[i] for i in range(R) if G[i][k] != 0]) == 0)
    s.Add(s.Sum([float(g[i]) * lam[i] for i in range(R) if g[i] != 0]) == -1)
    if s.Solve() != pywraplp.Solver.OPTIMAL:
        return None
    val = [t.solution_value() for t in lam]
    for tol in (1e-9, 1e-6):
        rows = [i for i in range(R) if val[i] > tol]
        if not rows:
            continue
        A_eq = [[G[i][k] for i in rows] for k in range(C)] + [[g[i] for i in rows]]
        sol = _solve_exact(A_eq, [0] * C + [-1], [val[i] for i in rows])
        if sol is not None and all(t >= 0 for t in sol):
            out = [Fraction(0)] * R
            for i, t in zip(rows, sol):
                out[i] = t
            return out
    return None


# ---------------------------------------------------------------------------------------------------------


def _readout_bounds(problem: Problem):
    code = problem.code
    lo, hi, _ = _structure(
        problem.readout_code(),
        None if code is None else code.mode,
        problem.nonnegative,
        (problem.n_features, problem.d_hidden),
    )
    return lo, hi


def exact_readouts(problem: Problem, net: Network) -> Network | None:
    """Keep ``net``'s hidden layer and solve every readout exactly for the real problem; None if some feature
    is not readable (or the exact step failed)."""
    Hx = hidden_values(net, problem.domain)
    lo, hi = _readout_bounds(problem)
    bits = problem.features.bits
    V, C = [], []
    for f in range(problem.n_features):
        out = readout(Hx, bits[f], lo[f], hi[f])
        if out[0] != "readable":
            return None
        V.append(out[1]), C.append(out[2])
    return Network(
        net.W_in, net.b_in, np.array(V, dtype=np.float64), np.array(C, dtype=np.float64), net.activation
    )


def _result_for(problem, out, hidden, t0, info, name):
    if out[0] == "readable":
        net = Network(
            hidden.W_in,
            hidden.b_in,
            np.array([out[1]], dtype=np.float64),
            np.array([out[2]]),
            hidden.activation,
        )
        ok, why = verify_witness(problem, net)
        if not ok:
            raise AssertionError(f"lp produced a readout that fails the exact check ({why}): a bug")
        info["verification"] = why
        return Result(Status.REPRESENTABLE, problem, "lp", time.perf_counter() - t0, witness=net, info=info)
    if out[0] == "farkas":
        cert = Certificate(
            "farkas",
            True,
            f"with the hidden layer fixed, {name!r} is not linearly readable "
            f"(Farkas vector checked in rationals)",
            data=out[1],
        )
        return Result(
            Status.NOT_REPRESENTABLE, problem, "lp", time.perf_counter() - t0, certificate=cert, info=info
        )
    info["unknown_reason"] = out[1]
    return Result(Status.UNKNOWN, problem, "lp", time.perf_counter() - t0, info=info)


def readable(
    hidden: Network, features: FeatureSet, *, nonnegative: bool = False, time_limit: float | None = None
) -> list[Result]:
    """For each feature: can a real readout of ``hidden``'s (fixed) hidden layer compute it?

    ``hidden``'s ``W_in, b_in, activation`` define the hidden layer; its readout is ignored. ``nonnegative``
    restricts the readout weights to ``>= 0``. Each :class:`Result` is REPRESENTABLE (witness: the hidden
    layer plus the readout, exactly verified), NOT_REPRESENTABLE with a checked ``farkas`` certificate, or
    UNKNOWN. Its ``problem`` is the one-feature real-weight problem; NOT_REPRESENTABLE here is about *this*
    hidden layer (``info["hidden_fixed"]``), not about every hidden layer of that width."""
    if not isinstance(hidden, Network):
        raise CapacityError(f"hidden must be a Network, got {type(hidden).__name__}")
    if not isinstance(features, FeatureSet):
        raise CapacityError(f"features must be a FeatureSet, got {type(features).__name__}")
    Hx = hidden_values(hidden, features.domain)
    n = hidden.d_hidden
    nonneg_in = bool(nonnegative and (np.asarray(hidden.W_in) >= 0).all())
    lo = np.full(n, 0.0 if nonnegative else -inf)
    out = []
    for f in range(len(features)):
        t0 = time.perf_counter()
        prob = Problem(features.select([f]), n, hidden.activation, None, nonneg_in)
        res = readout(Hx, features.bits[f], lo, np.full(n, inf), time_limit=time_limit)
        info = {
            "hidden_fixed": True,
            "readout_nonnegative": bool(nonnegative),
            "solver": "GLOP + exact rational reconstruction",
        }
        out.append(_result_for(prob, res, hidden, t0, info, features.names[f]))
    return out


def solve(
    problem: Problem, *, hidden: Network | None = None, time_limit: float | None = None, seed: int = 0
) -> Result:
    """The fixed-hidden-layer question for a real-weight ``problem``: with ``hidden``'s hidden layer fixed, do
    real readouts (obeying the problem's readout code and sign constraints) compute all features at once?
    (Readouts are independent given the hidden layer.) NOT_REPRESENTABLE carries the Farkas certificate of the first
    unreadable feature and is about this hidden layer only (``info["hidden_fixed"]``)."""
    if hidden is None:
        raise CapacityError("method 'lp' answers the fixed-hidden-layer question: pass hidden=<Network>")
    if not isinstance(problem, Problem):
        raise CapacityError(f"lp.solve needs a Problem, got {type(problem).__name__}")
    if not problem.real:
        raise CapacityError(
            "method 'lp' decides real readouts; the problem has integer weights (use cpsat or milp)"
        )
    if hidden.activation != problem.activation or hidden.d_hidden != problem.d_hidden:
        raise CapacityError(
            f"hidden layer is {hidden.activation} with {hidden.d_hidden} units, the problem asks for "
            f"{problem.activation} with {problem.d_hidden}"
        )
    t0 = time.perf_counter()
    Hx = hidden_values(hidden, problem.domain)
    lo, hi = _readout_bounds(problem)
    bits = problem.features.bits
    V, C = [], []
    info = {"hidden_fixed": True, "solver": "GLOP + exact rational reconstruction"}
    for f in range(problem.n_features):
        res = readout(Hx, bits[f], lo[f], hi[f], time_limit=time_limit)
        if res[0] != "readable":
            sub = _result_for(
                problem,
                res,
                hidden,
                t0,
                dict(info, feature=problem.features.names[f]),
                problem.features.names[f],
            )
            return sub
        V.append(res[1]), C.append(res[2])
    net = Network(
        hidden.W_in,
        hidden.b_in,
        np.array(V, dtype=np.float64),
        np.array(C, dtype=np.float64),
        hidden.activation,
    )
    ok, why = verify_witness(problem, net)
    if not ok:
        info["unknown_reason"] = f"readouts found but the witness fails the exact check: {why}"
        return Result(Status.UNKNOWN, problem, "lp", time.perf_counter() - t0, info=info)
    info["verification"] = why
    return Result(Status.REPRESENTABLE, problem, "lp", time.perf_counter() - t0, witness=net, info=info)
