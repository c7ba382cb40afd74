"""The ``sat`` method: bit-blast an integer weight class to CNF, solve with a proof-producing SAT solver,
and back every answer: a witness :func:`verify_witness` has checked, or a DRUP proof our own checker
(:mod:`capacity.drup`) has replayed.

Encoding (python-sat; every linear constraint goes through ``pysat.pb.PBEnc``, never hand-written; by
default Pindakaas' binary-merge encoding, ``pb_encoding=EncType.binmerge``: polynomial size, and on our
small benchmarks the fastest solve-plus-check next to ``bdd``, whose size can blow up):

* **Integers** are offset binary: ``w = lo + sum_k 2^k bit_k`` with ``w <= hi`` as a PB constraint when
  ``hi - lo + 1`` is not a power of two. Weights use the per-entry bounds of
  :meth:`Problem.weight_bounds` (codes, non-negativity); a fixed entry (``lo == hi``) has no bits.
* **Hidden biases** are free integers; a finite range loses nothing. Let ``s_j(x) = W_in[j] . x`` and
  ``Lo_j <= s_j(x) <= Up_j`` over the domain and the weight box. Step: ``b >= -Lo_j`` makes the unit
  active on every point and ``b <= -Up_j - 1`` inactive everywhere, so ``b in [-Up_j - 1, -Lo_j]``. ReLU:
  ``b <= -Up_j`` gives ``h_j = 0`` everywhere and ``b >= -Lo_j`` gives ``h_j = s_j + b`` everywhere; any such
  ``b`` can be replaced by ``-Lo_j`` with ``b_out[f] += W_out[f, j] (b + Lo_j)`` for every feature, so
  ``b in [-Up_j, -Lo_j]``. A sign the code puts on ``b_j`` intersects the range; the clamping argument
  still applies (a positive bias above the range is replaced by ``max(1, -Lo_j)``, a negative one below it
  by ``min(-1, lower end)``).
* **Step units**: a literal ``h_j(x) <-> (s_j(x) + b_j >= 0)``, reified by one PB constraint per direction
  (``h -> z >= 0`` is ``z + M (not h) >= 0`` with ``M = -min z``, and likewise for ``not h -> z <= -1``);
  with ``tables`` (on in :func:`solve`) by the prime implicates of ``h <-> z >= 0`` on the few bits ``z``
  reads at that point (:func:`_step_implicates`), which propagate ``h`` as soon as those bits fix it.
* **ReLU units**: a phase literal ``a_j(x) <-> z_j(x) >= 1`` and an unsigned bit vector
  ``h_j(x) in [0, Hmax_j(x)]`` (``Hmax_j(x) = sum_{i: x_i = 1} max(hi_ji, 0) + max b_j``, exact for the box)
  with ``a -> h = z`` and ``not a -> h = 0``.
* **Readouts** ``y_f(x) = W_out[f] . h(x) + b_out[f]``: the products ``v h`` expand into AND gates of bits
  (``v = lo + sum 2^k v_k``, ``h = sum 2^l h_l``: ``v h = lo h + sum 2^(k+l) (v_k and h_l)``). The readout bias
  is free with range ``[-T_f - 1, T_f]``, ``T_f = max_x sum_j max|W_out[f, j]| Hmax_j(x)``: a larger bias
  makes ``y >= 0`` everywhere (as ``T_f`` does), a smaller one ``y <= -1`` everywhere (as ``-T_f - 1``).
  Integer margin: ``y >= 0`` on ones, ``y <= -1`` on zeros.

**Symmetry breaking** (``symmetry_breaking=True``). Call hidden units ``j, k`` interchangeable when their
rows of the ``W_in`` box, their bias ranges and their columns of the ``W_out`` box are identical (e.g.
identical code rows). Swapping two interchangeable units (rows of ``W_in``, entries of ``b_in``, columns of
``W_out``) maps the encoded class onto itself and leaves every output unchanged. So the units of one
interchangeability class can be sorted by any key that moves with them: if any network of the class
computes the features, the network with those units sorted does too. We sort by the bits of
``(W_in[j], b_j)`` read as one binary number (equal offsets, so this is the lexicographic order of the
integer tuples) and require ``key(j) <= key(k)`` for consecutive units of each class (ties allowed).
More symmetries are broken where they apply (arguments in the comments of :func:`encode` and in
``docs/engine.md``): step units with symmetric boxes and no code are taken off at the origin (complements);
ReLU units without a code are normalised (some point inactive; a dead or readout-free unit is the canonical
one); and when input permutations map the feature set onto itself the columns of ``W_in`` are sorted
lexicographically as well (double lex), and (``first_rows``, on in :func:`solve`) the first two rows are the
smallest rows the others become under column permutations that keep the rows above (rule 7). Weight
dominance (``dominance=``; :func:`solve` turns it on for step units):
among the networks obeying these rules one with the smallest sum of ``|W_in|`` has no
weight that could move one step towards 0 without changing its unit on some point, so each such weight is
asked for a point where the move would change its unit (rule 5 of ``docs/engine.md``, with the argument that
it combines with the others). Point-indicator features of step
units are encoded by hidden-pattern uniqueness (``proofs/check_point_indicator_reduction.py``), with the
counting constraints that uniqueness implies (``counting=``: on a side of ``k`` units at most ``2^(n-k)``
indicator points), which CDCL cannot derive by itself (a pigeonhole argument).
An UNSAT proof then refutes the symmetry-broken CNF, which by these arguments is unsatisfiable exactly when
the unbroken one is; pass ``symmetry_breaking=False`` for a proof of the plain encoding.

Time limit: python-sat cannot interrupt CaDiCaL, so :mod:`._interrupt` calls CaDiCaL's own ``terminate()``
from a native timer thread at the deadline; where that is unavailable the search runs in conflict slices and
gives up with UNKNOWN between them.
"""

from __future__ import annotations

import functools
import itertools
import time
from pathlib import Path

import numpy as np

from ..drup import check_drup, keep_proof, keep_proof_later
from ..lrat import lrat_solver, solver_proof
from ..errors import CapacityError
from ..network import Network
from ._interrupt import deadline_timer
from .problem import Certificate, Problem, Result, Status, verify_witness

__all__ = ["PROOF_SOLVERS", "encode", "integer_bounds", "solve", "too_few_patterns"]

#: python-sat solvers that log DRUP proofs and accept conflict budgets.
PROOF_SOLVERS = ("cadical103", "cadical153", "cadical195", "glucose3", "glucose4", "glucose42")

#: :func:`solve` splits a CNF with rule 7 that this many conflicts do not decide into one cube per count of row 0's
#: lowest weights (:func:`capacity.solvers.cubes.count_cubes`), decided by ``workers`` processes
SPLIT_CONFLICTS = 2_000
#: rule 7 constrains this many first rows (a third cut conflicts but not time on step m = 10, width 6)
ROWS_RULE = 2
_BUDGET = 2000  # conflicts per slice when the clock must be polled (no native timer)


class _Int:
    """An integer ``lo + sum_k 2^k bits[k]`` in ``[lo, hi]``."""

    __slots__ = ("bits", "hi", "lo")

    def __init__(self, lo: int, hi: int, bits: list[int]):
        self.lo, self.hi, self.bits = lo, hi, bits

    def terms(self, scale: int = 1):
        return [(scale << k, b) for k, b in enumerate(self.bits)]

    def value(self, true: set[int]) -> int:
        return self.lo + sum(1 << k for k, b in enumerate(self.bits) if b in true)


