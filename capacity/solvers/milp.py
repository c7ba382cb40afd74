"""Mixed-integer programming over activation patterns (SCIP through OR-Tools ``pywraplp``).

Every problem is turned into a *finite integer search class* (:func:`search_class`): per-entry integer boxes
for ``W_in``, ``b_in``, ``W_out``, ``b_out`` together with a flag saying whether searching that box is
*exact* (box infeasible => the problem is not representable). The MILP then has one binary per hidden unit
and domain point (the step value, or the ReLU phase), exact big-M constraints whose constants come from the
box (never a guessed number), and an exact linearisation of the readout products. The same class feeds the
CP-SAT model in :mod:`capacity.solvers.cpsat`.

Why SCIP through ``pywraplp`` rather than ``highspy``: OR-Tools is already a core dependency (highspy is
not), the same wrapper gives GLOP for :mod:`capacity.solvers.lp`, and SCIP's presolve copes well with the
big-M rows below; with one thread it is deterministic given ``randomization/randomseedshift``.

**The search classes (the mathematics).** Let ``s`` be the largest number of ones of a domain point
(``min(sparsity, m)``), and call a coordinate *free* unless the code fixes it to 0.

* Integer weights (``weight_bound=K``): the box of :meth:`Problem.weight_bounds`. Biases are free integers,
  but a finite range suffices: with ``A_j`` the sum of the ``s`` largest ``|W_in[j, i]|`` bounds,
  ``|W_in[j] . x| <= A_j`` on the domain, so clamping ``b_j`` into ``[-(A_j+1), A_j+1]`` keeps a step
  unit's truth table (``b >= A_j`` is all ones, ``b <= -A_j-1`` all zeros), keeps the sign of ``b_j``
  (the ends are non-zero), and for a ReLU unit either keeps it dead (``z <= -1``) or shifts every value
  of an always-active unit by the same amount, which the free readout bias absorbs. Likewise, with
  ``Y_f = sum_j max|W_out[f, j]| * max h_j`` clamping ``b_out[f]`` into ``[-(Y_f+1), Y_f+1]`` keeps every
  sign of ``y_f``. Exact.
* Real weights, step units: per hidden unit, the ``(w, b)`` realising a fixed truth table ``P`` (plus
  the code's sign rows and non-negativity) form, after scaling (the problem is scale-free, a strict sign
  becomes ``>= 1``, a strict zero side ``<= -1``), the polyhedron ``Q = {w.x + b >= 0 on P, <= -1 off P,
  code rows}``. A minimal face of a non-empty polyhedron is an affine subspace contained in it
  (Schrijver, Thm 8.4), so ``Q`` has a *basic* point: an ``r x r`` non-singular subsystem ``B`` of rows,
  non-basic coordinates 0, and by Cramer ``w_i = det(B_i)/det(B)``. Multiplying by ``|det B| >= 1`` keeps
  every row of ``Q`` (right-hand sides are 0 or move away from 0) and gives integer weights with
  ``|w_i| <= |det B_i|``. Without strict-sign rows every row of ``B_i`` is a 0/1 point row (the replaced
  column holds right-hand sides in {0, -1}; negate it) or a unit row with right-hand side 0 (expand it);
  such a 0/1 matrix of order ``k+1`` with an all-ones (bias) column has ``det = det(2B - J)/2^k``, and
  ``2B - J`` is a +-1 matrix, so Hadamard gives ``|det| <= (k+1)^((k+1)/2) / 2^k`` with ``k`` the free
  inputs (without the bias column the bound for order ``k`` is the same number); the bound increases
  with ``k``. With strict sign rows (sign-mode codes) we only use Hadamard's row bound
  ``(k+1)^((k+1)/2)``. The readout of a step network sees points ``h(x)`` in ``{0,1}^n``: the same
  argument with ``k`` = free readout coordinates. Hidden units and readouts scale independently, so
  the real step problem *equals* the integer problem with these boxes. Exact.
* Real weights, ReLU units, one feature: positive homogeneity ``v relu(z) = sign(v) relu(|v| z)``
  normalises every readout weight to ``sigma_j`` in {-1, 0, +1}. With the phases ``P_j = {z_j > 0}`` fixed,
  ``y = sum_j sigma_j [x in P_j] z_j(x) + c`` is linear, and ``Q = {z_j >= 0 on P_j, z_j <= 0 off P_j,
  y >= 0 on ones, y <= -1 on zeros, code rows}`` has the same basic-point argument in the variables
  ``(W_in, b_in, b_out)``; entries are in {-1, 0, 1}, so Hadamard's row bound gives ``|coordinate| <=
  prod_rows sqrt(nnz)`` with at most ``min(r, N)`` readout rows (``nnz <= r``, ``r`` = number of
  variables) and the rest phase rows (``nnz <= s + 1``) or code rows (``nnz <= 2``). Exact, but the bound
  grows fast with ``n * m`` (above ``max_bound`` we search a capped box and say it is not exact).
* Real weights, ReLU, several features: the readouts cannot all be normalised and the fixed-pattern
  problem is bilinear, so we know no rigorous box. We search the integer box ``[-search_bound,
  search_bound]`` (a subclass: a witness is a real witness), and we first decide every feature alone (the
  exact one-feature class): if one feature alone is not representable, neither is the set. Otherwise an
  infeasible search box gives UNKNOWN.

Infeasible MILPs give ``NOT_REPRESENTABLE`` with ``Certificate(kind="agreement", checked=False)``: a float
solver's infeasibility is no proof, so the front door confirms it with a second method. Every solution is
rounded and re-verified exactly with :func:`verify_witness`; for real problems a failed check is repaired
by keeping the hidden layer and solving the readout exactly (:mod:`capacity.solvers.lp`), else UNKNOWN.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from itertools import pairwise
from math import isqrt

import numpy as np

from ..errors import CapacityError
from ..network import Network
from .problem import Certificate, Problem, Result, Status, verify_witness

__all__ = ["SearchClass", "hadamard_01", "hadamard_pm", "relu_real_bound", "search_class", "solve"]

#: boxes larger than this are capped (and the search is then not exact)
MAX_BOUND = 2**40


def hadamard_01(k: int) -> int:
    """``floor((k+1)^((k+1)/2) / 2^k)``: bounds ``|det|`` of a 0/1 matrix of order ``k``, and of order ``k+1``
    with an all-ones column. The integer weight bound that realises every real step unit with ``k`` inputs."""
    return isqrt((k + 1) ** (k + 1) // 4**k)


def hadamard_pm(k: int) -> int:
    """``floor((k+1)^((k+1)/2))``: Hadamard's bound for order ``k+1`` matrices with entries in {-1, 0, 1}."""
    return isqrt((k + 1) ** (k + 1))


