"""SAT equivalence check: does an extracted formula equal what the network computes on every input with at
most ``s`` ones?  The network is encoded exactly in integers (python-sat), the formula by Tseitin, and the
solver looks for a point where they differ ("miter"); UNSAT is the proof, with a DRUP certificate checked by
:func:`capacity.drup.check_drup`.

Encoding (one hidden layer; every float64 weight is a dyadic rational, so each constraint scales exactly to
integers):

* inputs ``x_i``; the sparsity is ``CardEnc.atmost(x, s)``;
* hidden unit ``h``: ``a_h <-> [W_in[h] . x + b_in[h] > 0]`` (relu) or ``>= 0`` (step), a reified
  pseudo-Boolean constraint;
* relu readout: ``y_f = b_out + sum_h v_h a_h (b_h + sum_i w_hi x_i)``; the products ``p_hi <-> a_h & x_i`` make
  it linear, so ``o_f <-> [y_f >= 0]`` is one more reified pseudo-Boolean constraint. Step readout:
  ``o_f <-> [b_out + sum_h v_h a_h >= 0]``.

Pseudo-Boolean constraints go to python-sat's ``PBEnc`` (Pindakaas) when their coefficients are small; Pindakaas
works in 64-bit integers and silently overflows near ``2^62`` (checked by brute force), its encodings grow with the
coefficient sum, and trained float32 weights scale to integers of 60 and more bits. Larger constraints therefore
use an exact binary-adder encoding here (ripple-carry adders over Python integers and a bitwise comparator),
tested against brute force.

For wide weights a cheaper, still exact, route comes first (``rounding_bits``): rounded units proven band-free
and two readout margin checks; see :func:`sat_equivalence`.
"""

from __future__ import annotations

import threading
import time

import numpy as np

from ..errors import CapacityError
from ._exact import as_fraction, dyadic, fires

__all__ = ["PB_LIBRARY_LIMIT", "encode_formula", "encode_target", "reified_geq", "sat_equivalence"]

#: Largest coefficient sum handed to Pindakaas; past it the adder encoding is used (measured: Pindakaas's
#: encodings of sums near 2^16 already reach millions of clauses, the adders stay linear in the bits).
PB_LIBRARY_LIMIT = 1 << 12


class _Cnf:
    def __init__(self, pool):
        self.pool = pool
        self.clauses: list[list[int]] = []
        self._true = None
        self._count = 0

    def new(self) -> int:
        self._count += 1
        return self.pool.id(("aux", self._count))

    def true(self) -> int:
        if self._true is None:
            self._true = self.new()
            self.clauses.append([self._true])
        return self._true

    def const(self, value: bool) -> int:
        t = self.true()
        return t if value else -t

    # Tseitin gates; None is the constant false
    def and2(self, a, b):
        if a is None or b is None:
            return None
        c = self.new()
        self.clauses += [[-c, a], [-c, b], [c, -a, -b]]
        return c

    def xor2(self, a, b):
        s = self.new()
        self.clauses += [[-s, a, b], [-s, -a, -b], [s, -a, b], [s, a, -b]]
        return s

    def xor3(self, a, b, c):
        s = self.new()
        for sa in (1, -1):
            for sb in (1, -1):
                for sc in (1, -1):
                    # the clause falsified exactly by a=(sa<0), b=(sb<0), c=(sc<0): then s must be their parity
                    parity = (sa < 0) ^ (sb < 0) ^ (sc < 0)
                    self.clauses.append([sa * a, sb * b, sc * c, s if parity else -s])
        return s

    def maj3(self, a, b, c):
        m = self.new()
        self.clauses += [[-m, a, b], [-m, a, c], [-m, b, c], [m, -a, -b], [m, -a, -c], [m, -b, -c]]
        return m


def _add(cnf: _Cnf, A: list, B: list) -> list:
    out, carry = [], None
    for j in range(max(len(A), len(B)) + 1):
        bits = [x for x in ((A[j] if j < len(A) else None), (B[j] if j < len(B) else None), carry) if x is not None]
        if not bits:
            out.append(None)
            carry = None
        elif len(bits) == 1:
            out.append(bits[0])
            carry = None
        elif len(bits) == 2:
            out.append(cnf.xor2(*bits))
            carry = cnf.and2(*bits)
        else:
            out.append(cnf.xor3(*bits))
            carry = cnf.maj3(*bits)
    while out and out[-1] is None:
        out.pop()
    return out


