"""Representable sets of one code (issue 16): the incremental pipeline against enumeration (an independent
oracle), automorphism merging, cheap witnesses, parallel chunks, and budgets that end in UNKNOWN."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capacity.codes import Code
from capacity.domain import Domain
from capacity.drup import check_drup
from capacity.features import from_spec
from capacity.network import Network
from capacity.solvers import Problem, Status, representable, verify_witness
from capacity.solvers.codeset import (
    CodeEncoding,
    automorphisms,
    is_automorphism,
    map_network,
    orbits,
    round_into_class,
)
from capacity.solvers.front import capacity, representable_set


def _check_answers(rs, code, activation="relu", K=1):
    """Every REPRESENTABLE answer carries a witness verified here again; every NOT_REPRESENTABLE a checked
    certificate; UNKNOWN carries neither."""
    for f, r in enumerate(rs.results):
        p = Problem(rs.family.select([f]), code.d_hidden, activation, K, False, code)
        if r.status is Status.REPRESENTABLE:
            assert verify_witness(p, r.witness)[0]
        elif r.status is Status.NOT_REPRESENTABLE:
            assert r.certificate.checked and r.certificate.kind == "drup"
        else:
            assert r.witness is None and r.certificate is None


codes = st.integers(2, 4).flatmap(lambda m: st.integers(1, 3).flatmap(
    lambda n: st.tuples(st.just(m), st.lists(st.lists(st.sampled_from([-1, 0, 1]), min_size=m, max_size=m),
                                             min_size=n, max_size=n),
                        st.sampled_from(["relu", "step"]))))


@settings(max_examples=12, deadline=None)
@given(codes)
def test_incremental_agrees_with_enumeration(spec):
    m, rows, activation = spec
    code = Code(np.array(rows))
    family = from_spec(Domain(m, 2), "pairs; ands:k=1; parity")
    inc = representable_set(code, family, activation=activation, method="incremental")
    ref = representable_set(code, family, activation=activation, method="enumerate")
    assert inc.complete
    assert inc.mask.tolist() == ref.mask.tolist()
    _check_answers(inc, code, activation)


def test_refutations_share_one_checked_proof():
    # unit 0 sees only x0, unit 1 only x1: ANDs with x2 or x3 are out of reach; x0 & x1 is not
    code = Code(np.array([[1, 0, 0, 0], [0, 1, 0, 0]]))
    family = from_spec(Domain(4, 2), "pairs")
    rs = representable_set(code, family, method="incremental", merge=False)
    assert rs.mask.tolist() == representable_set(code, family, method="enumerate").mask.tolist()
    refuted = [r for r in rs.results if r.status is Status.NOT_REPRESENTABLE]
    assert len(refuted) >= 2 and all(r.certificate.data["refuted_together"] == len(refuted) for r in refuted)
    _check_answers(rs, code)


def test_selector_check_rejects_a_false_claim():
    # the shared-proof check must fail when a representable feature's selector is claimed refuted
    code = Code(np.array([[1, 1, 0], [0, 1, 1]]))
    family = from_spec(Domain(3, 2), "pairs")
    p = Problem(family.select([0]), 2, "relu", 1, False, code)
    enc = CodeEncoding(p)
    enc.add_feature(0, family.bits[0])
    sel = enc.selectors[0]
    assert representable_set(code, family.select([0]), method="enumerate").count == 1
    assert not check_drup(enc.clauses + [[sel]], [f"{-sel} 0"]).ok


def test_automorphisms_merge_features_and_map_witnesses():
    # inputs 0 and 1 have identical columns; so do 2 and 3; swapping units 0 <-> 1 with inputs (0 2)(1 3)
    S = np.array([[1, 1, 0, 0], [0, 0, 1, 1], [1, 1, 1, 1]])
    code = Code(S)
    auts = automorphisms(code)
    assert auts.generators and all(is_automorphism(code, pi, sg) for pi, sg in auts.generators)
    family = from_spec(Domain(4, 2), "pairs")
    orb = orbits(family, auts, 3)
    reps = {o[0] for o in orb}
    # x0&x1 ~ x2&x3 and the four mixed pairs form one orbit
    assert len(reps) == 2
    merged = representable_set(code, family, method="incremental")
    plain = representable_set(code, family, method="incremental", merge=False)
    assert merged.mask.tolist() == plain.mask.tolist()
    assert merged.info["calls_saved_by_automorphisms"] == len(family) - 2
    _check_answers(merged, code)


def test_map_network_moves_the_function():
    net = Network(np.array([[1, -1, 0], [0, 1, 1]]), np.array([0, -1]), np.array([[1, -1]]), np.array([0]), "relu")
    pi, sigma = np.array([2, 0, 1]), np.array([1, 0])
    out = map_network(net, pi, sigma)
    d = Domain(3)
    X = d.points
    Y = np.zeros_like(X)
    Y[:, pi] = X  # x'[pi[i]] = x[i]
    # the mapped network on x' equals the original on x
    assert np.array_equal(net.logits(d), out.logits(d)[d.lookup(Y)])


def test_not_an_automorphism_is_rejected():
    code = Code(np.array([[1, 0], [0, -1]]))
    assert not is_automorphism(code, np.array([1, 0]), np.array([1, 0]))
    assert is_automorphism(code, np.array([0, 1]), np.array([0, 1]))


def test_cheap_witness_from_a_network_in_the_class():
    # a network that computes x0 & x1 with K = 1 weights: it answers that feature without a solver call
    net = Network(np.array([[1, 1, 0]]), np.array([-1]), np.array([[1]]), np.array([-1]), "relu")
    code = Code.from_network(net)
    family = from_spec(Domain(3, 2), "x0 & x1")
    rs = representable_set(code, family, method="incremental", network=net)
    assert rs.count == 1 and rs.info["solver_calls"] == 0 and rs.info["cheap_witness_orbits"] == 1
    _check_answers(rs, code)


def test_round_into_class_obeys_the_code():
    rng = np.random.default_rng(1)
    net = Network(rng.normal(size=(4, 5)), rng.normal(size=4), rng.normal(size=(2, 4)), rng.normal(size=2), "relu")
    code = Code.from_network(net, tau=0.3)
    r = round_into_class(net, code, 2)
    assert r.is_integer and np.abs(r.W_in).max() <= 2 and np.abs(r.W_out).max() <= 2
    assert (np.sign(r.W_in) == code.S_in).all() and (np.sign(r.b_in) == code.S_b_in).all()


def test_parallel_chunks_agree_with_one_chunk():
    rng = np.random.default_rng(3)
    code = Code(rng.integers(-1, 2, size=(3, 5)))
    family = from_spec(Domain(5, 2), "pairs")
    one = representable_set(code, family, method="incremental")
    two = representable_set(code, family, method="incremental", workers=2)
    assert one.mask.tolist() == two.mask.tolist() and two.complete
    _check_answers(two, code)


# ---- budgets end in UNKNOWN ----------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["incremental", "sat"])
def test_representable_set_call_budget_runs_out_midway(method):
    rng = np.random.default_rng(5)
    code = Code(rng.integers(-1, 2, size=(3, 5)))
    family = from_spec(Domain(5, 2), "pairs")
    rs = representable_set(code, family, method=method, max_calls=3, merge=False)
    st_ = rs.statuses
    assert st_[:3].count("UNKNOWN") == 0 and st_[3:] == ["UNKNOWN"] * (len(family) - 3)
    assert not rs.complete
    full = representable_set(code, family, method="enumerate")
    assert rs.mask[:3].tolist() == full.mask[:3].tolist()
    _check_answers(rs, code)


@pytest.mark.parametrize("method", ["incremental", "sat", "cpsat", "enumerate"])
def test_representable_set_tiny_time_limit_gives_unknown(method):
    code = Code(np.random.default_rng(6).integers(-1, 2, size=(4, 6)))
    family = from_spec(Domain(6, 2), "pairs")
    rs = representable_set(code, family, method=method, time_limit=1e-9)
    assert rs.statuses == ["UNKNOWN"] * len(family)


def test_capacity_call_budget_keeps_a_verified_lower_bound():
    family = from_spec(Domain(3), "pairs; x0 ^ x1")
    res = capacity(family, 2, method="sat", max_calls=2)
    assert not res.proven and res.size <= 2
    if res.size:
        p = Problem(family.select(list(res.chosen)), 2, "relu", 1)
        assert verify_witness(p, res.witness)[0]
    full = capacity(family, 2, method="enumerate")
    assert res.size <= full.size


def test_capacity_tiny_time_limit_does_not_raise():
    family = from_spec(Domain(3), "pairs; x0 ^ x1")
    res = capacity(family, 2, method="cpsat", time_limit=1e-9)
    assert not res.proven and res.size == 0


# ---- capacity codes ------------------------------------------------------------------------------------


def _toy_model(path):
    """Two channels: unit 0 reads x0, x1 (output y0 = x0 & x1), unit 1 reads x2, x3 (y1 = x2 & x3); a third
    unit with small weights is dropped by tau = 0.1."""
    W = np.array([[1.0, 0.9, 0, 0], [0, 0, 1.1, 0.8], [0.05, -0.02, 0.04, 0.05]])
    net = Network(W, np.array([-1.2, -1.0, -0.3]), np.array([[1.0, 0, 0.02], [0, 1.3, -0.01]]),
                  np.array([-0.5, -0.4]), "relu")
    net.save(path)
    return net


def test_codes_command_writes_the_three_tables(tmp_path, capsys):
    import json

    from capacity.cli import main

    model = tmp_path / "toy.npz"
    net = _toy_model(model)
    out = tmp_path / "out"
    assert main(["codes", str(model), "--family", "pairs", "--sparsity", "2", "--tau", "0.1", "--out", str(out),
                 "--no-progress"]) == 0
    assert {p.name for p in out.iterdir()} == {"codes.md", "codes.csv", "codes.json"}
    d = json.loads((out / "codes.json").read_text())
    cats = {r["feature"]: r["category"] for r in d["features"]}
    # the network computes exactly its two outputs (independent check by evaluating it)
    fam = from_spec(Domain(4, 2), "pairs")
    tables = net.truth_tables(Domain(4, 2))
    own = {n for n, t in zip(fam.names, fam.tables) if any((t == row).all() for row in tables)}
    assert own == {"x0 & x1", "x2 & x3"} == {n for n, c in cats.items() if c == "computed"}
    # after tau = 0.1 no unit sees both x0 and x2: that AND is out of reach (the enumeration agrees)
    code = Code(Code.from_network(net, 0.1).S_in, Code.from_network(net, 0.1).S_b_in)
    ref = representable_set(code, fam, method="enumerate")
    assert [cats[n] == "impossible" for n in fam.names] == (~ref.mask).tolist()
    assert "impossible" in (out / "codes.md").read_text()


def test_codes_command_exit_codes(tmp_path, capsys):
    from capacity.cli import main

    model = tmp_path / "toy.npz"
    _toy_model(model)
    assert main(["codes", str(model), "--family", "pairs", "--sparsity", "2", "--max-calls", "0",
                 "--out", str(tmp_path / "o1"), "--no-progress"]) == 3  # budget: UNKNOWN features
    assert main(["codes", str(tmp_path / "missing.npz"), "--family", "pairs", "--out", str(tmp_path / "o2")]) == 2
    assert main(["codes", str(model), "--family", "nosuchfamily", "--out", str(tmp_path / "o3")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "missing.npz" in err


def test_clause_budget_ends_in_unknown():
    from capacity.solvers.codeset import ChunkTask, decide_features

    code = Code(np.random.default_rng(7).integers(-1, 2, size=(3, 4)))
    family = from_spec(Domain(4, 2), "pairs")
    problems = tuple(Problem(family.select([i]), 3, "relu", 1, False, code) for i in range(len(family)))
    out = decide_features(ChunkTask(problems, (0, 1), None, max_clauses=100))
    assert "encoding_too_large" in out.pop("_stats")
    assert [r.status for r in out.values()] == [Status.UNKNOWN] * 2
    # a known hidden layer still answers what it can without the encoding
    w = representable_set(code, family.select([2]), method="incremental").results[0].witness
    out = decide_features(ChunkTask(problems, (0, 1, 2), None, max_clauses=100, hidden_layers=((w.W_in, w.b_in),)))
    out.pop("_stats")
    assert out[2].status is Status.REPRESENTABLE and verify_witness(problems[2], out[2].witness)[0]


class _FakeClock:
    """A deterministic wall clock for the front doors: it advances 1000 s after every solver call, so a
    10 s budget runs out after exactly the first sub-problem."""

    def __init__(self, monkeypatch):
        import capacity.solvers.front as front

        self.now = 0.0
        real = front.representable

        def representable(*a, **kw):
            res = real(*a, **kw)
            self.now += 1000.0
            return res

        monkeypatch.setattr(front, "representable", representable)
        monkeypatch.setattr(front, "time", type("T", (), {"perf_counter": staticmethod(lambda: self.now)}))


def test_min_width_time_budget_runs_out_midway(monkeypatch):
    from capacity.solvers.front import min_width

    _FakeClock(monkeypatch)
    family = from_spec(Domain(3), "pairs")
    res = min_width(family, method="sat", time_limit=10)
    assert str(res.status) == "UNKNOWN" and len(res.steps) == 1
    # the one answer found is kept: width 1 refuted (an independent enumeration agrees)
    assert res.steps[0]["status"] == "NOT_REPRESENTABLE" and res.lower == 2
    assert representable(Problem(family, 1, "relu", 1), "reference").status is Status.NOT_REPRESENTABLE


def test_loops_time_budget_runs_out_midway(monkeypatch):
    _FakeClock(monkeypatch)
    family = from_spec(Domain(3), "pairs; x0 ^ x1")
    res = capacity(family, 2, method="sat", time_limit=10)
    assert not res.proven and res.size <= 1
    if res.size:
        assert verify_witness(Problem(family.select(list(res.chosen)), 2, "relu", 1), res.witness)[0]
    code = Code(np.array([[1, 1, 0], [0, 1, 1]]))
    rs = representable_set(code, from_spec(Domain(3, 2), "pairs"), method="sat", time_limit=10)
    assert rs.statuses[0] != "UNKNOWN" and rs.statuses[1:] == ["UNKNOWN", "UNKNOWN"]
    _check_answers(rs, code)


@pytest.mark.slow
def test_dask_executor_gives_the_local_answers():
    from distributed import Client, LocalCluster

    from capacity.scaling.executors import DaskExecutor

    code = Code(np.random.default_rng(3).integers(-1, 2, size=(3, 5)))
    family = from_spec(Domain(5, 2), "pairs")
    local = representable_set(code, family, method="incremental", workers=2)
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster, \
            Client(cluster, set_as_default=False) as client:
        dask = representable_set(code, family, method="incremental", executor=DaskExecutor(client=client))
    assert dask.statuses == local.statuses and dask.complete
    _check_answers(dask, code)


def test_no_code_merges_all_input_permutations():
    family = from_spec(Domain(3), "pairs; x0 | x1; x0 ^ x2")
    inc = representable_set(None, family, d_hidden=1, method="incremental")
    assert inc.info["orbits"] == 3  # the pairs, the OR, the XOR: input permutations merge within each kind
    ref = [representable(Problem(family.select([i]), 1, "relu", 1), "reference").status for i in range(len(family))]
    assert inc.statuses == [str(s) for s in ref]


# ---- the time limit bounds the shared proof check and enumerate ----------------------------------------


def _refuting_chunk():
    """A code under which some pairs are representable and some refuted (independent oracle: enumeration)."""
    code = Code(np.array([[1, 0, 0, 0], [0, 1, 0, 0]]))
    family = from_spec(Domain(4, 2), "pairs")
    problems = tuple(Problem(family.select([i]), 2, "relu", 1, False, code) for i in range(len(family)))
    truth = representable_set(code, family, method="enumerate").mask.tolist()
    assert 0 < sum(truth) < len(truth)
    return problems, truth


def _jump_clock(monkeypatch, features):
    """Make the codeset clock jump 1000 s once the chunk's last feature is answered (before the proof
    check), so a 100 s budget runs out there, independently of machine speed."""
    import time as real_time

    import capacity.solvers.codeset as cs

    state = {"answered": 0, "offset": 0.0}
    monkeypatch.setattr(cs, "time", type("T", (), {
        "perf_counter": staticmethod(lambda: real_time.perf_counter() + state["offset"])}))

    def on_result():
        state["answered"] += 1
        if state["answered"] == features:
            state["offset"] = 1000.0

    return on_result


def test_deadline_before_the_shared_check_gives_unknown(monkeypatch, tmp_path):
    from pathlib import Path

    from capacity.drup import read_dimacs
    from capacity.solvers.codeset import ChunkTask, decide_features

    monkeypatch.setenv("CAPACITY_PROOF_DIR", str(tmp_path))
    problems, truth = _refuting_chunk()
    feats = tuple(range(len(problems)))
    out = decide_features(ChunkTask(problems, feats, 100.0), on_result=_jump_clock(monkeypatch, len(feats)))
    out.pop("_stats")
    for f in feats:
        if truth[f]:  # witnesses need no check: kept
            assert out[f].status is Status.REPRESENTABLE and verify_witness(problems[f], out[f].witness)[0]
        else:  # refuted by the solver, but never NOT_REPRESENTABLE without a checked certificate
            assert out[f].status is Status.UNKNOWN and out[f].certificate is None
            assert "proof check" in out[f].info["reason"]
    # the kept CNF and proof are a real refutation: capacity check-proof accepts them later
    kept = {out[f].info["proof_path"] for f in feats if not truth[f]}
    assert len(kept) == 1
    path = Path(kept.pop())
    assert check_drup(read_dimacs(path.with_suffix(".cnf")), path.read_text().splitlines()).ok


def test_shared_check_gets_the_deadline_and_its_timeout_gives_unknown(monkeypatch, tmp_path):
    import capacity.solvers.codeset as cs
    from capacity.drup import DrupCheck

    monkeypatch.setenv("CAPACITY_PROOF_DIR", str(tmp_path))
    problems, truth = _refuting_chunk()
    seen = []

    def stopped_check(cnf, proof, *, deadline=None, **kw):  # what check_drup returns when the deadline hits
        seen.append(deadline)
        return DrupCheck(False, 0, 0, 0.0, "time limit reached while reading the proof", timed_out=True)

    monkeypatch.setattr(cs, "check_drup", stopped_check)
    out = cs.decide_features(cs.ChunkTask(problems, tuple(range(len(problems))), 100.0))
    assert out.pop("_stats")["fresh_fallbacks"] == 0  # a timed-out check is not re-solved past the deadline
    assert len(seen) == 1 and seen[0] is not None  # the call's deadline reached the check
    assert [r.status is Status.REPRESENTABLE for r in out.values()] == truth
    assert all(r.status is Status.UNKNOWN for f, r in out.items() if not truth[f])


def test_failed_shared_check_past_the_deadline_does_not_re_solve(monkeypatch):
    import capacity.solvers.codeset as cs
    from capacity.drup import DrupCheck

    problems, truth = _refuting_chunk()
    feats = tuple(range(len(problems)))
    on_result = _jump_clock(monkeypatch, len(feats) + 1)  # never jumps by itself

    def rejected_after_the_deadline(*a, **k):  # a rejected shared proof whose check used up the budget
        on_result()
        return DrupCheck(False, 1, 0, 0.0, "line 1 is not RUP")

    monkeypatch.setattr(cs, "check_drup", rejected_after_the_deadline)
    out = cs.decide_features(cs.ChunkTask(problems, feats, 100.0), on_result=on_result)
    assert out.pop("_stats")["fresh_fallbacks"] == len(feats) - sum(truth)
    assert [r.status is Status.REPRESENTABLE for r in out.values()] == truth
    assert all(r.status is Status.UNKNOWN and "no time to re-solve" in r.info["reason"]
               for f, r in out.items() if not truth[f])


def test_enumerate_time_budget_runs_out_midway(monkeypatch):
    _FakeClock(monkeypatch)  # 1000 s pass after every sub-problem: a 10 s budget covers exactly the first
    code = Code(np.array([[1, 0, 0, 0], [0, 1, 0, 0]]))
    family = from_spec(Domain(4, 2), "pairs")
    rs = representable_set(code, family, method="enumerate", time_limit=10)
    assert rs.statuses[0] != "UNKNOWN" and rs.statuses[1:] == ["UNKNOWN"] * (len(family) - 1)
    assert not rs.complete
    full = representable_set(code, family, method="enumerate")  # one whole enumeration: the oracle
    assert rs.mask[0] == full.mask[0] and full.complete
    r = rs.results[0]
    p = Problem(family.select([0]), 2, "relu", 1, False, code)
    assert (verify_witness(p, r.witness)[0] if r.status is Status.REPRESENTABLE
            else r.certificate.checked and r.certificate.kind == "enumeration")


def test_enumerate_call_budget_runs_out_midway():
    code = Code(np.array([[1, 0, 0, 0], [0, 1, 0, 0]]))
    family = from_spec(Domain(4, 2), "pairs")
    rs = representable_set(code, family, method="enumerate", max_calls=3)
    full = representable_set(code, family, method="enumerate")
    assert rs.statuses[3:] == ["UNKNOWN"] * (len(family) - 3) and rs.statuses[:3] == full.statuses[:3]