def relu_real_bound(free_in, s: int, n_points: int) -> int:
    """Box for the exact real one-feature ReLU class (module docstring): ``floor(sqrt(rho_y^t rho_z^(r-t)))``
    with ``r`` variables (free weights, free biases, readout bias), ``t = min(r, N)`` readout rows with at
    most ``rho_y`` non-zeros and the other rows with at most ``rho_z``."""
    free_in = [(k, fb) for k, fb in free_in]
    r = sum(k + int(fb) for k, fb in free_in) + 1
    rho_y = min(r, 2 + sum(min(s, k) + 1 for k, _ in free_in))
    rho_z = max([2] + [min(s, k) + 1 for k, _ in free_in])
    t = min(r, n_points)
    return max(1, isqrt(rho_y**t * rho_z ** (r - t)))


@dataclass(frozen=True, eq=False)
class SearchClass:
    """A finite integer box for every parameter, and whether searching it decides the problem exactly.

    Arrays: ``lo_in, hi_in`` ``(n, m)``; ``lo_b, hi_b`` ``(n,)``; ``lo_out, hi_out`` ``(F, n)``;
    ``lo_c, hi_c`` ``(F,)`` (all int64); ``z_bound[j] >= |W_in[j] . x + b_in[j]|`` on the domain;
    ``h_bound[j]`` bounds the hidden value (1 for step)."""

    lo_in: np.ndarray
    hi_in: np.ndarray
    lo_b: np.ndarray
    hi_b: np.ndarray
    lo_out: np.ndarray
    hi_out: np.ndarray
    lo_c: np.ndarray
    hi_c: np.ndarray
    z_bound: np.ndarray
    h_bound: np.ndarray
    exact: bool
    reason: str
    info: dict = field(default_factory=dict)

    def groups(self) -> list[list[int]]:
        """Hidden units with identical boxes (in and out): permuting them maps solutions to solutions."""
        keys: dict = {}
        for j in range(self.lo_in.shape[0]):
            key = (
                tuple(self.lo_in[j]),
                tuple(self.hi_in[j]),
                int(self.lo_b[j]),
                int(self.hi_b[j]),
                tuple(self.lo_out[:, j]),
                tuple(self.hi_out[:, j]),
            )
            keys.setdefault(key, []).append(j)
        return [g for g in keys.values() if len(g) > 1]

    def to_dict(self) -> dict:
        return {
            "exact": self.exact,
            "reason": self.reason,
            "max_weight_in": int(np.abs(np.stack([self.lo_in, self.hi_in])).max(initial=0)),
            "max_weight_out": int(np.abs(np.stack([self.lo_out, self.hi_out])).max(initial=0)),
            "max_bias_in": int(np.abs(np.stack([self.lo_b, self.hi_b])).max(initial=0)),
            "max_bias_out": int(np.abs(np.stack([self.lo_c, self.hi_c])).max(initial=0)),
            **self.info,
        }


