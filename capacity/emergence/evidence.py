"""Continuous evidence beside the thresholded presence, its controls, and the sharp-against-smooth test.

For every category ``c`` (scored within its family, one-vs-rest; see :class:`~.lm.Corpus`):

* :func:`heldout_best_auroc`: among many candidate read-outs (SAE latents, or random directions as the
  control), the one with the highest AUROC on a *selection* set, scored on a separate *evaluation* set, so the
  maximum over many candidates is not biased upwards;
* :func:`probe_auroc`: a held-out linear probe (``sklearn.linear_model.RidgeClassifier`` on standardised
  activations, trained on the selection set, its decision values scored on the evaluation set);
* :func:`shuffle_within_family`: the shuffled-label control (document labels permuted inside each family);
* :func:`emergence_index`: the first checkpoint from which a condition holds at every later checkpoint;
* :func:`sharpness`: a sigmoid in ``x = log2(step + 1)`` against a line, compared by BIC, with the sigmoid's
  10-90 % width in octaves and a residual-bootstrap interval.

All rules and constants are ours (see the science notes).
"""

from __future__ import annotations

import numpy as np

from ..errors import CapacityError
from .scores import auroc

__all__ = ["emergence_index", "heldout_best_auroc", "mean_interval", "probe_auroc", "random_directions",
           "sharpness", "shuffle_within_family"]

WIDTH_FACTOR = 2 * np.log(9)  # 10-90 % rise of a logistic with scale w spans 2 ln 9 * w


def _family_views(labels, family):
    """Per family: (mask of its examples, local labels, global category ids)."""
    labels = np.asarray(labels)
    family = np.asarray(family)
    out = []
    for f in np.unique(family):
        cats = np.flatnonzero(family == f)
        mask = np.isin(labels, cats)
        local = np.searchsorted(cats, labels[mask])
        out.append((mask, local, cats))
    return out


def heldout_best_auroc(S_sel, y_sel, S_ev, y_ev, family) -> np.ndarray:
    """``[K]``: AUROC on the evaluation set of the candidate (column of ``S``) with the best selection AUROC.

    ``S_sel [N_sel, J]``, ``S_ev [N_ev, J]``: candidate scores; ``y``: category labels; ``family [K]``."""
    family = np.asarray(family)
    out = np.full(len(family), 0.5)
    ev_views = {tuple(c): (m, loc) for m, loc, c in _family_views(y_ev, family)}
    for mask, local, cats in _family_views(y_sel, family):
        if tuple(cats) not in ev_views or mask.sum() == 0:
            continue
        m_ev, loc_ev = ev_views[tuple(cats)]
        a_sel = auroc(np.asarray(S_sel)[mask], local, len(cats))  # [J, K_f]
        best = a_sel.argmax(axis=0)
        a_ev = auroc(np.asarray(S_ev)[m_ev][:, best], loc_ev, len(cats))  # [K_f, K_f]
        out[cats] = np.diag(a_ev)
    return out


def probe_auroc(X_tr, y_tr, X_ev, y_ev, family, alpha: float = 1.0) -> np.ndarray:
    """``[K]``: held-out AUROC of a ridge linear probe trained within each family (one-vs-rest decision values;
    a two-category family uses the one decision value and its negation)."""
    from sklearn.linear_model import RidgeClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    family = np.asarray(family)
    out = np.full(len(family), 0.5)
    ev_views = {tuple(c): (m, loc) for m, loc, c in _family_views(y_ev, family)}
    for mask, local, cats in _family_views(y_tr, family):
        if tuple(cats) not in ev_views or len(np.unique(local)) < 2:
            continue
        m_ev, loc_ev = ev_views[tuple(cats)]
        clf = make_pipeline(StandardScaler(), RidgeClassifier(alpha=alpha)).fit(np.asarray(X_tr)[mask], local)
        dec = clf.decision_function(np.asarray(X_ev)[m_ev])
        if dec.ndim == 1:
            dec = np.stack([-dec, dec], axis=1)
        present = clf[-1].classes_
        full = np.zeros((len(dec), len(cats)))
        full[:, present] = dec
        out[cats] = np.diag(auroc(full, loc_ev, len(cats)))
    return out


def shuffle_within_family(doc_labels, family, rng: np.random.Generator) -> np.ndarray:
    """Document labels permuted inside each family (the shuffled-label control)."""
    y = np.array(doc_labels)
    family = np.asarray(family)
    for f in np.unique(family):
        idx = np.flatnonzero(np.isin(y, np.flatnonzero(family == f)))
        y[idx] = y[rng.permutation(idx)]
    return y


