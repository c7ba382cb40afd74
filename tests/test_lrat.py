"""LRAT proofs (capacity.lrat): hand-made proofs (golden by hand), CaDiCaL 1.9.5 proofs of pigeonhole and
random formulas, mutated proofs. The compiled checker, its plain twin and an independent checker written
here (dicts and sets, no shared code) must give the same verdict; whatever the LRAT checker accepts, the
forward DRUP reference accepts with the hints dropped. Time limits hold through Numba's first compile."""

import json
import os
import random
import subprocess
import sys
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pysat.examples.genhard import PHP

import numpy as np

from capacity.drup import check_drup
from capacity.errors import CapacityError
from capacity.lrat import _scan_lrat, is_lrat, lrat_solver, lrat_to_drup, parse_canonical, parse_lrat, solver_proof

FOUR = [[1, 2], [1, -2], [-1, 2], [-1, -2]]  # ids 1..4; every assignment falsifies one clause
GOOD = "5 1 0 1 2 0\n6 0 5 3 4 0\n"  # x1: assume -1, (1|2) gives 2, (1|-2) conflicts; then the empty clause


def independent_lrat(cnf, text) -> bool:
    """A second LRAT checker: clauses in a dict by id (formula ids: those no added line uses, in order),
    assignments in a set."""
    steps = []
    for line in text.splitlines():
        toks = line.split()
        if not toks or toks[0] == "c":
            continue
        if toks[1] == "d":
            steps.append(("d", [int(t) for t in toks[2:-1]]))
            continue
        nums = [int(t) for t in toks]
        z = nums.index(0, 1)
        steps.append((nums[0], nums[1:z], nums[z + 1:-1]))
    added = {s[0] for s in steps if s[0] != "d"}
    if len(added) != sum(s[0] != "d" for s in steps):
        return False  # an id used twice
    db, nxt = {}, 1
    for c in cnf:
        while nxt in added:
            nxt += 1
        db[nxt] = c
        nxt += 1
    for step in steps:
        if step[0] == "d":
            for i in step[1]:
                db.pop(i, None)
            continue
        cid, lits, hints = step
        true = {-lit for lit in lits}
        done = any(-lit in true for lit in true)  # a tautology
        for h in hints:
            if done:
                break
            if h not in db or any(lit in true for lit in db[h]):
                return False
            free = {lit for lit in db[h] if -lit not in true}
            if len(free) > 1:
                return False
            if not free:
                done = True
            else:
                true |= free
        if not done:
            return False
        db[cid] = lits
        if not lits:
            return True
    return False


def cadical_lrat(cnf):
    s = lrat_solver("cadical195", cnf)
    try:
        sat = s.solve()
        return sat, None if sat else solver_proof(s).decode()
    finally:
        s.delete()


def verdicts(cnf, text):
    canonical = parse_canonical(text)  # CaDiCaL's own text: the split-based reader gives the twin's arrays
    if canonical is not None:
        assert all(np.array_equal(a, b) for a, b in zip(canonical, parse_lrat(text, jit=False)))
    fast, plain = check_drup(cnf, text, engine="lrat"), check_drup(cnf, text, engine="lrat-python")
    assert (fast.ok, fast.lemmas, fast.reason) == (plain.ok, plain.lemmas, plain.reason)
    assert fast.ok == independent_lrat(cnf, text), fast.reason
    if fast.ok:  # the hints only speed the check up: the lemmas are RUP by themselves
        assert check_drup(cnf, lrat_to_drup(cnf, text), engine="python").ok
    return fast.ok


def test_hand_proofs():
    assert is_lrat(GOOD) and not is_lrat("1 0\n0\n") and not is_lrat("d 1 2 0\n") and is_lrat("3 d 1 0\n")
    r = check_drup(FOUR, GOOD)
    assert r.ok and r.engine == "lrat-python" and r.lemmas == 2  # small: the plain twin, no Numba start-up
    bad = {
        "hints out of order": "5 1 0 1 2 0\n6 0 3 5 4 0\n",  # (-1|2) is not unit before x1 is set
        "a hint missing": "5 1 0 1 0\n6 0 5 3 4 0\n",
        "a deleted hint": "4 d 2 0\n5 1 0 1 2 0\n6 0 5 3 4 0\n",
        "an unknown hint": "5 1 0 1 9 0\n6 0 5 3 4 0\n",
        "a RAT (negative) hint": "5 1 0 1 -2 0\n6 0 5 3 4 0\n",
        "an id used twice": "5 1 0 1 2 0\n5 0 5 3 4 0\n",
        "no empty clause": "5 1 0 1 2 0\n",
        "the empty clause unproved": "5 0 1 2 0\n",
    }
    for name, text in bad.items():
        for engine in ("lrat", "lrat-python"):
            assert not check_drup(FOUR, text, engine=engine).ok, (name, engine)
        assert not independent_lrat(FOUR, text), name
    # the DRUP engines check the same lemmas without hints
    for engine in ("backward", "backward-python", "numba", "python"):
        assert check_drup(FOUR, GOOD, engine=engine).ok
    assert lrat_to_drup(FOUR, "5 1 0 1 2 0\n5 d 2 5 0\n6 0 5 3 4 0\n") == ["1 0", "d 1 -2 0", "d 1 0", "0"]
    assert not check_drup(FOUR, ["2 0", "0"], engine="lrat").ok  # DRUP text has no hints to check