def _structure(S, mode, nonnegative, shape):
    """Real-weight cone of each entry as bounds in {-inf, -1, 0, 1, inf}, and whether strict signs occur."""
    lo, hi = np.full(shape, -np.inf), np.full(shape, np.inf)
    strict = np.zeros(shape[0], dtype=bool)
    if S is not None:
        lo[S == 0] = hi[S == 0] = 0.0
        if mode == "sign":
            lo[S > 0], hi[S < 0] = 1.0, -1.0
            strict = (S != 0).any(axis=1)
    if nonnegative:
        lo = np.maximum(lo, 0.0)
    return lo, hi, strict


def _bias_box(S_b, mode, A):
    """Bias box ``[-(A+1), A+1]`` intersected with the code's bias signs (``A`` may be an array)."""
    A = np.asarray(A, dtype=np.int64)
    lo, hi = -(A + 1), A + 1
    if S_b is not None:
        S_b = np.asarray(S_b)
        lo, hi = lo.copy(), hi.copy()
        lo[S_b == 0] = hi[S_b == 0] = 0
        if mode == "sign":
            lo[S_b > 0] = 1
            hi[S_b < 0] = -1
    return lo, hi


def _top_sum(absb: np.ndarray, s: int) -> np.ndarray:
    """Per row, the sum of the ``s`` largest entries: bounds ``|w . x|`` over points with ``<= s`` ones."""
    if s <= 0 or absb.shape[1] == 0:
        return np.zeros(absb.shape[0], dtype=np.int64)
    return np.sort(absb, axis=1)[:, ::-1][:, :s].sum(axis=1).astype(np.int64)


