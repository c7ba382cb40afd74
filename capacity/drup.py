"""A compact DRUP proof checker: the certificate behind every NOT_REPRESENTABLE answer of the SAT method.

A DRUP proof (Heule, Hunt and Wetzler 2013) is a sequence of lines ``l1 l2 ... 0`` (add a lemma) and
``d l1 l2 ... 0`` (delete a clause), as written by proof-producing solvers such as CaDiCaL; python-sat
returns it from ``Solver(name="cadical153", with_proof=True).get_proof()``. The proof refutes a CNF when
every added lemma is a *reverse unit propagation* (RUP) consequence of the formula plus the earlier
lemmas still present (assign every literal of the lemma false, unit-propagate, reach a conflict) and the
empty clause is derived. Every lemma is then implied by the formula, so the formula is unsatisfiable.

:func:`check_drup` checks by default *backward* (as drat-trim does, see the comment above
:func:`_backward`): it adds every lemma unchecked until the database conflicts, then walks back and
RUP-checks only the lemmas that conflict depends on (the core), so a bogus lemma nothing uses is never
looked at (sound: the core alone refutes the formula). The forward replay of every lemma (plain Python and
compiled) stays as the reference; ``docs/certificates.md`` describes the engines, their tests and the
deadline. Conventions (the same as drat-trim's, and sound because every clause ever in the database is
implied by the formula):

* deleting a unit clause, or a clause that is not present, is ignored (a literal assigned at the top level
  stays assigned; keeping implied clauses can never make a false claim checkable);
* the check succeeds as soon as the empty clause is derived, or, at the end of the proof, when unit
  propagation on the formula plus the remaining lemmas is conflicting at the top level.

Only RUP lemmas are accepted (no RAT). The proofs CaDiCaL and Glucose write through python-sat have been
RUP-only in all our runs; a RAT step would make a check fail, never pass.

LRAT proofs (each lemma with the ids of the clauses that prove it, as CaDiCaL 1.9.5 writes them for
``sat.solve``) are recognised by their lines and checked by :mod:`capacity.lrat` in one linear pass.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
from dataclasses import dataclass, replace
from itertools import chain
from pathlib import Path

import numpy as np
from numba.extending import register_jitable

from ._files import write_atomic
from .errors import CapacityError


__all__ = ["ENGINES", "DrupCheck", "check_drup", "keep_proof", "keep_proof_later", "kept_proof_path", "parse_proof",
           "proof_cache_dir", "read_dimacs", "read_proof", "wait_for_kept_proofs", "warm_up", "write_dimacs",
           "write_proof"]


@dataclass(frozen=True)
class DrupCheck:
    """Outcome of :func:`check_drup`: ``ok`` when the proof refutes the formula; ``lemmas`` and ``deletions``
    count the proof lines read; ``core`` the lemmas actually RUP-checked (all of them forward, only those the
    refutation uses backward); ``timed_out`` when the deadline stopped the check (then ``ok`` is False and
    nothing is decided); ``reason`` says why the proof was accepted or which line failed."""

    ok: bool
    lemmas: int
    deletions: int
    seconds: float
    reason: str
    core: int = -1
    timed_out: bool = False
    engine: str = ""

    def to_dict(self) -> dict:
        return {"ok": self.ok, "lemmas": self.lemmas, "deletions": self.deletions, "core": self.core,
                "seconds": round(self.seconds, 6), "timed_out": self.timed_out, "engine": self.engine,
                "reason": self.reason}


def parse_proof(proof_lines) -> list[tuple[bool, list[int]]]:
    """Parse a proof (its text, text lines, bytes lines or int lists) into ``(is_deletion, literals)``
    pairs. Blank lines and ``c`` comment lines are skipped; every step is one line ending with ``0``."""
    if isinstance(proof_lines, (str, bytes)) or (
            isinstance(proof_lines, list) and all(isinstance(line, str) for line in proof_lines)):
        return _steps(*_flat_proof(proof_lines))
    return _parse_generic(proof_lines)


def _parse_generic(proof_lines) -> list[tuple[bool, list[int]]]:
    steps = []
    for k, line in enumerate(proof_lines):
        if isinstance(line, bytes):
            line = line.decode()
        if isinstance(line, str):
            toks = line.split()
            if not toks or toks[0] == "c":
                continue
            deletion = toks[0] == "d"
            if deletion:
                toks = toks[1:]
            try:
                lits = [int(t) for t in toks]
            except ValueError:
                raise CapacityError(f"proof line {k + 1} is not a DRUP step: {line.strip()!r}") from None
        else:
            lits, deletion = [int(t) for t in line], False
        if not lits or lits[-1] != 0 or 0 in lits[:-1]:
            raise CapacityError(f"proof line {k + 1} does not end with a single 0: {line!r}")
        steps.append((deletion, lits[:-1]))
    return steps


class _Checker:
    """Top-level unit propagation over a clause database with two watched literals.

    Literals index Python lists directly: ``truth[l]`` for ``l`` in ``1..nv`` and ``-nv..-1`` (negative
    indices count from the end, so the list needs ``2 nv + 1`` slots). ``watches[l]`` holds the clauses
    watching ``l``; they are visited when ``l`` becomes false."""

    def __init__(self, nv: int):
        size = 2 * nv + 1
        self.truth = [False] * size
        self.watches = [[] for _ in range(size)]
        self.clauses: list[list[int] | None] = []
        self.index: dict[tuple, list[int]] = {}
        self.trail: list[int] = []
        self.qhead = 0
        self.inconsistent = False

    def _assign(self, lit: int) -> None:
        self.truth[lit] = True
        self.trail.append(lit)

    def propagate(self) -> bool:
        """Unit-propagate the pending trail; True on conflict."""
        truth, watches, clauses, trail = self.truth, self.watches, self.clauses, self.trail
        qhead = self.qhead
        while qhead < len(trail):
            false_lit = -trail[qhead]
            qhead += 1
            ws = watches[false_lit]
            n = len(ws)
            i = j = 0
            while i < n:
                ci = ws[i]
                i += 1
                c = clauses[ci]
                if c is None:  # deleted: drop the watch
                    continue
                if c[0] == false_lit:
                    c[0] = c[1]
                    c[1] = false_lit
                other = c[0]
                if truth[other]:
                    ws[j] = ci
                    j += 1
                    continue
                for k in range(2, len(c)):
                    lk = c[k]
                    if not truth[-lk]:
                        c[1] = lk
                        c[k] = false_lit
                        watches[lk].append(ci)
                        break
                else:
                    ws[j] = ci
                    j += 1
                    if truth[-other]:
                        while i < n:
                            ws[j] = ws[i]
                            j += 1
                            i += 1
                        del ws[j:]
                        self.qhead = len(trail)
                        return True
                    truth[other] = True
                    trail.append(other)
            del ws[j:]
        self.qhead = qhead
        return False

    def add(self, lits) -> None:
        """Add a clause at the top level (formula clause or checked lemma)."""
        if self.inconsistent:
            return
        lits = list(dict.fromkeys(lits))
        key = tuple(sorted(lits))
        if any(-l in lits for l in lits):  # tautology: always satisfied, never propagates
            return
        truth = self.truth
        free = [l for l in lits if not truth[-l]]  # literals not false at the top level
        if not free:
            self.inconsistent = True
            return
        if len(lits) == 1:
            if not truth[lits[0]]:
                self._assign(lits[0])
                self.inconsistent = self.propagate()
            return
        rest = [l for l in lits if truth[-l]]
        c = free + rest  # watches: the first two (non-false ones first)
        ci = len(self.clauses)
        self.clauses.append(c)
        self.index.setdefault(key, []).append(ci)
        self.watches[c[0]].append(ci)
        self.watches[c[1]].append(ci)
        if len(free) == 1 and not truth[free[0]]:
            self._assign(free[0])
            self.inconsistent = self.propagate()

    def delete(self, lits) -> bool:
        """Delete one copy of a clause; units and unknown clauses are ignored (returns False)."""
        key = tuple(sorted(dict.fromkeys(lits)))
        ids = self.index.get(key)
        if not ids:
            return False
        self.clauses[ids.pop()] = None
        return True

    def rup(self, lits) -> bool:
        """Is the clause a reverse-unit-propagation consequence of the current database?"""
        if self.inconsistent:
            return True
        truth, trail = self.truth, self.trail
        mark = len(trail)
        conflict = False
        for l in lits:
            if truth[l]:
                conflict = True
                break
            if not truth[-l]:
                self._assign(-l)
        if not conflict:
            conflict = self.propagate()
        for l in trail[mark:]:
            truth[l] = False
        del trail[mark:]
        self.qhead = mark
        return conflict


def _max_var(clauses) -> int:
    return max((abs(l) for c in clauses for l in c), default=0)


#: under ``auto``, LRAT proofs up to this size are checked by the plain twin (a few ms), larger ones by the
#: compiled kernels, which :func:`warm_up` loads in the background before the first check (a property of the
#: proof, never of the clock: the same proof always goes to the same engine)
LRAT_PYTHON_BYTES = 1 << 16

_WARM: list = []  # the warm-up thread, once per process


def warm_up() -> None:
    """Load (or, on a fresh machine, compile into Numba's disk cache) the compiled LRAT kernels in a background
    thread, once per process, so that the first check of a process does not pay for it on the clock of the
    call (0.4 to 0.6 s from the cache, seconds to compile). Called by the front doors before a SAT step; a check that
    starts earlier waits for the kernels (Numba's compiler lock). A fork waits for the thread first (a child
    must not inherit a held compiler lock)."""
    if _WARM:
        return
    from . import lrat

    def work():
        cnf = (np.array([1, -1], np.int64), np.array([1, 1], np.int64))
        lrat.check_lrat(cnf, b"3 0 1 2 0\n", time.perf_counter(), np.zeros(1, np.int8), jit=True)

    _WARM.append(threading.Thread(target=work, name="capacity-lrat-warm-up", daemon=True))
    _WARM[0].start()


def _join_warm_up() -> None:
    if _WARM and _WARM[0] is not threading.current_thread():
        _WARM[0].join()


os.register_at_fork(before=_join_warm_up)

ENGINES = ("auto", "backward", "backward-python", "numba", "python", "forward", "lrat", "lrat-python")


def check_drup(cnf_clauses, proof_lines, *, engine: str = "auto", deadline: float | None = None) -> DrupCheck:
    """Check that ``proof_lines`` refutes ``cnf_clauses`` (int lists): a DRUP proof (see the module docstring)
    or LRAT text with hints (:mod:`capacity.lrat`, recognised by its lines).

    ``engine``: ``"auto"`` (default: ``lrat`` for LRAT text, its twin below :data:`LRAT_PYTHON_BYTES`, else
    ``backward``), ``"lrat"`` (every lemma checked against its hints, one linear pass, compiled) or
    ``"lrat-python"`` (its plain twin), ``"backward"`` (core-first, checks only the lemmas the refutation uses,
    compiled), ``"backward-python"`` (its plain-Python twin), ``"numba"`` (forward replay of every lemma on flat
    arrays, compiled), ``"python"`` (the plain forward watched-literal checker, the reference) or ``"forward"``
    (numba for proofs of more than 500 steps, else python). The DRUP engines check an LRAT proof's lemmas with the
    hints dropped. Forward, every lemma must be RUP with respect to the formula plus the earlier lemmas not
    deleted, up to the empty clause (or a conflicting database); backward, only the lemmas in the core, so a proof
    whose *unused* lemmas are bogus is accepted (sound: the core alone refutes the formula). Under ``auto`` an
    LRAT proof whose hints do not check is checked once more backward without its hints (the reason then says so).

    ``deadline`` (a :func:`time.perf_counter` value) bounds the whole check, Numba's first compilation
    included: the check runs in a worker thread that every kernel stops at the deadline, and the call
    returns by then with ``timed_out`` (not ok) even if the worker is still compiling."""
    if engine not in ENGINES:
        raise CapacityError(f"engine must be one of {', '.join(ENGINES)}; got {engine!r}")
    t0 = time.perf_counter()
    stop = np.zeros(1, np.int8)  # set at the deadline; every kernel (parsing included) polls it
    if deadline is None:
        return _check(cnf_clauses, proof_lines, engine, t0, stop)
    box: dict = {}

    def work():
        try:
            box["result"] = _check(cnf_clauses, proof_lines, engine, t0, stop)
        except BaseException as exc:  # handed to the caller below
            box["error"] = exc

    worker = threading.Thread(target=work, name="capacity-proof-check", daemon=True)
    worker.start()
    worker.join(max(deadline - time.perf_counter(), 0.0))
    stop.fill(1)
    worker.join(0.25)  # a kernel stops within milliseconds of the flag; compiling does not
    if "error" in box:
        raise box["error"]
    if "result" in box:
        return box["result"]
    return _timeout(0, 0, t0, engine, "while compiling or running the checker")


def _check(cnf_clauses, proof_lines, engine, t0, stop) -> DrupCheck:
    from . import lrat

    cnf_clauses = cnf_clauses if isinstance(cnf_clauses, list) else list(cnf_clauses)
    cnf = _flat_cnf(cnf_clauses)  # (literals, clause lengths): no per-clause Python work on the clock
    if (cnf[0] == 0).any():
        raise CapacityError("a CNF clause contains the literal 0")
    if lrat.is_lrat(proof_lines):
        if engine in ("auto", "lrat", "lrat-python"):
            size = len(proof_lines) if isinstance(proof_lines, (str, bytes)) else sum(map(len, proof_lines))
            jit = engine == "lrat" or (engine == "auto" and size > LRAT_PYTHON_BYTES)
            try:
                res = lrat.check_lrat(cnf, proof_lines, t0, stop, jit, canonical=engine == "auto" and not jit)
            except CapacityError as exc:
                return DrupCheck(False, 0, 0, time.perf_counter() - t0, str(exc), engine="lrat")
            if res.ok or res.timed_out or engine != "auto":
                return res
            again = _check(cnf_clauses, lrat.lrat_to_drup(cnf_clauses, proof_lines), "backward", t0, stop)
            return replace(again, reason=f"LRAT hints rejected ({res.reason}); the lemmas without hints, backward: "
                                         f"{again.reason}")
        try:
            proof_lines = lrat.lrat_to_drup(cnf_clauses, proof_lines)
        except CapacityError as exc:
            return DrupCheck(False, 0, 0, time.perf_counter() - t0, str(exc), engine=engine)
    elif engine in ("lrat", "lrat-python"):
        return DrupCheck(False, 0, 0, time.perf_counter() - t0, "the proof is not LRAT (no hints to check)",
                         engine=engine)
    try:
        proof = _flat_proof(proof_lines, stop=stop)
        if proof is None:
            return _timeout(0, 0, t0, engine, "while reading the proof")
        _check_range(cnf, proof)
    except CapacityError as exc:
        return DrupCheck(False, 0, 0, time.perf_counter() - t0, str(exc), engine=engine)
    if engine == "auto":
        engine = "backward"
    if engine == "forward":
        engine = "numba" if len(proof[1]) > 500 else "python"
    if engine == "python":
        res = _check_python([list(map(int, c)) for c in cnf_clauses], _steps(*proof), t0, stop)
    elif engine == "numba":
        res = _check_numba(cnf, proof, t0, stop)
    else:
        res = _check_backward(cnf, proof, t0, stop, engine == "backward")[0]
    return replace(res, engine=engine)


def _timeout(lemmas, deletions, t0, engine, where) -> DrupCheck:
    return DrupCheck(False, lemmas, deletions, time.perf_counter() - t0,
                     f"time limit reached {where}: the proof is neither accepted nor rejected",
                     timed_out=True, engine=engine)


def _check_python(cnf, steps, t0, stop=np.zeros(1, np.int8)) -> DrupCheck:
    nv = max(_max_var(cnf), _max_var(lits for _, lits in steps))
    chk = _Checker(nv)
    for c in cnf:
        if not c:
            chk.inconsistent = True
        chk.add(c)
    lemmas = deletions = 0
    for k, (deletion, lits) in enumerate(steps):
        if (k & 1023) == 0 and stop[0]:
            return _timeout(lemmas, deletions, t0, "python", f"after {lemmas} lemmas")
        if deletion:
            deletions += 1
            if len(lits) > 1:
                chk.delete(lits)
            continue
        lemmas += 1
        if not chk.rup(lits):
            return DrupCheck(False, lemmas, deletions, time.perf_counter() - t0, _not_rup(lemmas, k, lits), lemmas)
        if not lits:
            return DrupCheck(True, lemmas, deletions, time.perf_counter() - t0,
                             f"empty clause derived at lemma {lemmas}", lemmas)
        chk.add(lits)
    return _final(chk.inconsistent, lemmas, deletions, t0)


def _not_rup(lemmas, k, lits) -> str:
    return f"lemma {lemmas} (proof step {k + 1}: {' '.join(map(str, lits))} 0) is not RUP"


def _final(inconsistent, lemmas, deletions, t0) -> DrupCheck:
    if inconsistent:
        return DrupCheck(True, lemmas, deletions, time.perf_counter() - t0,
                         "unit propagation on the formula plus the lemmas is conflicting", lemmas)
    return DrupCheck(False, lemmas, deletions, time.perf_counter() - t0, "the proof does not derive the empty clause",
                     lemmas)


# ---- compiled replay -----------------------------------------------------------------------------------
# The same algorithm as _Checker on flat arrays: literal l is index 2|l| + (l < 0) (negation: ^ 1); every
# clause (formula clause or lemma) is one "item" with its literals in L[start:start+length] (positions 0
# and 1 watched); watch lists are singly linked lists of nodes 2*item and 2*item + 1.
_ADD, _LEMMA, _DELETE = 0, 1, 2


@register_jitable
def _int_token(buf, i, n):
    """The integer token at ``buf[i]`` (ASCII bytes, shared by the DRUP and LRAT scanners): ``(value, index
    after it, error)``, error 0 = none, 1 = not an integer followed by a blank or line end (``-0`` included),
    3 = above 2^40."""
    neg = False
    if buf[i] == 45:  # '-'
        neg = True
        i += 1
    v = 0
    nd = 0
    while i < n and 48 <= buf[i] <= 57:
        v = v * 10 + (int(buf[i]) - 48)
        nd += 1
        i += 1
        if v > (1 << 40):
            return 0, i, 3
    if nd == 0 or (neg and v == 0) or (i < n and buf[i] != 32 and buf[i] != 9 and buf[i] != 13 and buf[i] != 10):
        return 0, i, 1
    return (-v if neg else v), i, 0


def _scan(buf, lits, lens, dels, stop):
    """Parse DRUP text (``uint8`` bytes) into flat literals, step lengths and deletion flags: one step per
    line, ``[d] l1 l2 ... 0``; blank lines and ``c`` comment lines skipped. Returns ``(steps, literals,
    error, line)``: error 0 = none, 1 = a token that is not an integer literal, 2 = a line that does not
    end with a single 0 (a truncated file), 3 = a variable above 2^40, 4 = stopped (``stop[0]`` set)."""
    n = buf.shape[0]
    i = 0
    line = 0
    nst = 0
    nl = 0
    while i < n:
        line += 1
        if (line & 65535) == 0 and stop[0]:
            return nst, nl, 4, line
        while i < n and (buf[i] == 32 or buf[i] == 9 or buf[i] == 13):
            i += 1
        if i >= n:
            break
        ch = buf[i]
        if ch == 10:
            i += 1
            continue
        if ch == 99:  # 'c': comment
            while i < n and buf[i] != 10:
                i += 1
            i += 1
            continue
        isdel = False
        if ch == 100:  # 'd'
            isdel = True
            i += 1
            if i < n and buf[i] != 32 and buf[i] != 9:
                return nst, nl, 1, line
        first = nl
        done = False
        while True:
            while i < n and (buf[i] == 32 or buf[i] == 9 or buf[i] == 13):
                i += 1
            if i >= n or buf[i] == 10:
                if not done:
                    return nst, nl, 2, line
                i += 1
                break
            if done:  # something after the closing 0
                return nst, nl, 2, line
            v, i, err = _int_token(buf, i, n)
            if err:
                return nst, nl, err, line
            if v == 0:
                done = True
                continue
            lits[nl] = v
            nl += 1
        lens[nst] = nl - first
        dels[nst] = isdel
        nst += 1
    return nst, nl, 0, line


def _sort_items(flat, start, length, taut, h, rnd, stop):
    """Literal indices (2|l| + (l < 0)) of every item sorted and duplicate-free in place (``length``
    shrinks), tautologies flagged, and an order-free Zobrist hash per item. False when stopped."""
    for it in range(start.shape[0]):
        if (it & 65535) == 0 and stop[0]:
            return False
        a = start[it]
        n = length[it]
        for q in range(a, a + n):
            lit = flat[q]
            flat[q] = 2 * lit if lit > 0 else -2 * lit + 1
        for q in range(a + 1, a + n):  # insertion sort (clauses are short)
            x = flat[q]
            r = q - 1
            while r >= a and flat[r] > x:
                flat[r + 1] = flat[r]
                r -= 1
            flat[r + 1] = x
        m = 0
        hv = np.uint64(0)
        for q in range(a, a + n):
            if m > 0 and flat[a + m - 1] == flat[q]:
                continue
            if m > 0 and flat[a + m - 1] == (flat[q] ^ 1):
                taut[it] = True
            flat[a + m] = flat[q]
            hv += rnd[flat[q]]
            m += 1
        length[it] = m
        h[it] = hv
    return True


def _resolve_deletions(flat, start, length, kind, taut, h, target, stop):
    """``target[d]``: the item deletion ``d`` removes (the latest live copy of the same clause), or -1 for
    units, tautologies and clauses not present. Live clauses sit in hash chains, newest first. False when
    stopped."""
    nitems = kind.shape[0]
    size = 1
    while size < 2 * nitems + 2:
        size *= 2
    mask = np.uint64(size - 1)
    bucket = np.full(size, -1, np.int64)
    chain = np.full(nitems, -1, np.int64)
    for it in range(nitems):
        if (it & 65535) == 0 and stop[0]:
            return False
        if length[it] <= 1 or taut[it]:
            continue
        slot = np.int64(h[it] & mask)
        if kind[it] != 2:
            chain[it] = bucket[slot]
            bucket[slot] = it
            continue
        prev = -1
        c = bucket[slot]
        while c != -1:
            if h[c] == h[it] and length[c] == length[it]:
                same = True
                for q in range(length[it]):
                    if flat[start[c] + q] != flat[start[it] + q]:
                        same = False
                        break
                if same:
                    target[it] = c
                    if prev == -1:
                        bucket[slot] = chain[c]
                    else:
                        chain[prev] = chain[c]
                    break
            prev = c
            c = chain[c]
    return True


_JITTED: dict = {}


def _jit(fn):
    """The compiled version of a plain kernel (``nogil``; Numba's disk cache unless CAPACITY_NUMBA_CACHE=0)."""
    if fn.__name__ not in _JITTED:
        import numba

        cache = os.environ.get("CAPACITY_NUMBA_CACHE", "1") != "0"
        _JITTED[fn.__name__] = numba.njit(cache=cache, nogil=True)(fn)
    return _JITTED[fn.__name__]


def _flat_cnf(cnf):
    """``(literals, clause lengths)`` of a CNF given as clause lists (or already in that form, a tuple)."""
    if isinstance(cnf, tuple):
        return cnf
    lens = np.fromiter(map(len, cnf), np.int64, len(cnf))
    return np.fromiter(chain.from_iterable(cnf), np.int64, int(lens.sum())), lens


def _flat_proof(proof_lines, jit=True, stop=None):
    """``(literals, step lengths, deletion flags)`` of a proof given as its text (``str``/``bytes``), a list of
    text lines (as python-sat returns it) or a list of steps; raises :class:`CapacityError` when malformed,
    returns None when ``stop[0]`` was set."""
    if isinstance(proof_lines, str):
        proof_lines = proof_lines.encode()
    elif isinstance(proof_lines, list) and all(isinstance(line, str) for line in proof_lines):
        proof_lines = ("\n".join(proof_lines) + "\n").encode()
    if not isinstance(proof_lines, (bytes, bytearray)):
        steps = _parse_generic(proof_lines)
        lens = np.fromiter((len(x) for _, x in steps), np.int64, len(steps))
        flat = np.fromiter(chain.from_iterable(x for _, x in steps), np.int64, int(lens.sum()))
        return flat, lens, np.fromiter((d for d, _ in steps), np.bool_, len(steps))
    buf = np.frombuffer(proof_lines, np.uint8)
    lines = int(np.count_nonzero(buf == 10)) + 1  # every literal ends at a space or a line end
    lits = np.empty(lines + int(np.count_nonzero(buf == 32)) + int(np.count_nonzero(buf == 9)), np.int64)
    lens, dels = np.empty(lines, np.int64), np.empty(lines, np.bool_)
    stop = np.zeros(1, np.int8) if stop is None else stop
    nst, nl, err, line = (_jit(_scan) if jit else _scan)(buf, lits, lens, dels, stop)
    if err == 4:
        return None
    if err:
        text = bytes(proof_lines).split(b"\n")[line - 1].decode(errors="replace").strip()[:60]
        what = {1: "is not a DRUP step", 2: "does not end with a single 0 (truncated?)",
                3: "names a variable above 2^40"}[err]
        raise CapacityError(f"proof line {line} {what}: {text!r}")
    return lits[:nl], lens[:nst], dels[:nst]


def _check_range(cnf, proof):
    """Reject proofs naming variables far beyond the formula's (they would only cost memory: a lemma with a
    fresh variable is never needed to refute the formula)."""
    nv = int(np.abs(_flat_cnf(cnf)[0]).max(initial=0))
    top = int(np.abs(proof[0]).max(initial=0))
    if top > nv + (1 << 20):
        raise CapacityError(f"the proof names variable {top}, far above the formula's {nv} variables")


def _steps(flat, lens, dels):
    """The proof as ``(is_deletion, literals)`` pairs (for the plain reference checker)."""
    ends = np.cumsum(lens).tolist()
    flat = flat.tolist()
    return [(bool(d), flat[e - n:e]) for d, n, e in zip(dels.tolist(), lens.tolist(), ends)]


def _prepare(cnf, proof, jit=True, stop=None):
    """Flatten formula and proof into items with sorted, duplicate-free literal indices; resolve each
    deletion to the item it deletes (the last live copy of that clause, as _Checker does) or -1 (units,
    tautologies and unknown clauses: ignored). Clauses are matched by a Zobrist hash, confirmed by comparing
    literals. Returns ``nv, L, start, length, kind, target, taut``, or None when ``stop[0]`` was set."""
    cflat, clens = _flat_cnf(cnf)
    pflat, plens, pdels = proof
    L = np.concatenate([cflat, pflat])
    length = np.concatenate([clens, plens])
    kind = np.concatenate([np.full(len(clens), _ADD, np.int8), np.where(pdels, _DELETE, _LEMMA).astype(np.int8)])
    n = kind.shape[0]
    nv = int(np.abs(L).max(initial=0))
    start = np.zeros(n, np.int64)
    np.cumsum(length[:-1], out=start[1:])
    taut = np.zeros(n, np.bool_)
    h = np.zeros(n, np.uint64)
    rnd = np.random.default_rng(0x5eed).integers(0, 2**63, size=2 * nv + 2, dtype=np.uint64)
    target = np.full(n, -1, dtype=np.int64)
    stop = np.zeros(1, np.int8) if stop is None else stop
    with np.errstate(over="ignore"):
        if not (_jit(_sort_items) if jit else _sort_items)(L, start, length, taut, h, rnd, stop):
            return None
        if not (_jit(_resolve_deletions) if jit else _resolve_deletions)(L, start, length, kind, taut, h, target,
                                                                          stop):
            return None
    return nv, L, start, length, kind, target, taut


def _replay(nv, L, start, length, kind, target, taut, stop):
    """Replay all items. Returns ``(code, item, lemmas, deletions)``: code 1 = empty clause derived at
    ``item``, 2 = conflicting at the end, 0 = lemma ``item`` is not RUP, 3 = no empty clause, 5 = stopped
    (``stop[0]`` set)."""
    nitems = kind.shape[0]
    val = np.zeros(2 * nv + 2, np.int8)
    head = np.full(2 * nv + 2, -1, np.int64)
    nxt = np.full(2 * nitems, -1, np.int64)
    deleted = np.zeros(nitems, np.bool_)
    trail = np.zeros(nv + 1, np.int64)
    tlen = 0
    qhead = 0
    inconsistent = False
    lemmas = 0
    deletions = 0

    def propagate(tlen, qhead):
        while qhead < tlen:
            F = trail[qhead] ^ 1
            qhead += 1
            prev = -1
            node = head[F]
            while node != -1:
                nx = nxt[node]
                c = node >> 1
                if deleted[c]:
                    if prev == -1:
                        head[F] = nx
                    else:
                        nxt[prev] = nx
                    node = nx
                    continue
                s = start[c]
                if L[s] == F:
                    L[s] = L[s + 1]
                    L[s + 1] = F
                other = L[s]
                if val[other]:
                    prev = node
                    node = nx
                    continue
                moved = False
                for k in range(s + 2, s + length[c]):
                    lk = L[k]
                    if not val[lk ^ 1]:
                        L[s + 1] = lk
                        L[k] = F
                        if prev == -1:
                            head[F] = nx
                        else:
                            nxt[prev] = nx
                        nxt[node] = head[lk]
                        head[lk] = node
                        moved = True
                        break
                if moved:
                    node = nx
                    continue
                if val[other ^ 1]:
                    return True, tlen
                val[other] = 1
                trail[tlen] = other
                tlen += 1
                prev = node
                node = nx
        return False, tlen

    for it in range(nitems):
        if (it & 1023) == 0 and stop[0]:
            return 5, it, lemmas, deletions
        k = kind[it]
        if k == 2:
            deletions += 1
            if target[it] >= 0:
                deleted[target[it]] = True
            continue
        s = start[it]
        n = length[it]
        if k == 1:
            lemmas += 1
            if not inconsistent:
                mark = tlen
                conflict = False
                for q in range(s, s + n):
                    lit = L[q]
                    if val[lit]:
                        conflict = True
                        break
                    if not val[lit ^ 1]:
                        val[lit ^ 1] = 1
                        trail[tlen] = lit ^ 1
                        tlen += 1
                if not conflict:
                    conflict, tlen = propagate(tlen, mark)
                for q in range(mark, tlen):
                    val[trail[q]] = 0
                tlen = mark
                qhead = mark
                if not conflict:
                    return 0, it, lemmas, deletions
            if n == 0:
                return 1, it, lemmas, deletions
        if inconsistent:
            continue
        if n == 0:
            inconsistent = True
            continue
        if taut[it]:
            continue
        # move the literals that are not false to the front
        nfree = 0
        for q in range(s, s + n):
            if not val[L[q] ^ 1]:
                tmp = L[s + nfree]
                L[s + nfree] = L[q]
                L[q] = tmp
                nfree += 1
        if nfree == 0:
            inconsistent = True
            continue
        if n >= 2:
            nxt[2 * it] = head[L[s]]
            head[L[s]] = 2 * it
            nxt[2 * it + 1] = head[L[s + 1]]
            head[L[s + 1]] = 2 * it + 1
        if nfree == 1 and not val[L[s]]:
            val[L[s]] = 1
            trail[tlen] = L[s]
            tlen += 1
            conflict, tlen = propagate(tlen, qhead)
            qhead = tlen
            if conflict:
                inconsistent = True
    return (2 if inconsistent else 3), nitems, lemmas, deletions


def _step_lits(proof, k) -> list[int]:
    flat, lens, _ = proof
    a = int(lens[:k].sum())
    return flat[a:a + int(lens[k])].tolist()


def _check_numba(cnf, proof, t0, stop) -> DrupCheck:
    cnf = _flat_cnf(cnf)
    prepared = _prepare(cnf, proof, True, stop)
    if prepared is None:
        return _timeout(0, 0, t0, "numba", "while preparing the proof")
    nv, L, start, length, kind, target, taut = prepared
    code, item, lemmas, deletions = _jit(_replay)(nv, L, start, length, kind, target, taut, stop)
    if code == 5:
        return _timeout(lemmas, deletions, t0, "numba", f"after {lemmas} lemmas")
    if code == 1:
        return DrupCheck(True, lemmas, deletions, time.perf_counter() - t0, f"empty clause derived at lemma {lemmas}",
                         lemmas)
    if code == 0:
        k = item - len(cnf[1])
        return DrupCheck(False, lemmas, deletions, time.perf_counter() - t0, _not_rup(lemmas, k, _step_lits(proof, k)),
                         lemmas)
    return _final(code == 2, lemmas, deletions, t0)


# ---- backward, core-first check ------------------------------------------------------------------------
# As drat-trim does: a forward pass adds every lemma WITHOUT checking it (top-level unit propagation only)
# until the database conflicts; conflict analysis marks the clauses that conflict needs; a backward pass then
# removes the lemmas one by one (and restores deleted clauses) and checks only the marked lemmas, each RUP
# check marking the clauses its own conflict used. So only the core is checked: a lemma no marked lemma and
# not the final conflict depends on is never looked at (sound: the marked lemmas and the formula clauses
# alone already derive the conflict, each marked lemma by RUP from marked clauses before it).
#
# Literal l is index 2|l| + (l < 0) as above. Every attached clause has two watch "nodes" (watch positions 0
# and 1 of its literals), each with a "blocker" (a literal of the clause; when it is true the clause is
# skipped unread). Nodes are never freed one by one: removing a clause marks its two nodes stale, a
# propagation that meets a stale node unlinks it, and a clause whose deletion is undone gets fresh nodes.
# Conventions beyond the forward checker's: deleting a clause that is the reason of a top-level literal is
# ignored (it stays, as in drat-trim; sound since every clause is implied), and removing a lemma that is the
# reason of a top-level literal undoes the trail from that literal on, repairs the watches that lost their
# true partner and propagates again, so the top level is always the unit-propagation fixpoint of the
# current database.
_S_TLEN, _S_QHEAD, _S_NODES, _S_UNWIND = 0, 1, 2, 3


@register_jitable
def _b_link(c, p, lit, other, head, nxt, node_cp, blk, wnode, S):
    nd = S[_S_NODES]
    S[_S_NODES] = nd + 1
    node_cp[nd] = 2 * c + p
    blk[nd] = other
    wnode[2 * c + p] = nd
    nxt[nd] = head[lit]
    head[lit] = nd


@register_jitable
def _b_detach(c, node_cp, wnode):
    """Take clause ``c`` out: its two nodes become stale (unlinked when a propagation meets them)."""
    if wnode[2 * c] >= 0:  # attached at least once
        node_cp[wnode[2 * c]] = -1
        node_cp[wnode[2 * c + 1]] = -1


@register_jitable
def _b_assign(lit, c, val, reason, tpos, trail, S):
    t = S[_S_TLEN]
    val[lit] = 1
    reason[lit >> 1] = c
    tpos[lit >> 1] = t
    trail[t] = lit
    S[_S_TLEN] = t + 1


@register_jitable
def _b_visit(F, want, temp, core, L, start, length, val, reason, tpos, trail, head, nxt, node_cp, blk,
             wnode, S):
    """Visit the clauses watching ``F``, which just became false (``want``: -1 all, 1 core clauses only, 0 the
    others); returns the conflicting clause or -1. Blockers are used only in ``temp`` propagations (RUP
    checks, undone in order): at the top level every false watch keeps a true partner watch, which
    :func:`_b_unwind` relies on."""
    prev = -1
    node = head[F]
    while node != -1:
        nx = nxt[node]
        if temp and val[blk[node]]:  # a true literal of the clause (the "blocker"): satisfied, not read
            prev = node
            node = nx
            continue
        cp = node_cp[node]
        if cp < 0:  # stale (its clause was removed or re-attached): unlink
            if prev == -1:
                head[F] = nx
            else:
                nxt[prev] = nx
            node = nx
            continue
        c = cp >> 1
        p = cp & 1
        if want >= 0 and core[c] != (want == 1):
            prev = node
            node = nx
            continue
        s = start[c]
        other = L[s + 1 - p]
        if val[other]:
            blk[node] = other
            prev = node
            node = nx
            continue
        moved = False
        for k in range(s + 2, s + length[c]):
            lk = L[k]
            if not val[lk ^ 1]:
                L[s + p] = lk
                L[k] = F
                if prev == -1:
                    head[F] = nx
                else:
                    nxt[prev] = nx
                nxt[node] = head[lk]
                head[lk] = node
                blk[node] = other
                moved = True
                break
        if moved:
            node = nx
            continue
        if val[other ^ 1]:
            return c
        _b_assign(other, c, val, reason, tpos, trail, S)
        prev = node
        node = nx
    return -1


@register_jitable
def _b_propagate(L, start, length, val, reason, tpos, trail, head, nxt, node_cp, blk, wnode, S,
                 core, temp=False, core_first=False):
    """Unit-propagate the pending trail; returns the conflicting clause or -1. ``temp``: a RUP check (uses
    blockers). ``core_first`` (drat-trim's option): core clauses to a fixpoint before any other clause is
    used, so that conflicts reuse clauses already in the core; on our proofs it shrinks the core by about
    10 % but visits 60 % more watches, so it is off by default."""
    if not core_first:
        while S[_S_QHEAD] < S[_S_TLEN]:
            F = trail[S[_S_QHEAD]] ^ 1
            S[_S_QHEAD] += 1
            c = _b_visit(F, -1, temp, core, L, start, length, val, reason, tpos, trail, head, nxt, node_cp,
                         blk, wnode, S)
            if c >= 0:
                return c
        return -1
    qcore = S[_S_QHEAD]
    qall = S[_S_QHEAD]
    while True:
        while qcore < S[_S_TLEN]:
            F = trail[qcore] ^ 1
            qcore += 1
            c = _b_visit(F, 1, True, core, L, start, length, val, reason, tpos, trail, head, nxt, node_cp,
                         blk, wnode, S)
            if c >= 0:
                return c
        if qall >= S[_S_TLEN]:
            S[_S_QHEAD] = qall
            return -1
        F = trail[qall] ^ 1
        qall += 1
        c = _b_visit(F, 0, True, core, L, start, length, val, reason, tpos, trail, head, nxt, node_cp, blk,
                     wnode, S)
        if c >= 0:
            return c


@register_jitable
def _b_attach(c, L, start, length, val, reason, tpos, trail, head, nxt, node_cp, blk, wnode, S,
              core):
    """Add clause ``c`` at the top level and propagate; returns the conflicting clause or -1."""
    s = start[c]
    n = length[c]
    if n == 0:
        return c
    if n == 1:
        lit = L[s]
        if val[lit]:
            return -1
        if val[lit ^ 1]:
            return c
        _b_assign(lit, c, val, reason, tpos, trail, S)
        return _b_propagate(L, start, length, val, reason, tpos, trail, head, nxt, node_cp, blk,
                            wnode, S, core)
    nfree = 0
    for q in range(s, s + n):  # literals that are not false first
        if not val[L[q] ^ 1]:
            tmp = L[s + nfree]
            L[s + nfree] = L[q]
            L[q] = tmp
            nfree += 1
    if nfree == 0:
        return c
    if nfree == 1:  # watch the false literal assigned last beside the free one
        best = s + 1
        for q in range(s + 2, s + n):
            if tpos[L[q] >> 1] > tpos[L[best] >> 1]:
                best = q
        tmp = L[s + 1]
        L[s + 1] = L[best]
        L[best] = tmp
    _b_link(c, 0, L[s], L[s + 1], head, nxt, node_cp, blk, wnode, S)
    _b_link(c, 1, L[s + 1], L[s], head, nxt, node_cp, blk, wnode, S)
    if nfree == 1 and not val[L[s]]:
        _b_assign(L[s], c, val, reason, tpos, trail, S)
        return _b_propagate(L, start, length, val, reason, tpos, trail, head, nxt, node_cp, blk,
                            wnode, S, core)
    return -1


@register_jitable
def _b_unwind(pos, L, start, length, val, reason, tpos, trail, head, nxt, node_cp, blk, wnode, S, core,
              cbuf):
    """Undo the top-level trail from ``pos`` on and restore the fixpoint. A clause can only have lost its
    watch invariant if it watches an undone literal whose partner watch is false: those are repaired (the
    false watch moves, or the clause is unit), then the trail propagates again. Returns a conflicting clause
    or -1 (never expected: the database before a lemma was conflict-free in the forward pass)."""
    tlen = S[_S_TLEN]
    S[_S_UNWIND] += tlen - pos
    for q in range(pos, tlen):
        val[trail[q]] = 0
        reason[trail[q] >> 1] = -1
    S[_S_TLEN] = pos
    S[_S_QHEAD] = pos
    nc = 0
    for q in range(pos, tlen):  # collect first: repairs below append to the trail
        T = trail[q]
        prev = -1
        node = head[T]
        while node != -1:
            nx = nxt[node]
            cp = node_cp[node]
            c = cp >> 1
            if cp < 0:
                if prev == -1:
                    head[T] = nx
                else:
                    nxt[prev] = nx
                node = nx
                continue
            if val[L[start[c] + 1 - (cp & 1)] ^ 1]:
                cbuf[nc] = cp
                nc += 1
            prev = node
            node = nx
    for i in range(nc):
        c = cbuf[i] >> 1
        p = cbuf[i] & 1
        s = start[c]
        T = L[s + p]
        O = L[s + 1 - p]
        if not val[O ^ 1]:
            continue
        found = -1
        for k in range(s + 2, s + length[c]):
            if not val[L[k] ^ 1]:
                found = k
                break
        if found >= 0:  # move the false watch: unlink its node from O's list, link it to the new literal's
            nd = wnode[2 * c + 1 - p]
            prev = -1
            node = head[O]
            while node != nd:
                prev = node
                node = nxt[node]
            if prev == -1:
                head[O] = nxt[nd]
            else:
                nxt[prev] = nxt[nd]
            L[s + 1 - p] = L[found]
            L[found] = O
            nxt[nd] = head[L[s + 1 - p]]
            head[L[s + 1 - p]] = nd
            blk[nd] = T
        elif val[T ^ 1]:
            return c
        elif not val[T]:
            _b_assign(T, c, val, reason, tpos, trail, S)
    return _b_propagate(L, start, length, val, reason, tpos, trail, head, nxt, node_cp, blk, wnode, S, core)


@register_jitable
def _b_analyze(c, v0, L, start, length, reason, core, seen, stack):
    """Mark clause ``c`` (if >= 0) and the reasons of every variable its conflict depends on (starting from
    the variables of ``c``, or from ``v0``)."""
    n = 0
    if c >= 0:
        core[c] = True
        for q in range(start[c], start[c] + length[c]):
            v = L[q] >> 1
            if not seen[v]:
                seen[v] = 1
                stack[n] = v
                n += 1
    else:
        seen[v0] = 1
        stack[0] = v0
        n = 1
    i = 0
    while i < n:
        r = reason[stack[i]]
        i += 1
        if r < 0:
            continue
        core[r] = True
        for q in range(start[r], start[r] + length[r]):
            v = L[q] >> 1
            if not seen[v]:
                seen[v] = 1
                stack[n] = v
                n += 1
    for i in range(n):
        seen[stack[i]] = 0


def _backward(nv, ncnf, L, start, length, kind, target, taut, core, ignored, stop, out, core_first=False):
    """Backward check of the core of all items (formula clauses, then proof steps). Fills ``core`` (items
    the refutation uses) and ``ignored`` (deletions of reason clauses) and returns ``(code, item)``: code
    1 = refuted (``item`` is where the forward pass met the conflict), 0 = lemma ``item`` is not RUP,
    3 = no conflict (no empty clause), 4 = internal inconsistency (rejected), 5 = stopped (``stop[0]`` set).
    ``out`` receives (lemmas read, deletions read, core lemmas checked)."""
    nitems = kind.shape[0]
    val = np.zeros(2 * nv + 2, np.int8)
    reason = np.full(nv + 1, -1, np.int64)
    tpos = np.zeros(nv + 1, np.int64)
    trail = np.zeros(nv + 1, np.int64)
    seen = np.zeros(nv + 1, np.int8)
    stack = np.zeros(nv + 1, np.int64)
    head = np.full(2 * nv + 2, -1, np.int64)
    pool = 2 * (nitems + np.count_nonzero(kind == 2)) + 2  # every attach (first or undone deletion) takes two
    nxt = np.full(pool, -1, np.int64)
    node_cp = np.zeros(pool, np.int64)
    blk = np.zeros(pool, np.int64)
    cbuf = np.zeros(nitems, np.int64)
    wnode = np.full(2 * nitems, -1, np.int64)
    S = np.zeros(4, np.int64)
    lemmas = 0
    deletions = 0
    conf_item = -1
    cc = -1
    for it in range(nitems):
        if (it & 1023) == 0 and stop[0]:
            return 5, it
        k = kind[it]
        if k == 2:
            deletions += 1
            t = target[it]
            if t >= 0:
                s = start[t]
                if reason[L[s] >> 1] == t or reason[L[s + 1] >> 1] == t:
                    ignored[it] = True
                else:
                    _b_detach(t, node_cp, wnode)
            continue
        if k == 1:
            lemmas += 1
            if length[it] == 0:  # the empty clause, but the database does not conflict: not RUP
                out[0] = lemmas
                out[1] = deletions
                return 0, it
        if taut[it]:
            continue
        cc = _b_attach(it, L, start, length, val, reason, tpos, trail, head, nxt, node_cp, blk,
                       wnode, S, core)
        if cc >= 0:
            conf_item = it
            break
    out[0] = lemmas
    out[1] = deletions
    if conf_item < 0:
        return 3, nitems
    _b_analyze(cc, -1, L, start, length, reason, core, seen, stack)
    checked = 0
    for it in range(conf_item, ncnf - 1, -1):
        if (it & 255) == 0 and stop[0]:
            out[2] = checked
            return 5, it
        k = kind[it]
        if k == 2:
            t = target[it]
            if t >= 0 and not ignored[it]:
                if _b_attach(t, L, start, length, val, reason, tpos, trail, head, nxt, node_cp,
                             blk, wnode, S, core) >= 0:
                    return 4, it
            continue
        if taut[it]:
            continue
        s = start[it]
        if length[it] >= 2:
            _b_detach(it, node_cp, wnode)
        for p in range(min(length[it], 2)):
            v = L[s + p] >> 1
            if reason[v] == it:
                if _b_unwind(tpos[v], L, start, length, val, reason, tpos, trail, head, nxt, node_cp,
                             blk, wnode, S, core, cbuf) >= 0:
                    return 4, it
                break
        if not core[it]:
            continue
        checked += 1
        out[2] = checked
        # RUP: assume every literal false, propagate, analyze the conflict, undo
        mark = S[_S_TLEN]
        cv = -1
        cc = -1
        for q in range(s, s + length[it]):
            lit = L[q]
            if val[lit]:
                cv = lit >> 1
                break
            if not val[lit ^ 1]:
                _b_assign(lit ^ 1, -1, val, reason, tpos, trail, S)
        if cv < 0:
            cc = _b_propagate(L, start, length, val, reason, tpos, trail, head, nxt, node_cp, blk,
                              wnode, S, core, True, core_first)
        if cv >= 0 or cc >= 0:
            _b_analyze(cc, cv, L, start, length, reason, core, seen, stack)
        for q in range(mark, S[_S_TLEN]):
            val[trail[q]] = 0
            reason[trail[q] >> 1] = -1
        S[_S_TLEN] = mark
        S[_S_QHEAD] = mark
        if cv < 0 and cc < 0:
            return 0, it
    out[3] = S[_S_UNWIND]
    return 1, conf_item


def _check_backward(cnf, proof, t0, stop, jit=True):
    """Run :func:`_backward` (compiled, or its plain-Python twin); returns the :class:`DrupCheck`, the core
    (per item: formula clauses, then proof steps) and which deletions were ignored."""
    engine = "backward" if jit else "backward-python"
    cnf = _flat_cnf(cnf)
    ncnf = len(cnf[1])
    prepared = _prepare(cnf, proof, jit, stop)
    if prepared is None:
        return _timeout(0, 0, t0, engine, "while preparing the proof"), None, None
    nv, L, start, length, kind, target, taut = prepared
    core = np.zeros(kind.shape[0], np.bool_)
    ignored = np.zeros(kind.shape[0], np.bool_)
    out = np.zeros(4, np.int64)
    run = _jit(_backward) if jit else _backward
    code, item = run(nv, ncnf, L, start, length, kind, target, taut, core, ignored, stop, out)
    lemmas, deletions, checked = (int(x) for x in out[:3])
    if code == 5:
        res = _timeout(lemmas, deletions, t0, engine, f"after {checked} core lemmas")
    elif code == 1:
        where = ("the formula conflicts by unit propagation" if item < ncnf
                 else f"the database conflicts after lemma {lemmas}")
        res = DrupCheck(True, lemmas, deletions, time.perf_counter() - t0,
                        f"{where}; the {checked} lemmas of the core checked backward", checked)
    elif code == 0:
        k = item - ncnf
        number = int(np.count_nonzero(kind[ncnf:item + 1] == _LEMMA))
        res = DrupCheck(False, lemmas, deletions, time.perf_counter() - t0, _not_rup(number, k, _step_lits(proof, k)),
                        checked)
    elif code == 3:
        res = DrupCheck(False, lemmas, deletions, time.perf_counter() - t0,
                        "the proof does not derive the empty clause", checked)
    else:
        res = DrupCheck(False, lemmas, deletions, time.perf_counter() - t0,
                        "internal inconsistency of the backward checker (proof rejected)", checked)
    return replace(res, engine=engine), core, ignored


# ---- files ---------------------------------------------------------------------------------------------
def write_dimacs(path, clauses, nv: int | None = None, comments=()) -> Path:
    """Write a CNF in DIMACS (deterministic text: header, then one clause per line)."""
    clauses = [list(map(int, c)) for c in clauses]
    nv = _max_var(clauses) if nv is None else int(nv)
    lines = [f"c {c}" for c in comments] + [f"p cnf {nv} {len(clauses)}"]
    lines += [" ".join(map(str, c + [0])) for c in clauses]
    return write_atomic(path, "\n".join(lines) + "\n")


def read_dimacs(path) -> list[list[int]]:
    """Read the clauses of a DIMACS CNF file (comments and header skipped; clauses may span lines)."""
    path = Path(path)
    if not path.exists():
        raise CapacityError(f"CNF file {path} does not exist")
    try:
        text = path.read_text()
    except (UnicodeDecodeError, IsADirectoryError) as exc:
        raise CapacityError(f"{path} is not a DIMACS text file ({type(exc).__name__})") from None
    clauses, cur = [], []
    for line in text.splitlines():
        s = line.strip()
        if not s or s[0] in "cp%":
            continue
        try:
            toks = [int(t) for t in s.split()]
        except ValueError:
            raise CapacityError(f"{path}: not a DIMACS clause line: {s!r}") from None
        for t in toks:
            if t == 0:
                clauses.append(cur)
                cur = []
            else:
                cur.append(t)
    if cur:
        raise CapacityError(f"{path}: last clause is not terminated by 0")
    return clauses


def write_proof(path, proof_lines) -> Path:
    """Write a DRUP proof, one step per line, exactly as given (normalised whitespace)."""
    lines = list(map(str, proof_lines))
    text = "\n".join(lines) + "\n" if lines else ""
    return write_atomic(path, re.sub(r" ?\n ?", "\n", re.sub(r"[ \t\r]+", " ", text)))  # C-speed passes


def proof_cache_dir() -> Path:
    """Where proofs whose check ran out of time are kept when no path was given: ``$CAPACITY_PROOF_DIR``, else
    ``~/.cache/capacity/proofs``."""
    return Path(os.environ.get("CAPACITY_PROOF_DIR") or Path.home() / ".cache" / "capacity" / "proofs")


def keep_proof(cnf_clauses, proof_lines, nv: int | None = None, comments=(), path=None) -> Path:
    """Write the proof (at ``path``, else ``proof_cache_dir()/<hash of the CNF>.drup``, or ``.lrat`` for LRAT
    text) and the CNF beside it
    (suffix ``.cnf``, DIMACS) for a later ``capacity check-proof``; returns the proof's path."""
    from .lrat import is_lrat

    path = kept_proof_path(cnf_clauses, proof_lines) if path is None else Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_dimacs(path.with_suffix(".cnf"), cnf_clauses, nv, comments)
    if isinstance(proof_lines, (bytes, bytearray)):
        write_atomic(path, bytes(proof_lines))  # LRAT text from capacity.lrat.solver_proof: as it is
    elif isinstance(proof_lines, list) and all(isinstance(line, str) for line in proof_lines):
        write_atomic(path, "\n".join(proof_lines) + "\n" if proof_lines else "")  # solver lines: as they are
    else:
        write_proof(path, proof_lines)
    return path


def kept_proof_path(cnf_clauses, proof_lines) -> Path:
    """Where :func:`keep_proof` puts a proof without a given path: ``proof_cache_dir()/<hash of the CNF>``
    with suffix ``.lrat`` or ``.drup``."""
    from .lrat import is_lrat

    flat, lens = _flat_cnf(cnf_clauses)
    digest = hashlib.sha256(flat.tobytes() + b"|" + lens.tobytes()).hexdigest()[:20]
    return proof_cache_dir() / f"{digest}.{'lrat' if is_lrat(proof_lines) else 'drup'}"


_WRITERS: list = []


def keep_proof_later(cnf_clauses, proof_lines, nv: int | None = None, comments=(), path=None) -> Path:
    """:func:`keep_proof` in a background thread, for a call already at its deadline: returns the proof's path
    at once; both files appear whole (atomic writes) once written. The thread is not a daemon, so the
    interpreter finishes it before exiting; :func:`wait_for_kept_proofs` waits for it in the process."""
    path = kept_proof_path(cnf_clauses, proof_lines) if path is None else Path(path)
    t = threading.Thread(target=keep_proof, args=(cnf_clauses, proof_lines, nv, comments, path),
                         name="capacity-keep-proof")
    t.start()
    _WRITERS.append(t)
    return path


def wait_for_kept_proofs() -> None:
    """Wait until every proof handed to :func:`keep_proof_later` is on disk."""
    while _WRITERS:
        _WRITERS.pop().join()


def read_proof(path) -> list[str]:
    """Read the lines of a DRUP proof file (text format)."""
    path = Path(path)
    if not path.exists():
        raise CapacityError(f"proof file {path} does not exist")
    return [line for line in path.read_text().splitlines() if line.strip()]
