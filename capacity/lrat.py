"""LRAT proofs: CaDiCaL 1.9.5 writes, beside every lemma, the clauses that prove it (its *hints*), so the
check is one linear pass with no search: a small trust base that keeps pace with the solver.

An LRAT proof (Cruz-Filipe, Heule, Hunt, Kaufmann and Schneider-Kamp 2017) is a list of lines
``id l1 .. lk 0 h1 .. hm 0`` (add clause ``id`` = ``l1 .. lk``) and ``id d i1 .. in 0`` (delete clauses
``i1 .. in``). A lemma is accepted when, after assigning every literal of the lemma false, the hint
clauses, in order, are each unit (one literal not false: it becomes true) until one is falsified; a hint
that is satisfied, has two free literals, was deleted or does not exist rejects the proof. The proof
refutes the formula when the empty clause is accepted. Only RUP hints (positive ids) are accepted, no RAT.

Clause ids of the formula. LRAT numbers the formula's clauses ``1 .. n``; CaDiCaL, fed clause by clause,
interleaves the clauses it derives while reading the formula (a clause shortened by a unit read earlier), so
its ids count both. We give the formula's clauses, in order, the ids no added line uses. Soundness does not
rest on this numbering: every id we map names a clause of the formula, so every accepted lemma is implied
by the formula whatever the numbering; a wrong numbering can only make a check fail.

:func:`lrat_solver` opens CaDiCaL 1.9.5 through python-sat with LRAT text tracing (python-sat only exposes
DRUP; the solver's own ``lrat`` and ``binary`` options do the rest) and :func:`solver_proof` reads the trace.
:func:`capacity.drup.check_drup` recognises LRAT text and checks it here (engine ``lrat``, compiled, or
``lrat-python``, its plain twin); the DRUP engines check the same lemmas with the hints dropped.
"""

from __future__ import annotations

import re
import tempfile

import numpy as np

from .drup import _int_token
from .errors import CapacityError

__all__ = ["LRAT_SOLVERS", "is_lrat", "lrat_solver", "lrat_to_drup", "parse_canonical", "parse_lrat",
           "solver_proof"]

#: python-sat solvers whose proofs we trace as LRAT text (the others log DRUP).
LRAT_SOLVERS = ("cadical195",)


# ---- the solver side -------------------------------------------------------------------------------------
def lrat_solver(name: str, clauses):
    """A python-sat ``Solver`` for ``clauses`` that traces its proof: LRAT text for :data:`LRAT_SOLVERS`, else
    python-sat's DRUP (also when this python-sat lacks the hooks used here). Read the proof with
    :func:`solver_proof`; a text trace without hints is checked as DRUP."""
    from pysat.solvers import Solver

    import pysolvers  # python-sat's extension module

    hooks = [getattr(pysolvers, f"{name}_{hook}", None) for hook in ("set", "tracepr")]
    if name not in LRAT_SOLVERS or None in hooks or not hasattr(pysolvers, "flushpr"):
        return Solver(name=name, with_proof=True, bootstrap_with=clauses)  # DRUP (an older python-sat too)
    s = Solver(name=name)
    inner = s.solver
    for option, value in (("lrat", 1), ("binary", 0)):  # must precede the tracer and the clauses
        hooks[0](inner.cadical, option, value)
    inner.prfile = tempfile.TemporaryFile()  # python-sat closes it in delete()
    inner.prfp = hooks[1](inner.cadical, inner.prfile)
    s._capacity_lrat = True
    for c in clauses:
        s.add_clause(c)
    return s


def solver_proof(s):
    """The proof of an UNSAT answer: LRAT text (``bytes``) from :func:`lrat_solver`'s LRAT solvers, else
    python-sat's DRUP lines."""
    if not getattr(s, "_capacity_lrat", False):
        return s.get_proof() or []
    import pysolvers

    pysolvers.flushpr(s.solver.prfp)
    s.solver.prfile.seek(0)
    return s.solver.prfile.read()


# ---- format and parsing ------------------------------------------------------------------------------------
def is_lrat(proof) -> bool:
    """Is this proof LRAT text? Decided by its first step line: ``id d ...`` or two ``0`` tokens (an LRAT
    addition) is LRAT; a DRUP line never has either. Lists of text lines are judged the same way; lists of
    steps are DRUP."""
    if isinstance(proof, list) and proof and all(isinstance(line, str) for line in proof[:1000]):
        proof = "\n".join(proof[:1000])  # lines, as read_proof gives them
    if isinstance(proof, str):
        proof = proof.encode()
    if not isinstance(proof, (bytes, bytearray)):
        return False
    for line in bytes(proof[:1 << 16]).split(b"\n"):
        toks = line.split()
        if not toks or toks[0] == b"c":
            continue
        return (len(toks) > 1 and toks[1] == b"d") or toks.count(b"0") >= 2
    return False


