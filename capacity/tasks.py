"""Seeded Boolean tasks for the gradient-descent cross-check (docs/design.md §6).

A :class:`Task` is a set of target features on a domain plus the recipe that drew them. ``task.data()``
gives training arrays ``(X, Y)``: every point of the domain when the domain has at most
:data:`EXHAUSTIVE_LIMIT` points, a uniform sample of points otherwise.

The families follow the FCC paper's list (random k-ANDs on sparse inputs, DNFs, CNFs and a
one-dimensional vision task; docs/science-fcc.md). The paper's task parameters and
its vision task's definition are unknown: every default and the vision task below are **ours**.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from math import comb

import numpy as np

from . import features as _features
from .domain import Domain
from .errors import CapacityError, SpecError
from .features import FeatureSet

__all__ = [
    "EXHAUSTIVE_LIMIT",
    "TASKS",
    "Task",
    "cnf_task",
    "dnf_task",
    "kand_task",
    "sample_indices",
    "task_from_args",
    "vision1d_task",
]

#: ``Task.data()`` returns the whole domain when it has at most this many points; past it, it samples this
#: many points (ours: large enough for every 12-input cube, small enough for quick full-batch steps).
EXHAUSTIVE_LIMIT = 4096


def _int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise SpecError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise SpecError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _domain(m: int, sparsity) -> Domain:
    m = _int("inputs", m, 1)
    if sparsity is not None:
        sparsity = _int("sparsity", sparsity, 0)
        if sparsity > m:
            raise SpecError(f"sparsity {sparsity} is greater than the number of inputs {m}")
    return Domain(m, sparsity)


def _probability(name: str, p) -> float:
    try:
        p = float(p)
    except (TypeError, ValueError):
        raise SpecError(f"{name} must be a number in [0, 1], got {p!r}") from None
    if not 0.0 <= p <= 1.0:
        raise SpecError(f"{name} must be in [0, 1], got {p}")
    return p


def sample_indices(domain: Domain, n_samples: int, seed=0) -> np.ndarray:
    """``n_samples`` point indices drawn uniformly (with replacement) from ``domain``.

    Every point is equally likely, so on an ``s``-sparse domain the number of ones ``t`` has weight
    ``C(m, t) / |D|``: the same law as "draw t with binomial weights, then a uniform t-subset", done by
    drawing indices because the domain is indexed.
    """
    n_samples = _int("n_samples", n_samples, 1)
    return np.random.default_rng(seed).integers(0, domain.size, size=n_samples, dtype=np.int64)


@dataclass(frozen=True, eq=False)
class Task:
    """Target features on a domain and the recipe that drew them.

    Args:
        name: the family (``kand``, ``dnf``, ``cnf``, ``vision1d``).
        domain: the admissible inputs.
        features: the ``n_features`` targets, one readout each.
        params: the builder's arguments (JSON-friendly), so the task can be rebuilt.
        seed: the seed that drew the features.
    """

    name: str
    domain: Domain
    features: FeatureSet
    params: dict = field(default_factory=dict)
    seed: int = 0

    def __post_init__(self):
        if self.features.domain != self.domain:
            raise CapacityError("task features live on a different domain than the task")
        if len(self.features) < 1:
            raise CapacityError("a task needs at least one feature")

    @property
    def n_inputs(self) -> int:
        return self.domain.m

    @property
    def n_features(self) -> int:
        return len(self.features)

    @property
    def key(self) -> bytes:
        """A digest of the task's content (family, domain, truth tables): equal tasks give equal keys."""
        h = hashlib.sha256()
        h.update(f"{self.name}|{self.domain.m}|{self.domain.sparsity}|".encode())
        h.update(np.ascontiguousarray(self.features.tables, dtype="<u8").tobytes())
        return h.digest()

    def data(self, n_samples: int | None = None, seed=0) -> tuple[np.ndarray, np.ndarray]:
        """Training arrays ``X (N, n_inputs)`` and ``Y (N, n_features)``, uint8 0/1.

        ``n_samples=None``: every point of the domain, in domain order, when the domain has at most
        :data:`EXHAUSTIVE_LIMIT` points, else :data:`EXHAUSTIVE_LIMIT` sampled points. An integer asks for
        that many points sampled uniformly with replacement (see :func:`sample_indices`; ``seed`` seeds it).
        """
        if n_samples is None and self.domain.size <= EXHAUSTIVE_LIMIT:
            idx = np.arange(self.domain.size, dtype=np.int64)
        else:
            idx = sample_indices(self.domain, EXHAUSTIVE_LIMIT if n_samples is None else n_samples, seed)
        X = self.domain.points[idx].astype(np.uint8)
        words = self.features.tables[:, idx // 64]  # (F, N)
        Y = ((words >> (idx % 64).astype(np.uint64)) & np.uint64(1)).astype(np.uint8).T
        return X, np.ascontiguousarray(Y)

    def to_dict(self) -> dict:
        return {"name": self.name, "domain": self.domain.to_dict(), "params": dict(self.params),
                "seed": self.seed, "features": list(self.features.names)}


# ---------------------------------------------------------------------------------------------
# builders


def kand_task(m: int, n_features: int | None, k: int = 2, sparsity: int | None = None, seed=0) -> Task:
    """``n_features`` distinct random ANDs of ``k`` positive inputs (pairs, triples, ...) on ``s``-sparse inputs.

    ``n_features=None`` takes all ``C(m, k)`` of them (with ``k=2``: the U-AND task). A ``k`` larger than the
    sparsity is refused: every such AND is constantly 0 on the domain.
    """
    domain = _domain(m, sparsity)
    k = _int("k", k, 1)
    if k > domain.m:
        raise SpecError(f"k = {k} is greater than the number of inputs {domain.m}")
    if sparsity is not None and k > sparsity:
        raise SpecError(f"a {k}-AND is always 0 on inputs with at most {sparsity} ones (k > sparsity)")
    total = comb(domain.m, k)
    if n_features is not None:
        n_features = _int("features", n_features, 1)
        if n_features > total:
            raise SpecError(f"asked for {n_features} distinct {k}-ANDs but {domain.m} inputs have only {total}")
    seed = _int("seed", seed, 0)
    fs = _features.k_ands(domain, k, n_features, seed=seed)
    params = {"inputs": domain.m, "sparsity": sparsity, "features": len(fs), "k": k}
    return Task("kand", domain, fs, params, seed)


def _clauses_task(kind, m, n_features, n_clauses, clause_width, negations, sparsity, seed) -> Task:
    domain = _domain(m, sparsity)
    n_features = _int("features", n_features, 1)
    n_clauses = _int("clauses", n_clauses, 1)
    clause_width = _int("width", clause_width, 1)
    if clause_width > domain.m:
        raise SpecError(f"clause width {clause_width} is greater than the number of inputs {domain.m}")
    negations = _probability("negations", negations)
    seed = _int("seed", seed, 0)
    build = _features.random_dnf if kind == "dnf" else _features.random_cnf
    fs = build(domain, n_clauses, clause_width, n_features, negations=negations, seed=seed)
    params = {"inputs": domain.m, "sparsity": sparsity, "features": n_features, "clauses": n_clauses,
              "width": clause_width, "negations": negations}
    return Task(kind, domain, fs, params, seed)


def dnf_task(m: int, n_features: int, n_clauses: int, clause_width: int, negations: float = 0.5,
             sparsity: int | None = None, seed=0) -> Task:
    """``n_features`` random DNFs, each an OR of ``n_clauses`` ANDs of ``clause_width`` distinct literals; each
    literal is negated with probability ``negations`` (see :func:`capacity.features.random_dnf`)."""
    return _clauses_task("dnf", m, n_features, n_clauses, clause_width, negations, sparsity, seed)


def cnf_task(m: int, n_features: int, n_clauses: int, clause_width: int, negations: float = 0.5,
             sparsity: int | None = None, seed=0) -> Task:
    """``n_features`` random CNFs, each an AND of ``n_clauses`` ORs of ``clause_width`` distinct literals."""
    return _clauses_task("cnf", m, n_features, n_clauses, clause_width, negations, sparsity, seed)


def _pattern_text(pattern) -> str:
    return "".join(str(int(b)) for b in pattern)


def vision1d_task(length: int, window: int, n_patterns: int, *, exact: bool = True, sparsity: int | None = None,
                  seed=0) -> Task:
    """Our one-dimensional vision task: a strip of ``length`` binary pixels ``x0 ... x{L-1}``; feature ``P`` (a
    pattern of ``window`` pixels) is 1 when ``P`` occurs in some window of the strip.

    The paper lists a "one-dimensional vision task" but its definition is unknown (docs/science-fcc.md);
    this formulation is **ours**. Feature ``P`` is the DNF over the ``L - w + 1`` window positions
    ``p`` of the clause ``AND_j [x_{p+j} = P_j]``: with ``exact=True`` (default) a 0-pixel of the pattern is a
    negated literal (the window looks exactly like ``P``); with ``exact=False`` only the pattern's 1-pixels are
    literals (the window contains ``P``'s ink). Patterns are ``n_patterns`` distinct non-blank patterns drawn
    uniformly with ``seed`` (the blank pattern is left out: it would only say "some window is blank"; on an
    ``s``-sparse strip, patterns with more than ``s`` ones are left out too: they can never occur).
    """
    L = _int("length", length, 1)
    w = _int("window", window, 1)
    if w > L:
        raise SpecError(f"window {w} is longer than the strip ({L} pixels)")
    n_patterns = _int("features", n_patterns, 1)
    domain = _domain(L, sparsity)
    if w > 24:
        raise SpecError(f"window {w} is too wide (at most 24 pixels)")
    candidates = np.arange(1, 1 << w, dtype=np.int64)  # non-blank patterns, as integers (pixel j = bit j)
    if sparsity is not None:  # a pattern with more ink than the sparsity can never occur
        candidates = candidates[np.bitwise_count(candidates) <= sparsity]
    if n_patterns > candidates.size:
        limit = "" if sparsity is None else f" with at most {sparsity} ones"
        raise SpecError(f"asked for {n_patterns} distinct patterns but a window of {w} pixels has only "
                        f"{candidates.size} non-blank ones{limit}")
    seed = _int("seed", seed, 0)
    rng = np.random.default_rng(seed)
    codes = np.sort(rng.choice(candidates, size=n_patterns, replace=False))
    patterns = [((int(c) >> np.arange(w)) & 1).astype(np.int8) for c in codes]
    texts, names = [], []
    for pat in patterns:
        clauses = []
        for p in range(L - w + 1):
            lits = [("" if b else "~") + f"x{p + j}" for j, b in enumerate(pat) if b or exact]
            clauses.append("(" + " & ".join(lits) + ")")
        texts.append(" | ".join(clauses))
        names.append(("win=" if exact else "ink=") + _pattern_text(pat))
    fs = _features.formulas(domain, texts)
    fs = FeatureSet(domain, fs.tables, tuple(names))
    params = {"length": L, "window": w, "features": n_patterns, "exact": bool(exact), "sparsity": sparsity,
              "patterns": [_pattern_text(p) for p in patterns]}
    return Task("vision1d", domain, fs, params, seed)


# ---------------------------------------------------------------------------------------------
# the CLI front door

#: task name -> (builder, accepted keyword names, required keyword names)
TASKS = {
    "kand": ({"inputs", "sparsity", "features", "k", "seed"}, {"inputs"}),
    "dnf": ({"inputs", "sparsity", "features", "clauses", "width", "negations", "seed"}, {"inputs"}),
    "cnf": ({"inputs", "sparsity", "features", "clauses", "width", "negations", "seed"}, {"inputs"}),
    "vision1d": ({"length", "window", "features", "exact", "sparsity", "seed"}, {"length", "window"}),
}

#: defaults for options a task accepts but the caller left out (ours; the paper's values are unknown)
TASK_DEFAULTS = {"k": 2, "features": None, "clauses": 2, "width": 2, "negations": 0.5, "exact": True, "seed": 0}


def task_from_args(name: str, **kw) -> Task:
    """Build a task from CLI-style keywords (``inputs, sparsity, features, k, clauses, width, negations, length,
    window, exact, seed``); ``None`` means "not given". Options that do not apply to the task are refused.

    Defaults (ours): ``k=2``; ``features``: all k-ANDs for ``kand``, 4 for ``dnf``/``cnf``/``vision1d``;
    ``clauses=2``, ``width=2``, ``negations=0.5``, ``exact=True``, ``seed=0``.

    >>> task_from_args("kand", inputs=4, k=2).features.names
    ('x0 & x1', 'x0 & x2', 'x0 & x3', 'x1 & x2', 'x1 & x3', 'x2 & x3')
    """
    if name not in TASKS:
        raise SpecError(f"unknown task {name!r}; known: {', '.join(sorted(TASKS))}")
    accepted, required = TASKS[name]
    given = {k: v for k, v in kw.items() if v is not None}
    extra = sorted(set(given) - accepted)
    if extra:
        raise SpecError(f"task {name} does not take {', '.join('--' + e for e in extra)}")
    missing = sorted(required - set(given))
    if missing:
        raise SpecError(f"task {name} needs {', '.join('--' + e for e in missing)}")
    a = {k: given.get(k, TASK_DEFAULTS.get(k)) for k in accepted}
    if name == "kand":
        return kand_task(a["inputs"], a["features"], a["k"], a["sparsity"], a["seed"])
    feats = 4 if a["features"] is None else a["features"]
    if name in ("dnf", "cnf"):
        build = dnf_task if name == "dnf" else cnf_task
        return build(a["inputs"], feats, a["clauses"], a["width"], a["negations"], a["sparsity"], a["seed"])
    return vision1d_task(a["length"], a["window"], feats, exact=bool(a["exact"]), sparsity=a["sparsity"],
                         seed=a["seed"])
