"""Plain-Python brute force over every integer network of a class: the oracle the other methods are tested
against. No numpy tricks, no Numba, no solver; only ``itertools``. Tiny sizes only.

Two facts make the classes finite and the enumeration smaller; both are elementary:

* **Hidden biases.** With ``x`` in ``{0,1}^m`` and integer weights ``w``, ``s = w.x`` lies in ``[-S, S]``
  with ``S = sum_i |w_i|``. For a step unit a bias ``b > S`` gives ``s + b > 0`` on every point, exactly as
  ``b = S + 1`` does, and ``b < -S - 1`` gives ``s + b < 0`` everywhere, exactly as ``b = -S - 1`` does. For
  a ReLU unit ``b <= -S`` gives ``h = 0`` everywhere (as ``b = -S - 1`` does), and ``b >= S`` gives
  ``h = s + b`` everywhere, which differs from ``b = S + 1`` by the constant ``b - S - 1``; a free readout
  bias absorbs ``v (b - S - 1)`` for every feature. So ``b`` in ``[-S - 1, S + 1]`` (intersected with the
  sign the code asks for, which keeps the endpoint argument valid) covers every behaviour.
* **Translation.** A readout with a free bias cannot tell ``h_j`` from ``h_j + c`` (a constant vector):
  ``v_j (h_j + c)`` shifts ``y_f`` by ``v_j c``, which ``b_out[f]`` absorbs, for every feature at once. So
  hidden units are enumerated once per behaviour ``h_j - h_j(point 0)`` on the domain.
* **Readout bias.** For fixed ``W_out[f]`` the readout ``t = W_out[f] . h`` takes finitely many values; the
  functions ``[t + b_out >= 0]`` are exactly the cuts ``{x : t(x) >= theta}`` for ``theta`` a value of ``t``
  (``b_out = -theta``) plus the empty cut (``b_out = -max t - 1``). With integer ``t`` the integer margin
  (``y >= 0`` on ones, ``y <= -1`` on zeros) holds for these ``b_out``.
"""

from __future__ import annotations

import itertools
import time

import numpy as np

from ..errors import CapacityError
from ..features import FeatureSet
from ..network import Network
from .problem import Certificate, Problem, Result, Status, verify_witness

__all__ = ["functions", "solve"]


def _points(domain) -> list[tuple[int, ...]]:
    return [tuple(int(v) for v in row) for row in domain.points]


def _bias_values(S: int, sign: int | None, mode: str):
    """Hidden biases to try for a row with ``sum |w| = S`` (see the module docstring)."""
    full = range(-S - 1, S + 2)
    if sign is None or (mode == "support" and sign != 0):
        return full
    if sign == 0:
        return range(1)
    return range(1, S + 2) if sign > 0 else range(-S - 1, 0)


def _unit_behaviours(points, lo_row, hi_row, bias_sign, mode, activation):
    """Every behaviour of one hidden unit on the domain, up to translation: a list of ``(w, b, h)`` with
    ``h`` the unit's output on every point (first representative, in enumeration order)."""
    seen = {}
    for w in itertools.product(*(range(int(lo), int(hi) + 1) for lo, hi in zip(lo_row, hi_row))):
        S = sum(abs(v) for v in w)
        for b in _bias_values(S, bias_sign, mode):
            z = [sum(wi * xi for wi, xi in zip(w, x)) + b for x in points]
            h = tuple(max(v, 0) for v in z) if activation == "relu" else tuple(1 if v >= 0 else 0 for v in z)
            key = tuple(v - h[0] for v in h)
            if key not in seen:
                seen[key] = (w, b, h)
    return list(seen.values())


def _class(problem: Problem):
    if problem.real:
        raise CapacityError("the reference method needs integer weights (a weight bound K), not real weights")
    lo_in, hi_in, lo_out, hi_out = problem.weight_bounds()
    signs = problem.bias_signs()
    mode = problem.code.mode if problem.code is not None else "sign"
    points = _points(problem.domain)
    units = [_unit_behaviours(points, lo_in[j], hi_in[j], None if signs is None else int(signs[j]), mode,
                              problem.activation) for j in range(problem.d_hidden)]
    boxes = [[range(int(lo_out[f, j]), int(hi_out[f, j]) + 1) for j in range(problem.d_hidden)]
             for f in range(problem.n_features)]
    return points, units, boxes


