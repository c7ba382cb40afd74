"""Fixed Parameter Expansion: invariants, metrics against hand computations, collision probability, exact answers
cross-checked by two solvers, determinism, and bad input on the CLI."""

from itertools import combinations, pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capacity.cli import main
from capacity.errors import CapacityError
from capacity.fpe import (
    balanced_collision,
    clause_collision_rate,
    clause_coverage,
    expected_collision,
    feature_capacity,
    fold_regression,
    fpe_expand,
    mean_pairwise_cosine,
    monte_carlo_collision,
    prune_to_budget,
    split_clause,
)
from capacity.network import Network


def _net(rng, widths, d, C):
    sizes = (d, *widths, C)
    Ws = [rng.normal(size=(b, a)) for a, b in pairwise(sizes)]
    bs = [rng.normal(size=b) for b in sizes[1:]]
    return Network(Ws[0], bs[0], Ws[-1], bs[-1], "relu", tuple(Ws[1:-1]), tuple(bs[1:-1]))


@st.composite
def expansions(draw):
    d = draw(st.integers(2, 8))
    depth = draw(st.integers(1, 2))
    widths = tuple(draw(st.integers(1, 5)) for _ in range(depth))
    C = draw(st.integers(1, 3))
    alpha = draw(st.integers(2, min(d, 4)))
    split = draw(st.sampled_from(["random", "clause", "gram"]))
    seed = draw(st.integers(0, 2**16))
    return d, widths, C, alpha, split, seed


@settings(max_examples=30)
@given(expansions())
def test_expansion_invariants(case):
    d, widths, C, alpha, split, seed = case
    rng = np.random.default_rng(seed)
    net = _net(rng, widths, d, C)
    clauses = [list(rng.choice(d, size=min(2, d), replace=False)) for _ in range(3)]
    e = fpe_expand(net, alpha, split=split, clauses=clauses, seed=seed)
    dense_nnz = sum(np.count_nonzero(W) for W, _ in net.layers)
    assert sum(np.count_nonzero(W) for W, _ in e.network.layers) == dense_nnz
    assert sum(int(m.sum()) for m in e.masks) == dense_nnz
    assert e.network.widths == tuple(alpha * w for w in widths)
    for M, n in zip(e.partitions, widths):
        per_parent = M.reshape(n, alpha, -1)
        assert (per_parent.sum(axis=1) == 1).all()  # disjoint and covering, independently of the code
    # children alpha*i .. alpha*i+alpha-1 of the first layer carry exactly the parent's row, split up
    W, Wu = net.W_in, e.unpruned.W_in
    for i in range(widths[0]):
        assert np.array_equal(Wu[alpha * i: alpha * i + alpha].sum(axis=0), W[i])
        assert np.allclose(e.unpruned.b_in[alpha * i: alpha * i + alpha], net.b_in[i] / alpha)
    # outgoing weights duplicated (before pruning); pruned weights respect the masks
    nxt = net.layers[1][0]
    assert np.array_equal(e.unpruned.layers[1][0][:, ::alpha] if len(widths) == 1 else
                          np.repeat(nxt, alpha, axis=1)[:, ::alpha], nxt)
    for (Wp, _), M in zip(e.network.layers, e.masks):
        assert not Wp[~M].any()


def test_children_preactivations_add_up_and_relu_is_subadditive():
    rng = np.random.default_rng(3)
    net = _net(rng, (4,), 6, 1)
    e = fpe_expand(net, 3, seed=1)
    X = rng.integers(0, 2, size=(200, 6)).astype(float)
    z_parent = X @ net.W_in.T + net.b_in
    z_child = X @ e.unpruned.W_in.T + e.unpruned.b_in
    assert np.allclose(z_child.reshape(200, 4, 3).sum(axis=2), z_parent)
    h_parent = np.maximum(z_parent, 0)
    h_child = np.maximum(z_child, 0).reshape(200, 4, 3).sum(axis=2)
    assert (h_child >= h_parent - 1e-12).all()  # relu(a + b) <= relu(a) + relu(b)
    assert (h_child > h_parent + 1e-9).any()  # ... and not equal in general