#: step units by prime implicates where ``z`` reads at most this many bits (with ``h``: 10 variables, 0.3 s per shape)
TABLE_BITS = 9


@functools.lru_cache(maxsize=None)
def _step_implicates(key: tuple) -> tuple:
    """The prime implicates, as ``((variable index, positive), ...)``, of "every integer in range and ``h`` (the
    last variable) iff ``sum count * value >= 0``" over the integers' offset bits; ``key`` holds ``(lo, hi,
    count)`` per integer (``(hi - lo).bit_length()`` bits, as :meth:`_Encoder.integer` makes them). Every clause mentions ``h``: the others follow from the ranges, which the CNF
    states already. The set of all prime implicates is equivalent to the relation, and unit propagation on it
    sets ``h`` as soon as the assigned bits fix it."""
    widths = [(hi - lo).bit_length() for lo, hi, _ in key]
    k = sum(widths) + 1
    grid = np.array(list(itertools.product((0, 1), repeat=k)), dtype=np.int64)  # row r: bits of r, first var first
    total, ok, col = np.zeros(len(grid), dtype=np.int64), np.ones(len(grid), dtype=bool), 0
    for (lo, hi, c), nb in zip(key, widths):
        v = lo + grid[:, col:col + nb] @ (1 << np.arange(nb))
        ok &= v <= hi
        total += c * v
        col += nb
    allowed = (ok & ((total >= 0) == (grid[:, -1] == 1))).reshape((2,) * k)

    def implicate(t):  # t[i]: 0 absent, 1 literal x_i, 2 literal not x_i; no allowed point falsifies the clause
        return not allowed[tuple(slice(None) if a == 0 else (0 if a == 1 else 1) for a in t)].any()

    out = []
    for t in itertools.product((0, 1, 2), repeat=k):
        if t[-1] and implicate(t) and not any(implicate(t[:i] + (0,) + t[i + 1:]) for i in range(k) if t[i]):
            out.append(tuple((i, a == 1) for i, a in enumerate(t) if a))
    return tuple(out)