def _adder_geq(cnf: _Cnf, lits, coeffs, K: int):
    """A literal equivalent to ``sum c_i l_i >= K`` (all ``c_i > 0``, ``0 < K <= sum c``), by adders."""
    vecs = [[l if (c >> j) & 1 else None for j in range(c.bit_length())] for l, c in zip(lits, coeffs)]
    while len(vecs) > 1:
        nxt = [_add(cnf, vecs[i], vecs[i + 1]) for i in range(0, len(vecs) - 1, 2)]
        if len(vecs) % 2:
            nxt.append(vecs[-1])
        vecs = nxt
    S = vecs[0] if vecs else []
    g = True  # S[0..j] >= K[0..j], as a literal or a constant
    for j in range(max(len(S), K.bit_length())):
        s = S[j] if j < len(S) else None
        if (K >> j) & 1:
            if s is None or g is False:
                g = False
            elif g is True:
                g = s
            else:
                g = cnf.and2(s, g)
        else:
            if s is None or g is False:
                g = g if s is None else s
            elif g is True:
                g = True
            else:
                o = cnf.new()
                cnf.clauses += [[-o, s, g], [o, -s], [o, -g]]
                g = o
    if g is True or g is False:
        return cnf.const(g)
    return g


def _normalise(lits, coeffs, K):
    L, C = [], []
    for l, c in zip(lits, coeffs):
        c = int(c)
        if c == 0:
            continue
        if c < 0:
            L.append(-l)
            C.append(-c)
            K += -c
        else:
            L.append(l)
            C.append(c)
    return L, C, K


def reified_geq(cnf: _Cnf, lits, coeffs, K: int) -> int:
    """A literal equivalent to ``sum coeffs_i * lits_i >= K`` (integers of any size)."""
    L, C, K = _normalise(lits, coeffs, int(K))
    total = sum(C)
    if K <= 0:
        return cnf.const(True)
    if K > total:
        return cnf.const(False)
    if total + K < PB_LIBRARY_LIMIT:
        from pysat.pb import EncType, PBEnc

        o = cnf.new()
        pos = PBEnc.atleast(L, weights=C, bound=K, vpool=cnf.pool, encoding=EncType.best).clauses
        # not(sum >= K)  <->  sum <= K - 1  <->  sum(c * ~l) >= total - K + 1
        neg = PBEnc.atleast([-l for l in L], weights=C, bound=total - K + 1, vpool=cnf.pool,
                            encoding=EncType.best).clauses
        cnf.clauses += [cl + [-o] for cl in pos] + [cl + [o] for cl in neg]
        return o
    return _adder_geq(cnf, L, C, K)


def _unit_ints(network, h):
    """Exact integers ``(w, b)`` with ``z_h = (w . x + b) / 2^e`` for first-layer unit ``h``."""
    vals, _ = dyadic([*network.W_in[h], network.b_in[h]])
    return vals[:-1], vals[-1]


def _unit_literal(cnf: _Cnf, network, h: int, x: list[int], spec=None) -> int:
    """``a_h <-> [z_h > 0]`` (relu) / ``[z_h >= 0]`` (step); with ``spec = (w~, b~)`` a rounded unit already proven
    band-free on the domain, for which ``a_h <-> [w~ . x + b~ >= 1]`` is exact there."""
    if spec is not None:
        w, b = spec
        return reified_geq(cnf, x, w, 1 - b)
    w, b = _unit_ints(network, h)
    return reified_geq(cnf, x, w, (1 - b) if network.activation == "relu" else -b)


def _readout_terms(cnf: _Cnf, network, index: int, x: list[int], a: dict):
    """The readout of output ``index`` as ``(literals, exact rational coefficients, constant, kinds)``;
    ``kinds[k] = ("a", h)`` or ``("p", h)`` (``p_hi <-> a_h & x_i``)."""
    v = network.W_out[index]
    lits, coeffs, kinds = [], [], []
    for h in sorted(a):
        vh = as_fraction(v[h])
        if network.activation == "relu":
            lits.append(a[h])
            coeffs.append(vh * as_fraction(network.b_in[h]))
            kinds.append(("a", h))
            for i in range(network.d_in):
                w = network.W_in[h, i]
                if w != 0:
                    lits.append(cnf.and2(a[h], x[i]))
                    coeffs.append(vh * as_fraction(w))
                    kinds.append(("p", h))
        else:
            lits.append(a[h])
            coeffs.append(vh)
            kinds.append(("a", h))
    return lits, coeffs, as_fraction(network.b_out[index]), kinds


