"""Representable sets of one code, decided incrementally (issue 16).

``representable_set(code, family)`` asks, for every feature ``f`` of a family, whether one hidden layer that
obeys the code (integer weights in ``[-K, K]``) computes ``f`` with one readout. The features share the code,
so the work is shared too:

1. **One encoding, one solver.** The hidden layer and *one* readout are bit-blasted once (the encoding of
   :mod:`capacity.solvers.sat`: offset-binary integers, clamped bias ranges, ReLU phase literals and value
   bits, ``pysat.pb.PBEnc`` for every linear constraint), with a literal ``q_p <-> y(p) >= 0`` per domain point
   (``not q_p -> y(p) <= -1``, the integer margin). A feature is only its truth table on the ``q_p``, guarded
   by a fresh *selector* ``s_f``: ``s_f -> q_p`` on its ones, ``s_f -> not q_p`` on its zeros. All selector
   clauses are given to one CaDiCaL 1.9.5 instance with LRAT proof tracing, which answers
   ``solve(assumptions=[s_f, not s_g for every other g])`` feature after feature and keeps its learned clauses
   (``s_g`` only guards ``g``'s own clauses, so switching it off removes no model of the rest).
2. **Sound refutations under assumptions.** The solver's lemmas follow from the clauses ``F`` alone
   (assumptions are only decisions), and after refuting ``s_f`` CaDiCaL writes the lemma ``not s_f`` with its
   hints. For the features ``f_1 .. f_k`` one solver refuted, :func:`capacity.drup.check_drup` checks the whole
   LRAT proof, closed by one step that derives the empty clause from the lemmas ``not s_i`` and the clause
   ``(s_1 or ... or s_k)`` added to ``F``. That formula is unsatisfiable exactly when every ``F and s_i`` is:
   selectors only occur negated (in ``s_g -> q_p``), so a model for one feature extends by setting every other
   selector false; so one check certifies all ``k`` single-feature refutations. (A DRUP solver, e.g.
   ``cadical153``, writes no ``not s_i``; it is inserted into the DRUP proof where ``f_i`` was refuted, RUP
   there.) If the check fails, each refuted feature is re-solved alone by :func:`capacity.solvers.sat.solve`,
   which checks its own proof.
3. **Code automorphisms.** A pair ``(pi, sigma)`` of an input permutation and a hidden-unit permutation
   with ``S[sigma(j), pi(i)] = S[j, i]`` (and the same for bias and readout signs) maps the class onto itself;
   a network computing ``f`` becomes one computing ``f o pi^-1``. Features in one orbit are decided once; the
   others get the mapped witness (verified exactly) or the representative's certificate together with the
   checked automorphism. Generators: transpositions of identical code columns, plus (when colour refinement
   leaves non-trivial classes) the automorphisms networkx's VF2 finds of the reduced row/column graph, up to
   :data:`MAX_VF2`.
4. **Known hidden layers first.** The outputs of a trained network (as it is, and rounded into the class by
   :func:`round_into_class`, readout bias re-chosen) are checked against every feature. Then, before a
   feature goes to the solver, known hidden layers (the rounded trained network, the last witnesses) get a
   fresh readout from a small CP-SAT model (:func:`readout_witness`, deterministic-time budget). Every
   witness is verified exactly.
5. **Parallel.** Orbit representatives are dealt round-robin to ``workers`` chunks; every chunk builds its
   own solver, so the answers depend on ``workers`` but never on timing.

Budgets: ``time_limit`` (wall clock; running out only turns answers into UNKNOWN, checking included) and
``max_calls`` (a deterministic count of features sent to the chunks), and the clause budget
:data:`MAX_CLAUSES` (memory); features not reached are UNKNOWN, answers already found are kept. The proof check after a
chunk's last solver call gets what is left of ``time_limit``: if it does not finish, that chunk's refuted
features are UNKNOWN (the CNF and proof are kept on disk for ``capacity check-proof``).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

import numpy as np

from ..codes import Code
from ..drup import DrupCheck, check_drup, keep_proof
from ..errors import CapacityError
from ..features import FeatureSet
from ..network import Network
from .problem import Certificate, Problem, Result, Status, verify_witness

__all__ = ["CodeAutomorphisms", "CodeEncoding", "automorphisms", "is_automorphism", "orbits", "map_network",
           "round_into_class", "readout_witness", "cheap_witnesses", "decide_features", "decide_set", "MAX_CLAUSES",
           "MAX_VF2"]

#: clauses the shared encoding may have (roughly 150 MB of Python lists per million, and as much again in
#: the solver); beyond it the features that need the solver are UNKNOWN
MAX_CLAUSES = 6_000_000
#: automorphisms of the reduced code graph VF2 lists at most (a deterministic budget)
MAX_VF2 = 64
_CANDIDATES = 8  # hidden layers kept as cheap candidates (the most recent witnesses first)
_CHEAP_TIME = 0.5  # CP-SAT deterministic time of one cheap readout search
METHOD = "sat-incremental"


# ------------------------------------------------------------------------------------------------
# automorphisms


def _refine(S, row_colour, col_colour):
    """Colour refinement (1-WL) of the signed bipartite graph of ``S``: returns stable row and column colours."""
    rows, cols = list(row_colour), list(col_colour)
    for _ in range(S.shape[0] + S.shape[1] + 1):
        new_rows = [(rows[j], tuple(sorted((int(S[j, i]), cols[i]) for i in np.flatnonzero(S[j]))))
                    for j in range(S.shape[0])]
        new_cols = [(cols[i], tuple(sorted((int(S[j, i]), rows[j]) for j in np.flatnonzero(S[:, i]))))
                    for i in range(S.shape[1])]
        rmap = {c: k for k, c in enumerate(sorted(set(new_rows)))}
        cmap = {c: k for k, c in enumerate(sorted(set(new_cols)))}
        nr, nc = [rmap[c] for c in new_rows], [cmap[c] for c in new_cols]
        if len(rmap) == len(set(rows)) and len(cmap) == len(set(cols)):
            return nr, nc
        rows, cols = nr, nc
    return rows, cols


@dataclass(frozen=True)
class CodeAutomorphisms:
    """Generators ``(pi, sigma)`` of automorphisms of a code: input ``i`` goes to ``pi[i]``, unit ``j`` to
    ``sigma[j]``. ``complete`` is False when VF2 stopped at :data:`MAX_VF2` (fewer merges, still sound)."""

    generators: tuple
    complete: bool = True

    def to_dict(self) -> dict:
        return {"generators": len(self.generators), "complete": self.complete}


def _row_keys(code: Code):
    n = code.d_hidden
    bias = code.S_b_in if code.S_b_in is not None else np.zeros(n, dtype=np.int8)
    out = code.S_out if code.S_out is not None else np.zeros((0, n), dtype=np.int8)
    return [(int(bias[j]), tuple(int(v) for v in out[:, j])) for j in range(n)]


def is_automorphism(code: Code, pi, sigma) -> bool:
    """Whether ``(pi, sigma)`` maps the code onto itself (``S_in``, ``S_b_in`` and ``S_out`` columns)."""
    pi, sigma = np.asarray(pi), np.asarray(sigma)
    S = code.S_in
    if sorted(pi.tolist()) != list(range(S.shape[1])) or sorted(sigma.tolist()) != list(range(S.shape[0])):
        return False
    mapped = np.zeros_like(S)
    mapped[np.ix_(sigma, pi)] = S
    if not np.array_equal(mapped, S):
        return False
    keys = _row_keys(code)
    return all(keys[int(sigma[j])] == keys[j] for j in range(S.shape[0]))


def automorphisms(code: Code, max_vf2: int = MAX_VF2) -> CodeAutomorphisms:
    """Generators of (a subgroup of) the code's automorphism group that act on the inputs."""
    S = code.S_in
    n, m = S.shape
    ident_rows = np.arange(n)
    gens = []
    # identical columns: a transposition of inputs with the identity on hidden units
    col_key = [S[:, i].tobytes() for i in range(m)]
    groups: dict = {}
    for i, k in enumerate(col_key):
        groups.setdefault(k, []).append(i)
    for members in groups.values():
        for a, b in itertools.pairwise(members):
            pi = np.arange(m)
            pi[a], pi[b] = b, a
            gens.append((pi, ident_rows))
    # the reduced graph: one node per distinct column and per distinct row
    col_reps = [members[0] for members in groups.values()]
    col_mult = [len(members) for members in groups.values()]
    keys = _row_keys(code)
    row_groups: dict = {}
    for j in range(n):
        row_groups.setdefault((S[j].tobytes(), keys[j]), []).append(j)
    row_reps = [members[0] for members in row_groups.values()]
    R = S[np.ix_(row_reps, col_reps)]
    row_col = [(keys[j], len(row_groups[(S[j].tobytes(), keys[j])])) for j in row_reps]
    rmap = {c: k for k, c in enumerate(sorted(set(row_col)))}
    rc, cc = _refine(R, [rmap[c] for c in row_col], col_mult)
    complete = True
    if len(set(cc)) < len(cc):  # colour refinement leaves symmetric columns: ask VF2
        import networkx as nx
        from networkx.algorithms.isomorphism import GraphMatcher

        G = nx.Graph()
        for a, j in enumerate(row_reps):
            G.add_node(("r", a), colour=("r", rc[a]))
        for b in range(len(col_reps)):
            G.add_node(("c", b), colour=("c", cc[b]))
        for a in range(len(row_reps)):
            for b in np.flatnonzero(R[a]):
                G.add_edge(("r", a), ("c", int(b)), sign=int(R[a, b]))
        gm = GraphMatcher(G, G, node_match=lambda x, y: x["colour"] == y["colour"],
                          edge_match=lambda x, y: x["sign"] == y["sign"])
        members_c = list(groups.values())
        members_r = list(row_groups.values())
        for count, iso in enumerate(gm.isomorphisms_iter()):
            if count >= max_vf2:
                complete = False
                break
            if all(iso[("c", b)] == ("c", b) for b in range(len(col_reps))):
                continue
            pi, sigma = np.arange(m), np.arange(n)
            for b, src in enumerate(members_c):
                dst = members_c[iso[("c", b)][1]]
                pi[src] = dst
            for a, src in enumerate(members_r):
                dst = members_r[iso[("r", a)][1]]
                sigma[src] = dst
            if is_automorphism(code, pi, sigma):
                gens.append((pi, sigma))
    for pi, sigma in gens:
        if not is_automorphism(code, pi, sigma):  # pragma: no cover - the constructions above are exact
            raise RuntimeError("codeset: a generator is not an automorphism of the code (a bug)")
    return CodeAutomorphisms(tuple(gens), complete)


