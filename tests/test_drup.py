"""The DRUP checker: hand-made proofs (golden by hand), solver proofs of pigeonhole formulas, corrupted
proofs, and agreement with an independent RUP checker built on minisat's own unit propagation. The
backward (core-first) checker and its plain-Python twin are compared with the forward reference: whatever
the forward checker accepts, the backward one accepts; whatever the backward one accepts beyond that has a
bogus lemma only outside its core, and the proof cut down to the core passes the forward checker."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pysat.examples.genhard import PHP
from pysat.solvers import Solver

import numpy as np

from capacity.drup import (_check_backward, _flat_proof, _prepare, check_drup, parse_proof, read_dimacs, read_proof,
                           write_dimacs, write_proof)
from capacity.errors import CapacityError

FORWARD = ["python", "numba"]
BACKWARD = ["backward", "backward-python"]
ENGINES = FORWARD + BACKWARD

# (x1 | x2) (x1 | ~x2) (~x1 | x2) (~x1 | ~x2): every assignment falsifies one clause
FOUR = [[1, 2], [1, -2], [-1, 2], [-1, -2]]


def independent_check(cnf, proof_lines) -> bool:
    """A second RUP checker: minisat22's unit propagation (python-sat ``Solver.propagate``) decides each
    lemma. It ignores deletions, so compare it with ours on deletion-free proofs only."""
    with Solver(name="minisat22", bootstrap_with=cnf) as s:
        for line in proof_lines:
            toks = line.split()
            if toks[0] == "d":
                continue
            lits = [int(t) for t in toks[:-1]]
            conflict_free, _ = s.propagate(assumptions=[-lit for lit in lits])
            if conflict_free:
                return False
            if not lits:
                return True
            s.add_clause(lits)
        conflict_free, _ = s.propagate(assumptions=[])
        return not conflict_free


def cadical_proof(cnf):
    with Solver(name="cadical153", with_proof=True, bootstrap_with=cnf) as s:
        assert s.solve() is False
        return s.get_proof()


def no_deletions(proof):
    return [line for line in proof if not line.startswith("d")]


@pytest.mark.parametrize("engine", ENGINES)
def test_hand_proofs(engine):
    # lemma x2: assume ~x2, (x1|x2) gives x1, (~x1|x2) then conflicts; then the empty clause by propagation
    assert check_drup(FOUR, ["2 0", "0"], engine=engine).ok
    assert check_drup(FOUR, ["1 0", "0"], engine=engine).ok
    # no unit propagates from the formula alone, so the empty clause is not RUP yet
    r = check_drup(FOUR, ["0"], engine=engine)
    assert not r.ok and "not RUP" in r.reason
    # a lemma that is not implied by unit propagation: x3 (a fresh variable)
    assert not check_drup(FOUR, ["3 0", "0"], engine=engine).ok


@pytest.mark.parametrize("engine", ENGINES)
def test_deletions_are_honoured(engine):
    cnf = [[1, 2], [1, -2], [-1, 3], [-1, -3]]
    assert check_drup(cnf, ["1 0", "0"], engine=engine).ok
    # after deleting (x1 | ~x2), assuming ~x1 only propagates x2: the lemma x1 is no longer RUP
    r = check_drup(cnf, ["d 1 -2 0", "1 0", "0"], engine=engine)
    assert not r.ok and r.lemmas == 1 and r.deletions == 1
    # deleting a clause that is not there changes nothing
    assert check_drup(cnf, ["d 1 -3 0", "1 0", "0"], engine=engine).ok


@pytest.mark.parametrize("engine", ENGINES)
def test_unit_deletions_are_ignored(engine):
    # drat-trim's convention: a deleted unit stays on the top-level trail (sound: it is implied)
    cnf = [[1], [-1, 2, 3], [-1, 2, -3], [-2, 4], [-2, -4]]
    assert check_drup(cnf, ["d 1 0", "2 0", "0"], engine=engine).ok


@pytest.mark.parametrize("engine", ENGINES)
def test_satisfiable_formula_rejects_fake_proofs(engine):
    cnf = [[1, 2], [-1, 2], [1, -2]]  # satisfied by x1 = x2 = 1
    r = check_drup(cnf, ["1 0", "2 0", "0"], engine=engine)  # both lemmas are RUP, the empty clause is not
    assert not r.ok and r.lemmas == 3
    # a real proof of some other formula is no proof for this one
    assert not check_drup(cnf, cadical_proof(PHP(4).clauses), engine=engine).ok
    # and without an empty clause nothing is refuted
    r = check_drup(cnf, ["1 0"], engine=engine)
    assert not r.ok and "does not derive" in r.reason


@pytest.mark.parametrize("engine", ENGINES)
def test_empty_clause_in_formula(engine):
    assert check_drup([[1], []], [], engine=engine).ok
    assert check_drup([[1], [-1]], [], engine=engine).ok  # conflicting by unit propagation
    assert not check_drup([[1, 2]], [], engine=engine).ok


@pytest.mark.parametrize("n", [3, 4, 5, 6, 7])
def test_pigeonhole_proofs_check(n):
    cnf = PHP(n).clauses
    proof = cadical_proof(cnf)
    for engine in ENGINES if n <= 6 else ("python", "numba", "backward"):  # the Python twin is slow
        r = check_drup(cnf, proof, engine=engine)
        assert r.ok, r.reason
    if n <= 5:
        assert independent_check(cnf, no_deletions(proof))


def test_corrupted_pigeonhole_proofs_are_rejected():
    cnf = PHP(5).clauses
    proof = no_deletions(cadical_proof(cnf))
    lemmas = [i for i, line in enumerate(proof) if line != "0"]
    rng = random.Random(0)
    variants = []
    for i in rng.sample(lemmas, 40):
        variants.append(proof[:i] + proof[i + 1:])  # drop a lemma
        toks = proof[i].split()
        toks[0] = str(-int(toks[0]))  # flip a literal
        variants.append(proof[:i] + [" ".join(toks)] + proof[i + 1:])
    verdicts = []
    for v in variants:
        mine = {e: check_drup(cnf, v, engine=e).ok for e in ENGINES}
        assert mine["python"] == mine["numba"]
        assert mine["python"] == independent_check(cnf, v)
        verdicts.append(mine["python"])
    assert not all(verdicts), "no corruption was caught"
    # removing every lemma leaves only the empty clause, which PHP(5) does not give by propagation
    assert not check_drup(cnf, ["0"]).ok
    assert not check_drup(cnf, proof[: len(proof) // 2]).ok


@st.composite
def unsat_cnf_with_proof(draw):
    """A random 3-CNF (enough clauses to be UNSAT most of the time), its CaDiCaL proof, and a mutation."""
    nv = draw(st.integers(4, 9))
    nc = draw(st.integers(5 * nv, 8 * nv))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = random.Random(seed)
    cnf = [[v * rng.choice((-1, 1)) for v in rng.sample(range(1, nv + 1), 3)] for _ in range(nc)]
    with Solver(name="cadical153", with_proof=True, bootstrap_with=cnf) as s:
        sat = s.solve()
        proof = [] if sat else s.get_proof()
    proof = no_deletions(proof)
    mutation = draw(st.sampled_from(["none", "drop", "flip", "truncate"]))
    if proof and mutation != "none":
        i = rng.randrange(len(proof))
        if mutation == "drop":
            proof = proof[:i] + proof[i + 1:]
        elif mutation == "truncate":
            proof = proof[:i]
        elif proof[i] != "0":
            toks = proof[i].split()
            j = rng.randrange(len(toks) - 1)
            toks[j] = str(-int(toks[j]))
            proof = proof[:i] + [" ".join(toks)] + proof[i + 1:]
    return sat, cnf, proof, mutation


@settings(deadline=None, max_examples=60)
@given(unsat_cnf_with_proof())
def test_engines_and_independent_checker_agree(case):
    sat, cnf, proof, mutation = case
    verdicts = {e: check_drup(cnf, proof, engine=e).ok for e in ENGINES}
    assert verdicts["python"] == verdicts["numba"] == independent_check(cnf, proof)
    if sat:
        assert not verdicts["python"]  # nothing refutes a satisfiable formula
    elif mutation == "none":
        assert verdicts["python"]


def test_malformed_proofs():
    r = check_drup(FOUR, ["1 2", "0"])
    assert not r.ok and "does not end with a single 0" in r.reason
    r = check_drup(FOUR, ["1 x 0"])
    assert not r.ok and "not a DRUP step" in r.reason
    assert parse_proof(["c comment", "", "d 1 2 0", "1  0", b"0"]) == [(True, [1, 2]), (False, [1]), (False, [])]
    with pytest.raises(CapacityError):
        check_drup([[1, 0, 2]], ["0"])
    with pytest.raises(CapacityError):
        check_drup(FOUR, ["0"], engine="fast")


def test_files_roundtrip_and_are_deterministic(tmp_path):
    cnf = PHP(4).clauses
    proof = cadical_proof(cnf)
    a = write_dimacs(tmp_path / "a.cnf", cnf, comments=["pigeonhole 4"])
    b = write_dimacs(tmp_path / "b.cnf", cnf, comments=["pigeonhole 4"])
    assert a.read_bytes() == b.read_bytes()
    assert read_dimacs(a) == cnf
    p = write_proof(tmp_path / "a.drup", proof)
    write_proof(tmp_path / "b.drup", proof)
    assert p.read_bytes() == (tmp_path / "b.drup").read_bytes()
    assert read_proof(p) == proof
    assert check_drup(read_dimacs(a), read_proof(p)).ok
    with pytest.raises(CapacityError):
        read_proof(tmp_path / "missing.drup")
    with pytest.raises(CapacityError):
        read_dimacs(tmp_path / "missing.cnf")


@pytest.mark.slow
def test_forty_thousand_lemmas():
    cnf = PHP(8).clauses
    proof = cadical_proof(cnf)
    r = check_drup(cnf, proof)
    assert r.ok and r.lemmas > 30000


# ---- backward, core-first checker ------------------------------------------------------------------------
def trimmed_to_core(cnf, proof):
    """The backward checker's core as a proof: the core lemmas and the deletions of core clauses it honoured,
    in order (a deletion of a dropped duplicate must not delete the core copy)."""
    steps = parse_proof(proof)
    flat = _flat_proof(proof)
    res, core, ignored = _check_backward(cnf, flat, 0.0, np.zeros(1, np.int8))
    target = _prepare(cnf, flat)[5]
    n = len(cnf)
    keep = [core[n + k] if not d else not ignored[n + k] and target[n + k] >= 0 and core[target[n + k]]
            for k, (d, _) in enumerate(steps)]
    lines = [("d " if d else "") + " ".join(map(str, lits + [0])) for (d, lits), k in zip(steps, keep) if k]
    return res, lines


def backward_is_consistent(cnf, proof):
    """The documented relation between the checkers; returns the backward verdict."""
    fwd = check_drup(cnf, proof, engine="python")
    assert check_drup(cnf, proof, engine="numba").ok == fwd.ok
    bwd = check_drup(cnf, proof, engine="backward")
    twin = check_drup(cnf, proof, engine="backward-python")
    assert (bwd.ok, bwd.core, bwd.lemmas, bwd.reason) == (twin.ok, twin.core, twin.lemmas, twin.reason)
    if fwd.ok:
        assert bwd.ok, bwd.reason  # the core of an accepted proof is accepted
    if bwd.ok:
        res, core_proof = trimmed_to_core(cnf, proof)
        assert res.ok and len([x for x in core_proof if not x.startswith("d")]) == bwd.core
        assert check_drup(cnf, core_proof, engine="python").ok  # the core alone refutes the formula
    return bwd.ok


@pytest.mark.parametrize("n", [4, 5, 6])
def test_backward_checks_a_core_of_real_proofs(n):
    cnf = PHP(n).clauses
    proof = cadical_proof(cnf)  # with CaDiCaL's deletions
    r = check_drup(cnf, proof)
    assert r.ok and r.engine == "backward" and 0 < r.core <= r.lemmas
    assert backward_is_consistent(cnf, proof)


def test_backward_accepts_bogus_lemmas_only_outside_the_core():
    cnf = PHP(5).clauses
    proof = cadical_proof(cnf)
    res, core_proof = trimmed_to_core(cnf, proof)
    # a unit on a fresh variable is not RUP, and no conflict can ever use it: it never enters the core
    bogus = proof[:3] + ["99 0"] + proof[3:]
    assert not check_drup(cnf, bogus, engine="python").ok
    for engine in BACKWARD:
        r = check_drup(cnf, bogus, engine=engine)
        assert r.ok and r.core == res.core
    # the same bogus lemma in the core is caught: make it the clause the refutation ends with
    assert not check_drup(cnf, ["99 0", "0"], engine="backward").ok
    # replacing a core lemma by its negated first literal breaks the proof for every engine
    steps = parse_proof(proof)
    _, core, _ = _check_backward(cnf, _flat_proof(proof), 0.0, np.zeros(1, np.int8))
    k = next(k for k in range(len(steps)) if core[len(cnf) + k] and len(steps[k][1]) > 1)
    lits = steps[k][1]
    flipped = proof[:k] + [" ".join(map(str, [-lits[0]] + lits[1:] + [0]))] + proof[k + 1:]
    verdicts = {e: check_drup(cnf, flipped, engine=e).ok for e in ENGINES}
    assert verdicts["python"] == verdicts["numba"]
    assert backward_is_consistent(cnf, flipped) == verdicts["backward"]


def test_backward_rejects_what_refutes_nothing():
    cnf = PHP(5).clauses
    proof = cadical_proof(cnf)
    for engine in BACKWARD:
        assert not check_drup(cnf, [], engine=engine).ok  # empty proof
        assert not check_drup(cnf, proof[: len(proof) // 2], engine=engine).ok  # truncated
        other = check_drup(PHP(6).clauses, proof, engine=engine)  # a proof of another formula
        assert not other.ok
        sat = [[1, 2], [-1, 2], [1, -2]]
        assert not check_drup(sat, proof, engine=engine).ok
    rng = random.Random(1)
    lemmas = [i for i, line in enumerate(proof) if not line.startswith("d") and line != "0"]
    for i in rng.sample(lemmas, 25):  # dropped lemmas
        backward_is_consistent(cnf, proof[:i] + proof[i + 1:])


def test_deadline_stops_every_engine():
    cnf = PHP(7).clauses
    proof = cadical_proof(cnf)
    for engine in ENGINES:
        r = check_drup(cnf, proof, engine=engine, deadline=0.0)  # long past
        assert r.timed_out and not r.ok and "time limit" in r.reason
    import time

    t = time.perf_counter()
    r = check_drup(cnf, proof, engine="backward-python", deadline=t + 0.2)
    assert r.timed_out and time.perf_counter() - t < 1.5


@st.composite
def proof_with_deletions(draw):
    """A random UNSAT CNF (3-SAT above the threshold, or pigeonhole), its CaDiCaL proof with deletions, and
    a mutation: a dropped line, a flipped literal, a bogus unit, a cut, or none."""
    if draw(st.booleans()):
        cnf = PHP(draw(st.integers(3, 5))).clauses
    else:
        nv = draw(st.integers(5, 12))
        rng = random.Random(draw(st.integers(0, 2**32 - 1)))
        cnf = [[v * rng.choice((-1, 1)) for v in rng.sample(range(1, nv + 1), 3)] for _ in range(6 * nv)]
    with Solver(name="cadical153", with_proof=True, bootstrap_with=cnf) as s:
        sat = s.solve()
        proof = [] if sat else s.get_proof()
    mutation = draw(st.sampled_from(["none", "drop", "flip", "bogus", "cut"]))
    if proof and mutation != "none":
        i = draw(st.integers(0, len(proof) - 1))
        toks = proof[i].split()
        if mutation == "drop":
            proof = proof[:i] + proof[i + 1:]
        elif mutation == "cut":
            proof = proof[:i]
        elif mutation == "bogus":
            proof = proof[:i] + [f"{len(cnf) + 50} 0"] + proof[i:]
        elif len(toks) > 1 and toks[0] != "d":
            toks[0] = str(-int(toks[0]))
            proof = proof[:i] + [" ".join(toks)] + proof[i + 1:]
    return sat, cnf, proof


@settings(deadline=None, max_examples=80)
@given(proof_with_deletions())
def test_backward_and_forward_checkers_agree_on_mutated_proofs(case):
    sat, cnf, proof = case
    ok = backward_is_consistent(cnf, proof)
    if sat:
        assert not ok


# ---- time limits that include the check, proofs kept for later, capacity check-proof ------------------
def _uand(m, width):
    from capacity import Domain, Problem, from_spec

    return Problem(from_spec(Domain(m, 2), "pairs"), width, "step", 1)


def test_sat_time_limit_includes_the_check_and_keeps_the_proof(tmp_path, monkeypatch):
    import time

    import capacity.solvers.sat as sat
    from capacity.cli import main
    from capacity.drup import wait_for_kept_proofs
    from capacity.solvers import Status

    problem = _uand(6, 4)  # UNSAT in about 0.5 s, a proof of about 40000 lines
    monkeypatch.setattr(sat, "COUNTING_DEPTH", 0)  # with the counting constraints the proof is tiny
    first = sat.solve(problem)
    assert first.status is Status.NOT_REPRESENTABLE
    budget = 3 * (first.info["encode_seconds"] + first.info["solve_seconds"]) + 1.0
    # the plain-Python twin checks this proof in far more than the budget: the call must stop it
    real = sat.check_drup
    monkeypatch.setattr(sat, "check_drup",
                        lambda cnf, proof, deadline: real(cnf, proof, engine="backward-python", deadline=deadline))
    monkeypatch.setenv("CAPACITY_PROOF_DIR", str(tmp_path))
    t = time.perf_counter()
    res = sat.solve(problem, time_limit=budget)
    assert time.perf_counter() - t <= budget + 2.0
    assert res.status is Status.UNKNOWN and "did not finish" in res.info["reason"]
    kept = res.info["proof_path"]
    assert kept.startswith(str(tmp_path)) and kept.endswith(".lrat")  # the default solver writes LRAT
    wait_for_kept_proofs()  # written in the background, after the call returned
    assert main(["check-proof", kept]) == 0
    assert main(["check-proof", kept, "--time-limit", "1e-9"]) == 3


def test_check_proof_rejects_bad_files_with_one_line(tmp_path, capsys):
    from capacity.cli import main
    from capacity.drup import keep_proof

    cnf = PHP(5).clauses
    proof = cadical_proof(cnf)
    good = keep_proof(cnf, proof, path=tmp_path / "good.drup")
    assert main(["check-proof", str(good), "--json"]) == 0
    assert '"ok": true' in capsys.readouterr().out
    text = good.read_text()
    cases = {
        "truncated": text[: len(text) // 2 - 1],  # cut inside a line
        "corrupted": text.replace(" 0\n", " x 0\n", 1),
        "empty": "",
        "binary": "\x00\x01\x7fELF\n",
    }
    for name, body in cases.items():
        (tmp_path / f"{name}.drup").write_text(body)
        assert main(["check-proof", str(tmp_path / f"{name}.drup"), "--cnf", str(tmp_path / "good.cnf")]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "error" in err, (name, err)
    # a proof for another formula
    other = keep_proof(PHP(4).clauses, cadical_proof(PHP(4).clauses), path=tmp_path / "other.drup")
    assert main(["check-proof", str(other), "--cnf", str(tmp_path / "good.cnf")]) == 2
    assert main(["check-proof", str(tmp_path / "missing.drup")]) == 2
    assert capsys.readouterr().err.count("\n") == 2


@pytest.mark.slow
def test_backward_core_of_a_large_proof_passes_the_forward_checker():
    # a proof with duplicate lemmas and about 80000 lemmas (ReLU U-AND, m = 5, width 2)
    from capacity import Domain, Problem, from_spec
    from capacity.solvers.sat import encode

    cnf, _, _ = encode(Problem(from_spec(Domain(5, 2), "pairs"), 2, "relu", 1))
    proof = cadical_proof(cnf)
    assert backward_is_consistent(cnf, proof)


def test_parsing_kernels_match_their_plain_twins():
    cnf = PHP(4).clauses
    proof = cadical_proof(cnf) + ["c a comment", "", "d  1 2 0", "3 -3 2 0"]  # spacing, a tautology
    fast, plain = _flat_proof(proof), _flat_proof(proof, jit=False)
    assert all((a == b).all() for a, b in zip(fast, plain))
    steps = parse_proof(proof)
    assert [(d, lits) for d, lits in steps[-2:]] == [(True, [1, 2]), (False, [3, -3, 2])]
    for a, b in zip(_prepare(cnf, fast), _prepare(cnf, plain, jit=False)):
        assert np.array_equal(a, b)
    for bad in (["1 2"], ["1 2 0 3 0"], ["1 - 2 0"], ["-0 0"], ["1 2 0", "d1 0"]):
        with pytest.raises(CapacityError):
            _flat_proof(bad)
        with pytest.raises(CapacityError):
            _flat_proof(bad, jit=False)