class _Encoder:
    def __init__(self, pb_encoding=None):
        from pysat.formula import IDPool
        from pysat.pb import EncType

        self.pool = IDPool()
        self.clauses: list[list[int]] = []
        self.pb_encoding = EncType.binmerge if pb_encoding is None else pb_encoding
        self._and: dict[tuple[int, int], int] = {}
        self._ints: dict = {}

    def var(self, name) -> int:
        return self.pool.id(name)

    def integer(self, name, lo: int, hi: int) -> _Int:
        lo, hi = int(lo), int(hi)
        if name in self._ints:  # an integer shared by an orbit (encode's ``group``): one set of bits
            x = self._ints[name]
            if (x.lo, x.hi) != (lo, hi):  # pragma: no cover - _orbits checks the boxes
                raise RuntimeError(f"sat encoding bug: {name} with two ranges")
            return x
        if hi < lo:
            raise CapacityError(f"empty range [{lo}, {hi}] for {name}")
        nbits = (hi - lo).bit_length()
        x = _Int(lo, hi, [self.var((name, k)) for k in range(nbits)])
        if hi - lo + 1 != 1 << nbits:
            self.geq([(-w, b) for w, b in x.terms()], hi - lo)  # hi - lo - sum >= 0
        self._ints[name] = x
        return x

    def geq(self, terms, const: int, when: int | None = None) -> None:
        """``sum c * lit + const >= 0`` (only if ``when`` is true, when given), through ``PBEnc``."""
        from pysat.pb import PBEnc

        # normal form: one positive coefficient per variable (c * not v = c - c * v)
        per_var: dict[int, int] = {}
        for c, lit in terms:
            c = int(c)
            if lit < 0:
                const += c
                c, lit = -c, -lit
            per_var[lit] = per_var.get(lit, 0) + c
        coef: dict[int, int] = {}
        for v, c in per_var.items():
            if c > 0:
                coef[v] = c
            elif c < 0:
                const += c
                coef[-v] = -c
        hi = const + sum(coef.values())
        if const >= 0:  # the smallest value of the sum already satisfies it
            return
        if hi < 0:
            self.clauses.append([] if when is None else [-when])
            return
        if when is not None:
            if when in coef or -when in coef:  # pragma: no cover - reification literals are always fresh
                raise RuntimeError("sat encoding bug: a reified constraint mentions its own literal")
            coef[-when] = -const  # z + M (not when) >= 0 with M = -min z
        lits = list(coef)
        enc = PBEnc.atleast(lits=lits, weights=[coef[l] for l in lits], bound=-const, vpool=self.pool,
                            encoding=self.pb_encoding)
        self.clauses.extend(list(map(int, c)) for c in enc.clauses)

    def step_table(self, ints: list[_Int], h: int) -> bool:
        """``h <-> sum(ints) >= 0`` as the prime implicates of that relation on the integers' bits (False, and
        nothing added, when they have more than :data:`TABLE_BITS` bits)."""
        count: dict[int, list] = {}
        for x in ints:  # an integer shared by an orbit can appear twice
            count.setdefault(id(x), [x, 0])[1] += 1
        xs = list(count.values())
        if sum(len(x.bits) for x, _ in xs) > TABLE_BITS:
            return False
        key = tuple((x.lo, x.hi, c) for x, c in xs)
        lits = [b for x, _ in xs for b in x.bits] + [h]
        self.clauses += [[lits[i] if pos else -lits[i] for i, pos in clause] for clause in _step_implicates(key)]
        return True

    def unary(self, lits: list[int]) -> list[int]:
        """Literals ``u_1 .. u_k`` with ``u_t <-> at least t of lits`` (a totalizer with both halves: python-sat's
        gives only ``at least t -> u_t``)."""
        if len(lits) == 1:
            return list(lits)
        a, b = self.unary(lits[:len(lits) // 2]), self.unary(lits[len(lits) // 2:])
        out = [self.var(("unary", a[0], b[0], t)) for t in range(len(a) + len(b))]  # a node: its first inputs
        for i in range(len(a) + 1):
            for j in range(len(b) + 1):
                if i + j:  # i of a and j of b -> i + j
                    self.clauses.append(([-a[i - 1]] if i else []) + ([-b[j - 1]] if j else []) + [out[i + j - 1]])
                if i + j < len(out):  # at most i of a and at most j of b -> at most i + j
                    self.clauses.append(([a[i]] if i < len(a) else []) + ([b[j]] if j < len(b) else [])
                                        + [-out[i + j]])
        return out

    def conj(self, a: int, b: int) -> int:
        """A literal equivalent to ``a and b`` (Tseitin AND gate, memoised)."""
        key = (min(a, b), max(a, b))
        if key not in self._and:
            p = self.var(("and",) + key)
            self.clauses += [[-p, a], [-p, b], [p, -a, -b]]
            self._and[key] = p
        return self._and[key]

    def lex_leq(self, A: list[int], B: list[int], name) -> None:
        """``A <=_lex B`` for bit lists (most significant first): with ``e_i`` = "prefixes before ``i`` equal",
        ``e_i -> A_i <= B_i`` and ``e_i and A_i = B_i -> e_{i+1}`` (``e_0`` true)."""
        e = None  # None means true
        for i, (a, b) in enumerate(zip(A, B)):
            pre = [] if e is None else [-e]
            self.clauses.append(pre + [-a, b])
            if i + 1 < len(A):
                nxt = self.var((name, "eq", i + 1))
                self.clauses += [pre + [-a, -b, nxt], pre + [a, b, nxt]]
                e = nxt


def lex_order_units(enc, W, B, unit_classes) -> int:
    """Order interchangeable hidden units lexicographically by their (W_in row, bias) bits, most significant
    first; ``unit_classes`` lists groups of interchangeable units. Returns the number of constraints added."""
    added = 0
    for units in unit_classes:
        for j, k in itertools.pairwise(units):
            kj = [b for x in W[j] + [B[j]] for b in reversed(x.bits)]
            kk = [b for x in W[k] + [B[k]] for b in reversed(x.bits)]
            if kj:
                enc.lex_leq(kj, kk, ("lex", j, k))
                added += 1
    return added


def _first_rows_smallest(enc, W, B) -> tuple[int, list[int]]:
    """Rule 7 (``docs/engine.md``): with double lex, the first :data:`ROWS_RULE` = 2 rows may also be assumed
    the smallest ones the other rows become under column permutations that keep the rows above:
    ``(sorted(W_in[j]), b_j) >=_lex (W_in[0], b_0)`` for ``j >= 1``, and ``(W_in[j] sorted within the blocks of
    equal W_in[0], b_j) >=_lex (W_in[1], b_1)`` for ``j >= 2``. A sorted row (block) is fixed by its cumulative
    counts ``C_v = #{i: w_i <= v}`` (more small entries: a smaller row), so each constraint is
    ``(C(j), b_r) <=_lex (C(r), b_j)`` with the counts in unary (``u_t <-> C_v >= t``; unary strings compare like
    the numbers). Returns the number of rows constrained and the unary count of row 0's entries at the lowest
    value (the split of :func:`solve`)."""
    lo, hi = W[0][0].lo, W[0][0].hi
    n, m = len(W), len(W[0])
    le = {}  # (j, i, v) -> a literal equivalent to w_ji <= v, for lo <= v < hi

    def at_most(j, i, v):
        if (j, i, v) not in le:
            x, lit = W[j][i], enc.var(("le", j, i, v))
            enc.geq([(-c, b) for c, b in x.terms()], v - x.lo, when=lit)  # lit -> w <= v
            enc.geq(x.terms(), x.lo - v - 1, when=-lit)  # not lit -> w >= v + 1
            le[j, i, v] = lit
        return le[j, i, v]

    def value_is(j, i, u):  # a literal equivalent to w_ji == u
        parts = ([at_most(j, i, u)] if u < hi else []) + ([-at_most(j, i, u - 1)] if u > lo else [])
        return parts[0] if len(parts) == 1 else enc.conj(*parts)

    def in_block(i, block):  # column i holds the values ``block`` in the rows above
        return functools.reduce(enc.conj, [value_is(j, i, u) for j, u in enumerate(block)])

    bias = [list(reversed(b.bits)) for b in B]
    added, split = 0, []
    for r in range(min(ROWS_RULE, n - 1)):
        key = {}
        blocks = list(itertools.product(range(lo, hi + 1), repeat=r))
        for j in range(r, n):
            key[j] = []
            for block in blocks:
                for v in range(lo, hi):
                    lits = [at_most(j, i, v) if not block else enc.conj(in_block(i, block), at_most(j, i, v))
                            for i in range(m)]
                    key[j] += enc.unary(lits)
        for j in range(r + 1, n):
            enc.lex_leq(key[j] + bias[r], key[r] + bias[j], ("first", r, j))
            added += 1
        split = split or key[0][:m]
    return added, split


def _bias_range(lo_row, hi_row, points, sign, mode, activation) -> tuple[int, int]:
    """Finite range of ``b_j`` covering every behaviour (module docstring)."""
    pos = np.maximum(hi_row, 0)
    neg = np.minimum(lo_row, 0)
    up = int(max(int(points[p] @ pos) for p in range(points.shape[0])))
    low = int(min(int(points[p] @ neg) for p in range(points.shape[0])))
    lo_b, hi_b = (-up - 1, -low) if activation == "step" else (-up, -low)
    if sign is None or (mode == "support" and sign != 0):
        return lo_b, hi_b
    if sign == 0:
        return 0, 0
    return (1, max(1, hi_b)) if sign > 0 else (min(-1, lo_b), -1)


def integer_bounds(problem: Problem):
    """``(lo_in, hi_in, lo_out, hi_out)`` integer weight boxes for the encoding.

    Integer classes: :meth:`Problem.weight_bounds`. Real weights are accepted for step networks without a
    code on the cube or an s-sparse domain with ``s >= 1``: every hidden unit computes a threshold function
    of ``x`` on the domain and the readout a threshold function of the hidden bits, and by
    ``proofs/check_weight_bound.py`` each has an integer realisation with weights of size at most
    ``K(m) = floor((m+1)^((m+1)/2) / 2^m)`` (hidden) and ``K(n)`` (readout, ``n = d_hidden``), non-negative
    when the real weights are (a monotone function). So the real class and the integer boxes
    ``|W_in| <= K(m)``, ``|W_out| <= K(n)`` compute the same feature sets."""
    if not problem.real:
        return problem.weight_bounds()
    if problem.activation != "step" or problem.code is not None:
        raise CapacityError("the sat method needs integer weights (a weight bound K), except for step networks "
                            "without a code, where real weights reduce to integers")
    d = problem.domain
    if not (d.is_cube or d.sparsity >= 1):
        raise CapacityError("real weights reduce to integers only on domains with the unit vectors (sparsity >= 1)")
    from ..enumeration import muroga_bound

    n, m, F = problem.d_hidden, d.m, problem.n_features
    k_in, k_out = muroga_bound(m), muroga_bound(n)
    neg = 0 if problem.nonnegative else 1
    return (np.full((n, m), -neg * k_in), np.full((n, m), k_in), np.full((F, n), -neg * k_out),
            np.full((F, n), k_out))


def _indicator_points(problem: Problem, lo_out, hi_out) -> list:
    """Per feature: the index of its only true point when the pattern-uniqueness encoding applies (step units,
    no readout code, readout box containing [-1, 1]), else None."""
    ok = problem.activation == "step" and problem.readout_code() is None
    bits = problem.features.bits
    out = []
    for f in range(problem.n_features):
        ones = np.flatnonzero(bits[f])
        fits = ok and len(ones) == 1 and bool((lo_out[f] <= -1).all() and (hi_out[f] >= 1).all())
        out.append(int(ones[0]) if fits else None)
    return out


def indicator_mask(problem: Problem) -> np.ndarray:
    """Per point: whether some feature is a point indicator there in the pattern-uniqueness encoding
    (:func:`_indicator_points`)."""
    _, _, lo_out, hi_out = integer_bounds(problem)
    out = np.zeros(problem.domain.size, bool)
    out[[p for p in _indicator_points(problem, lo_out, hi_out) if p is not None]] = True
    return out


def too_few_patterns(problem: Problem) -> bool:
    """Whether the point indicators alone rule ``problem`` out: each needs a hidden pattern of its own, different
    from every other point's, and ``d_hidden`` step units have ``2^d_hidden`` patterns (rule 6 with no unit
    fixed). Then no network exists, so a search for witnesses can be skipped."""
    ind = indicator_mask(problem)
    return int(ind.sum()) + bool((~ind).any()) > 2 ** problem.d_hidden


#: :func:`solve`'s depth of the point-indicator counting constraints (``encode(counting=...)``)
COUNTING_DEPTH = 3


def _pattern_counts(enc, h, indicator, N, n, depth, deadline=None) -> int:
    """Counting constraints implied by point indicators (step units): fix the values of ``k <= depth`` units;
    the indicator points on that side need patterns of the other ``n - k`` units that differ from each other
    and from any other point there, so at most ``2^(n-k)`` of them (one fewer when another point is there).
    Returns the number of constraints added."""
    P = sorted({i for i in indicator if i is not None})
    Q = sorted(set(range(N)) - set(P))
    added = 0
    for k in range(1, min(depth, n - 1) + 1):
        cap = 1 << (n - k)
        if len(P) + 1 <= cap:
            continue
        for units in itertools.combinations(range(n), k):
            for sides in itertools.product((1, -1), repeat=k):
                def lit(p):
                    ls = [s * h[j][p] for j, s in zip(units, sides)]
                    out = ls[0]
                    for x in ls[1:]:
                        out = enc.conj(out, x)
                    return out
                _on_time(deadline)
                e = enc.var(("count-other", units, sides))
                enc.clauses += [[-lit(q), e] for q in Q]
                enc.geq([(-1, lit(p)) for p in P] + [(-1, e)], cap)
                added += 1
    return added


#: ``_distinguish`` adds its clauses only up to this many (true point, false point) pairs
DISTINGUISH_PAIRS = 4096


def _distinguish(enc, problem: Problem, h, indicator) -> int:
    """Redundant clauses for ReLU units: a true point ``p`` and a false point ``q`` of one feature have
    different hidden vectors, ``h(p) != h(q)`` (equal vectors give equal readouts, yet ``y(p) >= 0 > y(q)``),
    so some unit ``j`` has a bit ``k`` with ``h_jk(p) xor h_jk(q)``. Implied by every network of the class
    (any code, any symmetry breaking), so they remove no solution; they let the solver see early that a
    partial hidden layer cannot separate a pair. Point-indicator features already have them. Returns the
    number of pairs, 0 when there are more than :data:`DISTINGUISH_PAIRS`."""
    bits = problem.features.bits.astype(bool)
    pairs = sorted({(int(p), int(q)) for f in range(problem.n_features) if indicator[f] is None
                    for p in np.flatnonzero(bits[f]) for q in np.flatnonzero(~bits[f])})
    if len(pairs) > DISTINGUISH_PAIRS:
        return 0
    xors: dict = {}

    def differ(j, p, q, k):  # a literal implied by "bit k of h_j differs between p and q" (None: cannot)
        key = (j, min(p, q), max(p, q), k)
        if key not in xors:
            a = h[j][p][k][1] if k < len(h[j][p]) else None
            b = h[j][q][k][1] if k < len(h[j][q]) else None
            if a is None or b is None:
                xors[key] = b if a is None else a
            else:
                v = enc.var(("xor",) + key)
                enc.clauses += [[-v, a, b], [-v, -a, -b]]
                xors[key] = v
        return xors[key]

    for p, q in pairs:
        lits = [differ(j, p, q, k) for j in range(len(h)) for k in range(max(len(h[j][p]), len(h[j][q])))]
        enc.clauses.append([x for x in lits if x is not None])
    return len(pairs)


def permuted(problem: Problem, pi):
    """``(pp, pf)`` for a permutation ``pi`` of the inputs (``(pi x)[pi[i]] = x[i]``): point ``p`` goes to
    point ``pp[p]`` and feature ``f`` to feature ``pf[f]`` (the feature whose value at ``pi x`` is ``f(x)``);
    ``pf`` is None when ``pi`` does not map the feature set onto itself or two features are equal."""
    dom, bits = problem.domain, problem.features.bits
    pi = np.asarray(pi, dtype=np.int64)
    if sorted(pi.tolist()) != list(range(dom.m)):
        raise CapacityError("a group generator is not a permutation of the inputs")
    pts = dom.points.astype(np.int64)
    moved = np.zeros_like(pts)
    moved[:, pi] = pts
    pp = dom.lookup(moved)
    image = np.zeros_like(bits)
    image[:, pp] = bits
    rows = {bits[f].tobytes(): f for f in range(bits.shape[0])}
    pf = [rows.get(image[f].tobytes()) for f in range(bits.shape[0])]
    return pp, (None if None in pf or len(rows) != len(pf) else np.asarray(pf))


def _orbits(problem: Problem, group, boxes) -> dict:
    """Orbits of the indices under the generators ``(pi, sigma)`` of ``group``, each given by its smallest
    member. ``pi`` permutes the inputs (``(pi x)[pi[i]] = x[i]``), which permutes the points and, when it maps
    the feature set onto itself, the features (``pi_f``); ``sigma`` permutes the hidden units. A network is
    invariant when ``W_in[sigma j, pi i] = W_in[j, i]``, ``b_in[sigma j] = b_in[j]``,
    ``W_out[pi_f f, sigma j] = W_out[f, j]`` and ``b_out[pi_f f] = b_out[f]``; then ``z_{sigma j}(pi x) = z_j(x)``
    and ``y_{pi_f f}(pi x) = y_f(x)``, so the hidden values and readouts of a whole orbit are one. Raises
    :class:`CapacityError` when a generator does not map the features onto themselves or moves an entry to one
    with another box (there is no invariant network of the class then, or not one this encoding can share)."""
    dom, n, F = problem.domain, problem.d_hidden, problem.n_features
    maps = []
    for pi, sigma in group:
        sigma = np.asarray(sigma, dtype=np.int64)
        if sorted(sigma.tolist()) != list(range(n)):
            raise CapacityError("a group generator is not a permutation of the hidden units")
        pp, pf = permuted(problem, pi)
        if pf is None:
            raise CapacityError("an input permutation of the group does not map the feature set onto itself")
        maps.append((np.asarray(pi, dtype=np.int64), sigma, pp, pf))

    def orbits(shape, step):
        parent = {k: k for k in itertools.product(*map(range, shape))}

        def root(k):
            while parent[k] != k:
                parent[k] = parent[parent[k]]
                k = parent[k]
            return k

        for k in parent:
            for g in maps:
                a, b = root(k), root(step(g, k))
                if a != b:
                    parent[max(a, b)] = min(a, b)
        return {k: root(k) for k in parent}

    lo_in, hi_in, lo_out, hi_out, brange = boxes
    out = {"ji": orbits((n, dom.m), lambda g, k: (int(g[1][k[0]]), int(g[0][k[1]]))),
           "j": orbits((n,), lambda g, k: (int(g[1][k[0]]),)),
           "fj": orbits((F, n), lambda g, k: (int(g[3][k[0]]), int(g[1][k[1]]))),
           "f": orbits((F,), lambda g, k: (int(g[3][k[0]]),))}
    jp = orbits((n, dom.size), lambda g, k: (int(g[1][k[0]]), int(g[2][k[1]])))
    fp = orbits((F, dom.size), lambda g, k: (int(g[3][k[0]]), int(g[2][k[1]])))
    same = (all((lo_in[k], hi_in[k]) == (lo_in[r], hi_in[r]) for k, r in out["ji"].items())
            and all(brange[k[0]] == brange[r[0]] for k, r in out["j"].items())
            and all((lo_out[k], hi_out[k]) == (lo_out[r], hi_out[r]) for k, r in out["fj"].items()))
    if not same:
        raise CapacityError("a group generator moves a weight to one with another box")
    out["jp"], out["fp"] = jp, fp
    f_orbit: dict = {}
    for (f,), (r,) in out["f"].items():
        f_orbit.setdefault(r, []).append(f)
    out["f_orbit"] = {f: tuple(f_orbit[r]) for (f,), (r,) in out["f"].items()}
    return out


#: the directions of :func:`_dominance` that ``encode(dominance=...)`` accepts
DOMINANCE = {"off": (), "down": ("down",), "both": ("down", "up")}


def _dominance_directions(problem: Problem, dominance: str) -> tuple:
    """The directions of rule 5 for ``encode(dominance=...)``: ``"auto"`` (:func:`solve`'s default) is ``"both"``
    for step networks and ``"off"`` for ReLU, where the rule did not lower the conflicts of the U-AND refutations
    (``benchmarks/bench_dominance.py``, numbers in ``docs/engine.md``)."""
    if dominance == "auto":
        dominance = "both" if problem.activation == "step" else "off"
    if dominance not in DOMINANCE:
        raise CapacityError(f"dominance must be 'auto' or one of {sorted(DOMINANCE)}, got {dominance!r}")
    return DOMINANCE[dominance]


def _dominance(enc, problem: Problem, W, V, zs, h, phase, directions) -> int:
    """The weight-dominance rule (``docs/engine.md``, "Symmetry breaking", rule 5): a weight that could move
    one step towards 0 without changing its unit on any point is not there. ``"down"`` is the rule for
    ``w > 0`` (move to ``w - 1``), ``"up"`` the one for ``w < 0`` (move to ``w + 1``), for the moves that stay
    in the entry's box (with a code's sign ``w >= 1`` only ``w >= 2`` moves). The unit's value changes exactly at the
    points ``x`` with ``x_i = 1`` where: ReLU down ``z >= 1``, ReLU up ``z >= 0``, step down ``z = 0``, step up
    ``z = -1``; one clause per entry asks for such a point or the other sign. Without a code, a ReLU unit
    whose readout weights are all 0 (normalised to the canonical unit) is exempt from "up". Returns the
    number of clauses."""
    act, points, F = problem.activation, problem.domain.points, problem.n_features
    exempt = problem.code is None and act == "relu"
    witness: dict = {}

    def moves(j, p, up):  # a literal implied by "the unit changes at p when w moves"
        key = (j, p, up)
        if key not in witness:
            terms, const = zs[j, p]
            neg = [(-c, l) for c, l in terms]
            if act == "relu" and not up:
                witness[key] = phase[j][p]  # a <-> z >= 1
            else:
                v = witness[key] = enc.var(("dom", j, p, up))
                if act == "relu":
                    enc.geq(terms, const, when=v)  # v -> z >= 0
                elif up:
                    enc.clauses.append([-v, -h[j][p]])  # v -> z <= -1
                    enc.geq(terms, const + 1, when=v)  # v -> z >= -1
                else:
                    enc.clauses.append([-v, h[j][p]])  # v -> z >= 0
                    enc.geq(neg, -const, when=v)  # v -> z <= 0
        return witness[key]

    added = 0
    for j in range(problem.d_hidden):
        free = None
        for i, w in enumerate(W[j]):
            at = [p for p in range(points.shape[0]) if points[p, i]]
            for up in (False, True):
                end = min(w.hi, 0) if up else max(w.lo, 0)  # the moves stay in [w.lo, w.hi]
                if ("up" if up else "down") not in directions or not (w.lo < end if up else w.hi > end):
                    continue
                r = enc.var(("dom_sign", j, i, up))  # r -> w >= end (up) or w <= end (down)
                if up:
                    enc.geq(w.terms(), w.lo - end, when=r)
                else:
                    enc.geq([(-c, l) for c, l in w.terms()], end - w.lo, when=r)
                clause = [r] + [moves(j, p, up) for p in at]
                if up and exempt:
                    if free is None:  # free -> every readout weight of unit j is 0
                        free = enc.var(("dom_free", j))
                        enc.clauses += [[-free, b if (-V[f][j].lo >> k) & 1 else -b]
                                        for f in range(F) for k, b in enumerate(V[f][j].bits)]
                    clause.append(free)
                enc.clauses.append(clause)
                added += 1
    return added


class _Late(Exception):
    """The deadline passed while encoding."""


def _on_time(deadline) -> None:
    if deadline is not None and time.perf_counter() > deadline:
        raise _Late


def encode(problem: Problem, symmetry_breaking: bool = True, pb_encoding=None, deadline: float | None = None,
           group=None, dominance: str = "off", counting: int = 0, first_rows: bool = False, tables: bool = False):
    """The CNF for ``problem`` (integer weights, or real-weight step networks, see :func:`integer_bounds`):
    returns ``(clauses, decode, info)`` where ``decode(model)``
    turns a model into a :class:`Network` and ``info`` counts variables, clauses and symmetry constraints.
    Deterministic: the same problem gives the same clauses. ``deadline`` (a :func:`time.perf_counter` value,
    for :func:`solve`) stops a long encoding with the internal exception ``_Late``.

    ``group`` (for :mod:`capacity.solvers.symmetric`): generators ``(pi, sigma)``, a permutation of the inputs
    and one of the hidden units; the CNF then asks only for networks invariant under them (:func:`_orbits`), so
    it is smaller and its witnesses are witnesses of ``problem``, but an UNSAT answer refutes nothing. The
    lexicographic orders are left out there (they need not hold for an invariant network); the per-unit rules
    (step complements, ReLU normalisation) stay: they transform a whole orbit of units alike, so an invariant
    network obeying them exists whenever an invariant one does. ``dominance`` (see :func:`_dominance_directions`)
    adds the weight-dominance rule; it is ``"off"`` here by default, so the CNFs stored beside shipped proofs
    (``proofs/check_table_certificates.py`` re-encodes them) stay what they were, and :func:`solve` turns it
    on for step units. It is left out in ``group`` mode: moving a whole orbit at once can change a unit where
    each single move does not. ``counting`` (a depth, default 0 for the same reason; :func:`solve` uses
    :data:`COUNTING_DEPTH` for step units) adds :func:`_pattern_counts`, implied by the point indicators.
    ``first_rows`` (off by default for the same reason; on in :func:`solve`) adds rule 7 where double lex
    applies and every weight has one box: :func:`_first_rows_smallest`. ``tables`` (the same) encodes a step
    unit's literal at a point by prime implicates (:meth:`_Encoder.step_table`) where ``z`` reads at most
    :data:`TABLE_BITS` bits; ``info["step_tables"]`` counts them."""
    directions = _dominance_directions(problem, dominance)
    enc = _Encoder(pb_encoding)
    n, F, act = problem.d_hidden, problem.n_features, problem.activation
    points = problem.domain.points.astype(np.int64)
    N = points.shape[0]
    lo_in, hi_in, lo_out, hi_out = (np.asarray(a).astype(np.int64) for a in integer_bounds(problem))
    signs = problem.bias_signs()
    mode = problem.code.mode if problem.code is not None else "sign"
    bits = problem.features.bits

    brange = [_bias_range(lo_in[j], hi_in[j], points, None if signs is None else int(signs[j]), mode, act)
              for j in range(n)]
    orb = _orbits(problem, group, (lo_in, hi_in, lo_out, hi_out, brange)) if group else None
    rep = (lambda kind, *key: orb[kind][key]) if orb else (lambda kind, *key: key)
    W = [[enc.integer(("W_in",) + rep("ji", j, i), lo_in[j, i], hi_in[j, i]) for i in range(problem.domain.m)]
         for j in range(n)]
    B = [enc.integer(("b_in",) + rep("j", j), *brange[j]) for j in range(n)]
    V = [[enc.integer(("W_out",) + rep("fj", f, j), lo_out[f, j], hi_out[f, j]) for j in range(n)] for f in range(F)]

    # hidden layer: h[j][p] is a literal (step) or the (weight, bit) terms of an unsigned integer (relu);
    # hmax[j][p] its largest value
    h, hmax = [[None] * N for _ in range(n)], np.zeros((n, N), dtype=np.int64)
    phase = [[None] * N for _ in range(n)]  # relu: a literal true exactly when z_j(p) >= 1
    zs = {}  # (j, p) -> the (terms, constant) of z_j(p), for the dominance rule
    n_tables = 0
    for j in range(n):
        for p in range(N):
            _on_time(deadline)
            if orb and orb["jp"][j, p] != (j, p):  # h_j(p) = h_rj(rp) in an invariant network: the same literals
                rj, rp = orb["jp"][j, p]
                h[j][p], hmax[j, p], phase[j][p] = h[rj][rp], hmax[rj, rp], phase[rj][rp]
                continue
            active = np.flatnonzero(points[p])
            z_terms = [t for i in active for t in W[j][i].terms()] + B[j].terms()
            z_const = int(sum(W[j][i].lo for i in active)) + B[j].lo
            zs[j, p] = z_terms, z_const
            if act == "step":
                lit = enc.var(("h", j, p))
                if tables and enc.step_table([W[j][i] for i in active] + [B[j]], lit):
                    n_tables += 1
                else:
                    enc.geq(z_terms, z_const, when=lit)  # h -> z >= 0
                    enc.geq([(-c, l) for c, l in z_terms], -z_const - 1, when=-lit)  # not h -> z <= -1
                h[j][p], hmax[j, p] = lit, 1
            else:
                top = max(0, int(sum(max(int(hi_in[j, i]), 0) for i in active)) + brange[j][1])
                a = enc.var(("a", j, p))
                hv = _Int(0, top, [enc.var(("h", j, p, k)) for k in range(top.bit_length())])
                enc.geq(z_terms, z_const - 1, when=a)  # a -> z >= 1
                enc.geq([(-c, l) for c, l in z_terms], -z_const, when=-a)  # not a -> z <= 0
                enc.geq(z_terms + [(-c, l) for c, l in hv.terms()], z_const, when=a)  # a -> z - h >= 0
                enc.geq(hv.terms() + [(-c, l) for c, l in z_terms], -z_const, when=a)  # a -> h - z >= 0
                enc.clauses += [[a, -bit] for bit in hv.bits]  # not a -> h = 0
                h[j][p], hmax[j, p], phase[j][p] = hv.terms(), top, a

    # readouts. A step-unit feature true at one point only (a point indicator, e.g. a pairwise AND on 2-sparse
    # inputs) with a free readout in a box containing [-1, 1] needs no readout variables: it is computable
    # exactly when its point's hidden pattern differs from every other point's (a 0/1 vertex is cut off from
    # all other 0/1 vectors by v_j = +1 on its ones, -1 elsewhere, bias -|ones|; and equal patterns give
    # equal outputs). So we encode only "the patterns differ" and build that readout when decoding.
    indicator = _indicator_points(problem, lo_out, hi_out)
    n_dist = _distinguish(enc, problem, h, indicator) if act == "relu" else 0
    C = []
    for f in range(F):
        if indicator[f] is not None:
            p0 = indicator[f]
            for q in range(N):
                if q != p0:
                    ds = [enc.var(("diff", j, p0, q)) for j in range(n)]
                    for j, d in enumerate(ds):  # d -> h_j(p0) != h_j(q)
                        enc.clauses += [[-d, h[j][p0], h[j][q]], [-d, -h[j][p0], -h[j][q]]]
                    enc.clauses.append(ds)
            C.append(None)
            continue
        # the largest readout over the feature's orbit (one shared range; the readout bias is free)
        T = max(int(max(int(np.maximum(np.abs(lo_out[g]), np.abs(hi_out[g])) @ hmax[:, p]) for p in range(N)))
                for g in (orb["f_orbit"][f] if orb else (f,)))
        c = enc.integer(("b_out",) + rep("f", f), -T - 1, T)
        C.append(c)
        for p in range(N):
            _on_time(deadline)
            if orb and orb["fp"][f, p] != (f, p):  # y_f(p) = y_rf(rp): already constrained
                continue
            terms, const = c.terms(), c.lo
            for j in range(n):
                v = V[f][j]
                hb = [(1, h[j][p])] if act == "step" else h[j][p]
                for w2, hl in hb:
                    terms.append((v.lo * w2, hl))
                    for w1, vk in v.terms():
                        terms.append((w1 * w2, enc.conj(vk, hl)))
            if bits[f, p]:
                enc.geq(terms, const)  # y >= 0
            else:
                enc.geq([(-w, l) for w, l in terms], -const - 1)  # y <= -1

    n_count = _pattern_counts(enc, h, indicator, N, n, counting, deadline) if counting and act == "step" else 0

    # symmetry breaking between interchangeable hidden units
    classes: dict[tuple, list[int]] = {}
    for j in range(n):
        key = (tuple(lo_in[j]), tuple(hi_in[j]), brange[j], tuple(lo_out[:, j]), tuple(hi_out[:, j]))
        classes.setdefault(key, []).append(j)
    n_sym = relu_normalised = n_dom = n_first = 0
    split_counts = []
    inputs_sorted = False
    if symmetry_breaking:
        n_sym = 0 if group else lex_order_units(enc, W, B, classes.values())
        # Input permutations: when they map the feature set onto itself and all units are interchangeable,
        # the columns of W_in may be assumed in lexicographic order too (double lex: rows (W_in[j], b_j) and
        # columns (W_in[0, i], ..., W_in[n-1, i]) both sorted). Read [W_in | b_in] row by row: sorting the
        # rows, or sorting the columns of W_in lexicographically, gives the smallest such reading over its
        # permutations, so each strictly lowers it unless already sorted; alternating ends with both sorted,
        # and the permuted network computes the permuted (= same) feature set.
        # Complements: a step unit h can be replaced by 1 - h (weights -w, bias -b - 1) and its readouts by
        # v -> -v, c -> c + v, when both boxes are symmetric; so every unit may be assumed off at the origin
        # (point 0). Input permutations and unit reorderings keep that, so this combines with the rest.
        if act == "step" and problem.code is None and not problem.nonnegative and (lo_in == -hi_in).all() \
                and (lo_out == -hi_out).all():
            enc.clauses += [[-h[j][0]] for j in range(n)]
            n_sym += n
        # ReLU units without a code (proofs in docs/engine.md, "Symmetry breaking"): (1) a unit with z_j >= 1 on
        # every point computes h_j = z_j everywhere; lowering b_j by min_p z_j(p) and raising each b_out[f] by
        # W_out[f, j] * min_p z_j(p) changes no output, so some point has z_j <= 0. (2) A dead unit (z_j <= 0
        # everywhere) contributes nothing, whatever its readout weights, and a unit whose readout weights are all
        # zero contributes nothing, whatever its W_in and b_in: so every such unit may be the canonical one,
        # W_in = lower box ends, b_in = lowest bias (dead: z <= hi . x - Up_j <= 0), W_out = 0. The canonical
        # unit has the smallest lexicographic key and sorted weights, so this combines with the orders above
        # and below (normalise first, then sort), and (1) holds for it too.
        if act == "relu" and problem.code is None:
            for j in range(n):
                acts = phase[j]
                enc.clauses.append([-a for a in acts])  # (1)
                fix_in = [-b for x in W[j] + [B[j]] for b in x.bits]  # every offset bit 0: the lower ends
                fix_out = [b if (-V[f][j].lo >> k) & 1 else -b  # offset bits of W_out = 0
                           for f in range(F) for k, b in enumerate(V[f][j].bits)]
                enc.clauses += [acts + [lit] for lit in fix_out + fix_in]  # dead -> canonical
                zero_out = [-lit for lit in fix_out]  # some readout weight is not 0
                enc.clauses += [zero_out + [lit] for lit in fix_in]  # all readouts 0 -> canonical W_in, b_in
                relu_normalised += 1
        if not group and directions:
            n_dom = _dominance(enc, problem, W, V, zs, h, phase, directions)
        if not group and len(classes) == 1 and problem.code is None and problem.features.permutation_invariant():
            for i in range(problem.domain.m - 1):  # columns of W_in in lexicographic order (double lex)
                ci = [b for j in range(n) for b in reversed(W[j][i].bits)]
                ck = [b for j in range(n) for b in reversed(W[j][i + 1].bits)]
                if ci:
                    enc.lex_leq(ci, ck, ("col", i))
                    n_sym += 1
            inputs_sorted = True
            if first_rows and (lo_in == lo_in[0, 0]).all() and (hi_in == hi_in[0, 0]).all() and n > 1:
                n_first, split_counts = _first_rows_smallest(enc, W, B)

    def decode(model) -> Network:
        true = {l for l in model if l > 0}
        W_in = np.array([[w.value(true) for w in row] for row in W], dtype=np.int64).reshape(n, problem.domain.m)
        b_in = np.array([b.value(true) for b in B], dtype=np.int64)
        W_out = np.zeros((F, n), dtype=np.int64)
        b_out = np.zeros(F, dtype=np.int64)
        for f in range(F):
            if indicator[f] is None:
                W_out[f] = [v.value(true) for v in V[f]]
                b_out[f] = C[f].value(true)
            else:  # the vertex cut of the comment above
                on = points[indicator[f]] @ W_in.T + b_in >= 0
                W_out[f] = np.where(on, 1, -1)
                b_out[f] = -int(on.sum())
        return Network(W_in, b_in, W_out, b_out, act)

    info = {"variables": enc.pool.top, "clauses": len(enc.clauses), "symmetry_constraints": n_sym,
            "relu_normalised_units": relu_normalised, "dominance_clauses": n_dom, "first_row_constraints": n_first,
            "step_tables": n_tables,
            "input_permutations": inputs_sorted,
            "point_indicators": sum(i is not None for i in indicator), "distinguished_pairs": n_dist,
            "counting_constraints": n_count,
            "split_bits": [b for w in W[0] for b in reversed(w.bits)],  # the first unit's weights, for cubes
            "split_counts": split_counts,  # rule 7's count of row 0's lowest entries, for solve's cubes
            "interchangeable_classes": sorted(len(u) for u in classes.values())}
    if orb:
        info["free_weights"] = len({v for row in W + V for x in row for v in x.bits} | {v for x in B for v in x.bits})
    return enc.clauses, decode, info



def _open_solver(name: str, clauses):
    if name not in PROOF_SOLVERS:
        raise CapacityError(f"solver {name!r} cannot log DRUP proofs with conflict budgets; use one of {PROOF_SOLVERS}")
    try:
        return lrat_solver(name, clauses)  # LRAT text for cadical195, DRUP for the others
    except Exception as exc:  # pragma: no cover - a broken python-sat install
        raise RuntimeError(f"python-sat could not start solver {name!r}: {exc}") from exc


def _search(s, deadline, conflict_limit, assumptions=()):
    """Run the solver (under ``assumptions``): True (SAT), False (UNSAT) or None (stopped). One uninterrupted
    search, with ``conflict_limit`` as CaDiCaL's own conflict limit, so a budgeted or time-limited call follows
    the same search as an unlimited one. ``deadline`` is given only when no native timer can stop CaDiCaL
    (:mod:`._interrupt`): the search then runs in slices of :data:`_BUDGET` conflicts and looks at the clock
    between them."""
    if deadline is None:  # solve_limited, not solve: python-sat's solve reads a terminated search as UNSAT
        if conflict_limit is not None:
            s.conf_budget(max(int(conflict_limit), 1))
        return s.solve_limited(assumptions=assumptions)
    used = 0
    while time.perf_counter() < deadline and (conflict_limit is None or used < conflict_limit):
        step = _BUDGET if conflict_limit is None else min(_BUDGET, conflict_limit - used)
        s.conf_budget(step)
        answer = s.solve_limited(assumptions=assumptions)
        if answer is not None:
            return answer
        used += step
    return None


def solve(problem: Problem, *, time_limit: float | None = None, seed: int = 0, proof_path=None,
          solver: str = "cadical195", symmetry_breaking: bool = True, pb_encoding=None,
          conflict_limit: int | None = None, symmetric_search: bool = True, dominance: str = "auto",
          counting: int | str = "auto", first_rows: bool = True, workers: int = 1, executor=None) -> Result:
    """Decide ``problem`` by SAT (integer weights; real weights for step networks without a code, see
    :func:`integer_bounds`).

    REPRESENTABLE carries the decoded witness, verified exactly; NOT_REPRESENTABLE carries a ``drup``
    certificate whose proof :func:`capacity.drup.check_drup` accepted; UNKNOWN when ``time_limit`` (seconds,
    for the whole call: encoding, search and proof check) runs out; a proof whose check ran out of time is
    kept on disk (``info["proof_path"]``) for ``capacity check-proof``. With
    ``proof_path`` an UNSAT answer also writes the proof there and the CNF (DIMACS) beside it with suffix
    ``.cnf``. ``solver`` is one of :data:`PROOF_SOLVERS`; the default CaDiCaL 1.9.5 writes LRAT hints, which
    make the check one linear pass (:mod:`capacity.lrat`); ``pb_encoding`` a ``pysat.pb.EncType``. ``seed``
    is recorded only (CaDiCaL's search is deterministic for a given CNF). ``conflict_limit`` is a
    deterministic budget (CaDiCaL's conflict limit): past it the answer is UNKNOWN with
    ``info["unknown_reason"] == "conflict limit"``, the same on any machine; the time limit gives
    ``"time limit"``: CaDiCaL is stopped at the deadline by a native timer (:mod:`._interrupt`), so the
    search is the same with or without a limit and only its end can differ.

    ``symmetric_search`` (with ``symmetry_breaking``): first look for a witness invariant under a permutation
    of the inputs and units (:func:`capacity.solvers.symmetric.search`, within its own deterministic conflict
    budgets, at most ``conflict_limit`` in all when one is given); what it spent is in ``info["symmetric"]``.
    It can only ever give a witness. ``dominance``: the weight-dominance rule, ``"auto"`` (step: on, ReLU:
    off), ``"off"``, ``"down"`` or ``"both"`` (:func:`encode`; with ``symmetry_breaking`` only). ``counting``:
    the depth of the point-indicator counting constraints (:func:`encode`), ``"auto"`` =
    :data:`COUNTING_DEPTH` (they apply to step units only). ``first_rows``: rule 7 (:func:`encode`).

    ``workers`` > 1 (local processes) or an ``executor`` (:mod:`capacity.scaling.executors`): a CNF with rule 7
    that :data:`SPLIT_CONFLICTS` conflicts do not decide is split into one cube per number of row 0's weights
    at the lowest value (:func:`capacity.solvers.cubes.count_cubes`), decided there by
    :func:`capacity.solvers.cubes.decide`, each cube's proof checked in its worker: the witness of the lowest
    satisfiable cube, or every cube refuted. The split depends on the problem only, not on the number of
    workers or on which finishes first; the answer and the certificate kind are those of ``workers=1``, a
    witness found in a cube can differ from the one the whole CNF gives. With ``proof_path`` or
    ``conflict_limit`` the whole CNF is searched (one proof)."""
    t0 = time.perf_counter()
    counting = COUNTING_DEPTH if counting == "auto" else int(counting)
    if time_limit is not None and not time_limit > 0:
        raise CapacityError(f"time limit must be a positive number of seconds, got {time_limit!r}")
    sym = None
    if symmetric_search and symmetry_breaking:
        from .symmetric import TOTAL_CONFLICTS, search

        budget = {} if conflict_limit is None else {"total_conflicts": min(TOTAL_CONFLICTS, int(conflict_limit))}
        net, sym = search(problem, deadline=None if time_limit is None else t0 + time_limit, **budget)
        sym["seconds"] = round(time.perf_counter() - t0, 6)
        if net is not None:
            return Result(Status.REPRESENTABLE, problem, "sat", time.perf_counter() - t0, witness=net,
                          info={"solver": "cadical195", "symmetry_breaking": True, "symmetric": sym, "seed": seed})
        if time_limit is not None and time.perf_counter() - t0 >= time_limit:
            return Result(Status.UNKNOWN, problem, "sat", time.perf_counter() - t0,
                          info={"unknown_reason": "time limit", "stopped_by": "deadline in the symmetric search",
                                "symmetric": sym})
    try:
        clauses, decode, info = encode(problem, symmetry_breaking, pb_encoding,
                                       None if time_limit is None else t0 + time_limit, dominance=dominance,
                                       counting=counting, first_rows=first_rows, tables=True)
    except _Late:
        return Result(Status.UNKNOWN, problem, "sat", time.perf_counter() - t0,
                      info={"unknown_reason": "time limit", "stopped_by": "deadline while encoding", "symmetric": sym})
    del info["split_bits"]  # for capacity.solvers.cubes only
    split = info.pop("split_counts")
    split = split if (workers > 1 or executor is not None) and conflict_limit is None and proof_path is None else []
    info.update({"solver": solver, "symmetry_breaking": symmetry_breaking, "dominance": dominance,
                 "counting": counting, "first_rows": first_rows, "seed": seed,
                 "symmetric": sym,
                 "encode_seconds": round(time.perf_counter() - t0, 6)})
    t1 = time.perf_counter()
    s = _open_solver(solver, clauses)
    timer = None if time_limit is None else deadline_timer(s, solver, t0 + time_limit)
    try:
        try:
            poll = t0 + time_limit if timer is None and time_limit is not None else None
            answer = _search(s, poll, SPLIT_CONFLICTS if split else conflict_limit)
        except Exception as exc:  # pragma: no cover - a solver crash, not a user error
            raise RuntimeError(f"SAT solver {solver} failed: {exc}") from exc
        finally:
            if timer is not None:
                timer.cancel()
        info["conflicts"] = int((s.accum_stats() or {}).get("conflicts", -1))
        late = answer is None and time_limit is not None and time.perf_counter() - t0 >= time_limit
        if answer is None and split and not late:  # undecided by the first try: the cubes below
            info["first_try"] = {"conflicts": info.pop("conflicts"), "seconds": round(time.perf_counter() - t1, 6)}
        elif answer is None:
            info.update(solve_seconds=round(time.perf_counter() - t1, 6),
                        unknown_reason="time limit" if late or conflict_limit is None else "conflict limit")
            if late:
                info["stopped_by"] = "CaDiCaL terminate() at the deadline" if timer else "clock between slices"
            return Result(Status.UNKNOWN, problem, "sat", time.perf_counter() - t0, info=info)
        else:
            info["solve_seconds"] = round(time.perf_counter() - t1, 6)
        if answer:
            net = decode(s.get_model())
            ok, reason = verify_witness(problem, net)
            if not ok:
                raise RuntimeError(f"sat encoding bug: the decoded witness fails verification ({reason})")
            return Result(Status.REPRESENTABLE, problem, "sat", time.perf_counter() - t0, witness=net, info=info)
        proof = solver_proof(s) if answer is False else None
    finally:
        s.delete()
    if answer is None:
        from . import cubes

        del clauses
        options = {"pb_encoding": pb_encoding, "dominance": dominance, "counting": counting, "first_rows": first_rows,
                   "tables": True}
        return cubes.decide(problem, cubes.count_cubes(split),
                            f"one cube per number of row 0's weights at the lowest value ({len(split) + 1} cubes, "
                            f"rule 7's split, after {SPLIT_CONFLICTS} conflicts on the whole CNF)", options, info,
                            t0=t0, workers=workers, executor=executor, time_limit=time_limit, seed=seed, solver=solver,
                            symmetry_breaking=symmetry_breaking)
    # the time limit bounds the whole call: the check gets what is left, and a proof it cannot finish is kept
    check = check_drup(clauses, proof, deadline=None if time_limit is None else t0 + time_limit)
    info.update({"proof_lemmas": check.lemmas, "proof_deletions": check.deletions, "proof_core": check.core,
                 "check_seconds": round(check.seconds, 6)})
    comments = [f"capacity sat encoding: {problem.to_dict()}", f"symmetry_breaking={symmetry_breaking}",
                f"dominance={dominance}"]
    if check.timed_out:  # written in the background: the call is at its deadline
        path = keep_proof_later(clauses, proof, info["variables"], comments, proof_path)
        info.update({"reason": f"the solver answered UNSAT but the proof check did not finish within the time "
                               f"limit ({check.reason}); CNF and proof kept: capacity check-proof {path}",
                     "proof_path": str(path)})
        return Result(Status.UNKNOWN, problem, "sat", time.perf_counter() - t0, info=info)
    if not check.ok:
        raise RuntimeError(f"solver {solver} answered UNSAT but its DRUP proof does not check: {check.reason}")
    path = None
    if proof_path is not None:
        path = str(keep_proof(clauses, proof, info["variables"], comments, proof_path))
    if problem.real:
        _, hi_in, _, hi_out = integer_bounds(problem)
        info["integer_reduction"] = {"W_in": int(hi_in.max(initial=0)), "W_out": int(hi_out.max(initial=0))}
    hinted = "with LRAT hints " if check.engine.startswith("lrat") else ""
    detail = (f"DRUP proof {hinted}({check.lemmas} lemmas, {check.deletions} deletions) of the "
              f"{'symmetry-broken ' if symmetry_breaking else ''}CNF ({info['variables']} variables, "
              f"{info['clauses']} clauses) replayed by capacity.drup in {check.seconds:.3f}s: {check.reason}")
    if problem.real:
        detail += (f"; real weights reduced to integers |W_in| <= {info['integer_reduction']['W_in']}, "
                   f"|W_out| <= {info['integer_reduction']['W_out']} (proofs/check_weight_bound.py)")
    cert = Certificate("drup", True, detail=detail, data=check, path=path)
    return Result(Status.NOT_REPRESENTABLE, problem, "sat", time.perf_counter() - t0, certificate=cert, info=info)