def _point_map(domain, pi) -> np.ndarray:
    """Index of the image of every domain point under the input permutation ``pi`` (``x'[pi[i]] = x[i]``)."""
    X = domain.points
    Y = np.zeros_like(X)
    Y[:, pi] = X
    return domain.lookup(Y)


def orbits(family: FeatureSet, auts: CodeAutomorphisms, d_hidden: int):
    """For every feature: ``(representative, pi, sigma)`` with ``feature = representative o pi^-1`` (identity
    permutations for representatives). BFS from the lowest index of each orbit over the generators."""
    F, m, n = len(family), family.domain.m, d_hidden
    bits = family.bits
    where = {row.tobytes(): i for i, row in reversed(list(enumerate(family.tables)))}
    maps = [(_point_map(family.domain, pi), pi, sigma) for pi, sigma in auts.generators]
    out: list = [None] * F
    for start in range(F):
        if out[start] is not None:
            continue
        out[start] = (start, np.arange(m), np.arange(n))
        queue = [start]
        while queue:
            f = queue.pop(0)
            _, pi_f, sig_f = out[f]
            for pmap, pi, sigma in maps:
                img = np.zeros_like(bits[f])
                img[pmap] = bits[f]
                g = where.get(family.domain.pack(img).tobytes())
                if g is not None and out[g] is None:
                    out[g] = (start, pi[pi_f], sigma[sig_f])  # compose: first (pi_f, sig_f), then (pi, sigma)
                    queue.append(g)
    return out


