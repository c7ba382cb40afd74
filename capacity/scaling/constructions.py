"""Hand-built pairwise-AND networks, verified exactly (our readings of the papers' constructions).

Both papers give asymptotic constructions without finite-size details (docs/science-fcc.md, bounds and constructions),
so the networks below are **our readings**, small and exact, built for the scaling tables:

* :func:`uand_network`, after Hänni et al.'s U-AND: each hidden unit receives a random subset of the
  inputs (each input independently with probability ``p``) with weight 1 and bias -1, ReLU, so a unit
  outputs ``k - 1`` when ``k >= 2`` of its inputs are on. ``AND(a, b)`` is read off from the units ``S_ab``
  that contain both ``a`` and ``b``: ``W_out = 1`` on ``S_ab``, ``b_out = -|S_ab|`` (the mean over ``S_ab``
  is at least 1). The readout threshold is ours (the paper averages and allows an epsilon error).
* :func:`sparse_code_network`, in the style of Adler & Shavit's 2-AND construction: each *target* pair
  gets a channel of ``channel_size`` hidden units (seeded random draws, kept greedily when they respect the
  channel rule below); a unit takes weight 1 from every input of every pair whose channel contains it,
  bias -1, ReLU; the readout sums the channel with ``b_out = -channel_size``. The paper's "three-channel"
  compressed encoding could not be read; this is a one-level sparse code with the same neuron-sharing
  (superposition) idea.
* :func:`dedicated_network`: one unit per pair, ``relu(x_a + x_b - 1)``; always correct, width ``m'``.

All weights are in {0, 1} (integer class ``K = 1``, non-negative). Nothing here is trusted: every
:class:`Construction` carries ``computes``, the exact per-feature check by
:func:`capacity.network.computed` on the whole domain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

from ..domain import Domain
from ..errors import SpecError
from ..features import FeatureSet, formulas
from ..network import Network, computed

__all__ = [
    "Construction",
    "CONSTRUCTIONS",
    "pair_features",
    "pairs_of",
    "uand_network",
    "sparse_code_network",
    "dedicated_network",
    "build",
    "construction_min_width",
]


def pair_features(domain: Domain, pairs) -> FeatureSet:
    """The features ``x_a & x_b`` for ``pairs`` (names as :func:`capacity.features.k_ands` writes them)."""
    pairs = [tuple(sorted((int(a), int(b)))) for a, b in pairs]
    for a, b in pairs:
        if a == b or not (0 <= a < domain.m and 0 <= b < domain.m):
            raise SpecError(f"pair ({a}, {b}) is not two distinct inputs of {domain}")
    return formulas(domain, [f"x{a} & x{b}" for a, b in pairs])


_PAIR = re.compile(r"^\s*x(\d+)\s*&\s*x(\d+)\s*$")


def pairs_of(features: FeatureSet) -> list[tuple[int, int]]:
    """The input pairs of a feature set of pairwise ANDs, read from the names and checked on the tables."""
    out = []
    for name in features.names:
        mt = _PAIR.match(name)
        if not mt:
            raise SpecError(f"feature {name!r} is not a pairwise AND 'xa & xb'")
        out.append(tuple(sorted((int(mt.group(1)), int(mt.group(2))))))
    if not np.array_equal(pair_features(features.domain, out).tables, features.tables):
        raise SpecError("feature names do not match their truth tables")
    return out


@dataclass(frozen=True, eq=False)
class Construction:
    """A hand-built network, its target features (output ``f`` aims at feature ``f``) and the exact check."""

    name: str
    network: Network
    features: FeatureSet
    computes: np.ndarray
    params: dict = field(default_factory=dict)

    @property
    def d_hidden(self) -> int:
        return self.network.d_hidden

    @property
    def n_computed(self) -> int:
        return int(self.computes.sum())

    @property
    def all_computed(self) -> bool:
        return bool(self.computes.all())

    @property
    def parameter_size(self) -> int:
        return self.network.parameter_size

    def to_dict(self, with_network: bool = False) -> dict:
        d = {
            "construction": self.name,
            "d_hidden": self.d_hidden,
            "n_features": len(self.features),
            "n_computed": self.n_computed,
            "all_computed": self.all_computed,
            "parameter_size": self.parameter_size,
            "params": dict(self.params),
            "computed": [n for n, ok in zip(self.features.names, self.computes) if ok],
        }
        if with_network:
            d["network"] = self.network.to_dict()
        return d


def _finish(name, domain, pairs, W_in, channels, params) -> Construction:
    F = len(pairs)
    n = W_in.shape[0]
    W_out = np.zeros((F, n), dtype=np.int64)
    b_out = np.full(F, -1, dtype=np.int64)  # empty channel: constant 0 (never the AND on D_s, s >= 2)
    for f, ch in enumerate(channels):
        ch = sorted(ch)
        if ch:
            W_out[f, ch] = 1
            b_out[f] = -len(ch)
    net = Network(W_in.astype(np.int64), np.full(n, -1, dtype=np.int64), W_out, b_out, "relu")
    feats = pair_features(domain, pairs)
    return Construction(name, net, feats, computed(net, feats, aligned=True), params)


def _all_pairs(domain):
    return list(combinations(range(domain.m), 2))


def uand_network(domain: Domain, d_hidden: int, *, pairs=None, p: float = 0.5, seed: int = 0) -> Construction:
    """Hänni et al.'s U-AND, our reading (module docstring): random ``{0,1}`` input subsets with probability
    ``p``, bias -1, ReLU; ``AND(a,b)`` read from the units containing both. ``pairs`` defaults to all."""
    if not 0 < p <= 1:
        raise SpecError(f"connection probability p must be in (0, 1], got {p}")
    _check_width(d_hidden)
    pairs = _all_pairs(domain) if pairs is None else [tuple(sorted(q)) for q in pairs]
    rng = np.random.default_rng(seed)
    W_in = (rng.random((d_hidden, domain.m)) < p).astype(np.int64)
    channels = [np.flatnonzero(W_in[:, a] & W_in[:, b]).tolist() for a, b in pairs]
    return _finish("hanni_uand", domain, pairs, W_in, channels, {"p": p, "seed": seed})


def _check_width(d_hidden):
    if isinstance(d_hidden, bool) or not isinstance(d_hidden, (int, np.integer)) or d_hidden < 1:
        raise SpecError(f"width must be an integer >= 1, got {d_hidden!r}")


def _intersection(A, ch):
    out = set(A[ch[0]])
    for i in ch[1:]:
        out &= A[i]
    return out


def sparse_code_network(
    domain: Domain,
    pairs,
    d_hidden: int,
    *,
    channel_size: int = 2,
    seed: int = 0,
    tries: int = 32,
    abort_on_failure: bool = False,
) -> Construction | None:
    """Sparse-code 2-AND network in the style of Adler & Shavit (our reading, module docstring).

    Channels are placed one target pair at a time, in a seeded random order: up to ``tries`` random
    ``channel_size``-subsets of the units are drawn and the first one is kept under which every pair placed
    so far (and this one) still satisfies the channel rule of ``proofs/check_constructions.py`` (the inputs
    shared by all its channel units are exactly its two inputs: exact on 2-sparse inputs); failing that, the
    draw breaking the fewest pairs. The rule only guides the design: ``computes`` is the exact check.

    A pair that breaks the rule stays broken (units only gain inputs, so shared inputs only grow) and is
    then wrong on the 2-sparse points of any ``D_s``, ``s >= 2``; so with ``abort_on_failure`` the builder
    returns None at the first such placement (used by the minimum-width scan)."""
    _check_width(d_hidden)
    pairs = [tuple(sorted(q)) for q in pairs]
    if not pairs:
        raise SpecError("no target pairs")
    if not 1 <= channel_size <= d_hidden:
        raise SpecError(f"channel size must be between 1 and the width {d_hidden}, got {channel_size}")
    rng = np.random.default_rng(seed)
    A = [set() for _ in range(d_hidden)]  # input set of each unit
    users: list[list[int]] = [[] for _ in range(d_hidden)]  # pairs whose channel holds each unit
    channels: list = [None] * len(pairs)
    for f in rng.permutation(len(pairs)).tolist():
        a, b = pairs[f]
        best, best_bad = None, None
        for _ in range(max(1, tries)):
            ch = sorted(rng.choice(d_hidden, size=channel_size, replace=False).tolist())
            trial = {i: A[i] | {a, b} for i in ch}

            def sets(i, trial=trial):
                return trial.get(i, A[i])

            affected = {g for i in ch for g in users[i]}
            bad = int(_intersection([sets(i) for i in range(d_hidden)], ch) != {a, b})
            for g in affected:
                chg = channels[g]
                bad += int(_intersection([sets(i) for i in range(d_hidden)], chg) != set(pairs[g]))
            if best_bad is None or bad < best_bad:
                best, best_bad = ch, bad
            if bad == 0:
                break
        if best_bad and abort_on_failure:
            return None
        channels[f] = best
        for i in best:
            A[i] |= {a, b}
            users[i].append(f)
    W_in = np.zeros((d_hidden, domain.m), dtype=np.int64)
    for i, inputs in enumerate(A):
        W_in[i, sorted(inputs)] = 1
    return _finish("sparse_code", domain, pairs, W_in, channels, {"channel_size": channel_size, "seed": seed})


def dedicated_network(domain: Domain, pairs, d_hidden: int | None = None) -> Construction:
    """One unit ``relu(x_a + x_b - 1)`` for each of the first ``d_hidden`` pairs (default: all, width ``m'``);
    correct on every domain for those pairs; the other outputs are constant 0."""
    pairs = [tuple(sorted(q)) for q in pairs]
    n = len(pairs) if d_hidden is None else int(d_hidden)
    _check_width(n)
    W_in = np.zeros((n, domain.m), dtype=np.int64)
    for i, (a, b) in enumerate(pairs[:n]):
        W_in[i, [a, b]] = 1
    channels = [[i] if i < n else [] for i in range(len(pairs))]
    return _finish("dedicated", domain, pairs, W_in, channels, {})


CONSTRUCTIONS = ("hanni_uand", "sparse_code", "dedicated")


def build(name: str, domain: Domain, pairs, d_hidden: int, *, seed: int = 0, **params) -> Construction:
    """Build construction ``name`` at width ``d_hidden`` (``dedicated`` uses at most ``m'`` units)."""
    if name == "hanni_uand":
        return uand_network(domain, d_hidden, pairs=pairs, seed=seed, **params)
    if name == "sparse_code":
        return sparse_code_network(domain, pairs, d_hidden, seed=seed, **params)
    if name == "dedicated":
        return dedicated_network(domain, pairs, min(d_hidden, len(pairs)))
    raise SpecError(f"unknown construction {name!r}; known: {', '.join(CONSTRUCTIONS)}")


def construction_min_width(
    name: str,
    domain: Domain,
    pairs,
    *,
    max_width: int,
    seed: int = 0,
    grid: dict | None = None,
    count_widths=None,
    search: str = "scan",
) -> tuple[Construction | None, list[dict]]:
    """Smallest width ``n <= max_width`` at which construction ``name`` (with seed ``seed``, best over the
    parameter ``grid``, e.g. ``{"channel_size": (1, 2, 3)}``) computes every pair, checked exactly.

    Returns the first construction that computes all pairs (or None) and the per-width log
    ``[{d_hidden, n_computed (best over the grid, None where not counted), params}]``. Widths outside
    ``count_widths`` (default: all) are only asked "all computed?", which lets the sparse code stop early.

    ``search="bisect"`` (large sets) tries widths 1, 2, 4, ... up to the first that computes every pair and
    then bisects between it and the last failing one: the returned width computes every pair and the width
    one below it does not (for this seed and grid); the log lists the widths tried, in order."""
    grid = grid or {}
    keys = sorted(grid)
    combos = [dict(zip(keys, vals)) for vals in _product([tuple(grid[k]) for k in keys])]
    if search == "bisect":
        return _bisect_width(name, domain, pairs, max_width, seed, combos)
    if search != "scan":
        raise SpecError(f"construction search must be scan or bisect, got {search!r}")
    log = []
    for width in range(1, max_width + 1):
        count = count_widths is None or width in count_widths
        best = None
        for params in combos:
            if params.get("channel_size", 1) > width:
                continue
            if name == "sparse_code" and not count:
                c = sparse_code_network(domain, pairs, width, seed=seed, abort_on_failure=True, **params)
                if c is None:
                    continue
            else:
                c = build(name, domain, pairs, width, seed=seed, **params)
            if best is None or c.n_computed > best.n_computed:
                best = c
            if c.all_computed:
                break
        log.append(
            {
                "d_hidden": width,
                "n_computed": None if best is None or not count else best.n_computed,
                "params": None if best is None else best.params,
            }
        )
        if best is not None and best.all_computed:
            return best, log
    return None, log


def _try_width(name, domain, pairs, width, seed, combos):
    for params in combos:
        if params.get("channel_size", 1) > width:
            continue
        if name == "sparse_code":
            c = sparse_code_network(domain, pairs, width, seed=seed, abort_on_failure=True, **params)
        else:
            c = build(name, domain, pairs, width, seed=seed, **params)
        if c is not None and c.all_computed:
            return c
    return None


def _bisect_width(name, domain, pairs, max_width, seed, combos):
    log, found = [], {}

    def ok(w):
        if w not in found:
            found[w] = _try_width(name, domain, pairs, w, seed, combos)
            c = found[w]
            log.append({"d_hidden": w, "n_computed": None, "params": None if c is None else c.params})
        return found[w] is not None

    lo, hi = 0, 1
    while not ok(hi):
        lo = hi
        if hi >= max_width:
            return None, log
        hi = min(2 * hi, max_width)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if ok(mid) else (mid, hi)
    return found[hi], log


def _product(lists):
    out = [()]
    for lst in lists:
        out = [o + (v,) for o in out for v in lst]
    return out