def test_unpruned_expansion_is_exact_when_every_preactivation_is_nonnegative():
    rng = np.random.default_rng(4)
    W_in, b_in = rng.uniform(0, 1, size=(3, 5)), rng.uniform(0, 1, size=3)
    net = Network(W_in, b_in, rng.normal(size=(2, 3)), rng.normal(size=2))
    e = fpe_expand(net, 2, seed=0)
    X = rng.integers(0, 2, size=(64, 5)).astype(float)

    def out(n):
        return np.maximum(X @ n.W_in.T + n.b_in, 0) @ n.W_out.T + n.b_out

    assert np.allclose(out(e.unpruned), out(net))


def test_pruning_drops_the_smallest_magnitudes():
    rng = np.random.default_rng(5)
    Ws = [rng.normal(size=(4, 3)), rng.normal(size=(2, 4))]
    new, masks, n = prune_to_budget(Ws, [np.ones(w.shape, bool) for w in Ws], 15)
    assert n == 5 and sum(np.count_nonzero(w) for w in new) == 15
    kept = np.concatenate([np.abs(w[m]) for w, m in zip(Ws, masks)])
    gone = np.concatenate([np.abs(w[~m]) for w, m in zip(Ws, masks)])
    assert kept.min() >= gone.max()


def test_clause_split_keeps_disjoint_clauses_whole_and_apart():
    clauses = [(0, 1, 2), (3, 4, 5), (6, 7, 8)]
    W = np.ones((2, 10))
    A = split_clause(W, clauses, 3)
    for row in A:
        assert len({row[j] for c in clauses for j in c}) == 3  # three clauses, three children
        for c in clauses:
            assert len({row[j] for j in c}) == 1
    from capacity.fpe import masks_from_assignment

    M = masks_from_assignment(A, 3)
    assert clause_collision_rate(M, clauses, 3) == 0.0
    assert clause_coverage(M, clauses, 3) == 1.0


def test_collision_and_coverage_by_hand():
    # one parent, two children: child 0 sees inputs {0,1,2,3}, child 1 sees {4,5}
    M = np.array([[1, 1, 1, 1, 0, 0], [0, 0, 0, 0, 1, 1]], dtype=bool)
    clauses = [(0, 1), (2, 3), (1, 4)]
    # pairs: (0,1) both whole in child 0 -> collision; (0,2) and (1,2): clause 2 is split -> none
    assert clause_collision_rate(M, clauses, 2) == pytest.approx(1 / 3)
    assert clause_coverage(M, clauses, 2) == pytest.approx(2 / 3)


def test_feature_capacity_by_hand():
    assert np.allclose(feature_capacity(np.eye(4)), 1.0)
    for n in (2, 3, 5):
        W = np.ones((3, 1)) @ np.ones((1, n))  # n identical columns
        assert np.allclose(feature_capacity(W), 1.0 / n)
    W = np.array([[1.0, 1.0], [0.0, 1.0]])  # columns (1,0), (1,1): G = [[1,1],[1,2]]
    assert np.allclose(feature_capacity(W), [1 / (1 + 1), 4 / (1 + 4)])
    assert feature_capacity(np.zeros((2, 2))).tolist() == [0.0, 0.0]


def test_mean_pairwise_cosine_by_hand():
    assert mean_pairwise_cosine(np.eye(3)) == 0.0
    W = np.array([[1.0, 0.0], [1.0, 1.0], [-1.0, 0.0]])
    s = 1 / np.sqrt(2)
    assert mean_pairwise_cosine(W) == pytest.approx((s + 1 + s) / 3)
    assert np.isnan(mean_pairwise_cosine(np.array([[1.0, 2.0], [0.0, 0.0]])))


