"""Extracted Boolean formulas: an OR of terms ``x_P and not(x_J1) and not(x_J2) ...``.

A :class:`Term` has a *clause* ``P`` (variables that must be 1) and *negations*: sets ``J`` of which not all
may be 1 (a one-element ``J`` is an ordinary negated literal ``~x_j``). A :class:`Formula` is the OR of its
terms on a domain with at most ``sparsity`` ones (``None``: the full cube). Formulas print in the syntax of
:func:`capacity.features.formulas` (``x0 & x1 & ~x3 | x2``), so a printed formula parses back.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

import numpy as np

__all__ = ["Formula", "Term"]


def _lit(names, i) -> str:
    return names[i] if names is not None else f"x{i}"


@dataclass(frozen=True)
class Term:
    """``AND(x_i for i in clause) AND NOT(AND(x_j for j in J)) for each J in negations``."""

    clause: tuple
    negations: tuple = ()

    def __post_init__(self):
        object.__setattr__(self, "clause", tuple(sorted(int(i) for i in self.clause)))
        negs = sorted({tuple(sorted(int(j) for j in J)) for J in self.negations}, key=lambda J: (len(J), J))
        object.__setattr__(self, "negations", tuple(negs))

    def evaluate(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=bool)
        out = np.all(X[:, list(self.clause)], axis=1) if self.clause else np.ones(X.shape[0], dtype=bool)
        for J in self.negations:
            out &= ~np.all(X[:, list(J)], axis=1)
        return out

    def text(self, names=None) -> str:
        parts = [_lit(names, i) for i in self.clause]
        for J in self.negations:
            if len(J) == 1:
                parts.append("~" + _lit(names, J[0]))
            else:
                parts.append("~(" + " & ".join(_lit(names, j) for j in J) + ")")
        return " & ".join(parts) if parts else "1"

    def implies(self, other: Term, sparsity: int | None) -> bool:
        """Exactly: every domain point satisfying ``self`` satisfies ``other``."""
        P2, P1 = set(self.clause), set(other.clause)
        if not P1 <= P2:
            return False
        for J1 in other.negations:
            # is (self and all of J1) satisfiable?  Its smallest point is P2 | J1 (negations are anti-monotone).
            pt = P2 | set(J1)
            fits = sparsity is None or len(pt) <= sparsity
            blocked = any(set(J2) <= pt for J2 in self.negations)
            if fits and not blocked:
                return False
        return True

    def to_dict(self) -> dict:
        return {"clause": list(self.clause), "negations": [list(J) for J in self.negations]}


@dataclass(frozen=True)
class Formula:
    """OR of :class:`Term` s over ``m`` variables on inputs with at most ``sparsity`` ones."""

    m: int
    terms: tuple
    sparsity: int | None = None

    def evaluate(self, X) -> np.ndarray:
        """Values at the rows of ``X`` (0/1, ``m`` columns)."""
        X = np.asarray(X, dtype=bool)
        out = np.zeros(X.shape[0], dtype=bool)
        for t in self.terms:
            out |= t.evaluate(X)
        return out

    def text(self, names=None) -> str:
        if not self.terms:
            return "0"
        return " | ".join(t.text(names) for t in self.terms)

    def __str__(self) -> str:
        return self.text()

    @property
    def variables(self) -> list[int]:
        vs = set()
        for t in self.terms:
            vs |= set(t.clause)
            for J in t.negations:
                vs |= set(J)
        return sorted(vs)

    def simplified(self) -> Formula:
        """Drop every term implied by another (exact on the domain); keeps the first of equal terms."""
        terms = sorted(set(self.terms), key=lambda t: (len(t.clause), t.clause, len(t.negations), t.negations))
        keep: list[Term] = []
        for t in terms:
            strictly = any(o is not t and t.implies(o, self.sparsity) and not o.implies(t, self.sparsity)
                           for o in terms)
            if strictly or any(k.implies(t, self.sparsity) and t.implies(k, self.sparsity) for k in keep):
                continue
            keep.append(t)
        return Formula(self.m, tuple(keep), self.sparsity)

    def dnf(self, max_terms: int = 256) -> Formula | None:
        """The same function as a DNF of literals (each negated set expanded: ``~(a & b) = ~a | ~b``), absorbed;
        ``None`` if it would need more than ``max_terms`` terms."""
        out = []
        for t in self.terms:
            n = 1
            for J in t.negations:
                n *= len(J)
            if len(out) + n > 4 * max_terms:
                return None
            for pick in product(*t.negations) if t.negations else [()]:
                out.append(Term(t.clause, tuple((j,) for j in set(pick))))
        f = Formula(self.m, tuple(out), self.sparsity).simplified()
        return f if len(f.terms) <= max_terms else None

    def to_dict(self, names=None) -> dict:
        d = self.dnf()
        return {"text": self.text(names), "dnf": None if d is None else d.text(names),
                "terms": [t.to_dict() for t in self.terms]}