def encode_target(cnf: _Cnf, network, layer: int, index: int, x: list[int], unit_specs=None) -> int:
    """A literal equivalent to the target (first-layer unit or output of a one-hidden-layer network), exactly."""
    depth = len(network.layers) - 1
    if layer == 0:
        return _unit_literal(cnf, network, index, x)
    if depth != 1 or layer != 1:
        raise CapacityError("the SAT encoding covers networks with one hidden layer (deeper: use enumeration)")
    unit_specs = unit_specs or {}
    units = [h for h in range(network.d_hidden) if network.W_out[index, h] != 0]
    a = {h: _unit_literal(cnf, network, h, x, unit_specs.get(h)) for h in units}
    lits, coeffs, const, _ = _readout_terms(cnf, network, index, x, a)
    ints, _ = dyadic([*coeffs, const])
    return reified_geq(cnf, lits, ints[:-1], -ints[-1])


def encode_formula(cnf: _Cnf, formula, x: list[int]) -> int:
    """A literal equivalent to the formula (Tseitin)."""
    term_lits = []
    for t in formula.terms:
        lits = [x[i] for i in t.clause]
        for J in t.negations:
            if len(J) == 1:
                lits.append(-x[J[0]])
            else:
                n = cnf.new()
                cnf.clauses += [[-n, x[j]] for j in J] + [[n] + [-x[j] for j in J]]
                lits.append(-n)
        if not lits:
            return cnf.const(True)
        t_lit = cnf.new()
        cnf.clauses += [[-t_lit, l] for l in lits] + [[t_lit] + [-l for l in lits]]
        term_lits.append(t_lit)
    if not term_lits:
        return cnf.const(False)
    phi = cnf.new()
    cnf.clauses += [[-phi] + term_lits] + [[phi, -t] for t in term_lits]
    return phi


def _round(ints, const, q: int):
    """Round integers to about ``q`` significant bits: ``ints = 2^r ints~ + err`` (exact integer arithmetic)."""
    big = max([abs(v) for v in ints] + [abs(const), 1])
    r = max(0, big.bit_length() - q)
    if r == 0:
        return list(ints), const, 0, [0] * len(ints), 0

    def rnd(v):
        return (v + (1 << (r - 1))) >> r  # round half up, exact on Python ints

    R = [rnd(v) for v in ints]
    Rc = rnd(const)
    return R, Rc, r, [abs(v - (w << r)) for v, w in zip(ints, R)], abs(const - (Rc << r))