@pytest.mark.parametrize("alpha,k", [(2, 1), (2, 2), (3, 1), (3, 2), (4, 2)])
def test_collision_formula_against_monte_carlo(alpha, k):
    trials, d = 40000, 12
    p = expected_collision(alpha, k)
    est = monte_carlo_collision(alpha, k, d, trials, balanced=False, seed=alpha * 10 + k)
    assert abs(est - p) <= 5 * np.sqrt(p * (1 - p) / trials) + 1e-4
    q = balanced_collision(alpha, k, d)
    est_b = monte_carlo_collision(alpha, k, d, trials, balanced=True, seed=alpha * 10 + k)
    assert abs(est_b - q) <= 5 * np.sqrt(q * (1 - q) / trials) + 1e-4


def test_balanced_collision_by_exhaustive_count():
    d, alpha, k = 6, 2, 1  # partitions of 6 inputs into two blocks of 3 (ordered blocks)
    hits = total = 0
    for block in combinations(range(d), 3):
        total += 1
        hits += {0, 1} <= set(block) or not ({0, 1} & set(block))
    assert balanced_collision(alpha, k, d) == pytest.approx(hits / total)


def test_fold_regression_against_scipy():
    from scipy.stats import linregress

    rng = np.random.default_rng(0)
    x = rng.normal(size=30)
    y = 0.3 * x + rng.normal(scale=0.5, size=30)
    f = fold_regression(x, y)
    ref = linregress(x, y)
    assert f["slope"] == pytest.approx(ref.slope) and f["r2"] == pytest.approx(ref.rvalue**2)
    assert fold_regression([1, 2, 3], [2, 4, 6])["r2"] == pytest.approx(1.0)


def test_masks_stay_fixed_while_training():
    from capacity.train import TrainConfig, fit

    rng = np.random.default_rng(1)
    net = _net(rng, (3,), 5, 1)
    e = fpe_expand(net, 2, seed=0)
    X = rng.integers(0, 2, size=(32, 5)).astype(np.float32)
    Y = rng.integers(0, 2, size=(32, 1)).astype(np.float32)
    init = [np.array(a) for layer in e.network.layers for a in layer]
    ws, hist, _ = fit([init], X, Y, TrainConfig(steps=30, log_every=1), masks=[list(e.masks)])
    for k, M in enumerate(e.masks):
        assert not ws[0][2 * k][~M].any()
        assert np.abs(ws[0][2 * k][M] - init[2 * k][M]).max() > 0
    assert hist[0, -1] < hist[0, 0]


# ---------------------------------------------------------------------------------------------
# the pre-registered study


def _literals(draw_k, draw_c, signs):
    return [[(draw_k * j + i, bool(signs[(draw_k * j + i) % len(signs)])) for i in range(draw_k)]
            for j in range(draw_c)]


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 3), st.integers(1, 4), st.lists(st.booleans(), min_size=1, max_size=12))
def test_positive_rate_of_disjoint_clauses_against_brute_force(k, c, signs):
    from capacity.fpe.study import brute_force_rate, disjoint_rate, positive_rate

    clauses = _literals(k, c, signs)
    truth = brute_force_rate(clauses, k * c)
    assert disjoint_rate(k, c) == truth == positive_rate(clauses)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(st.tuples(st.integers(0, 5), st.booleans()), min_size=1, max_size=3), min_size=1,
                max_size=4))
def test_inclusion_exclusion_rate_of_overlapping_clauses_against_brute_force(clauses):
    from capacity.fpe.study import brute_force_rate, positive_rate

    clauses = [list(dict(c).items()) for c in clauses]  # one sign per variable within a clause
    assert positive_rate(clauses) == brute_force_rate(clauses, 6)


def test_balanced_clause_counts_by_brute_force_over_all_assignments():
    from fractions import Fraction

    from capacity.fpe.study import balanced_clause_count, brute_force_rate

    for k, cmax in ((2, 6), (3, 6)):  # every clause count up to cmax, rates counted over all 2^(k c) inputs
        rates = {c: brute_force_rate(_literals(k, c, [False, True]), k * c) for c in range(1, cmax + 1)}
        best = min(rates, key=lambda c: (abs(rates[c] - Fraction(1, 2)), c))
        assert balanced_clause_count(k, cmax) == best
    assert (balanced_clause_count(3), balanced_clause_count(4)) == (5, 11)  # the registered tasks