def map_network(net: Network, pi, sigma) -> Network:
    """The network with ``W'[sigma(j), pi(i)] = W[j, i]`` (and ``b_in``, ``W_out`` columns moved by ``sigma``)."""
    W = np.zeros_like(net.W_in)
    W[np.ix_(sigma, pi)] = net.W_in
    b = np.zeros_like(net.b_in)
    b[sigma] = net.b_in
    V = np.zeros_like(net.W_out)
    V[:, sigma] = net.W_out
    return Network(W, b, V, net.b_out.copy(), net.activation)


# ------------------------------------------------------------------------------------------------
# cheap witnesses


#: multipliers of the largest hidden weight when a trained network is rounded into the class (as in
#: :func:`capacity.train.project_to_integers`); each gives one candidate hidden layer
ROUND_SCALES = (0.5, 1.0, 2.0)


def round_into_class(network: Network, code: Code, K: int, scale: float = 1.0) -> Network | None:
    """The network scaled (per hidden unit and per readout row, which ReLU allows) so its largest weight is
    ``scale * K``, rounded and clipped to integers in ``[-K, K]``, with the code's zeros and signs enforced
    (entries under the code's sign are pushed to ``+-1``). Only a candidate: the caller verifies it (and
    re-chooses readouts). None for step or deeper networks."""
    if network.activation != "relu" or network.W_hidden:
        return None
    W, b = network.W_in.astype(float), network.b_in.astype(float)
    V, c = network.W_out.astype(float), network.b_out.astype(float)
    lo_in, hi_in = code.bounds(code.S_in, K)
    top = np.max(np.abs(np.where(code.S_in != 0, W, 0)), axis=1)
    s = np.where(top > 0, scale * K / np.where(top > 0, top, 1), 1.0)
    Wr = np.clip(np.rint(W * s[:, None]), lo_in, hi_in)
    br = np.rint(b * s)
    if code.S_b_in is not None:
        br = np.where(code.S_b_in == 0, 0, np.where(code.S_b_in > 0, np.maximum(br, 1), np.minimum(br, -1)))
    Vs = V / s[None, :]  # the readout compensates the scaling of each unit
    rs = np.max(np.abs(Vs), axis=1)
    rs = np.where(rs > 0, K / np.where(rs > 0, rs, 1), 1.0)
    Vr = np.clip(np.rint(Vs * rs[:, None]), -K, K)
    cr = np.rint(c * rs)
    return Network(Wr.astype(np.int64), br.astype(np.int64), Vr.astype(np.int64), cr.astype(np.int64), "relu")


def readout_witness(problem: Problem, W_in, b_in, deterministic_time: float = 1.0) -> Network | None:
    """A readout for a fixed integer hidden layer ``(W_in, b_in)`` computing the problem's one feature, found by
    CP-SAT (one worker, a deterministic-time budget, so the answer never depends on the clock), verified
    exactly; None if none was found (which proves nothing)."""
    from ortools.sat.python import cp_model

    X = problem.domain.points.astype(np.int64)
    Z = X @ np.asarray(W_in, dtype=np.int64).T + np.asarray(b_in, dtype=np.int64)
    H = np.maximum(Z, 0) if problem.activation == "relu" else (Z >= 0).astype(np.int64)
    _, _, lo_out, hi_out = problem.weight_bounds()
    lo, hi = lo_out[0].astype(np.int64), hi_out[0].astype(np.int64)
    T = int((np.maximum(np.abs(lo), np.abs(hi)) * H).sum(axis=1).max(initial=0)) + 1
    model = cp_model.CpModel()
    v = [model.new_int_var(int(lo[j]), int(hi[j]), f"v{j}") for j in range(H.shape[1])]
    c = model.new_int_var(-T, T, "c")
    bits = problem.features.bits[0]
    for p in np.unique(H, axis=0, return_index=True)[1]:  # equal hidden rows: one constraint (if labels agree)
        same = np.all(H == H[p], axis=1)
        if bits[same].any() and not bits[same].all():
            return None  # two points the hidden layer cannot tell apart have different labels
        y = sum(int(H[p, j]) * v[j] for j in np.flatnonzero(H[p])) + c
        model.add(y >= 0 if bits[p] else y <= -1)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_deterministic_time = float(deterministic_time)
    if solver.solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    net = Network(np.asarray(W_in, dtype=np.int64), np.asarray(b_in, dtype=np.int64),
                  np.array([[solver.value(x) for x in v]], dtype=np.int64), np.array([solver.value(c)]),
                  problem.activation)
    return net if verify_witness(problem, net)[0] else None