def search_class(problem: Problem, *, search_bound: int = 2, max_bound: int = MAX_BOUND) -> SearchClass:
    """The finite integer box a solver searches for ``problem`` (module docstring says why it suffices)."""
    if int(search_bound) < 1:
        raise CapacityError(f"search_bound must be an integer >= 1, got {search_bound!r}")
    n, m, F = problem.d_hidden, problem.domain.m, problem.n_features
    dom = problem.domain
    s = m if dom.sparsity is None else min(dom.sparsity, m)
    code = problem.code
    mode = None if code is None else code.mode
    S_b = problem.bias_signs()
    info: dict = {}
    exact = True
    if not problem.real:
        lo_in, hi_in, lo_out, hi_out = problem.weight_bounds()
        reason = f"integer weights in [-{problem.weight_bound}, {problem.weight_bound}]"
    else:
        lo_in, hi_in, strict_in = _structure(
            None if code is None else code.S_in, mode, problem.nonnegative, (n, m)
        )
        if S_b is not None and mode == "sign":
            strict_in = strict_in | (np.asarray(S_b) != 0)
        lo_out, hi_out, strict_out = _structure(problem.readout_code(), mode, problem.nonnegative, (F, n))
        free_in = (lo_in != hi_in).sum(axis=1)
        free_out = (lo_out != hi_out).sum(axis=1)
        if problem.activation == "step":
            H_in = np.array([hadamard_pm(k) if st else hadamard_01(k) for k, st in zip(free_in, strict_in)])
            H_out = np.array(
                [hadamard_pm(k) if st else hadamard_01(k) for k, st in zip(free_out, strict_out)]
            )
            reason = "real step weights: Cramer + Hadamard box (exact)"
            info["hadamard_in"], info["hadamard_out"] = H_in.tolist(), H_out.tolist()
        elif F == 1:
            free_b = (
                np.ones(n, dtype=bool) if S_b is None else np.asarray(S_b) != 0
            )  # b = 0 is not a variable
            H = relu_real_bound(list(zip(free_in.tolist(), free_b.tolist())), s, dom.size)
            info["relu_bound"] = H
            if H > max_bound:
                H, exact = max_bound, False
                info["capped"] = True
            H_in = np.full(n, H)
            H_out = np.ones(F, dtype=np.int64)  # readout normalised to {-1, 0, +1}
            reason = "real ReLU, one feature: readout normalised to {-1,0,1}, Cramer + Hadamard box" + (
                " (exact)" if exact else f" capped at {max_bound} (not exact)"
            )
        else:
            H_in = np.full(n, int(search_bound))
            H_out = np.full(F, int(search_bound))
            exact = False
            reason = (
                f"real ReLU, {F} features: no rigorous box; "
                f"searching integers in [-{search_bound}, {search_bound}]"
            )
        lo_in = np.maximum(lo_in, -H_in[:, None]).astype(float)
        hi_in = np.minimum(hi_in, H_in[:, None]).astype(float)
        lo_out = np.maximum(lo_out, -H_out[:, None]).astype(float)
        hi_out = np.minimum(hi_out, H_out[:, None]).astype(float)
    for a in (lo_in, hi_in, lo_out, hi_out):
        if not np.isfinite(a).all():  # pragma: no cover - guarded above
            raise AssertionError("search box must be finite")
    lo_in, hi_in = lo_in.astype(np.int64), hi_in.astype(np.int64)
    lo_out, hi_out = lo_out.astype(np.int64), hi_out.astype(np.int64)
    A = _top_sum(np.maximum(np.abs(lo_in), np.abs(hi_in)), s)
    lo_b, hi_b = _bias_box(S_b, mode, A)
    if problem.real and problem.activation == "relu" and F == 1 and "relu_bound" in info:
        # the basic point also has |b| <= H; clamping only shrinks |b| (module docstring)
        Hb = min(int(info["relu_bound"]), max_bound)
        lo_b, hi_b = np.maximum(lo_b, -Hb), np.minimum(hi_b, Hb)
    z_bound = A + np.maximum(np.abs(lo_b), np.abs(hi_b))
    h_bound = np.ones(n, dtype=np.int64) if problem.activation == "step" else z_bound.copy()
    Y = (np.maximum(np.abs(lo_out), np.abs(hi_out)) * h_bound[None, :]).sum(axis=1).astype(np.int64)
    lo_c, hi_c = -(Y + 1), Y + 1
    return SearchClass(
        lo_in,
        hi_in,
        lo_b.astype(np.int64),
        hi_b.astype(np.int64),
        lo_out,
        hi_out,
        lo_c,
        hi_c,
        z_bound.astype(np.int64),
        h_bound,
        exact,
        reason,
        info,
    )