def _ceil_div(a: int, b: int) -> int:
    return -((-a) // b)


def _solve(clauses, *, deadline, check_proof, solver):
    """``("unsat", certificate)``, ``("sat", true variables)`` or ``("unknown", reason)``."""
    from pysat.solvers import Solver

    from ..drup import check_drup

    if deadline is not None and time.perf_counter() >= deadline:
        return "unknown", "SAT time limit reached", None
    with Solver(name=solver, bootstrap_with=clauses, with_proof=check_proof) as sat:
        if deadline is not None:
            timer = threading.Timer(max(0.0, deadline - time.perf_counter()), sat.interrupt)
            timer.start()
            answer = sat.solve_limited(expect_interrupt=True)
            timer.cancel()
        else:
            answer = sat.solve()
        if answer is None:
            return "unknown", "SAT time limit reached", None
        if answer:
            return "sat", {l for l in sat.get_model() if l > 0}, None
        proof = sat.get_proof() if check_proof else None
    if not check_proof:
        return "unsat", {"checked": False, "detail": "solver UNSAT; proof not checked"}, 0.0
    chk = check_drup(clauses, proof)
    cert = {"checked": bool(chk.ok), "detail": chk.reason, "lemmas": chk.lemmas}
    if not chk.ok:
        return "unknown", f"DRUP proof rejected: {chk.reason}", chk.seconds
    return "unsat", cert, chk.seconds


class _Run:
    """Bookkeeping of the SAT calls of one equivalence proof."""

    def __init__(self, network, layer, index, formula, m, s, time_limit, check_proof, solver):
        self.network, self.layer, self.index, self.formula = network, layer, index, formula
        self.m, self.s = m, s
        self.deadline = None if time_limit is None else time.perf_counter() + float(time_limit)
        self.check_proof, self.solver = check_proof, solver
        self.calls, self.clauses, self.max_clauses, self.check_seconds, self.lemmas = 0, 0, 0, 0.0, 0
        self.all_checked = True
        self.steps = []

    def base(self):
        from pysat.card import CardEnc, EncType
        from pysat.formula import IDPool

        pool = IDPool()
        x = [pool.id(("x", i)) for i in range(self.m)]
        cnf = _Cnf(pool)
        if self.s < self.m:
            cnf.clauses += CardEnc.atmost(x, bound=self.s, vpool=pool, encoding=EncType.seqcounter).clauses
        return cnf, x

    def solve(self, cnf, what):
        self.calls += 1
        self.clauses += len(cnf.clauses)
        self.max_clauses = max(self.max_clauses, len(cnf.clauses))
        status, payload, secs = _solve(cnf.clauses, deadline=self.deadline, check_proof=self.check_proof,
                                       solver=self.solver)
        if status == "unsat":
            self.all_checked &= payload["checked"]
            self.check_seconds += secs or 0.0
            self.lemmas += payload.get("lemmas", 0)
        self.steps.append(f"{what}: {status}")
        return status, payload

    def point(self, true_vars, x):
        return [i for i in range(self.m) if x[i] in true_vars]

    def differs(self, point) -> bool:
        X = np.zeros((1, self.m), dtype=np.int8)
        X[0, point] = 1
        return bool(fires(self.network, X, self.layer, self.index)[0]) != bool(self.formula.evaluate(X)[0])


def _band_free_units(run: _Run, units, q: int) -> dict:
    """Round each wide unit to ``q`` bits and prove, by SAT, that no domain point falls in its rounding band
    (``|z~| <= T``, ``T`` bounding the rounding error over ``s`` active inputs): then ``[z~ >= 1]`` equals the
    unit's exact activity on the domain. Units that fail keep the exact encoding."""
    specs = {}
    for h in units:
        w, b = _unit_ints(run.network, h)
        R, Rb, r, errs, eb = _round(w, b, q)
        if r == 0:
            continue
        E = sum(sorted(errs, reverse=True)[: run.s]) + eb
        T = _ceil_div(E, 1 << r)
        cnf, x = run.base()
        lo = reified_geq(cnf, x, R, -T - Rb)           # z~ >= -T
        hi = reified_geq(cnf, x, [-v for v in R], Rb - T)  # z~ <= T
        cnf.clauses += [[lo], [hi]]
        status, _ = run.solve(cnf, f"unit {h} rounding band")
        if status == "unsat":
            specs[h] = (R, Rb)
        elif status == "unknown":
            raise _Stop
    return specs


class _Stop(Exception):
    pass


def _miter(run: _Run, specs):
    cnf, x = run.base()
    o = encode_target(cnf, run.network, run.layer, run.index, x, specs)
    phi = encode_formula(cnf, run.formula, x)
    cnf.clauses += [[o, phi], [-o, -phi]]
    return cnf, x


def sat_equivalence(network, layer: int, index: int, formula, m: int, sparsity: int | None, *,
                    time_limit: float | None = None, check_proof: bool = True, solver: str = "glucose4",
                    rounding_bits: int | None = 12) -> dict:
    """Search for a point where the formula and the network differ (one hidden layer).

    Exact miter by default. For wide weights (trained float networks) with ``rounding_bits``, first a cheaper
    proof with rounded weights whose rounding cannot matter: each unit is rounded to ``rounding_bits`` bits and
    proven band-free (no domain point within the rounding error of its threshold); the readout is rounded too and
    two margin checks show ``formula => y~ >= E`` and ``not formula => y~ < -E`` (``E`` bounds the rounding error).
    If a margin check finds a point, it is checked exactly: a real difference refutes the formula, otherwise the
    exact miter decides. Returns ``{"status": "proven" | "refuted" | "unknown", "counterexample", "certificate",
    "clauses", ...}``; ``proven`` means every SAT call was UNSAT and (``check_proof``) every DRUP proof replayed."""
    t0 = time.perf_counter()
    s = m if sparsity is None else min(int(sparsity), m)
    run = _Run(network, layer, index, formula, m, s, time_limit, check_proof, solver)

    def done(status, point=None, reason=None):
        cert = None
        if status == "proven":
            cert = {"kind": "drup", "checked": bool(check_proof and run.all_checked),
                    "detail": f"{run.calls} SAT call(s), all UNSAT" + ("; every DRUP proof replayed and accepted"
                                                                     if check_proof else "; proofs not checked"),
                    "lemmas": run.lemmas, "check_seconds": round(run.check_seconds, 6)}
        out = {"status": status, "counterexample": point, "certificate": cert, "clauses": run.max_clauses,
               "total_clauses": run.clauses, "sat_calls": run.calls, "steps": run.steps, "solver": solver,
               "seconds": time.perf_counter() - t0}
        if reason:
            out["reason"] = reason
        return out

    def from_sat(true_vars, x, what):
        point = run.point(true_vars, x)
        if len(point) > s:
            raise RuntimeError(f"SAT encoding error: {what} model {point} has more than {s} ones")
        return point

    try:
        specs = {}
        relu_readout = layer == 1 and network.activation == "relu" and len(network.layers) == 2
        units = [h for h in range(network.d_hidden) if layer == 1 and network.W_out[index, h] != 0]
        if rounding_bits and layer == 1 and len(network.layers) == 2:
            specs = _band_free_units(run, units, int(rounding_bits))
        if relu_readout and rounding_bits:
            # margin checks with a rounded readout
            cnf, x = run.base()
            a = {h: _unit_literal(cnf, network, h, x, specs.get(h)) for h in units}
            lits, coeffs, const, kinds = _readout_terms(cnf, network, index, x, a)
            ints, _ = dyadic([*coeffs, const])
            R, Rc, r, errs, ec = _round(ints[:-1], ints[-1], int(rounding_bits))
            if r > 0:
                per_unit: dict = {}
                E = ec
                for (kind, h), e in zip(kinds, errs):
                    if kind == "a":
                        E += e
                    else:
                        per_unit.setdefault(h, []).append(e)
                E += sum(sum(sorted(v, reverse=True)[:s]) for v in per_unit.values())
                T = _ceil_div(E, 1 << r)        # y~ >= T  ==>  y >= 0
                T2 = E // (1 << r) + 1          # y~ <= -T2  ==>  y < 0
                phi = encode_formula(cnf, formula, x)
                base_clauses = list(cnf.clauses)
                # (a) formula on but y~ <= T - 1 ?
                ga = reified_geq(cnf, lits, [-v for v in R], Rc - T + 1)
                cnf_a = _Cnf(cnf.pool)
                cnf_a.clauses = cnf.clauses + [[phi], [ga]]
                status_a, pay_a = run.solve(cnf_a, "margin check: formula => y >= 0")
                cnf.clauses = base_clauses
                gb = reified_geq(cnf, lits, R, -T2 + 1 - Rc)
                cnf_b = _Cnf(cnf.pool)
                cnf_b.clauses = cnf.clauses + [[-phi], [gb]]
                status_b, pay_b = run.solve(cnf_b, "margin check: not formula => y < 0")
                if "unknown" in (status_a, status_b):
                    return done("unknown", reason="SAT time limit reached")
                for st, pay, what in ((status_a, pay_a, "margin (a)"), (status_b, pay_b, "margin (b)")):
                    if st == "sat":
                        point = from_sat(pay, x, what)
                        if run.differs(point):
                            return done("refuted", point)
                if status_a == "unsat" and status_b == "unsat":
                    return done("proven")
                run.steps.append("margin too small at a point: exact readout")
        cnf, x = _miter(run, specs)
        status, pay = run.solve(cnf, "exact miter")
        if status == "unknown":
            return done("unknown", reason=pay)
        if status == "sat":
            point = from_sat(pay, x, "miter")
            if not run.differs(point):
                raise RuntimeError(f"SAT encoding error: model {point} does not separate formula and network")
            return done("refuted", point)
        return done("proven")
    except _Stop:
        return done("unknown", reason="SAT time limit reached")