def cheap_witnesses(candidates, problems) -> dict:
    """``{feature index: witness}`` from candidate networks, without a solver. Every output row of every
    candidate is tried for every feature: as it is, and (integer candidates) with the readout bias that
    separates the feature if any bias does (``c = -min`` of the row's sum over the feature's ones, which works
    exactly when that minimum exceeds the maximum over its zeros). Only verified witnesses are kept."""
    found: dict = {}
    if not problems:
        return found
    domain = problems[0].domain
    bits = np.array([p.features.bits[0] for p in problems])
    for net in candidates:
        if net is None:
            continue
        integer = net.is_integer
        if integer:
            Z = domain.points.astype(np.int64) @ net.W_in.T.astype(np.int64) + net.b_in.astype(np.int64)
            H = np.maximum(Z, 0) if net.activation == "relu" else (Z >= 0).astype(np.int64)
        for r in range(net.n_features):
            row = Network(net.W_in, net.b_in, net.W_out[r:r + 1], net.b_out[r:r + 1], net.activation)
            tries = {}
            if integer:
                y0 = H @ net.W_out[r].astype(np.int64)
                for i in np.flatnonzero([i not in found for i in range(len(problems))]):
                    on, off = y0[bits[i]], y0[~bits[i]]
                    if on.size and (not off.size or on.min() > off.max()):
                        tries[int(i)] = -int(on.min())
            table = row.truth_tables(domain)[0].tobytes()
            for i, p in enumerate(problems):
                if i not in found and p.features.tables[0].tobytes() == table:
                    tries.setdefault(i, None)
            for i, c in sorted(tries.items()):
                w = row if c is None else Network(net.W_in, net.b_in, net.W_out[r:r + 1], np.array([c]),
                                                  net.activation)
                if verify_witness(problems[i], w)[0]:
                    found[i] = w
    return found


# ------------------------------------------------------------------------------------------------
# the incremental encoding


class EncodingTooLarge(Exception):
    """The encoding would exceed the clause budget (:data:`MAX_CLAUSES`): the features it was built for are
    UNKNOWN (a deterministic limit that protects memory, not a time limit)."""