# ---------------------------------------------------------------------------------------------------------
# shared plumbing for the exact solvers


def witness_or_repair(problem: Problem, W_in, b_in, W_out, b_out):
    """Exact check of a solver's (rounded) network; for real problems repair a failed check by solving the
    readout exactly on the fixed hidden layer. Returns ``(network or None, note)``."""
    net = Network(
        np.asarray(W_in, dtype=np.int64),
        np.asarray(b_in, dtype=np.int64),
        np.asarray(W_out, dtype=np.int64),
        np.asarray(b_out, dtype=np.int64),
        problem.activation,
    )
    ok, why = verify_witness(problem, net)
    if ok:
        return net, why
    if not problem.real:
        return None, f"rounded solution failed the exact check: {why}"
    from .lp import exact_readouts

    fixed = exact_readouts(problem, net)
    if fixed is None:
        return None, f"rounded solution failed the exact check ({why}) and no exact readout exists"
    ok2, why2 = verify_witness(problem, fixed)
    return (fixed, "repaired readout: " + why2) if ok2 else (None, f"repair failed: {why2}")


def single_feature_refutation(problem: Problem, solve_one, time_limit, seed, method: str, t0: float, info: dict):
    """For the inexact multi-feature real ReLU class: decide each feature alone (an exact class). Returns a
    NOT_REPRESENTABLE result (unchecked ``agreement`` certificate: the front door confirms it) for the first
    feature that alone is not representable, else None. All sub-solves together stay within ``time_limit``."""
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    for f in range(problem.n_features):
        left = None if deadline is None else deadline - time.perf_counter()
        if left is not None and left <= 0:
            return None
        sub = Problem(problem.features.select([f]), problem.d_hidden, problem.activation, None, problem.nonnegative,
                      _code_rows(problem.code, f), problem.seed)
        if solve_one(sub, time_limit=left, seed=seed).status is Status.NOT_REPRESENTABLE:
            name = problem.features.names[f]
            info["refuted_by_feature"] = name
            cert = Certificate("agreement", False, f"feature {name!r} alone is not representable ({method}, exact "
                               "one-feature class); needs a second method")
            return Result(Status.NOT_REPRESENTABLE, problem, method, time.perf_counter() - t0, certificate=cert,
                          info=info)
    return None


def _code_rows(code, f):
    if code is None or code.S_out is None or code.S_out.shape[0] == 1:
        return code
    from ..codes import Code

    return Code(code.S_in, code.S_b_in, code.S_out[f : f + 1], code.mode)


def _infeasible_result(problem, method, t0, sc: SearchClass, detail, info):
    if sc.exact:
        cert = Certificate("agreement", False, f"{detail}; needs a second method")
        return Result(
            Status.NOT_REPRESENTABLE, problem, method, time.perf_counter() - t0, certificate=cert, info=info
        )
    info["unknown_reason"] = f"search box is not exact ({sc.reason}) and is infeasible"
    return Result(Status.UNKNOWN, problem, method, time.perf_counter() - t0, info=info)


# ---------------------------------------------------------------------------------------------------------
# the MILP


def _bits(lo: int, hi: int) -> int:
    return max(0, int(hi - lo).bit_length())