def _readout(hs, ones, zeros, box):
    """A readout ``(v, c)`` in ``box`` computing the feature with ones/zeros on hidden outputs ``hs``, or None."""
    N = len(hs[0]) if hs else 0
    for v in itertools.product(*box):
        t = [sum(vj * h[i] for vj, h in zip(v, hs)) for i in range(N)]
        if ones and zeros:
            lo = min(t[i] for i in ones)
            if max(t[i] for i in zeros) < lo:
                return v, -lo
        elif ones:
            return v, -min(t)
        else:
            return v, -max(t) - 1
    return None


def solve(problem: Problem, *, time_limit: float | None = None, seed: int = 0, progress: bool = False) -> Result:
    """Enumerate every hidden layer of the class (unit behaviours up to translation) and every readout in the
    box; return the first network computing all features (verified), NOT_REPRESENTABLE with an enumeration
    certificate when none does, or UNKNOWN when ``time_limit`` (seconds) runs out."""
    t0 = time.perf_counter()
    points, units, boxes = _class(problem)
    bits = problem.features.bits
    feats = [([i for i in range(len(points)) if bits[f, i]], [i for i in range(len(points)) if not bits[f, i]])
             for f in range(problem.n_features)]
    total = 1
    for u in units:
        total *= len(u)
    layers = itertools.product(*units)
    if progress:
        from tqdm.auto import tqdm

        layers = tqdm(layers, total=total, desc="reference", leave=False)
    checked = 0
    info = {"seed": seed, "unit_behaviours": [len(u) for u in units], "hidden_layers": total}
    for layer in layers:
        if time_limit is not None and checked % 64 == 0 and time.perf_counter() - t0 > time_limit:
            info["hidden_layers_checked"] = checked
            return Result(Status.UNKNOWN, problem, "reference", time.perf_counter() - t0, info=info)
        checked += 1
        hs = [h for _, _, h in layer]
        readouts = []
        for (ones, zeros), box in zip(feats, boxes):
            r = _readout(hs, ones, zeros, box)
            if r is None:
                break
            readouts.append(r)
        else:
            net = Network(np.array([w for w, _, _ in layer], dtype=np.int64).reshape(problem.d_hidden, -1),
                          np.array([b for _, b, _ in layer], dtype=np.int64),
                          np.array([v for v, _ in readouts], dtype=np.int64).reshape(problem.n_features, -1),
                          np.array([c for _, c in readouts], dtype=np.int64), problem.activation)
            ok, reason = verify_witness(problem, net)
            if not ok:  # pragma: no cover - a bug, never a result
                raise RuntimeError(f"reference produced a witness that fails verification: {reason}")
            info["hidden_layers_checked"] = checked
            return Result(Status.REPRESENTABLE, problem, "reference", time.perf_counter() - t0, witness=net,
                          info=info)
    info["hidden_layers_checked"] = checked
    cert = Certificate("enumeration", True, detail=f"all {total} hidden layers (unit behaviours "
                       f"{info['unit_behaviours']}, up to translation) and every readout in the weight box "
                       f"enumerated; none computes every feature")
    return Result(Status.NOT_REPRESENTABLE, problem, "reference", time.perf_counter() - t0, certificate=cert,
                  info=info)


def _cuts(t) -> set[int]:
    """Truth tables (bit ``i`` = point ``i``) of ``[t >= theta]`` for every threshold, the empty one included."""
    out = {0}
    for theta in set(t):
        out.add(sum(1 << i for i, v in enumerate(t) if v >= theta))
    return out


def functions(domain, d_hidden: int, activation: str, weight_bound: int, nonnegative: bool = False,
              code=None) -> set[int]:
    """All single-readout functions on ``domain`` computed by some network of the class, as truth tables
    (Python ints, bit ``j`` = value at point ``j`` of the domain order): the representable set, by brute
    force. Tiny sizes only (``m <= 3, d_hidden <= 2, K <= 2`` take seconds)."""
    if weight_bound is None:
        raise CapacityError("the reference method needs integer weights (a weight bound K), not real weights")
    dummy = FeatureSet(domain, np.zeros((1, domain.words), dtype=np.uint64), ("0",))
    problem = Problem(dummy, d_hidden, activation, weight_bound, nonnegative, code)
    _, units, boxes = _class(problem)
    # scaled unit outputs v_j * h_j (h_j taken up to translation: a readout bias absorbs constants)
    scaled = []
    for u, box in zip(units, boxes[0]):
        vecs = {tuple(v * (x - h[0]) for x in h) for _, _, h in u for v in box}
        scaled.append(sorted(vecs))
    out: set[int] = set()
    seen_t = set()
    for parts in itertools.product(*scaled):
        t = tuple(map(sum, zip(*parts)))
        if t in seen_t:
            continue
        seen_t.add(t)
        out |= _cuts(t)
    return out