def _scan_lrat(buf, ids, dels, nlits, nhints, lits, hints, stop):
    """Parse LRAT text (``uint8`` bytes) into per-step ids, deletion flags, literal and hint counts and the flat
    literals and hints (a deletion's ids are its hints). Returns ``(steps, error, line)``: error 0 = none,
    1 = a token that is not an integer, 2 = a line that does not end properly (a truncated file), 3 = a number
    above 2^40, 4 = stopped (``stop[0]`` set)."""
    n = buf.shape[0]
    i = 0
    line = 0
    nst = 0
    nl = 0
    nh = 0
    while i < n:
        line += 1
        if (line & 65535) == 0 and stop[0]:
            return nst, 4, line
        while i < n and (buf[i] == 32 or buf[i] == 9 or buf[i] == 13):
            i += 1
        if i >= n:
            break
        if buf[i] == 10:
            i += 1
            continue
        if buf[i] == 99:  # 'c': comment
            while i < n and buf[i] != 10:
                i += 1
            i += 1
            continue
        part = 0  # 0: the id, 1: literals (or 'd'), 2: hints, 3: done
        isdel = False
        l0 = nl
        h0 = nh
        while True:
            while i < n and (buf[i] == 32 or buf[i] == 9 or buf[i] == 13):
                i += 1
            if i >= n or buf[i] == 10:
                if part != 3:
                    return nst, 2, line
                i += 1
                break
            if part == 3:  # something after the closing 0
                return nst, 2, line
            if part == 1 and buf[i] == 100 and nl == l0 and not isdel:  # 'd' right after the id
                isdel = True
                i += 1
                if i < n and buf[i] != 32 and buf[i] != 9:
                    return nst, 1, line
                part = 2
                continue
            x, i, err = _int_token(buf, i, n)
            if err:
                return nst, err, line
            if part == 0:
                if x < 0:
                    return nst, 1, line
                ids[nst] = x
                part = 1
            elif x == 0:
                part = 3 if (part == 2) else 2
            elif part == 1:
                lits[nl] = x
                nl += 1
            else:
                hints[nh] = x
                nh += 1
        dels[nst] = isdel
        nlits[nst] = nl - l0
        nhints[nst] = nh - h0
        nst += 1
    return nst, 0, line


def parse_lrat(proof, jit: bool = True, stop=None):
    """``(ids, deletion flags, literal counts, hint counts, literals, hints)`` of LRAT text (``str``, ``bytes``
    or a list of lines); raises :class:`CapacityError` when malformed, returns None when ``stop[0]`` was set."""
    from .drup import _jit

    if isinstance(proof, list):
        proof = "\n".join(proof) + "\n"
    if isinstance(proof, str):
        proof = proof.encode()
    buf = np.frombuffer(bytes(proof), np.uint8)
    lines = int(np.count_nonzero(buf == 10)) + 1
    tokens = lines + int(np.count_nonzero(buf == 32)) + int(np.count_nonzero(buf == 9))
    ids, nlits, nhints = (np.empty(lines, np.int64) for _ in range(3))
    dels = np.empty(lines, np.bool_)
    lits, hints = np.empty(tokens, np.int64), np.empty(tokens, np.int64)
    stop = np.zeros(1, np.int8) if stop is None else stop
    nst, err, line = (_jit(_scan_lrat) if jit else _scan_lrat)(buf, ids, dels, nlits, nhints, lits, hints, stop)
    if err == 4:
        return None
    if err:
        text = bytes(proof).split(b"\n")[line - 1].decode(errors="replace").strip()[:60]
        what = {1: "is not an LRAT step", 2: "does not end properly (truncated?)", 3: "has a number above 2^40"}[err]
        raise CapacityError(f"LRAT proof line {line} {what}: {text!r}")
    nl, nh = int(nlits[:nst].sum()), int(nhints[:nst].sum())
    return ids[:nst], dels[:nst], nlits[:nst], nhints[:nst], lits[:nl], hints[:nh]


#: LRAT text exactly as CaDiCaL writes it: ``id lits 0 hints 0`` and ``id d ids 0``, single spaces, one step per
#: line, every line ending in a newline, ids >= 0 (a deletion's is 0) and positive hints of at most 11 digits
#: (below 2^40), no comments
_CANONICAL = re.compile(rb"(?:(?:0|[1-9][0-9]{0,10}) (?:d(?: [1-9][0-9]{0,10})*|(?:-?[1-9][0-9]{0,10} )*0"
                        rb"(?: [1-9][0-9]{0,10})*) 0\n)*")