def _build(problem: Problem, sc: SearchClass, symmetry_breaking: bool):
    from ortools.linear_solver import pywraplp

    solver = pywraplp.Solver.CreateSolver("SCIP")
    if solver is None:  # pragma: no cover - SCIP ships with ortools
        raise RuntimeError("OR-Tools was built without SCIP")
    n, m, F = problem.d_hidden, problem.domain.m, problem.n_features
    X = problem.domain.points.astype(np.int64)
    N = X.shape[0]
    ones = problem.features.bits
    relu = problem.activation == "relu"
    W = [
        [solver.IntVar(int(sc.lo_in[j, i]), int(sc.hi_in[j, i]), f"W{j}_{i}") for i in range(m)]
        for j in range(n)
    ]
    B = [solver.IntVar(int(sc.lo_b[j]), int(sc.hi_b[j]), f"b{j}") for j in range(n)]
    Hv = [[None] * N for _ in range(n)]
    for j in range(n):
        Z = float(sc.z_bound[j])
        for x in range(N):
            z = solver.Sum([W[j][i] for i in range(m) if X[x, i]]) + B[j]
            if not relu:
                h = solver.BoolVar(f"h{j}_{x}")
                solver.Add(z >= -Z * (1 - h))  # h = 1  =>  z >= 0
                solver.Add(z <= -1 + (Z + 1) * h)  # h = 0  =>  z <= -1
            else:
                p = solver.BoolVar(f"p{j}_{x}")
                h = solver.NumVar(0.0, Z, f"a{j}_{x}")
                solver.Add(h >= z)
                solver.Add(h <= z + Z * (1 - p))  # p = 1  =>  a = z (and z >= 0 since a >= 0)
                solver.Add(h <= Z * p)  # p = 0  =>  a = 0 (and z <= 0 since a >= z)
            Hv[j][x] = h
    V = [
        [solver.IntVar(int(sc.lo_out[f, j]), int(sc.hi_out[f, j]), f"v{f}_{j}") for j in range(n)]
        for f in range(F)
    ]
    C = [solver.IntVar(int(sc.lo_c[f]), int(sc.hi_c[f]), f"c{f}") for f in range(F)]
    for f in range(F):
        terms = [[] for _ in range(N)]
        for j in range(n):
            lo, hi = int(sc.lo_out[f, j]), int(sc.hi_out[f, j])
            if lo == hi:
                for x in range(N):
                    if lo:
                        terms[x].append(lo * Hv[j][x])
                continue
            if not relu:  # t = v * h for a binary h
                for x in range(N):
                    h = Hv[j][x]
                    t = solver.NumVar(min(lo, 0), max(hi, 0), f"t{f}_{j}_{x}")
                    solver.Add(t >= lo * h)
                    solver.Add(t <= hi * h)
                    solver.Add(t >= V[f][j] - hi * (1 - h))
                    solver.Add(t <= V[f][j] - lo * (1 - h))
                    terms[x].append(t)
            else:  # v = lo + sum_k 2^k beta_k, v * a = lo * a + sum_k 2^k (beta_k * a)
                L = _bits(lo, hi)
                beta = [solver.BoolVar(f"beta{f}_{j}_{k}") for k in range(L)]
                solver.Add(V[f][j] == lo + solver.Sum([(1 << k) * beta[k] for k in range(L)]))
                A = float(sc.h_bound[j])
                for x in range(N):
                    a = Hv[j][x]
                    if lo:
                        terms[x].append(lo * a)
                    for k in range(L):
                        q = solver.NumVar(0.0, A, f"q{f}_{j}_{k}_{x}")
                        solver.Add(q <= A * beta[k])
                        solver.Add(q <= a)
                        solver.Add(q >= a - A * (1 - beta[k]))
                        terms[x].append((1 << k) * q)
        for x in range(N):
            y = solver.Sum(terms[x]) + C[f]
            solver.Add(y >= 0) if ones[f, x] else solver.Add(y <= -1)
    if symmetry_breaking:
        for g in sc.groups():  # sort interchangeable units by bias (sound: permute any solution)
            for a, b in pairwise(g):
                solver.Add(B[a] <= B[b])
    return solver, W, B, V, C