@pytest.mark.parametrize("n", [3, 4, 5, 6])
def test_cadical_proofs_of_pigeonhole_formulas(n):
    cnf = PHP(n).clauses
    sat, text = cadical_lrat(cnf)
    assert sat is False and is_lrat(text)
    assert verdicts(cnf, text)
    assert check_drup(cnf, text, engine="backward").ok
    assert not check_drup(PHP(n - 1).clauses, text, engine="lrat").ok  # a proof for another formula


@st.composite
def mutated_proof(draw):
    """A random UNSAT CNF (3-SAT above the threshold, or pigeonhole), its CaDiCaL 1.9.5 LRAT proof and a
    mutation: a dropped line, a flipped literal, a dropped or reversed hint list, a bogus unit, a cut, a
    proof of another formula, an empty proof, or none."""
    if draw(st.booleans()):
        cnf = PHP(draw(st.integers(3, 5))).clauses
    else:
        nv = draw(st.integers(5, 12))
        rng = random.Random(draw(st.integers(0, 2**32 - 1)))
        cnf = [[v * rng.choice((-1, 1)) for v in rng.sample(range(1, nv + 1), 3)] for _ in range(6 * nv)]
    sat, text = cadical_lrat(cnf)
    lines = [] if sat else text.splitlines()
    mutation = draw(st.sampled_from(["none", "drop", "flip", "hints", "bogus", "cut", "other", "empty"]))
    if lines and mutation != "none":
        i = draw(st.integers(0, len(lines) - 1))
        toks = lines[i].split()
        if mutation == "drop":
            lines = lines[:i] + lines[i + 1:]
        elif mutation == "cut":
            lines = lines[:i]
        elif mutation == "empty":
            lines = []
        elif mutation == "bogus":
            top = max(int(line.split()[0]) for line in lines) + 1
            lines = lines[:i] + [f"{top} {len(cnf) + 50} 0 0"] + lines[i:]
        elif mutation == "other":
            cnf = cnf[1:]  # the proof of another formula (one clause fewer: the ids shift)
        elif toks[1] != "d":
            z = toks.index("0", 1)
            if mutation == "flip" and z > 1:
                toks[1] = str(-int(toks[1]))
            elif mutation == "hints":
                hints = toks[z + 1:-1]
                toks[z + 1:-1] = hints[::-1] if draw(st.booleans()) else hints[1:]
            lines[i] = " ".join(toks)
    return sat, cnf, "\n".join(lines) + "\n"


@settings(deadline=None, max_examples=80)
@given(mutated_proof())
def test_checkers_agree_on_mutated_proofs(case):
    sat, cnf, text = case
    ok = verdicts(cnf, text) if is_lrat(text) else check_drup(cnf, text).ok
    if sat:
        assert not ok


def test_parsing_kernel_matches_its_twin_and_rejects_bad_lines():
    text = "c a comment\n\n5  1 0 1 2 0\n5 d 2 0\n6 0 5 3\t4 0\n"
    fast, plain = parse_lrat(text), parse_lrat(text, jit=False)
    assert all(np.array_equal(a, b) for a, b in zip(fast, plain))
    ids, dels, nlits, nhints, lits, hints = fast
    assert ids.tolist() == [5, 5, 6] and dels.tolist() == [False, True, False]
    assert lits.tolist() == [1] and hints.tolist() == [1, 2, 2, 5, 3, 4] and nhints.tolist() == [2, 1, 3]
    for bad in ("5 1 0 1 2\n", "5 1 0 1 2 0 7\n", "5 x 0 0\n", "-5 1 0 0\n", "5 d1 0\n", "5 1 0 -0 0\n"):
        for jit in (True, False):
            with pytest.raises(CapacityError):
                parse_lrat(bad, jit=jit)
    assert _scan_lrat is not None
    # the split-based reader of small proofs: the twin's arrays on canonical text, None (the scanner reads it)
    # on anything else
    canonical = "0 d 7 0\n5 1 0 1 2 0\n5 d 2 0\n6 0 5 3 4 0\n7 -1 2 0 0\n"
    assert all(np.array_equal(a, b) for a, b in zip(parse_canonical(canonical), parse_lrat(canonical, jit=False)))
    assert all(len(a) == 0 for a in parse_canonical(""))
    for other in (text, "5 1 0 1 2 0", "5 1 0 1 2 0 7\n", "5 1 0 -0 0\n", "5 01 0 0\n", "5 1 0 -1 0\n",
                  "5 1 0 1 2 0\r\n", "-5 1 0 0\n", "5 1 0 1000000000000 0\n"):
        assert parse_canonical(other) is None, other