def parse_canonical(proof):
    """:func:`parse_lrat` for small proofs in plain Python without the byte-by-byte scanner: text in CaDiCaL's
    canonical form (:data:`_CANONICAL`, checked by one regular expression) is split into lines and tokens by
    Python's own ``split``; anything else returns None, and the scanner (or its twin) reads it, with its error
    messages. The arrays are those of :func:`parse_lrat` (compared in the tests)."""
    if isinstance(proof, str):
        proof = proof.encode()
    if not isinstance(proof, (bytes, bytearray)) or _CANONICAL.fullmatch(proof) is None:
        return None
    ids, dels, nlits, nhints, lits, hints = [], [], [], [], [], []
    for line in bytes(proof).split(b"\n")[:-1]:
        t = line.split()
        ids.append(int(t[0]))
        if t[1] == b"d":
            dels.append(True)
            nlits.append(0)
            hints += t[2:-1]
            nhints.append(len(t) - 3)
        else:
            z = t.index(b"0", 1)
            dels.append(False)
            lits += t[1:z]
            hints += t[z + 1:-1]
            nlits.append(z - 1)
            nhints.append(len(t) - z - 2)
    as_int = lambda xs: np.array(list(map(int, xs)), np.int64)  # noqa: E731
    return (np.array(ids, np.int64), np.array(dels, np.bool_), np.array(nlits, np.int64),
            np.array(nhints, np.int64), as_int(lits), as_int(hints))


# ---- the check -------------------------------------------------------------------------------------------
def _lrat(nv, ncnf, L, start, length, ids, dels, hstart, hlen, hints, stop, out, used, cl, val, trail):
    """Check the steps (formula clauses are items ``0 .. ncnf-1``, step ``s`` is item ``ncnf + s``). Returns
    ``(code, step)``: 1 = the empty clause accepted at ``step``; 0 = the lemma at ``step`` does not follow
    from its hints; 2 = a hint names no live clause; 3 = no empty clause; 6 = a clause id used twice or out of
    range; 5 = stopped. ``out`` receives (lemmas, deletions). Work space from :func:`_work` (``top`` =
    ``ncnf + len(ids) + 1``): ``used`` (top + 1, all false), ``cl`` (top + 1, all -1), ``val`` (2 nv + 2, zeros),
    ``trail`` (nv + 1); numpy arrays for the compiled kernel, Python lists for the twin (several times faster
    there than numpy's scalar indexing)."""
    nsteps = len(ids)
    top = ncnf + nsteps + 1  # ids are at most the number of clauses ever added
    for s in range(nsteps):
        if not dels[s]:
            x = ids[s]
            if x <= 0 or x > top or used[x]:
                return 6, s
            used[x] = True
    # cl: id -> item, -1: no live clause
    nxt = 1
    for j in range(ncnf):  # the formula's clauses take the ids no added line uses, in order
        while used[nxt]:
            nxt += 1
        cl[nxt] = j
        nxt += 1
    # val: literal l is index 2|l| + (l < 0)
    lemmas = 0
    deletions = 0
    for s in range(nsteps):
        if (s & 1023) == 0 and stop[0]:
            out[0] = lemmas
            out[1] = deletions
            return 5, s
        if dels[s]:
            deletions += 1
            for q in range(hstart[s], hstart[s] + hlen[s]):
                h = hints[q]
                if 0 < h <= top:
                    cl[h] = -1
            continue
        lemmas += 1
        out[0] = lemmas
        out[1] = deletions
        it = ncnf + s
        tl = 0
        conflict = False
        for q in range(start[it], start[it] + length[it]):
            lit = L[q]
            e = 2 * lit if lit > 0 else -2 * lit + 1
            if val[e]:  # the lemma holds l and -l: a tautology
                conflict = True
                break
            if not val[e ^ 1]:
                val[e ^ 1] = 1
                trail[tl] = e ^ 1
                tl += 1
        bad = 0
        if not conflict:
            for q in range(hstart[s], hstart[s] + hlen[s]):
                h = hints[q]
                if h <= 0 or h > top or cl[h] < 0:
                    bad = 2
                    break
                c = cl[h]
                unit = -1
                free = 0
                for r in range(start[c], start[c] + length[c]):
                    lit = L[r]
                    e = 2 * lit if lit > 0 else -2 * lit + 1
                    if val[e]:  # satisfied: not a unit
                        free = 2
                        break
                    if not val[e ^ 1]:
                        if free == 1 and e == unit:  # a repeated literal
                            continue
                        free += 1
                        unit = e
                        if free > 1:
                            break
                if free == 0:
                    conflict = True
                    break
                if free > 1:
                    break
                val[unit] = 1
                trail[tl] = unit
                tl += 1
        for q in range(tl):
            val[trail[q]] = 0
        if bad:
            return 2, s
        if not conflict:
            return 0, s
        cl[ids[s]] = it
        if length[it] == 0:
            return 1, s
    return 3, nsteps