def test_boolean_data_is_held_out_balanced_and_as_registered():
    from capacity.fpe.study import boolean_data

    d = boolean_data("single", 4, seed=0, n_train=2000, n_val=500, n_test=2000)
    assert d.X_train.shape[1] == 44 and len(d.clauses) == 11 and d.n_out == 1
    assert sorted(v for c in d.clauses for v in c) == list(range(44))  # variable-disjoint, covering
    train = {r.tobytes() for r in d.X_train}
    assert not any(r.tobytes() in train for r in d.X_test) and not any(r.tobytes() in train for r in d.X_val)
    assert abs(d.Y_train.mean() - d.positive_rate[0]) < 0.05
    m = boolean_data("multi", 3, seed=1, n_train=500, n_val=100, n_test=100)
    assert m.X_train.shape[1] == 30 and m.n_out == 6 and len({tuple(c) for c in m.clauses}) == 10
    assert len({tuple(col) for col in m.Y_train.T}) == 6  # six different outputs


def test_balanced_accuracy_against_scikit_learn():
    from sklearn.metrics import balanced_accuracy_score

    from capacity.fpe.study import balanced_accuracy

    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, size=50)
    logits = rng.normal(size=(2, 50, 4))
    ours = balanced_accuracy(logits, y, "multiclass")
    assert ours == pytest.approx([balanced_accuracy_score(y, lg.argmax(axis=1)) for lg in logits])
    Y = rng.integers(0, 2, size=(50, 3))
    lb = rng.normal(size=(1, 50, 3))
    ref = np.mean([balanced_accuracy_score(Y[:, f], lb[0, :, f] >= 0) for f in range(3)])
    assert balanced_accuracy(lb, Y, "binary")[0] == pytest.approx(ref)


def test_clause_coverage_and_collision_by_hand():
    from capacity.fpe.study import clause_collision, clause_coverage_of

    clauses = [(0, 1), (2, 3), (4, 5)]
    S = np.zeros((2, 6), bool)
    S[0, [0, 1, 2, 3]] = True  # unit 0 sees clauses 0 and 1 whole
    S[1, [4, 0]] = True  # unit 1 sees only half of clause 2
    assert clause_coverage_of(S, clauses) == pytest.approx(2 / 3)
    assert clause_collision(S, clauses) == pytest.approx(1 / 3)
    assert clause_coverage_of(np.ones((1, 6), bool), clauses) == clause_collision(np.ones((1, 6), bool), clauses) == 1


TINY = dict(real=(), n_values=(2, 3), alphas=(2,), seeds=2, tune_seeds=1, lr_grid=(1e-2, 3e-2), steps=12,
            warmup=4, n_train=64, n_val=32, n_test=32, bootstrap=100, k=3, k_multi=2)


def test_every_variant_holds_the_budget_exactly_and_runs_are_reproducible():
    from capacity.fpe.study import BASELINE_VARIANTS, CONTROLS, FPE_VARIANTS, StudyConfig, run_study

    cfg = StudyConfig(**TINY)
    a, lrs, _ = run_study(cfg, progress=False)
    b, _, _ = run_study(cfg, progress=False)
    pd_testing = pytest.importorskip("pandas").testing
    pd_testing.assert_frame_equal(a, b)
    assert set(a.variant) == {"dense", *FPE_VARIANTS, *BASELINE_VARIANTS, *CONTROLS}
    assert set(a.data) == {"boolean-single", "boolean-multi"}
    for _, r in a.iterrows():
        d_in, n_out = (15, 1) if r.data == "boolean-single" else (20, 6)  # 5 clauses of 3; a pool of 10 of 2
        if r.variant == "linear":
            assert r.free_weights == r.nonzero == d_in * n_out
            continue
        B = r.n * (d_in + n_out)
        assert r.budget == B
        if r.variant == "wide":
            assert r.free_weights == r.nonzero == 2 * B and r.width == 2 * r.n
        elif r.variant == "dropconnect":  # B weights in use per step on average, all 2B at test time
            assert r.free_weights == B and r.nonzero == 2 * B
        else:
            assert r.free_weights == B and r.nonzero == B, r.variant
            assert r.width == (r.n if r.variant in ("dense", "shuffled", "untrained") else 2 * r.n)
    assert set(lrs.lr) <= {1e-2, 3e-2}
    assert ((a.test >= 0) & (a.test <= 1)).all() and (a[a.variant == "untrained"].steps == 0).all()