def solve(
    problem: Problem,
    *,
    time_limit: float | None = None,
    seed: int = 0,
    symmetry_breaking: bool = True,
    search_bound: int = 2,
    max_big_m: float = 1e6,
) -> Result:
    """Decide ``problem`` with a MILP (SCIP). REPRESENTABLE answers carry an exactly verified witness; an
    infeasible *exact* class gives NOT_REPRESENTABLE with an unchecked ``agreement`` certificate (to be
    confirmed by a second method); a time-out or an inexact class gives UNKNOWN.

    ``max_big_m``: exact boxes whose big-M constants would exceed this are capped (a float MILP with huge
    constants returns garbage); the capped box is a subclass, so its infeasibility is reported as UNKNOWN."""
    if not isinstance(problem, Problem):
        raise CapacityError(f"milp.solve needs a Problem, got {type(problem).__name__}")
    if time_limit is not None and not time_limit > 0:
        raise CapacityError(f"time_limit must be a positive number of seconds, got {time_limit!r}")
    t0 = time.perf_counter()
    dom = problem.domain
    s = dom.m if dom.sparsity is None else min(dom.sparsity, dom.m)
    # keep every big-M constant (|z| <= (s+1) * box, |y| <= d_hidden * that) below max_big_m
    cap = max(1, int(max_big_m // ((s + 1) * (problem.d_hidden + 1))))
    sc = search_class(problem, search_bound=search_bound, max_bound=min(cap, MAX_BOUND))
    info: dict = {"solver": "SCIP (pywraplp)", "search_class": sc.to_dict()}
    if problem.real and problem.activation == "relu" and problem.n_features > 1:
        refuted = single_feature_refutation(problem, solve, time_limit, seed, "milp", t0, info)
        if refuted is not None:
            return refuted
    if time_limit is not None:
        time_limit = time_limit - (time.perf_counter() - t0)
        if time_limit <= 0:
            info["unknown_reason"] = "time limit"
            return Result(Status.UNKNOWN, problem, "milp", time.perf_counter() - t0, info=info)
    big_m = float(max(sc.z_bound.max(initial=1), np.abs(sc.hi_c).max(initial=1)))
    info["big_m"] = big_m
    if big_m > max_big_m and sc.exact:
        sc = SearchClass(
            **{
                **sc.__dict__,
                "exact": False,
                "reason": sc.reason + f"; big-M {big_m:.3g} > max_big_m {max_big_m:.3g}",
            }
        )
    solver, W, B, V, C = _build(problem, sc, symmetry_breaking)
    solver.SetNumThreads(1)
    solver.SetSolverSpecificParametersAsString(f"randomization/randomseedshift = {int(seed)}\n")
    if time_limit is not None:
        solver.SetTimeLimit(max(1, int(time_limit * 1000)))
    from ortools.linear_solver import pywraplp

    status = solver.Solve()
    names = {
        pywraplp.Solver.OPTIMAL: "OPTIMAL",
        pywraplp.Solver.FEASIBLE: "FEASIBLE",
        pywraplp.Solver.INFEASIBLE: "INFEASIBLE",
        pywraplp.Solver.UNBOUNDED: "UNBOUNDED",
        pywraplp.Solver.ABNORMAL: "ABNORMAL",
        pywraplp.Solver.NOT_SOLVED: "NOT_SOLVED",
        pywraplp.Solver.MODEL_INVALID: "MODEL_INVALID",
    }
    info["solver_status"] = names.get(status, str(status))
    info["variables"], info["constraints"] = solver.NumVariables(), solver.NumConstraints()
    if status == pywraplp.Solver.MODEL_INVALID:
        raise RuntimeError(f"milp built an invalid SCIP model for {problem.to_dict()} (a bug)")
    if status in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):

        def val(v):
            return round(v.solution_value())

        net, note = witness_or_repair(
            problem,
            [[val(w) for w in row] for row in W],
            [val(b) for b in B],
            [[val(v) for v in row] for row in V],
            [val(c) for c in C],
        )
        info["verification"] = note
        if net is None:
            return Result(Status.UNKNOWN, problem, "milp", time.perf_counter() - t0, info=info)
        return Result(Status.REPRESENTABLE, problem, "milp", time.perf_counter() - t0, witness=net, info=info)
    if status == pywraplp.Solver.INFEASIBLE:
        return _infeasible_result(problem, "milp", t0, sc, "MILP (SCIP) INFEASIBLE", info)
    info["unknown_reason"] = "time limit" if status == pywraplp.Solver.NOT_SOLVED else info["solver_status"]
    return Result(Status.UNKNOWN, problem, "milp", time.perf_counter() - t0, info=info)