def _work(nv, top, jit):
    """The work space of :func:`_lrat`: numpy arrays for the compiled kernel, lists for its twin."""
    if jit:
        return np.zeros(top + 1, np.bool_), np.full(top + 1, -1, np.int64), np.zeros(2 * nv + 2, np.int8), \
            np.zeros(nv + 1, np.int64)
    return [False] * (top + 1), [-1] * (top + 1), [0] * (2 * nv + 2), [0] * (nv + 1)


def check_lrat(cnf, proof, t0, stop, jit=True, canonical=False):
    """Check LRAT text against the formula (``(literals, clause lengths)``, see ``capacity.drup._flat_cnf``);
    returns a :class:`capacity.drup.DrupCheck` (engine ``lrat`` or ``lrat-python``). ``canonical``: read
    canonical text with :func:`parse_canonical` (small proofs in plain Python)."""
    import time

    from .drup import DrupCheck, _jit, _timeout

    engine = "lrat" if jit else "lrat-python"
    parsed = (parse_canonical(proof) if canonical else None) or parse_lrat(proof, jit, stop)
    if parsed is None:
        return _timeout(0, 0, t0, engine, "while reading the proof")
    ids, dels, nlits, nhints, lits, hints = parsed
    cflat, clens = cnf
    L = np.concatenate([cflat, lits])
    length = np.concatenate([clens, nlits])
    start = np.zeros(length.shape[0], np.int64)
    np.cumsum(length[:-1], out=start[1:])
    hstart = np.zeros(nhints.shape[0], np.int64)
    np.cumsum(nhints[:-1], out=hstart[1:])
    nv = int(np.abs(L).max(initial=0))
    args = (L, start, length, ids, dels, hstart, nhints, hints)
    out = np.zeros(2, np.int64) if jit else [0, 0]
    if not jit:
        args = tuple(a.tolist() for a in args)
    work = _work(nv, len(clens) + len(ids) + 1, jit)
    code, s = (_jit(_lrat) if jit else _lrat)(nv, len(clens), *args, stop, out, *work)
    lemmas, deletions = int(out[0]), int(out[1])
    secs = time.perf_counter() - t0
    if code == 5:
        return _timeout(lemmas, deletions, t0, engine, f"after {lemmas} lemmas")
    if code == 1:
        return DrupCheck(True, lemmas, deletions, secs, f"empty clause derived at lemma {lemmas}, every lemma "
                         "checked against its hints", lemmas, engine=engine)
    if code == 3:
        reason = "the proof does not derive the empty clause"
    else:
        a = int(nlits[:s].sum())
        step = " ".join(map(str, lits[a:a + int(nlits[s])].tolist() + [0]))
        reason = {0: f"lemma {int(ids[s])} ({step}) does not follow from its hints",
                  2: f"a hint of lemma {int(ids[s])} ({step}) names no live clause",
                  6: f"LRAT step {s + 1} reuses clause id {int(ids[s])} or names one out of range"}[code]
    return DrupCheck(False, lemmas, deletions, secs, reason, lemmas, engine=engine)


def lrat_to_drup(cnf_clauses, proof) -> list[str]:
    """The same proof as DRUP lines: each lemma without its hints, each deletion as the clause it deletes
    (by the id numbering of the module docstring). For the DRUP engines: a second check of the same lemmas."""
    ids, dels, nlits, nhints, lits, hints = parse_lrat(proof)
    added = set(ids[~dels].tolist())
    clause = {}
    nxt = 1
    for c in cnf_clauses:
        while nxt in added:
            nxt += 1
        clause[nxt] = list(c)
        nxt += 1
    lends, hends = np.cumsum(nlits).tolist(), np.cumsum(nhints).tolist()
    lits, hints = lits.tolist(), hints.tolist()
    out = []
    for i, d, nl, nh, le, he in zip(ids.tolist(), dels.tolist(), nlits.tolist(), nhints.tolist(), lends, hends):
        if d:
            out += ["d " + " ".join(map(str, clause.pop(h) + [0])) for h in hints[he - nh:he] if h in clause]
        else:
            clause[i] = lits[le - nl:le]
            out.append(" ".join(map(str, clause[i] + [0])))
    return out