def test_check_is_far_below_the_solve():
    """One ladder instance (step U-AND, m = 6, width 4, UNSAT): the LRAT check's CPU time is a small part of the
    solve's (measured 0.02 s against 0.7 s idle; a factor 5 margin here for a loaded machine)."""
    from capacity import Domain, Problem, from_spec
    from capacity.solvers.sat import encode

    cnf, _, _ = encode(Problem(from_spec(Domain(6, 2), "pairs"), 4, "step", 1))
    check_drup(FOUR, GOOD, engine="lrat")  # compile (or load) the kernels first
    s = lrat_solver("cadical195", cnf)
    c = time.process_time()
    assert s.solve() is False
    solve_cpu = time.process_time() - c
    text = solver_proof(s)
    s.delete()
    c = time.process_time()
    r = check_drup(cnf, text)
    assert r.ok and r.engine == "lrat"
    assert time.process_time() - c < solve_cpu / 5


def test_the_first_compile_is_inside_the_time_limit(tmp_path):
    """In a fresh process with Numba's disk cache off, every kernel must be compiled; a deadline 0.3 s away
    still ends the call within a second, with a timed-out (not ok) answer."""
    code = (
        "import json, time\n"
        "from capacity.drup import check_drup\n"
        "t = time.perf_counter()\n"
        "r = check_drup([[1, 2], [1, -2], [-1, 2], [-1, -2]], ['2 0', '0'], engine='backward', deadline=t + 0.3)\n"
        "print(json.dumps({'seconds': time.perf_counter() - t, **r.to_dict()}))\n")
    env = {**os.environ, "CAPACITY_NUMBA_CACHE": "0", "NUMBA_CACHE_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    r = json.loads(out.stdout.splitlines()[-1])
    assert r["timed_out"] and not r["ok"] and "time limit" in r["reason"], r
    assert r["seconds"] < 1.3, r


def test_sat_answers_carry_checked_lrat_and_check_proof_reads_it(tmp_path, capsys):
    from capacity import Domain, Problem, from_spec
    from capacity.cli import main
    from capacity.solvers import Status
    from capacity.solvers.sat import solve

    r = solve(Problem(from_spec(Domain(4, 2), "pairs"), 2, "step", 1), proof_path=tmp_path / "p.lrat")
    assert r.status is Status.NOT_REPRESENTABLE and r.certificate.data.engine == "lrat-python"  # a small proof
    assert "LRAT hints" in r.certificate.detail
    good = tmp_path / "p.lrat"
    assert main(["check-proof", str(good)]) == 0
    capsys.readouterr()
    text = good.read_text()
    cases = {"truncated": text[: len(text) // 2 - 1], "corrupted": text.replace(" 0\n", " x 0\n", 1)}
    for name, body in cases.items():
        (tmp_path / f"{name}.lrat").write_text(body)
        assert main(["check-proof", str(tmp_path / f"{name}.lrat"), "--cnf", str(tmp_path / "p.cnf")]) == 2, name
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "error" in err, (name, err)
    other = tmp_path / "other.cnf"
    other.write_text("p cnf 2 4\n1 2 0\n1 -2 0\n-1 2 0\n-1 -2 0\n")
    assert main(["check-proof", str(good), "--cnf", str(other)]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_check_proof_offers_every_engine():
    from capacity import drup
    from capacity.commands import check_proof

    assert check_proof.ENGINES == drup.ENGINES


def test_auto_engine_is_decided_by_the_proof_size_and_the_kernels_warm_up_in_the_background():
    """check_drup's auto engine for LRAT text depends on the proof's size only (the plain twin up to
    LRAT_PYTHON_BYTES, the compiled kernels above); warm_up loads those kernels in a background thread, once."""
    import capacity.drup as drup
    from capacity import Domain, Problem, from_spec
    from capacity.solvers.sat import encode

    drup.warm_up()
    drup._join_warm_up()
    assert len(drup._WARM) == 1 and not drup._WARM[0].is_alive()
    drup.warm_up()  # idempotent: no second thread
    assert len(drup._WARM) == 1
    assert all(drup._JITTED[k].signatures for k in ("_scan_lrat", "_lrat"))  # compiled (or loaded from the cache)
    cnf = encode(Problem(from_spec(Domain(10, 2), "pairs"), 3, "step", 1), True)[0]
    sat, text = cadical_lrat(cnf)
    assert not sat and len(text) > drup.LRAT_PYTHON_BYTES
    big = check_drup(cnf, text)
    small = check_drup(FOUR, GOOD)
    assert big.ok and big.engine == "lrat" and small.ok and small.engine == "lrat-python"
