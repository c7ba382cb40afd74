"""A compact DRUP proof checker: the certificate behind every NOT_REPRESENTABLE answer of the SAT method.

A DRUP proof (Heule, Hunt and Wetzler 2013) is a sequence of lines ``l1 l2 ... 0`` (add a lemma) and
``d l1 l2 ... 0`` (delete a clause), as written by proof-producing solvers such as CaDiCaL; python-sat
returns it from ``Solver(name="cadical153", with_proof=True).get_proof()``. The proof refutes a CNF when
every added lemma is a *reverse unit propagation* (RUP) consequence of the formula plus the earlier
lemmas still present (assign every literal of the lemma false, unit-propagate, reach a conflict) and the
empty clause is derived. Every lemma is then implied by the formula, so the formula is unsatisfiable.

:func:`check_drup` replays the proof forward with two watched literals per clause. Conventions (the same
as drat-trim's, and sound because every clause ever in the database is implied by the formula):

* deleting a unit clause, or a clause that is not present, is ignored (a literal assigned at the top level
  stays assigned; keeping implied clauses can never make a false claim checkable);
* the check succeeds as soon as the empty clause is derived, or, at the end of the proof, when unit
  propagation on the formula plus the remaining lemmas is conflicting at the top level.

Only RUP lemmas are accepted (no RAT). The proofs CaDiCaL and Glucose write through python-sat have been
RUP-only in all our runs; a RAT step would make a check fail, never pass.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._files import write_atomic
from .errors import CapacityError

#: a proof in the exact format CaDiCaL / python-sat write (single spaces, one step per line)
_CANONICAL = re.compile(r"(?:(?:d )?(?:-?[1-9][0-9]* )*0\n)*")

__all__ = ["DrupCheck", "check_drup", "parse_proof", "read_dimacs", "read_proof", "write_dimacs", "write_proof"]


@dataclass(frozen=True)
class DrupCheck:
    """Outcome of :func:`check_drup`: ``ok`` when the proof refutes the formula; ``lemmas`` and ``deletions``
    count the proof lines replayed; ``reason`` says why the proof was accepted or which line failed."""

    ok: bool
    lemmas: int
    deletions: int
    seconds: float
    reason: str

    def to_dict(self) -> dict:
        return {"ok": self.ok, "lemmas": self.lemmas, "deletions": self.deletions,
                "seconds": round(self.seconds, 6), "reason": self.reason}


def parse_proof(proof_lines) -> list[tuple[bool, list[int]]]:
    """Parse proof lines (strings, bytes or int lists) into ``(is_deletion, literals)`` pairs.
    Blank lines and ``c`` comment lines are skipped; every step must end with ``0``."""
    if isinstance(proof_lines, list) and all(isinstance(line, str) for line in proof_lines):
        text = "\n".join(proof_lines) + "\n"
        if _CANONICAL.fullmatch(text):  # fast path: solver output, one well-formed step per line
            is_del = [line[0] == "d" for line in proof_lines]
            nums = np.fromstring(text.replace("d", " "), dtype=np.int64, sep=" ")
            ends = np.flatnonzero(nums == 0)
            starts = np.concatenate([[0], ends[:-1] + 1])
            flat = nums.tolist()
            return [(d, flat[a:b]) for d, a, b in zip(is_del, starts.tolist(), ends.tolist())]
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


def check_drup(cnf_clauses, proof_lines, *, engine: str = "auto") -> DrupCheck:
    """Check that ``proof_lines`` (DRUP, see the module docstring) refutes ``cnf_clauses`` (int lists).

    Every added lemma must be RUP with respect to the formula plus the earlier lemmas not deleted; the
    proof must derive the empty clause (or leave the database conflicting under unit propagation).
    ``engine``: ``"python"`` (the plain watched-literal checker), ``"numba"`` (the same replay on flat
    arrays, compiled; 10-20 times faster on our proofs) or ``"auto"`` (numba for proofs of more than 500
    steps). The two are tested against each other and against minisat's own unit propagation."""
    if engine not in ("auto", "python", "numba"):
        raise CapacityError(f"engine must be 'auto', 'python' or 'numba', got {engine!r}")
    t0 = time.perf_counter()
    cnf = [list(map(int, c)) for c in cnf_clauses]
    for c in cnf:
        if 0 in c:
            raise CapacityError("a CNF clause contains the literal 0")
    try:
        steps = parse_proof(proof_lines)
    except CapacityError as exc:
        return DrupCheck(False, 0, 0, time.perf_counter() - t0, str(exc))
    if engine == "numba" or (engine == "auto" and len(steps) > 500):
        return _check_numba(cnf, steps, t0)
    return _check_python(cnf, steps, t0)


def _check_python(cnf, steps, t0) -> DrupCheck:
    nv = max(_max_var(cnf), _max_var(lits for _, lits in steps))
    chk = _Checker(nv)
    for c in cnf:
        if not c:
            chk.inconsistent = True
        chk.add(c)
    lemmas = deletions = 0
    for k, (deletion, lits) in enumerate(steps):
        if deletion:
            deletions += 1
            if len(lits) > 1:
                chk.delete(lits)
            continue
        lemmas += 1
        if not chk.rup(lits):
            return DrupCheck(False, lemmas, deletions, time.perf_counter() - t0, _not_rup(lemmas, k, lits))
        if not lits:
            return DrupCheck(True, lemmas, deletions, time.perf_counter() - t0,
                             f"empty clause derived at lemma {lemmas}")
        chk.add(lits)
    return _final(chk.inconsistent, lemmas, deletions, t0)


