"""Boolean features on a domain: formulas, named families and feature sets.

A feature is a truth table over a :class:`~capacity.domain.Domain` (see that module for the bit
order). A :class:`FeatureSet` is ``F`` named truth tables on one domain; every family below returns
one, and every random family takes a ``seed`` so that the same seed gives the same set.

Formula syntax (Python precedence, tightest first): ``~`` (not), ``&`` (and), ``^`` (xor), ``|``
(or), parentheses, variables ``x0 ... x{m-1}`` and the constants ``0`` and ``1``::

    x0 & x1 | ~x2 & x3        (x0 ∧ x1) ∨ (¬x2 ∧ x3)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import combinations
from math import comb

import numpy as np

from .domain import Domain
from .errors import CapacityError, FormulaError, SpecError

__all__ = [
    "FeatureSet",
    "parse_formula",
    "formulas",
    "all_functions",
    "k_ands",
    "random_dnf",
    "random_cnf",
    "parity",
    "majority",
    "threshold",
    "from_spec",
    "MAX_ALL_FUNCTIONS",
]

#: ``all_functions`` refuses domains with more than this many functions (2^N).
MAX_ALL_FUNCTIONS = 1 << 16


@dataclass(frozen=True, eq=False)
class FeatureSet:
    """``F`` named Boolean features on one domain, stored as a ``(F, words)`` uint64 truth-table array.

    It behaves like a sequence of feature *names* (the same as ``names``): ``len(fs)`` counts features,
    ``for name in fs`` and ``fs[i]`` give names, ``name in fs`` tests one. Any other index (a slice, a list of
    positions, a boolean mask) gives a smaller FeatureSet, as :meth:`select` does. ``fs.bits[i]`` holds
    feature ``i``'s values on every point of the domain; ``fs + other`` joins two sets on one domain.
    """

    domain: Domain
    tables: np.ndarray
    names: tuple[str, ...]

    def __post_init__(self):
        t = np.ascontiguousarray(np.asarray(self.tables, dtype=np.uint64).reshape(-1, self.domain.words))
        t.setflags(write=False)
        object.__setattr__(self, "tables", t)
        object.__setattr__(self, "names", tuple(str(n) for n in self.names))
        if len(self.names) != t.shape[0]:
            raise CapacityError(f"{t.shape[0]} truth tables but {len(self.names)} names")

    @classmethod
    def from_bits(cls, domain: Domain, bits, names=None) -> "FeatureSet":
        """Build from a ``(F, N)`` boolean array (one row per feature)."""
        bits = np.atleast_2d(np.asarray(bits, dtype=bool))
        if names is None:
            names = [f"f{i}" for i in range(bits.shape[0])]
        return cls(domain, domain.pack(bits), tuple(names))

    def __len__(self) -> int:
        return self.tables.shape[0]

    def __iter__(self):
        return iter(self.names)

    def __getitem__(self, index):
        if isinstance(index, (int, np.integer)) and not isinstance(index, bool):
            return self.names[index]
        return self.select(index)

    def __contains__(self, name) -> bool:
        return name in self.names

    @property
    def bits(self) -> np.ndarray:
        """``(F, N)`` boolean values of every feature on every point."""
        return self.domain.unpack(self.tables)

    def select(self, index) -> "FeatureSet":
        """The features at ``index`` (indices, a slice or a boolean mask), keeping names."""
        idx = np.arange(len(self))[index]
        idx = np.atleast_1d(idx)
        return FeatureSet(self.domain, self.tables[idx], tuple(self.names[i] for i in idx))

    def permutation_invariant(self) -> bool:
        """Whether every permutation of the inputs maps this *set* of features onto itself (checked on the
        transpositions ``(i, i+1)``, which generate all permutations; cube and sparse domains are closed
        under permutations). Solvers use it to break input symmetry."""
        dom = self.domain
        have = {row.tobytes() for row in self.tables}
        bits = self.bits
        pts = dom.points.astype(np.int64)
        for i in range(dom.m - 1):
            src = pts.copy()
            src[:, [i, i + 1]] = src[:, [i + 1, i]]
            if {row.tobytes() for row in dom.pack(bits[:, dom.lookup(src)])} != have:
                return False
        return True

    def __add__(self, other: "FeatureSet") -> "FeatureSet":
        if other.domain != self.domain:
            raise CapacityError("cannot join feature sets on different domains")
        return FeatureSet(self.domain, np.vstack([self.tables, other.tables]), self.names + other.names)

    def __repr__(self) -> str:
        shown = ", ".join(self.names[:4]) + (", ..." if len(self) > 4 else "")
        return f"FeatureSet({len(self)} on {self.domain}: {shown})"

    def to_dict(self) -> dict:
        return {
            "domain": self.domain.to_dict(),
            "names": list(self.names),
            "tables": [[int(w) for w in row] for row in self.tables],
        }


# ---------------------------------------------------------------------------------------------
# formulas

_TOKEN = re.compile(r"\s*(?:(x\d+)|([01])|(&|\||\^|~|!|\(|\)))")


def _tokenize(text: str):
    pos, out = 0, []
    text = text.rstrip()
    while pos < len(text):
        mt = _TOKEN.match(text, pos)
        if not mt:
            raise FormulaError(f"cannot read formula {text!r} at position {pos}: {text[pos:pos + 8]!r}")
        start = mt.start(mt.lastindex)
        out.append((mt.group(mt.lastindex), start))
        pos = mt.end()
    return out


class _Parser:
    """Recursive descent: or := xor ('|' xor)* ; xor := and ('^' and)* ; and := not ('&' not)* ."""

    def __init__(self, text: str, m: int):
        self.text, self.m = text, m
        self.toks = _tokenize(text)
        self.i = 0
        self.vars: set[int] = set()

    def _peek(self):
        return self.toks[self.i][0] if self.i < len(self.toks) else None

    def _fail(self, what: str):
        pos = self.toks[self.i][1] if self.i < len(self.toks) else len(self.text.rstrip())
        got = repr(self._peek()) if self._peek() is not None else "end of formula"
        raise FormulaError(f"malformed formula {self.text!r}: expected {what} at position {pos}, got {got}")

    def parse(self):
        if not self.toks:
            raise FormulaError("empty formula")
        node = self._binary(0)
        if self.i != len(self.toks):
            self._fail("an operator")
        return node

    _LEVELS = ("|", "^", "&")

    def _binary(self, level):
        if level == len(self._LEVELS):
            return self._unary()
        op = self._LEVELS[level]
        node = self._binary(level + 1)
        while self._peek() == op:
            self.i += 1
            node = (op, node, self._binary(level + 1))
        return node

    def _unary(self):
        tok = self._peek()
        if tok in ("~", "!"):
            self.i += 1
            return ("~", self._unary())
        if tok == "(":
            self.i += 1
            node = self._binary(0)
            if self._peek() != ")":
                self._fail("')'")
            self.i += 1
            return node
        if tok is not None and tok.startswith("x"):
            k = int(tok[1:])
            if k >= self.m:
                raise FormulaError(f"variable {tok} in {self.text!r} is outside the domain (inputs x0..x{self.m - 1})")
            self.vars.add(k)
            self.i += 1
            return ("x", k)
        if tok in ("0", "1"):
            self.i += 1
            return ("c", tok == "1")
        self._fail("a variable, a constant, '~' or '('")


def _evaluate(node, X: np.ndarray) -> np.ndarray:
    kind = node[0]
    if kind == "x":
        return X[:, node[1]].astype(bool)
    if kind == "c":
        return np.full(X.shape[0], node[1])
    if kind == "~":
        return ~_evaluate(node[1], X)
    a, b = _evaluate(node[1], X), _evaluate(node[2], X)
    return {"&": a & b, "|": a | b, "^": a ^ b}[kind]


def parse_formula(text: str, domain: Domain) -> np.ndarray:
    """Truth table (uint64 words) of formula ``text`` on ``domain``.

    >>> d = Domain(2)
    >>> int(parse_formula("x0 ^ x1", d)[0])   # points 00,10,01,11 -> 0,1,1,0
    6
    """
    tree = _Parser(str(text), domain.m).parse()
    return domain.pack(_evaluate(tree, domain.points))


def formulas(domain: Domain, texts) -> FeatureSet:
    """Features given as formulas (a list, or one string with formulas separated by ``;``)."""
    if isinstance(texts, str):
        texts = [t for t in texts.split(";") if t.strip()]
    texts = [t.strip() for t in texts]
    if not texts:
        raise FormulaError("no formula given")
    return FeatureSet(domain, np.array([parse_formula(t, domain) for t in texts]), tuple(texts))


# ---------------------------------------------------------------------------------------------
# families


def _rng(seed):
    return np.random.default_rng(seed)


def _clause_text(lits) -> str:
    return " & ".join(("~" if neg else "") + f"x{v}" for v, neg in lits)


def all_functions(domain: Domain) -> FeatureSet:
    """All ``2^N`` Boolean functions on a small domain; feature ``i`` has truth-table integer ``i``."""
    n = domain.size
    if (1 << n) > MAX_ALL_FUNCTIONS:
        raise CapacityError(
            f"all functions on {n} points is 2^{n} features; the limit is {MAX_ALL_FUNCTIONS} (at most 16 points)"
        )
    ints = np.arange(1 << n, dtype=np.uint64)
    return FeatureSet(domain, ints.reshape(-1, 1), tuple(f"t{i:#x}" for i in range(1 << n)))


def k_ands(domain: Domain, k: int = 2, n: int | None = None, *, negations: bool = False, seed=0) -> FeatureSet:
    """ANDs of ``k`` distinct inputs: all ``C(m, k)`` of them (``n=None``, in lexicographic order), or ``n``
    distinct ones drawn at random. With ``negations`` each literal is negated with probability 1/2."""
    m = domain.m
    if not 1 <= k <= m:
        raise SpecError(f"k-AND needs 1 <= k <= inputs ({m}), got k={k}")
    total = comb(m, k)
    rng = _rng(seed)
    if n is None:
        sets = list(combinations(range(m), k))
    else:
        if not 1 <= n <= total:
            raise SpecError(f"asked for {n} distinct {k}-ANDs but {m} inputs have only {total}")
        if total < 10**7:  # draw ranks of the lexicographic list
            pick = set(rng.choice(total, size=n, replace=False).tolist())
            sets = [c for i, c in enumerate(combinations(range(m), k)) if i in pick]
        else:  # rejection sampling for huge m
            seen: set = set()
            while len(seen) < n:
                seen.add(tuple(sorted(rng.choice(m, size=k, replace=False).tolist())))
            sets = sorted(seen)
    texts = []
    for c in sets:
        negs = rng.random(k) < 0.5 if negations else np.zeros(k, bool)
        texts.append(_clause_text(zip(c, negs)))
    return formulas(domain, texts)


def _random_clauses(m, n_clauses, width, negations, rng):
    if not 1 <= width <= m:
        raise SpecError(f"clause width must be between 1 and the number of inputs ({m}), got {width}")
    if n_clauses < 1:
        raise SpecError(f"need at least one clause, got {n_clauses}")
    out = []
    for _ in range(n_clauses):
        vs = sorted(rng.choice(m, size=width, replace=False).tolist())
        negs = (rng.random(width) < negations) if negations else np.zeros(width, bool)
        out.append(list(zip(vs, (bool(b) for b in negs))))
    return out


def random_dnf(domain: Domain, n_clauses: int = 2, clause_width: int = 2, n: int = 1, *, negations: float = 0.5,
               seed=0) -> FeatureSet:
    """``n`` random DNFs: each an OR of ``n_clauses`` ANDs of ``clause_width`` distinct literals; each literal is
    negated with probability ``negations`` (0 gives monotone DNFs)."""
    rng = _rng(seed)
    texts = []
    for _ in range(n):
        cls = _random_clauses(domain.m, n_clauses, clause_width, negations, rng)
        texts.append(" | ".join(f"({_clause_text(c)})" if len(c) > 1 and len(cls) > 1 else _clause_text(c)
                                for c in cls))
    return formulas(domain, texts)


def random_cnf(domain: Domain, n_clauses: int = 2, clause_width: int = 2, n: int = 1, *, negations: float = 0.5,
               seed=0) -> FeatureSet:
    """``n`` random CNFs: each an AND of ``n_clauses`` ORs of ``clause_width`` distinct literals."""
    rng = _rng(seed)
    texts = []
    for _ in range(n):
        cls = _random_clauses(domain.m, n_clauses, clause_width, negations, rng)
        parts = [" | ".join(("~" if neg else "") + f"x{v}" for v, neg in c) for c in cls]
        texts.append(" & ".join(f"({p})" if len(c) > 1 and len(cls) > 1 else p for p, c in zip(parts, cls)))
    return formulas(domain, texts)


def _vars(domain, variables):
    vs = list(range(domain.m)) if variables is None else [int(v) for v in variables]
    if not vs or any(not 0 <= v < domain.m for v in vs):
        raise SpecError(f"variables must be a non-empty subset of 0..{domain.m - 1}, got {variables}")
    return vs


def parity(domain: Domain, variables=None) -> FeatureSet:
    """XOR of the given inputs (all by default)."""
    vs = _vars(domain, variables)
    bits = domain.points[:, vs].sum(axis=1) % 2 == 1
    return FeatureSet.from_bits(domain, bits[None], [" ^ ".join(f"x{v}" for v in vs)])


def threshold(domain: Domain, weights=None, theta=1, name: str | None = None) -> FeatureSet:
    """The linear threshold function ``[w . x >= theta]`` (weights all 1 by default)."""
    w = np.ones(domain.m, dtype=np.int64) if weights is None else np.asarray(weights, dtype=np.int64)
    if w.shape != (domain.m,):
        raise SpecError(f"threshold needs {domain.m} weights, got {w.shape[0] if w.ndim else 1}")
    bits = domain.points.astype(np.int64) @ w >= theta
    label = name or f"[{' + '.join(f'{c}*x{i}' for i, c in enumerate(w.tolist()) if c)} >= {theta}]"
    return FeatureSet.from_bits(domain, bits[None], [label])


def majority(domain: Domain, variables=None) -> FeatureSet:
    """Majority of the given inputs (all by default): at least half of them, rounded up, are one."""
    vs = _vars(domain, variables)
    bits = 2 * domain.points[:, vs].sum(axis=1) >= len(vs)
    return FeatureSet.from_bits(domain, bits[None], [f"maj({', '.join(f'x{v}' for v in vs)})"])


# ---------------------------------------------------------------------------------------------
# specifications (for the CLI and sweep configs)

_FAMILIES = {
    "all": (all_functions, {}),
    "ands": (k_ands, {"k": int, "n": int, "seed": int, "negations": int}),
    "pairs": (lambda d, **kw: k_ands(d, 2, **kw), {"n": int, "seed": int}),
    "uand": (lambda d: k_ands(d, 2), {}),
    "parity": (parity, {}),
    "majority": (majority, {}),
    "threshold": (lambda d, t=1: threshold(d, theta=t), {"t": int}),
    "dnf": (random_dnf, {"clauses": int, "width": int, "n": int, "seed": int, "negations": float}),
    "cnf": (random_cnf, {"clauses": int, "width": int, "n": int, "seed": int, "negations": float}),
}
_RENAME = {"clauses": "n_clauses", "width": "clause_width", "negations": "negations"}

SPEC_HELP = (
    "formulas separated by ';' (e.g. 'x0 & x1; x2 ^ x3') and/or families: all, ands[:k=2,n=5,seed=0], "
    "pairs (all pairwise ANDs, = uand), parity, majority, threshold[:t=2], "
    "dnf[:clauses=2,width=2,n=1,seed=0,negations=0.5], cnf[:...]"
)


def from_spec(domain: Domain, spec: str, seed: int = 0) -> FeatureSet:
    """Parse a feature specification: ``;``-separated formulas and named families (see ``SPEC_HELP``).

    >>> from_spec(Domain(3), "pairs; x0 ^ x1").names
    ('x0 & x1', 'x0 & x2', 'x1 & x2', 'x0 ^ x1')
    """
    parts = [p.strip() for p in str(spec).split(";") if p.strip()]
    if not parts:
        raise SpecError("empty feature specification")
    out: FeatureSet | None = None
    for part in parts:
        name, _, args = part.partition(":")
        name = name.strip().lower()
        if name in _FAMILIES:
            fn, types = _FAMILIES[name]
            kwargs = {}
            for item in filter(None, (a.strip() for a in args.split(","))):
                key, eq, val = item.partition("=")
                key = key.strip()
                if not eq or key not in types:
                    raise SpecError(f"family {name!r} takes {sorted(types) or 'no arguments'}, got {item!r}")
                try:
                    kwargs[_RENAME.get(key, key) if name in ("dnf", "cnf") else key] = types[key](val)
                except ValueError:
                    raise SpecError(f"{key}={val!r} in {part!r} is not a {types[key].__name__}") from None
            if "seed" in types and "seed" not in kwargs:
                kwargs["seed"] = seed
            if name == "ands" and "negations" in kwargs:
                kwargs["negations"] = bool(kwargs["negations"])
            fs = fn(domain, **kwargs)
        elif re.fullmatch(r"[a-z_]\w*", name) and not re.fullmatch(r"x\d+", name):
            raise SpecError(f"unknown feature family {name!r}; known: {', '.join(sorted(_FAMILIES))}")
        else:
            fs = formulas(domain, [part])
        out = fs if out is None else out + fs
    return out