def test_paired_bootstrap_and_verdict_rules():
    from capacity.fpe.analysis import paired_ci, verdict

    m, lo, hi = paired_ci([1.0, 2.0, 3.0, 4.0], resamples=2000, seed=0)
    assert m == 2.5 and 1.0 <= lo < m < hi <= 4.0
    assert paired_ci([0.5] * 5) == (0.5, 0.5, 0.5)
    assert verdict([0.1, 0.2, -0.3, 0.1], [0.3, 0.4, 0.1, 0.2]) == "supported"  # 3/4 above 0, none below
    assert verdict([-0.3, -0.2, 0.1], [-0.1, -0.1, 0.2]) == "refuted"
    assert verdict([-0.1, 0.1, -0.3, 0.2], [0.1, 0.2, -0.1, 0.3]) == "mixed"  # 2/4 for, 1/4 against
    assert verdict([], []) == "no cases"


@pytest.mark.parametrize("argv,needle", [
    (["fpe", "--preset", "nope", "--out", "x"], "invalid choice"),
    (["fpe", "study", "--seeds", "0", "--out", "x"], "--seeds"),
    (["fpe", "study", "--jobs", "0", "--out", "x"], "--jobs"),
    (["fpe", "study", "--preset", "smoke"], "--out DIR is required"),
])
def test_bad_study_input_is_one_line_and_exit_2(argv, needle, capsys):
    try:
        rc = main(argv)
    except SystemExit as exc:  # argparse errors leave through the parser's one-line error
        rc = exc.code
    assert rc == 2
    assert needle in _one_error_line(capsys)


def test_exact_fpe_code_answers_agree_between_enumerate_and_sat():
    from capacity.domain import Domain
    from capacity.features import formulas
    from capacity.fpe.exact import fpe_code
    from capacity.solvers import Problem, Status, capacity, representable

    dom = Domain(3)
    fam = formulas(dom, ["x0 & x1", "x1 & ~x2", "(x0 & x1) | (x1 & ~x2)"])
    for code in (fpe_code(1, 3, 2, "clause", [(0, 1), (1, 2)]), fpe_code(1, 3, 3, "random", seed=0), None):
        width = 2 if code is None else code.d_hidden
        for f in range(len(fam)):
            p = Problem(fam.select([f]), width, "relu", 1, False, code)
            r1, r2 = representable(p, "enumerate"), representable(p, "sat")
            assert r1.status is not Status.UNKNOWN and r1.status == r2.status
            assert (r1.witness is not None) or (r1.certificate is not None and r2.certificate.checked)
        c1 = capacity(fam, width, weight_bound=1, code=code, method="enumerate")
        c2 = capacity(fam, width, weight_bound=1, code=code, method="sat")
        assert c1.proven and c2.proven and c1.size == c2.size


def test_expand_command_round_trip(tmp_path, capsys):
    rng = np.random.default_rng(0)
    net = _net(rng, (3,), 4, 2)
    net.save(tmp_path / "m.npz")
    out = tmp_path / "e.npz"
    assert main(["fpe", "expand", "--model", str(tmp_path / "m.npz"), "--alpha", "2", "--split", "clause",
                 "--clauses", "x0&x1|x2&~x3", "--out", str(out)]) == 0
    with np.load(out) as z:
        assert z["W_in"].shape == (6, 4) and z["W_out"].shape == (2, 6)
        assert np.count_nonzero(z["W_in"]) + np.count_nonzero(z["W_out"]) == 4 * 3 + 3 * 2


def _one_error_line(capsys):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in err[0]
    return err[0]