class CodeEncoding:
    """One hidden layer and one readout of the class, encoded once, with a literal ``q_p <-> y(p) >= 0`` per
    domain point; a feature is then only its truth table on the ``q_p`` (:meth:`add_feature`).
    ``clauses`` holds every clause so far, in order."""

    def __init__(self, problem: Problem, symmetry_breaking: bool = True, pb_encoding=None,
                 max_clauses: int | None = None):
        from .sat import _bias_range, _Encoder, _Int, integer_bounds, lex_order_units

        self.problem = problem
        self.enc = enc = _Encoder(pb_encoding)
        n, act = problem.d_hidden, problem.activation
        points = problem.domain.points.astype(np.int64)
        N, m = points.shape
        lo_in, hi_in, lo_out, hi_out = (np.asarray(a).astype(np.int64) for a in integer_bounds(problem))
        signs = problem.bias_signs()
        mode = problem.code.mode if problem.code is not None else "sign"
        W = [[enc.integer(("W_in", j, i), lo_in[j, i], hi_in[j, i]) for i in range(m)] for j in range(n)]
        brange = [_bias_range(lo_in[j], hi_in[j], points, None if signs is None else int(signs[j]), mode, act)
                  for j in range(n)]
        B = [enc.integer(("b_in", j), *brange[j]) for j in range(n)]
        h, hmax = [[None] * N for _ in range(n)], np.zeros((n, N), dtype=np.int64)
        # the hidden layer as capacity.solvers.sat.encode builds it, except that points whose pre-activation
        # z_j(p) is the same expression (same free weights, same constant) share one hidden value: with weights
        # the code fixes (K = 1) a unit takes only a few distinct values over the domain
        for j in range(n):
            shared: dict = {}
            for p in range(N):
                active = np.flatnonzero(points[p])
                free = tuple(int(i) for i in active if W[j][i].bits)
                z_const = int(sum(W[j][i].lo for i in active)) + B[j].lo
                top = max(0, int(sum(max(int(hi_in[j, i]), 0) for i in active)) + brange[j][1])
                key = (free, z_const, top)
                if key in shared:
                    h[j][p], hmax[j, p] = shared[key]
                    continue
                z_terms = [t for i in free for t in W[j][i].terms()] + B[j].terms()
                if act == "step":
                    lit = enc.var(("h", j, p))
                    enc.geq(z_terms, z_const, when=lit)
                    enc.geq([(-c, l) for c, l in z_terms], -z_const - 1, when=-lit)
                    h[j][p], hmax[j, p] = lit, 1
                else:
                    a = enc.var(("a", j, p))
                    hv = _Int(0, top, [enc.var(("h", j, p, k)) for k in range(top.bit_length())])
                    enc.geq(z_terms, z_const - 1, when=a)
                    enc.geq([(-c, l) for c, l in z_terms], -z_const, when=-a)
                    enc.geq(z_terms + [(-c, l) for c, l in hv.terms()], z_const, when=a)
                    enc.geq(hv.terms() + [(-c, l) for c, l in z_terms], -z_const, when=a)
                    enc.clauses += [[a, -bit] for bit in hv.bits]
                    h[j][p], hmax[j, p] = hv, top
                shared[key] = (h[j][p], hmax[j, p])
            self._size_check(max_clauses)
        # interchangeable units: identical boxes and bias ranges (the readout box is the same for every unit);
        # sorting them (with their readout weights) is sound for every single-feature problem at once
        classes: dict = {}
        for j in range(n):
            classes.setdefault((tuple(lo_in[j]), tuple(hi_in[j]), brange[j]), []).append(j)
        self.n_sym = lex_order_units(enc, W, B, classes.values()) if symmetry_breaking else 0
        # one readout, shared by every feature: q_p <-> y(p) >= 0 (integer margin: not q_p -> y(p) <= -1)
        lo_out, hi_out = lo_out[0], hi_out[0]
        vmax = np.maximum(np.abs(lo_out), np.abs(hi_out))
        T = int(max(int(vmax @ hmax[:, p]) for p in range(N)))
        V = [enc.integer(("W_out", j), lo_out[j], hi_out[j]) for j in range(n)]
        C = enc.integer(("b_out",), -T - 1, T)
        self.q = []
        same: dict = {}  # points with the same hidden values (as variables) share one output literal
        for p in range(N):
            key = tuple(id(h[j][p]) if act == "relu" else h[j][p] for j in range(n))
            if key in same:
                self.q.append(same[key])
                continue
            terms, const = C.terms(), C.lo
            for j in range(n):
                hb = [(1, h[j][p])] if act == "step" else h[j][p].terms()
                for w2, hl in hb:
                    terms.append((V[j].lo * w2, hl))
                    for w1, vk in V[j].terms():
                        terms.append((w1 * w2, enc.conj(vk, hl)))
            q = same[key] = enc.var(("q", p))
            enc.geq(terms, const, when=q)
            enc.geq([(-w, l) for w, l in terms], -const - 1, when=-q)
            self.q.append(q)
            self._size_check(max_clauses)
        self.W, self.B, self.V, self.C = W, B, V, C
        self.selectors: dict = {}

    def _size_check(self, max_clauses):
        if max_clauses is not None and len(self.enc.clauses) > max_clauses:
            raise EncodingTooLarge(f"the code's SAT encoding passed {max_clauses} clauses while being built")

    @property
    def clauses(self):
        return self.enc.clauses

    def add_feature(self, f: int, bits) -> list:
        """Feature ``f`` (truth values ``bits`` on the domain points): a fresh selector ``s_f`` with
        ``s_f -> q_p`` on its ones and ``s_f -> not q_p`` on its zeros; returns the new clauses."""
        s = self.selectors[f] = self.enc.var(("select", f))
        new = [[-s, q if b else -q] for q, b in zip(self.q, bits)]
        self.enc.clauses += new
        return new

    def decode(self, model) -> Network:
        true = {l for l in model if l > 0}
        n, m = self.problem.d_hidden, self.problem.domain.m
        W_in = np.array([[w.value(true) for w in row] for row in self.W], dtype=np.int64).reshape(n, m)
        b_in = np.array([b.value(true) for b in self.B], dtype=np.int64)
        W_out = np.array([[v.value(true) for v in self.V]], dtype=np.int64)
        return Network(W_in, b_in, W_out, np.array([self.C.value(true)], dtype=np.int64), self.problem.activation)


@dataclass(frozen=True)
class ChunkTask:
    """One worker's share: decide ``features`` (indices into ``problems``) with one incremental solver."""

    problems: tuple
    features: tuple
    time_limit: float | None
    solver: str = "cadical195"
    symmetry_breaking: bool = True
    hidden_layers: tuple = ()  # candidate (W_in, b_in), e.g. a trained network rounded into the class
    max_clauses: int | None = None  # the encoding's clause budget (memory), None for :data:`MAX_CLAUSES`

    def __post_init__(self):
        if self.max_clauses is None:
            object.__setattr__(self, "max_clauses", MAX_CLAUSES)


def _unknown(problem, t0, reason, info=None) -> Result:
    return Result(Status.UNKNOWN, problem, METHOD, time.perf_counter() - t0, info={**(info or {}), "reason": reason})


def _solve_under(s, assume, deadline, timer):
    """One solver call under the assumptions: True, False or None (the deadline passed)."""
    from .sat import _search

    try:  # with a timer, one search it stops at the deadline; without one, slices polled against the clock
        return _search(s, None if timer is not None else deadline, None, assume)
    finally:
        if timer is not None:
            timer.cancel()