def _not_rup(lemmas, k, lits) -> str:
    return f"lemma {lemmas} (proof step {k + 1}: {' '.join(map(str, lits))} 0) is not RUP"


def _final(inconsistent, lemmas, deletions, t0) -> DrupCheck:
    if inconsistent:
        return DrupCheck(True, lemmas, deletions, time.perf_counter() - t0,
                         "unit propagation on the formula plus the lemmas is conflicting")
    return DrupCheck(False, lemmas, deletions, time.perf_counter() - t0, "the proof does not derive the empty clause")


# ---- compiled replay -----------------------------------------------------------------------------------
# The same algorithm as _Checker on flat arrays: literal l is index 2|l| + (l < 0) (negation: ^ 1); every
# clause (formula clause or lemma) is one "item" with its literals in L[start:start+length] (positions 0
# and 1 watched); watch lists are singly linked lists of nodes 2*item and 2*item + 1.
_ADD, _LEMMA, _DELETE = 0, 1, 2


def _prepare(cnf, steps):
    """Flatten formula and proof into items with sorted, duplicate-free literals; resolve each deletion to
    the item it deletes (the last live copy of that clause, as _Checker does) or -1 (units, tautologies and
    unknown clauses: ignored). Clauses are matched by a Zobrist hash, confirmed by comparing literals."""
    from itertools import chain

    items = cnf + [lits for _, lits in steps]
    n = len(items)
    kind = np.array([_ADD] * len(cnf) + [_DELETE if d else _LEMMA for d, _ in steps], dtype=np.int8)
    lens = np.fromiter(map(len, items), np.int64, n)
    flat = np.fromiter(chain.from_iterable(items), np.int64, int(lens.sum()))
    item = np.repeat(np.arange(n, dtype=np.int64), lens)
    nv = int(np.abs(flat).max(initial=0))
    L = 2 * np.abs(flat) + (flat < 0)  # literal index; l and -l become neighbours when sorted
    order = np.lexsort((L, item))
    L, item = L[order], item[order]
    same_item = np.zeros(L.shape[0], dtype=bool)
    same_item[1:] = item[1:] == item[:-1]
    keep = np.ones(L.shape[0], dtype=bool)
    keep[1:] = ~same_item[1:] | (L[1:] != L[:-1])
    L, item, same_item = L[keep], item[keep], same_item[keep]
    same_item[1:] = item[1:] == item[:-1]
    taut = np.zeros(n, dtype=np.bool_)
    pair = np.flatnonzero(same_item[1:] & ((L[1:] ^ 1) == L[:-1])) + 1
    taut[item[pair]] = True
    length = np.bincount(item, minlength=n).astype(np.int64)
    start = np.zeros(n, dtype=np.int64)
    np.cumsum(length[:-1], out=start[1:])
    rnd = np.random.default_rng(0x5eed).integers(0, 2**63, size=2 * nv + 2, dtype=np.uint64)
    cs = np.concatenate([np.zeros(1, np.uint64), np.cumsum(rnd[L], dtype=np.uint64)])
    h = (cs[start + length] - cs[start]).tolist()  # uint64 arithmetic wraps: an order-free hash
    target = np.full(n, -1, dtype=np.int64)
    live: dict[int, list[int]] = {}
    Ll, st, ln = L.tolist(), start.tolist(), length.tolist()
    for it in np.flatnonzero((length > 1) & ~taut).tolist():
        if kind[it] != _DELETE:
            live.setdefault(h[it], []).append(it)
            continue
        ids = live.get(h[it])
        lits = Ll[st[it]:st[it] + ln[it]]
        for pos in range(len(ids) - 1, -1, -1) if ids else ():
            c = ids[pos]
            if Ll[st[c]:st[c] + ln[c]] == lits:
                target[it] = ids.pop(pos)
                break
    return nv, L, start, length, kind, target, taut


def _replay(nv, L, start, length, kind, target, taut):
    """Replay all items. Returns ``(code, item, lemmas, deletions)``: code 1 = empty clause derived at
    ``item``, 2 = conflicting at the end, 0 = lemma ``item`` is not RUP, 3 = no empty clause."""
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


_JIT_REPLAY = None


def _jit_replay():
    global _JIT_REPLAY
    if _JIT_REPLAY is None:
        import numba

        cache = os.environ.get("CAPACITY_NUMBA_CACHE", "1") != "0"
        _JIT_REPLAY = numba.njit(cache=cache, nogil=True)(_replay)
    return _JIT_REPLAY


def _check_numba(cnf, steps, t0) -> DrupCheck:
    nv, L, start, length, kind, target, taut = _prepare(cnf, steps)
    code, item, lemmas, deletions = _jit_replay()(nv, L, start, length, kind, target, taut)
    if code == 1:
        return DrupCheck(True, lemmas, deletions, time.perf_counter() - t0, f"empty clause derived at lemma {lemmas}")
    if code == 0:
        k = item - len(cnf)
        return DrupCheck(False, lemmas, deletions, time.perf_counter() - t0, _not_rup(lemmas, k, steps[k][1]))
    return _final(code == 2, lemmas, deletions, t0)


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
    clauses, cur = [], []
    for line in path.read_text().splitlines():
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
    text = "".join(" ".join(str(line).split()) + "\n" for line in proof_lines)
    return write_atomic(path, text)


def read_proof(path) -> list[str]:
    """Read the lines of a DRUP proof file (text format)."""
    path = Path(path)
    if not path.exists():
        raise CapacityError(f"proof file {path} does not exist")
    return [line for line in path.read_text().splitlines() if line.strip()]