def random_directions(d: int, n: int, seed: int) -> np.ndarray:
    """``[d, n]`` random unit directions (columns), seeded."""
    R = np.random.default_rng([seed, 17]).standard_normal((d, n))
    return R / np.linalg.norm(R, axis=0, keepdims=True)


def emergence_index(ok) -> int | None:
    """The first index from which ``ok`` holds at every later index (``None`` when the last one fails)."""
    ok = np.asarray(ok, dtype=bool)
    if not len(ok) or not ok[-1]:
        return None
    bad = np.flatnonzero(~ok)
    return 0 if not len(bad) else int(bad[-1]) + 1


def mean_interval(values, level: float = 0.95):
    """``(mean, low, high)``: mean with a Student-t interval over the values (NaNs dropped)."""
    from scipy import stats

    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if not len(v):
        return (np.nan, np.nan, np.nan)
    m = float(v.mean())
    if len(v) < 2:
        return (m, m, m)
    h = float(stats.t.ppf(0.5 + level / 2, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v)))
    return (m, m - h, m + h)


def _sigmoid(x, a, b, m, w):
    with np.errstate(over="ignore"):
        return a + b / (1 + np.exp(-(x - m) / w))


def _fit_sigmoid(x, y, start=None):
    """Least-squares sigmoid; from ``start`` or from a grid of starting midpoints and widths, the best fit kept
    (deterministic)."""
    from scipy.optimize import curve_fit

    lo, hi = float(x.min()), float(x.max())
    span = max(float(y.max() - y.min()), 1e-3)
    starts = [start] if start is not None else [(float(y.min()), span, m0, w0) for m0 in np.linspace(lo, hi, 6)
                                               for w0 in (0.2, 1.0)]
    best = None
    for p0 in starts:
        try:
            p, _ = curve_fit(_sigmoid, x, y, p0=p0, maxfev=4000, bounds=([-2, -2, lo - 1, 0.01], [2, 2, hi + 1, 20]))
        except (RuntimeError, ValueError):
            continue
        sse = float(((_sigmoid(x, *p) - y) ** 2).sum())
        if best is None or sse < best[1]:
            best = (p, sse)
    return best


def _bic(sse, n, k):
    return n * np.log(max(sse, 1e-12) / n) + k * np.log(n)


def sharpness(steps, y, *, n_boot: int = 200, seed: int = 0, margin: float = 0.05, max_octaves: float = 1.0,
              min_delta_bic: float = 10.0) -> dict:
    """Sigmoid against line in ``log2(step + 1)`` (see module doc).

    Returns ``verdict`` (``sharp`` / ``smooth`` / ``flat``), ``width_octaves`` (10-90 % rise), its bootstrap
    interval ``width_low``/``width_high``, ``midpoint_step``, ``bic_sigmoid``, ``bic_line``, ``delta_bic``."""
    x = np.log2(np.asarray(steps, dtype=float) + 1)
    y = np.asarray(y, dtype=float)
    if x.shape != y.shape or len(x) < 6:
        raise CapacityError(f"need at least 6 points with one value per step, got {len(x)} and {y.shape}")
    n = len(x)
    out = {"range": float(y.max() - y.min())}
    line = np.polyfit(x, y, 1)
    sse_line = float(((np.polyval(line, x) - y) ** 2).sum())
    fit = _fit_sigmoid(x, y)
    if fit is None:
        return {**out, "verdict": "smooth", "width_octaves": np.nan, "width_low": np.nan, "width_high": np.nan,
                "midpoint_step": np.nan, "bic_sigmoid": np.nan, "bic_line": _bic(sse_line, n, 2), "delta_bic": np.nan}
    p, sse_sig = fit
    bic_s, bic_l = _bic(sse_sig, n, 4), _bic(sse_line, n, 2)
    rng = np.random.default_rng([seed, 23])
    fitted = _sigmoid(x, *p)
    resid = y - fitted
    widths = []
    for _ in range(n_boot):
        yb = fitted + rng.choice(resid, size=n, replace=True)
        fb = _fit_sigmoid(x, yb, start=p)
        if fb is not None:
            widths.append(fb[0][3] * WIDTH_FACTOR)
    wl, wh = (np.percentile(widths, [2.5, 97.5]) if widths else (np.nan, np.nan))
    width = float(p[3] * WIDTH_FACTOR)
    if out["range"] < margin:
        verdict = "flat"
    elif bic_l - bic_s >= min_delta_bic and np.isfinite(wh) and wh <= max_octaves:
        verdict = "sharp"
    else:
        verdict = "smooth"
    return {**out, "verdict": verdict, "width_octaves": width, "width_low": float(wl), "width_high": float(wh),
            "midpoint_step": float(2 ** p[2] - 1), "bic_sigmoid": float(bic_s), "bic_line": float(bic_l),
            "delta_bic": float(bic_l - bic_s)}