def _lrat_conclusion(proof: bytes, n_added: int, selectors: list[int]):
    """The LRAT text of a chunk's solver, closed by one step deriving the empty clause from CaDiCaL's unit
    lemmas ``not s_i`` (each with its hints, written when it refuted feature ``i`` under the assumption ``s_i``)
    and the selector clause ``(s_1 or ... or s_k)``, the formula's last clause after the ``n_added`` clauses
    given to the solver (ids as in :mod:`capacity.lrat`). Returns ``(text, None)``, or ``(None, reason)`` when
    a lemma is missing."""
    from ..lrat import parse_lrat

    ids, dels, nlits, nhints, lits, hints = parse_lrat(proof)
    unit = {}  # -s_i -> id of its latest unit lemma
    ends = np.cumsum(nlits)
    for k in np.flatnonzero(~dels & (nlits == 1)).tolist():
        unit[int(lits[ends[k] - 1])] = int(ids[k])
    dead = set(hints[np.repeat(dels, nhints)].tolist())  # a deletion's hints are the ids it deletes
    chain = []
    for sel in selectors:
        if unit.get(-sel) is None or unit[-sel] in dead:
            return None, f"the LRAT proof has no live lemma 'not s' for selector {sel}"
        chain.append(unit[-sel])
    used = set(ids[~dels].tolist())
    nxt = 0
    for _ in range(n_added + 1):  # the formula's clauses take the ids no added line uses, in order
        nxt += 1
        while nxt in used:
            nxt += 1
    sel_id = nxt
    top = max(int(ids.max(initial=0)), sel_id) + 1
    text = bytes(proof).rstrip(b"\n") + f"\n{top} 0 {' '.join(map(str, chain))} {sel_id} 0\n".encode()
    return text, None


def decide_features(task: ChunkTask, on_result=None) -> dict:
    """Run one chunk: returns ``{feature index: Result}`` for every feature of the task (UNKNOWN where the
    budget ran out), plus ``"_stats"``. ``on_result()`` is called after each feature (progress).

    Every feature still open when the solver is built gets its selector clauses then, before any search (so
    LRAT's clause ids are known); each call assumes ``s_f`` and ``not s_g`` for every other feature ``g`` (sound:
    ``s_g`` only guards clauses over ``g``'s own variables, so any model can set it false). A refutation is
    certified by the lemma ``not s_f``: CaDiCaL 1.9.5 writes it with hints; for DRUP solvers it is inserted
    into the proof where ``f`` was refuted (RUP there)."""
    from ..lrat import lrat_solver, solver_proof
    from ._interrupt import deadline_timer
    from .sat import PROOF_SOLVERS
    from .sat import solve as sat_solve

    t0 = time.perf_counter()
    deadline = None if task.time_limit is None else t0 + task.time_limit
    problems = list(task.problems)
    out: dict = {}
    stats = {"calls": 0, "cheap": 0, "sat": 0, "unsat": 0, "fresh_fallbacks": 0, "check_seconds": 0.0}
    if not task.features:
        out["_stats"] = stats
        return out
    if task.solver not in PROOF_SOLVERS:
        raise CapacityError(f"solver {task.solver!r} cannot log DRUP proofs; use one of {PROOF_SOLVERS}")
    code = s = None  # built at the first feature no known hidden layer answers
    candidates = list(task.hidden_layers)
    refuted: list[tuple[int, int, float]] = []  # (feature, proof length at refutation, seconds)
    try:
        for f in task.features:
            t1 = time.perf_counter()
            p = problems[f]
            if deadline is not None and time.perf_counter() >= deadline:
                out[f] = _unknown(p, t1, "time limit")
                continue
            for W_in, b_in in candidates:  # cheap first: a known hidden layer, only a readout searched
                if deadline is not None and time.perf_counter() >= deadline:
                    break
                w = readout_witness(p, W_in, b_in, _CHEAP_TIME)
                if w is not None:
                    stats["cheap"] += 1
                    out[f] = Result(Status.REPRESENTABLE, p, METHOD, time.perf_counter() - t1, witness=w,
                                    info={"verification": "verified", "source": "known hidden layer, new readout"})
                    break
            if f not in out and deadline is not None and time.perf_counter() >= deadline:
                out[f] = _unknown(p, t1, "time limit")
            if f not in out and s is None and "encoding_too_large" not in stats:
                try:
                    code = CodeEncoding(p, task.symmetry_breaking, max_clauses=task.max_clauses)
                    for g in task.features[task.features.index(f):]:
                        code.add_feature(g, problems[g].features.bits[0])
                    added = list(code.clauses)  # the whole formula the solver gets, in order
                    s = lrat_solver(task.solver, added)
                except EncodingTooLarge as exc:  # later features may still have cheap witnesses
                    stats["encoding_too_large"] = str(exc)
            if f not in out and s is None:
                out[f] = _unknown(p, t1, f"{stats['encoding_too_large']} (max_clauses)")
            if f in out:
                if on_result is not None:
                    on_result()
                continue
            sel = code.selectors[f]
            assume = [sel] + [-x for x in code.selectors.values() if x != sel]
            stats["calls"] += 1
            answer = _solve_under(s, assume, deadline, deadline_timer(s, task.solver, deadline) if deadline else None)
            if answer is None:
                out[f] = _unknown(p, t1, "time limit")
            elif answer:
                net = code.decode(s.get_model())
                ok, why = verify_witness(p, net)
                if not ok:
                    raise RuntimeError(f"codeset encoding bug: the decoded witness fails verification ({why})")
                stats["sat"] += 1
                out[f] = Result(Status.REPRESENTABLE, p, METHOD, time.perf_counter() - t1, witness=net,
                                info={"verification": why})
                if not any(np.array_equal(net.W_in, W) and np.array_equal(net.b_in, b) for W, b in candidates):
                    candidates.insert(0, (net.W_in, net.b_in))
                    del candidates[_CANDIDATES:]
            else:
                stats["unsat"] += 1
                lrat = getattr(s, "_capacity_lrat", False)
                refuted.append((f, 0 if lrat else len(s.get_proof() or []), time.perf_counter() - t1))
            if on_result is not None:
                on_result()
        lrat = getattr(s, "_capacity_lrat", False)
        proof = (solver_proof(s) if lrat else list(s.get_proof() or [])) if refuted else []
    finally:
        if s is not None:
            s.delete()
    if code is not None:
        stats["variables"], stats["clauses"] = code.enc.pool.top, len(code.clauses)
    if refuted:
        selectors = [code.selectors[f] for f, _, _ in refuted]
        formula = added + [selectors]
        if lrat:
            lines, missing = _lrat_conclusion(proof, len(added), selectors)
        else:
            lines, start, missing = [], 0, None
            for f, pos, _ in refuted:
                lines += proof[start:pos] + [f"{-code.selectors[f]} 0"]
                start = pos
        if missing is not None:  # the fresh re-solve below decides every refuted feature alone
            check = DrupCheck(False, 0, 0, 0.0, missing)
        elif deadline is not None and time.perf_counter() >= deadline:  # no time left: do not start the check
            check = DrupCheck(False, 0, 0, 0.0, "time limit reached before the proof check", timed_out=True)
        else:  # the time limit bounds the check too
            check = check_drup(formula, lines, deadline=deadline)
        stats["check_seconds"] += check.seconds
        kept = None
        if check.timed_out:  # unchecked: UNKNOWN, never NOT_REPRESENTABLE; the proof is kept for later
            kept = str(keep_proof(formula, lines, code.enc.pool.top,
                                  [f"codeset: shared refutation of {len(refuted)} features (selector clause last)"]))
        for f, _, secs in refuted:
            p = problems[f]
            if kept is not None:
                out[f] = _unknown(p, t0, f"the solver refuted it but the shared proof check did not finish within "
                                         f"the time limit ({check.reason}); CNF and proof kept: capacity "
                                         f"check-proof {kept}", {"proof_path": kept})
            elif check.ok:
                how = ("LRAT proof (CaDiCaL's own lemmas 'not s' with hints, closed by one step over them)"
                       if lrat else "DRUP proof, 'not s' inserted where each was refuted,")
                detail = (f"{how} of the shared code CNF ({stats['variables']} variables, "
                          f"{len(formula)} clauses) with (s_1 or ... or s_{len(refuted)}) over the refuted "
                          f"features' selectors; checked by capacity.drup ({check.lemmas} lemmas, "
                          f"{check.seconds:.3f}s, shared by {len(refuted)} features): {check.reason}")
                cert = Certificate("drup", True, detail, data={"check": check, "selector": code.selectors[f],
                                                               "refuted_together": len(refuted)})
                out[f] = Result(Status.NOT_REPRESENTABLE, p, METHOD, secs, certificate=cert)
            else:  # re-solve alone with a proof of its own
                stats["fresh_fallbacks"] += 1
                left = None if deadline is None else deadline - time.perf_counter()
                if left is not None and left <= 0:
                    out[f] = _unknown(p, t0, "time limit (shared proof did not check; no time to re-solve)")
                    continue
                r = sat_solve(p, time_limit=left, solver=task.solver)
                out[f] = Result(r.status, p, r.method, r.seconds, r.witness, r.certificate,
                                {**r.info, "shared_proof_failed": check.reason})
    stats["seconds"] = round(time.perf_counter() - t0, 6)
    out["_stats"] = stats
    return out