@pytest.mark.parametrize("extra,needle", [
    (["--alpha", "1"], "alpha must be >= 2"),
    (["--alpha", "5"], "larger than the fan-in"),
    (["--alpha", "2", "--split", "clause", "--clauses", "x0&x9"], "outside the domain (inputs x0..x3)"),
    (["--alpha", "2", "--split", "clause", "--clauses", "x0&&"], "malformed formula"),
    (["--alpha", "2", "--split", "clause", "--clauses", "(x0 | x1) & x2"], "ANDs of literals"),
    (["--alpha", "2", "--split", "clause"], "needs clauses"),
])
def test_bad_expand_input(tmp_path, capsys, extra, needle):
    _net(np.random.default_rng(0), (3,), 4, 1).save(tmp_path / "m.npz")
    assert main(["fpe", "expand", "--model", str(tmp_path / "m.npz"), "--out", str(tmp_path / "e.npz"), *extra]) == 2
    assert needle in _one_error_line(capsys)


def test_non_linear_relu_models_are_refused(tmp_path, capsys):
    torch = pytest.importorskip("torch")
    from capacity.torch_io import load_model

    conv = torch.nn.Sequential(torch.nn.Conv1d(1, 2, 3), torch.nn.ReLU(), torch.nn.Linear(2, 1))
    torch.save(conv.state_dict(), tmp_path / "conv.pt")
    assert main(["fpe", "expand", "--model", str(tmp_path / "conv.pt"), "--alpha", "2", "--out",
                 str(tmp_path / "e.npz")]) == 2
    _one_error_line(capsys)
    tanh = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1))
    torch.save(tanh, tmp_path / "tanh.pt")  # a whole pickled module: refused (weights_only loading)
    assert main(["fpe", "expand", "--model", str(tmp_path / "tanh.pt"), "--alpha", "2", "--out",
                 str(tmp_path / "e.npz")]) == 2
    _one_error_line(capsys)
    with pytest.raises(CapacityError, match="Tanh"):
        load_model(tanh)


def test_fpe_all_refuses_a_non_empty_out(tmp_path, capsys):
    (tmp_path / "x").write_text("")
    assert main(["fpe", "collision", "--out", str(tmp_path), "--no-progress"]) == 2
    assert "not empty" in _one_error_line(capsys)


def test_gram_split_keeps_inputs_the_layer_treats_alike_together():
    from capacity.fpe import split_gram

    a, b = np.array([1.0, 2.0, 0.0, 0.0]), np.array([0.0, 0.0, 3.0, -1.0])
    W = np.column_stack([a, a, a, b, b, b])  # inputs 0-2 identical, 3-5 identical, the two groups orthogonal
    A = split_gram(W, 2, seed=0)
    for row in A:
        assert len(set(row[:3])) == 1 and len(set(row[3:])) == 1 and row[0] != row[3]
    assert len({tuple(r) for r in A}) == 2  # parents alternate which child gets which group


def test_study_convergence_rule_reports_steps_per_run():
    from capacity.fpe.study import StudyConfig, run_study

    cfg = StudyConfig(**{**TINY, "boolean": ("single",), "steps": 40, "window": 8, "log_every": 4, "rel_tol": 0.05})
    a, _, _ = run_study(cfg, progress=False)
    b, _, _ = run_study(cfg, progress=False)
    pytest.importorskip("pandas").testing.assert_frame_equal(a, b)
    trained = a[a.variant != "untrained"]
    # stops only at checks after the window, never beyond the cap; a run short of the cap has converged
    assert ((trained.steps >= cfg.warmup + cfg.log_every) & (trained.steps <= cfg.steps)).all()
    assert ((trained.steps - cfg.warmup) % cfg.log_every == 0).all()
    assert trained[trained.steps < cfg.steps].converged.all() and trained.converged.any()
    fixed, _, _ = run_study(StudyConfig(**{**TINY, "boolean": ("single",), "steps": 40}), progress=False)
    assert (fixed[fixed.variant != "untrained"].steps == 40).all() and not fixed.converged.any()
