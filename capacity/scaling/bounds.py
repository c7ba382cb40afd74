"""Published capacity bounds as sympy expressions, an exact counting bound, and fits to our tables.

The papers state growth rates only; **the constants are unknown** (see
docs/science-fcc.md, bounds and constructions). So every bound here is a growth function ``g`` without
its constant, and :func:`fit_constant` fits the constant ``c`` to *our exact tables* (two ways: least
squares, and the envelope: the largest ``c`` a lower bound ``y >= c g`` allows on every exact point, or the
smallest ``c`` an upper bound ``y <= c g`` allows). A fitted constant describes our small sizes, not
the papers' theorems. Logarithms are natural.

Bounds (papers' statements, our variable names; ``m'`` = number of output features):

* Adler & Shavit (arXiv 2409.15318): computing ``m'`` features in superposition (incl. pairwise ANDs)
  needs ``Omega(sqrt(m' log m'))`` neurons and ``Omega(m' log m')`` parameters; so ``n`` neurons compute
  at most ``O(n^2 / log n)`` features; their 2-AND construction uses ``O(sqrt(m') log m')`` neurons and
  ``O(m' log^2 m')`` parameters.
* Hänni, Mendel, Vaintrob & Chan (arXiv 2408.05451): all ``C(m, 2)`` pairwise ANDs of ``m`` sparse
  inputs (U-AND) with ``O~(m^(2/3))`` neurons. ``O~`` hides polylog factors; we fit ``c m^(2/3)``.

Our reading of the counting argument (:func:`network_behaviours`, :func:`counting_min_width`): a class of
networks that computes *every* set of ``m'`` pairwise ANDs needs at least as many distinct behaviours as
there are such sets, ``C(C(m,2), m')``. With explicit inputs (not in superposition) the class has
``P = n (m + m')`` weights, which gives only ``n >= ~log m'``; with inputs in superposition (Adler &
Shavit's setting, ``P = Theta(n^2)``) the same count gives ``n >= Omega(sqrt(m' log m'))``
(``proofs/check_counting_bound.py`` derives both in sympy).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from math import comb

import numpy as np
import sympy as sp

from ..errors import CapacityError

__all__ = [
    "Bound",
    "BOUNDS",
    "ConstantFit",
    "ExponentFit",
    "counting_min_width",
    "counting_min_width_superposed",
    "domain_size",
    "fit_constant",
    "fit_exponent",
    "log2_sets",
    "network_behaviours",
    "mp",
    "n",
    "m",
]

#: symbols: m' (output features), n (hidden width), m (inputs)
mp, n, m = sp.symbols("m' n m", positive=True)


@dataclass(frozen=True)
class Bound:
    """A published growth rate ``g(var)`` (no constant). ``side="lower"``: the quantity is ``>= c g``;
    ``side="upper"``: the quantity is ``<= c g`` (or, for a construction, is achieved with ``c g``)."""

    name: str
    expr: sp.Expr
    var: sp.Symbol
    side: str
    quantity: str
    source: str
    statement: str

    def evaluate(self, x, c: float = 1.0) -> np.ndarray:
        """``c * g(x)`` as floats (``nan`` where ``g`` is undefined, e.g. ``log 1 = 0`` in a denominator)."""
        f = sp.lambdify(self.var, self.expr, "numpy")
        x = np.asarray(x, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            y = np.asarray(f(x), dtype=float) * c
        return np.where(np.isfinite(y), y, np.nan)

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "expression": sp.sstr(self.expr),
            "variable": str(self.var),
            "side": self.side,
            "quantity": self.quantity,
            "source": self.source,
            "statement": self.statement,
        }


_AS = "Adler & Shavit, On the Complexity of Neural Computation in Superposition (arXiv 2409.15318)"
_H = "Hänni, Mendel, Vaintrob & Chan, Mathematical Models of Computation in Superposition (arXiv 2408.05451)"

BOUNDS: dict[str, Bound] = {
    b.name: b
    for b in (
        Bound(
            "as_neurons_lower",
            sp.sqrt(mp * sp.log(mp)),
            mp,
            "lower",
            "min width n* of m' pairwise ANDs",
            _AS,
            "Omega(sqrt(m' log m')) neurons to compute m' features (worst case over feature sets)",
        ),
        Bound(
            "as_params_lower",
            mp * sp.log(mp),
            mp,
            "lower",
            "parameters P at the min width",
            _AS,
            "Omega(m' log m') parameters",
        ),
        Bound(
            "as_capacity_upper",
            n**2 / sp.log(n),
            n,
            "upper",
            "features computable at width n",
            _AS,
            "n neurons compute at most O(n^2 / log n) features",
        ),
        Bound(
            "as_2and_neurons",
            sp.sqrt(mp) * sp.log(mp),
            mp,
            "upper",
            "width of a 2-AND construction",
            _AS,
            "2-AND construction with O(sqrt(m') log m') neurons",
        ),
        Bound(
            "as_2and_params",
            mp * sp.log(mp) ** 2,
            mp,
            "upper",
            "parameters of a 2-AND construction",
            _AS,
            "2-AND construction with O(m' log^2 m') parameters",
        ),
        Bound(
            "hanni_uand_neurons",
            m ** sp.Rational(2, 3),
            m,
            "upper",
            "width computing all C(m,2) ANDs (U-AND)",
            _H,
            "U-AND with O~(m^(2/3)) neurons (polylog factors dropped in our fit)",
        ),
    )
}


# ---------------------------------------------------------------------------------------------
# the counting bound, in exact integers


def domain_size(m_inputs: int, sparsity: int | None) -> int:
    t = m_inputs if sparsity is None else min(sparsity, m_inputs)
    return sum(comb(m_inputs, j) for j in range(t + 1))


def network_behaviours(
    m_inputs: int, sparsity: int | None, d_hidden: int, n_features: int, weight_bound: int = 1
) -> int:
    """Upper bound on the number of distinct (hidden behaviour, output truth tables) of width-``d_hidden``
    ReLU networks with integer weights in ``[-K, K]`` and free integer biases on ``D_s``.

    Our derivation: on ``D_s`` every ``w . x`` lies in ``[lo, hi]`` with ``lo <= 0 <= hi`` and
    ``hi - lo <= 2 t K`` (``t = min(s, m)``); a hidden bias ``b <= -hi`` gives the zero unit, ``b >= -lo`` an
    affine unit (all such ``b`` equivalent, since the free output bias absorbs the shift), so at most
    ``2 t K + 1`` bias classes per weight row. For a fixed hidden layer and readout row ``v`` the output
    ``[v . h + c >= 0]`` takes at most ``N + 1`` truth tables as ``c`` varies. Hence at most
    ``((2K+1)^m (2tK+1))^n * ((2K+1)^n (N+1))^F``.
    """
    K = int(weight_bound)
    t = m_inputs if sparsity is None else min(sparsity, m_inputs)
    N = domain_size(m_inputs, sparsity)
    hidden = ((2 * K + 1) ** m_inputs * (2 * t * K + 1)) ** d_hidden
    return hidden * ((2 * K + 1) ** d_hidden * (N + 1)) ** n_features


def log2_sets(m_inputs: int, n_features: int) -> float:
    """``log2 C(C(m,2), m')``: bits needed to name one set of ``m'`` pairwise ANDs."""
    return float(np.log2(float(comb(comb(m_inputs, 2), n_features)))) if n_features else 0.0


def counting_min_width(
    m_inputs: int, sparsity: int | None, n_features: int, weight_bound: int = 1, max_width: int = 10_000
) -> int:
    """Smallest ``n`` with ``network_behaviours(n) >= C(C(m,2), m')``: some set of ``m'`` pairwise ANDs on
    ``D_s`` needs width at least this (exact integer comparison; our reading of the counting argument)."""
    return _counting_width(m_inputs, sparsity, n_features, weight_bound, max_width, superposed=False)


def counting_min_width_superposed(
    m_inputs: int, sparsity: int | None, n_features: int, weight_bound: int = 1, max_width: int = 10_000
) -> int:
    """Smallest ``n`` with ``network_behaviours(n, r=n) >= C(C(m,2), m')``: the counting bound when the
    ``m'`` features are read out in superposition, as fixed Boolean functions of ``r = n`` readout units'
    output bits (``docs/scaling.md``). Some set of ``m'`` pairwise ANDs on ``D_s`` needs width at least this
    in that class (exact integer comparison)."""
    return _counting_width(m_inputs, sparsity, n_features, weight_bound, max_width, superposed=True)


def _counting_width(m_inputs, sparsity, n_features, weight_bound, max_width, *, superposed: bool) -> int:
    """Smallest width whose network behaviours (one readout per feature, or ``r = n`` readouts) reach the
    number of sets of ``m'`` pairs."""
    pairs = comb(m_inputs, 2)
    if not 1 <= n_features <= pairs:
        raise CapacityError(f"need 1 <= m' <= C(m,2) = {pairs}, got {n_features}")
    target = comb(pairs, n_features)
    for width in range(1, max_width + 1):
        readouts = width if superposed else n_features
        if network_behaviours(m_inputs, sparsity, width, readouts, weight_bound) >= target:
            return width
    raise CapacityError(f"counting bound exceeds max_width={max_width}")


# ---------------------------------------------------------------------------------------------
# fits


@dataclass(frozen=True)
class ConstantFit:
    """The constant ``c`` of ``c * g`` fitted to exact points ``(x, y)``.

    ``c_ls`` minimises ``sum (y - c g)^2``; ``c_envelope`` is the tightest constant our points allow on the
    bound's side (lower: ``min y/g``; upper: ``max y/g``). ``rel_rmse`` is the least-squares fit's
    root-mean-square relative error."""

    bound: str
    data: str
    side: str
    c_ls: float
    c_envelope: float
    n_points: int
    rel_rmse: float
    x_range: tuple

    def to_dict(self) -> dict:
        d = asdict(self)
        d["x_range"] = list(self.x_range)
        return d


def fit_constant(bound: Bound | str, x, y, data: str = "") -> ConstantFit | None:
    """Fit the constant of ``bound`` to points ``(x, y)``; points where ``g`` is 0, negative or undefined
    (``log 1 = 0``) are dropped. Returns None when no point is left."""
    b = BOUNDS[bound] if isinstance(bound, str) else bound
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    g = b.evaluate(x)
    ok = np.isfinite(g) & (g > 0) & np.isfinite(y)
    if not ok.any():
        return None
    g, yy, xx = g[ok], y[ok], x[ok]
    c_ls = float((g * yy).sum() / (g * g).sum())
    ratios = yy / g
    c_env = float(ratios.min() if b.side == "lower" else ratios.max())
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(yy != 0, (yy - c_ls * g) / yy, 0.0)
    return ConstantFit(
        b.name,
        data,
        b.side,
        round(c_ls, 6),
        round(c_env, 6),
        int(ok.sum()),
        round(float(np.sqrt(np.mean(rel**2))), 6),
        (float(xx.min()), float(xx.max())),
    )


@dataclass(frozen=True)
class ExponentFit:
    """A power law ``y ~ a x^alpha`` fitted on log-log axes. With several groups (seeds) ``alpha`` is the
    mean of the per-group slopes and the interval a Student-t 95% interval over groups; with one group the
    interval comes from the regression's standard error."""

    name: str
    alpha: float
    low: float
    high: float
    n_groups: int
    n_points: int
    method: str

    def to_dict(self) -> dict:
        return asdict(self)


def _slope(x, y):
    lx, ly = np.log(x), np.log(y)
    A = np.vstack([lx, np.ones_like(lx)]).T
    coef, *_ = np.linalg.lstsq(A, ly, rcond=None)
    dof = len(lx) - 2
    if dof > 0:
        resid = ly - A @ coef
        s2 = float(resid @ resid) / dof
        se = float(np.sqrt(s2 / ((lx - lx.mean()) ** 2).sum()))
    else:
        se = float("nan")
    return float(coef[0]), se, dof


def fit_exponent(x, y, groups=None, name: str = "") -> ExponentFit | None:
    """Fit ``alpha`` in ``y ~ x^alpha`` (points with ``x, y > 0`` only). ``groups`` labels points by seed."""
    from scipy import stats

    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    groups = np.zeros(len(x), dtype=int) if groups is None else np.asarray(groups)
    ok = (x > 0) & (y > 0) & np.isfinite(x) & np.isfinite(y)
    x, y, groups = x[ok], y[ok], groups[ok]
    slopes = []
    for gval in sorted(set(groups.tolist())):
        sel = groups == gval
        if len(set(x[sel].tolist())) >= 2:
            slopes.append((_slope(x[sel], y[sel]), int(sel.sum())))
    if not slopes:
        return None
    if len(slopes) == 1:
        (a, se, dof), npts = slopes[0]
        half = float(stats.t.ppf(0.975, dof) * se) if dof > 0 else float("nan")
        return ExponentFit(
            name,
            round(a, 6),
            round(a - half, 6),
            round(a + half, 6),
            1,
            npts,
            "single group: OLS slope, 95% t-interval from its standard error",
        )
    a = np.array([s[0][0] for s in slopes])
    k = len(a)
    half = float(stats.t.ppf(0.975, k - 1) * a.std(ddof=1) / np.sqrt(k)) if a.std(ddof=1) > 0 else 0.0
    return ExponentFit(
        name,
        round(float(a.mean()), 6),
        round(float(a.mean()) - half, 6),
        round(float(a.mean()) + half, 6),
        k,
        int(sum(s[1] for s in slopes)),
        "mean of per-seed OLS slopes, 95% t-interval over seeds",
    )