# ------------------------------------------------------------------------------------------------
# the whole set


def _hidden_in_class(problem: Problem, net: Network) -> bool:
    """Whether ``net``'s first layer (weights and bias signs) lies in the problem's class."""
    lo, hi = problem.weight_bounds()[:2]
    if net.W_in.shape != lo.shape or (net.W_in < lo).any() or (net.W_in > hi).any():
        return False
    S_b = problem.bias_signs()
    if S_b is None:
        return True
    if problem.code.mode == "sign":
        return bool((np.sign(net.b_in) == S_b).all())
    return bool(((S_b != 0) | (net.b_in == 0)).all())


def _inverse(p) -> np.ndarray:
    inv = np.empty_like(p)
    inv[p] = np.arange(len(p))
    return inv


def _trivial_or_full(problem: Problem, code: Code | None, merge: bool) -> CodeAutomorphisms:
    if not merge:
        return CodeAutomorphisms(())
    if code is not None:
        return automorphisms(code)
    m, n = problem.domain.m, problem.d_hidden  # no code: every input permutation, hidden units fixed
    gens = []
    for i in range(m - 1):
        pi = np.arange(m)
        pi[i], pi[i + 1] = i + 1, i
        gens.append((pi, np.arange(n)))
    return CodeAutomorphisms(tuple(gens))


def decide_set(problems: list[Problem], code: Code | None, *, time_limit=None, max_calls=None, network=None,
               merge=True, workers=1, executor=None, progress=False, t0=None, solver="cadical195"):
    """Every single-feature problem of one class (see the module docstring); returns ``(results, info)``."""
    t0 = time.perf_counter() if t0 is None else t0
    deadline = None if time_limit is None else t0 + float(time_limit)
    family = FeatureSet(problems[0].domain, np.vstack([p.features.tables for p in problems]),
                        tuple(p.features.names[0] for p in problems))
    F = len(problems)
    auts = _trivial_or_full(problems[0], code, merge)
    orb = orbits(family, auts, problems[0].d_hidden)
    reps = sorted({o[0] for o in orb})
    info = {"features": F, "orbits": len(reps), "automorphism_generators": len(auts.generators),
            "automorphisms_complete": auts.complete, "calls_saved_by_automorphisms": F - len(reps)}
    # cheap witnesses: the trained network itself (if it is in the class) and rounded into the class
    candidates = []
    K = problems[0].weight_bound
    if network is not None and network.n_features and len(network.layers) == 2:
        candidates.append(network)
        if code is not None and K is not None:
            candidates += [round_into_class(network, code, K, a) for a in ROUND_SCALES]
    cheap = cheap_witnesses(candidates, problems)
    hidden = []  # distinct integer hidden layers of the candidates that obey the class
    for c in candidates:
        if c is not None and c.is_integer and _hidden_in_class(problems[0], c) and not any(
                np.array_equal(c.W_in, h[0]) and np.array_equal(c.b_in, h[1]) for h in hidden):
            hidden.append((c.W_in, c.b_in))
    rep_results: dict = {}
    for f, w in sorted(cheap.items()):
        r, pi, sigma = orb[f]
        if r in rep_results:
            continue
        wr = map_network(w, _inverse(pi), _inverse(sigma))
        ok, why = verify_witness(problems[r], wr)
        if not ok:  # pragma: no cover - automorphisms are checked
            raise RuntimeError(f"codeset: a mapped cheap witness fails verification ({why})")
        rep_results[r] = Result(Status.REPRESENTABLE, problems[r], "cheap-witness", 0.0, witness=wr,
                                info={"verification": why, "source": "trained network"})
    info["cheap_witness_orbits"] = len(rep_results)  # the trained outputs themselves; hidden layers: chunks
    todo = [r for r in reps if r not in rep_results]
    if max_calls is not None:
        for r in todo[max_calls:]:
            rep_results[r] = _unknown(problems[r], time.perf_counter(), "call budget (max_calls) used up")
        todo = todo[:max_calls]
    info["solver_calls_planned"] = len(todo)
    n_chunks = max(1, min(int(getattr(executor, "workers", workers) or 1), len(todo)))
    left = None if deadline is None else max(0.0, deadline - time.perf_counter())
    tasks = [ChunkTask(tuple(problems), tuple(todo[k::n_chunks]), left, solver, hidden_layers=tuple(hidden))
             for k in range(n_chunks)]
    stats = []
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(todo), desc="features", unit="call", leave=False)
    try:
        if left is not None and left <= 0:
            for r in todo:
                rep_results[r] = _unknown(problems[r], time.perf_counter(), "time limit")
        elif executor is None and n_chunks == 1:
            out = decide_features(tasks[0], on_result=None if bar is None else (lambda: bar.update(1)))
            stats.append(out.pop("_stats"))
            rep_results.update(out)
        else:
            from ..scaling.executors import LocalExecutor

            ex = executor or LocalExecutor(n_chunks)
            try:
                for _, out in ex.run(decide_features, tasks):
                    stats.append(out.pop("_stats"))
                    rep_results.update(out)
                    if bar is not None:
                        bar.update(len(out))
            finally:
                if executor is None:
                    ex.close()
    finally:
        if bar is not None:
            bar.close()
    info["solver_calls"] = sum(s.get("calls", 0) for s in stats)
    info["known_hidden_layer_hits"] = sum(s.get("cheap", 0) for s in stats)
    keep = ("calls", "cheap", "sat", "unsat", "fresh_fallbacks", "variables", "clauses", "check_seconds", "seconds",
            "encoding_too_large")
    info["chunks"] = [{k: v for k, v in s.items() if k in keep} for s in stats]
    results = []
    for f in range(F):
        r, pi, sigma = orb[f]
        res = rep_results[r]
        if r == f or res.status is Status.UNKNOWN:
            results.append(res if r == f else Result(Status.UNKNOWN, problems[f], res.method, 0.0,
                                                     info={"reason": res.info.get("reason", ""),
                                                           "representative": family.names[r]}))
            continue
        via = {"representative": family.names[r], "input_permutation": pi.tolist(),
               "hidden_permutation": sigma.tolist()}
        if res.status is Status.REPRESENTABLE:
            w = map_network(res.witness, pi, sigma)
            ok, why = verify_witness(problems[f], w)
            if not ok:  # pragma: no cover - automorphisms are checked
                raise RuntimeError(f"codeset: a mapped witness fails verification ({why})")
            results.append(Result(Status.REPRESENTABLE, problems[f], res.method + "+automorphism", 0.0, witness=w,
                                  info={"verification": why, **via}))
        else:
            c = res.certificate
            img = np.zeros_like(family.bits[r])
            img[_point_map(family.domain, pi)] = family.bits[r]
            if (code is not None and not is_automorphism(code, pi, sigma)) or not np.array_equal(
                    img, family.bits[f]):  # pragma: no cover - orbits() composes checked generators
                raise RuntimeError("codeset: an orbit map is not an automorphism of the code (a bug)")
            cert = Certificate(c.kind, c.checked,
                               f"by a code automorphism (checked: it maps the code onto itself and "
                               f"{family.names[r]} onto {family.names[f]}) from: {c.detail}",
                               data={"from": c, **via}, path=c.path)
            results.append(Result(Status.NOT_REPRESENTABLE, problems[f], res.method + "+automorphism", 0.0,
                                  certificate=cert, info=via))
    return results, info
