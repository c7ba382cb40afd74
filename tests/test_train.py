"""Batched gradient training and ``capacity train``: config checks, determinism, independence of the batch
composition, a tiny task that trains to zero error, exact judgement cross-checked by a plain numpy forward
pass, and the command line (bad input -> one line, exit 2, nothing written; happy path -> loadable models)."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("torch")

from capacity.cli import main
from capacity.errors import CapacityError
from capacity.network import Network, computed
from capacity.tasks import kand_task, task_from_args, vision1d_task
from capacity.train import TrainConfig, train, train_loop

pytestmark = pytest.mark.usefixtures("one_torch_thread")


FAST = TrainConfig(hidden=(8,), steps=60, lr=0.05, log_every=20)


def numpy_errors(net: Network, task) -> np.ndarray:
    """Per-feature error rate from a float64 forward pass written here (ties at exactly 0 are measure zero)."""
    X, Y = task.data()
    h = X.astype(np.float64)
    for W, b in net.layers[:-1]:
        h = np.maximum(h @ W.T + b, 0.0)
    y = h @ net.W_out.T + net.b_out
    return ((y >= 0) != Y.astype(bool)).mean(axis=0)


def same_network(a: Network, b: Network) -> bool:
    return all(np.array_equal(x, y) and np.array_equal(u, v) for (x, u), (y, v) in zip(a.layers, b.layers))


# ---------------------------------------------------------------------------------------------
# config


@pytest.mark.parametrize("kw", [{"hidden": ()}, {"hidden": (4, 0)}, {"hidden": "8"}, {"loss": "hinge"},
                                {"lr": 0}, {"lr": float("nan")}, {"steps": 0}, {"batch_size": 0},
                                {"init_scale": -1.0}, {"weight_decay": -0.1}, {"seed": -1}, {"dtype": "half"},
                                {"log_every": 0}, {"steps": 2.5}])
def test_config_rejects_bad_values(kw):
    with pytest.raises(CapacityError) as info:
        TrainConfig(**kw)
    assert "\n" not in str(info.value)


def test_config_normalises_and_serialises():
    c = TrainConfig(hidden=12, steps=25, log_every=10)
    assert c.hidden == (12,)
    assert c.logged_steps.tolist() == [10, 20, 25]
    d = c.to_dict()
    assert json.loads(json.dumps(d)) == d and d["hidden"] == [12]
    assert TrainConfig(hidden=[4, 3]).hidden == (4, 3)


def test_import_does_not_load_torch():
    code = ("import sys, capacity, capacity.tasks, capacity.train, capacity.commands.train; "
            "sys.exit(1 if 'torch' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# ---------------------------------------------------------------------------------------------
# determinism and independence of instances


def test_same_seed_same_weights_and_seeds_differ():
    task = kand_task(4, 2, seed=0)
    a = train(task, FAST, seeds=(0, 1), progress=False)
    b = train(task, FAST, seeds=(0, 1), progress=False)
    assert all(same_network(x, y) for x, y in zip(a.networks, b.networks))
    assert np.array_equal(a.loss_history, b.loss_history)
    assert not np.array_equal(a.network(0, 0).W_in, a.network(0, 1).W_in)
    c = train(task, TrainConfig(hidden=(8,), steps=60, lr=0.05, log_every=20, seed=1), seeds=(0,), progress=False)
    assert not np.array_equal(c.network(0, 0).W_in, a.network(0, 0).W_in)  # config.seed is mixed in


def close_network(a: Network, b: Network, atol: float) -> bool:
    return all(np.allclose(x, y, rtol=0, atol=atol) and np.allclose(u, v, rtol=0, atol=atol)
               for (x, u), (y, v) in zip(a.layers, b.layers))


@pytest.mark.parametrize("config", [
    TrainConfig(hidden=(8,), steps=60, lr=0.05, log_every=20, dtype="float64"),
    TrainConfig(hidden=(6, 5), steps=40, lr=0.03, log_every=10, dtype="float64"),             # deeper
    TrainConfig(hidden=(8,), steps=70, lr=0.05, batch_size=5, n_samples=24, log_every=35,
                dtype="float64"),                                                            # sampled, minibatches
])
def test_batch_composition_does_not_change_an_instance(config):
    # Same init, data and minibatches whatever the batch; the weights may differ only by float summation
    # order inside the BLAS kernels (~1e-16 per step in float64), so we allow 1e-9 and demand equal judgements.
    A, B, C = kand_task(5, 3, seed=0), kand_task(5, 3, seed=1), kand_task(5, 3, seed=2)
    big = train([A, B, C], config, seeds=(0, 1, 2, 3), progress=False)
    alone = train([C], config, seeds=(2,), progress=False)
    pair = train([B, C], config, seeds=(3, 2), progress=False)
    ref, i = big.network(2, 2), big.instances.index((2, 2))
    for other, t in ((alone, 0), (pair, 1)):
        j = other.instances.index((t, 2))
        assert close_network(ref, other.networks[j], 1e-9)
        assert np.allclose(big.loss_history[i], other.loss_history[j], rtol=1e-9, atol=0)
        assert np.array_equal(big.computed[i], other.computed[j])
    loop = train_loop([A, B, C], config, seeds=(0, 1, 2, 3), progress=False)
    assert loop.instances == big.instances
    assert all(close_network(x, y, 1e-9) for x, y in zip(loop.networks, big.networks))
    assert np.array_equal(loop.computed, big.computed)
    # the initialisation does not depend on the batch: one step of plain (lr-tiny) Adam moves each weight by
    # at most lr, so the weights after one step are within 2*lr of each other only if the inits coincide
    one = TrainConfig(hidden=config.hidden, steps=1, lr=1e-12, log_every=1, dtype="float64",
                      batch_size=config.batch_size, n_samples=config.n_samples)
    x, y = train([A, B, C], one, seeds=(0, 2), progress=False), train(C, one, seeds=(2,), progress=False)
    assert close_network(x.network(2, 2), y.network(0, 2), 3e-12)
    z = train(C, one, seeds=(3,), progress=False)
    assert not close_network(z.network(0, 3), y.network(0, 2), 1e-3)  # another seed, another init


def test_batch_rules():
    with pytest.raises(CapacityError, match="number of inputs"):
        train([kand_task(4, 2), kand_task(5, 2)], FAST, progress=False)
    with pytest.raises(CapacityError, match="number of features"):
        train([kand_task(4, 2), kand_task(4, 3)], FAST, progress=False)
    with pytest.raises(CapacityError, match="training points"):
        train([kand_task(5, 2), kand_task(5, 2, sparsity=2)], FAST, progress=False)
    with pytest.raises(CapacityError, match="repeat"):
        train(kand_task(4, 2), FAST, seeds=(1, 1), progress=False)
    with pytest.raises(CapacityError):
        train([], FAST)
    with pytest.raises(CapacityError):
        train(kand_task(4, 2), {"steps": 3})
    # with n_samples set, different domains with the same inputs may share a batch
    r = train([kand_task(5, 2), kand_task(5, 2, sparsity=2)],
              TrainConfig(hidden=(4,), steps=5, n_samples=16, log_every=5), progress=False)
    assert r.computed.shape == (2, 2)


# ---------------------------------------------------------------------------------------------
# learning and exact judgement


def test_tiny_task_trains_to_zero_error_for_most_seeds():
    task = kand_task(4, 2, seed=0)  # 2 ANDs on the 16 points of {0,1}^4
    config = TrainConfig(hidden=(8,), steps=300, lr=0.05)
    r = train(task, config, seeds=range(8), progress=False)
    solved = r.computed.all(axis=1)
    assert solved.sum() >= 6  # measured 8/8 at these settings; seeded, so this cannot flake
    assert np.array_equal(r.computed, r.error_rates == 0)
    for i, net in enumerate(r.networks):
        assert np.allclose(r.error_rates[i], numpy_errors(net, task))
        assert np.array_equal(computed(net, task.features, aligned=True), r.computed[i])
        assert net.W_in.dtype == np.float64 and net.W_in.shape == (8, 4) and net.W_out.shape == (2, 8)
    assert (r.loss_history[:, -1] < r.loss_history[:, 0]).all()


def test_deeper_networks_and_mse():
    task = vision1d_task(6, 2, 2, seed=1)
    r = train(task, TrainConfig(hidden=(8, 6), loss="mse", steps=200, lr=0.03, log_every=50), seeds=(0, 1),
              progress=False)
    net = r.network(0, 1)
    assert net.widths == (8, 6) and net.W_hidden[0].shape == (6, 8) and net.W_out.shape == (2, 6)
    assert np.allclose(r.error_rates[1], numpy_errors(net, task))
    assert (r.loss_history[:, -1] < r.loss_history[:, 0]).all()


def test_frame_and_dict():
    tasks = [kand_task(4, 2, seed=0), kand_task(4, 2, seed=3)]
    r = train(tasks, FAST, seeds=(0, 5), progress=False)
    df = r.to_frame()
    assert len(df) == 2 * 2 * 2
    assert {"task", "seed", "feature", "error_rate", "computed"} <= set(df.columns)
    assert set(df["seed"]) == {0, 5}
    row = df[(df.task == 1) & (df.seed == 5) & (df.feature_index == 1)].iloc[0]
    i = r.instances.index((1, 5))
    assert row.error_rate == r.error_rates[i, 1] and row.feature == tasks[1].features.names[1]
    d = r.to_dict()
    assert json.loads(json.dumps(d))["config"] == FAST.to_dict() and len(d["instances"]) == 4
    assert r.loss_history.shape == (4, len(FAST.logged_steps))


def test_progress_bar_reports_loss(capsys):
    train(kand_task(4, 2), FAST, progress=True)
    assert "loss=" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# the command line


def run_cli(argv, capsys):
    try:
        rc = main(argv)
    except SystemExit as exc:  # argparse errors
        rc = exc.code
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_cli_happy_path(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["train", "--task", "kand", "--inputs", "4", "--n-features", "2", "--hidden", "8", "--steps", "300",
            "--lr", "0.05", "--seeds", "3", "--seed", "0", "--out", str(out), "--no-progress"]
    rc, stdout, err = run_cli(argv, capsys)
    assert rc == 0, err
    names = sorted(p.name for p in out.iterdir())
    assert names == ["loss.png", "net_seed0.npz", "net_seed1.npz", "net_seed2.npz", "summary.csv", "summary.json"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seeds"] == [0, 1, 2] and "torch" in summary["versions"] and summary["config"]["steps"] == 300
    frame = pd.read_csv(out / "summary.csv")
    assert len(frame) == 3 * 2 and "config_lr" in frame.columns
    task = task_from_args("kand", inputs=4, features=2, seed=0)  # rebuilt independently of the run
    for s in range(3):
        net = Network.load(out / f"net_seed{s}.npz")
        flags = computed(net, task.features, aligned=True)
        rows = frame[frame.seed == s].sort_values("feature_index")
        assert rows["computed"].tolist() == flags.tolist()
        assert np.allclose(rows["error_rate"], numpy_errors(net, task))
    assert "seed" in stdout and "wrote 6 files" in stdout
    # the same run into an empty existing directory, with --json
    out2 = tmp_path / "empty"
    out2.mkdir()
    rc, stdout, err = run_cli(argv[:-3] + ["--out", str(out2), "--no-progress", "--json"], capsys)
    assert rc == 0, err
    assert json.loads(stdout)["instances"][0]["model"] == "net_seed0.npz"
    assert np.array_equal(Network.load(out2 / "net_seed1.npz").W_in, Network.load(out / "net_seed1.npz").W_in)


BASE = ["train", "--hidden", "8", "--seeds", "2", "--steps", "5", "--no-progress"]


@pytest.mark.parametrize("extra", [
    ["--task", "kand", "--inputs", "4", "--n-features", "7"],     # only 6 pairs
    ["--task", "kand", "--inputs", "4", "--k", "5"],            # k > m
    ["--task", "kand", "--inputs", "4", "--sparsity", "6"],     # sparsity > m
    ["--task", "kand", "--inputs", "4", "--length", "3"],       # not a kand option
    ["--task", "vision1d", "--length", "4", "--window", "6"],   # window longer than the strip
    ["--task", "vision1d", "--window", "2"],                    # no --length
    ["--task", "dnf"],                                          # no --inputs
    ["--task", "dnf", "--inputs", "4", "--width", "5"],
    ["--task", "maze", "--inputs", "4"],
    ["--task", "kand", "--inputs", "x"],
    ["--task", "kand", "--inputs", "4", "--hidden", "8,0"],
    ["--task", "kand", "--inputs", "4", "--lr", "-1"],
    ["--task", "kand", "--inputs", "4", "--loss", "hinge"],
    ["--task", "cnf", "--inputs", "4", "--negations", "2"],
])
def test_cli_bad_input_one_line_exit_2_nothing_written(tmp_path, capsys, extra):
    out = tmp_path / "out"
    rc, _, err = run_cli(BASE + extra + ["--out", str(out)], capsys)
    assert rc == 2
    assert len(err.strip().splitlines()) == 1 and "error" in err
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary leftovers either


def test_cli_refuses_non_empty_out(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    rc, _, err = run_cli(BASE + ["--task", "kand", "--inputs", "4", "--out", str(out)], capsys)
    assert rc == 2 and "not empty" in err and len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"] and [p.name for p in out.iterdir()] == ["keep.txt"]


# ---------------------------------------------------------------------------------------------
# masks and the shared training loop (fit)


def test_all_ones_mask_is_bit_for_bit_the_unmasked_path():
    task = kand_task(4, 2, 2, seed=3)
    cfg = TrainConfig(hidden=(6,), steps=40, lr=0.05, log_every=10)
    a = train(task, cfg, seeds=(0, 1), progress=False)
    ones = [np.ones((6, 4), bool), np.ones((task.n_features, 6), bool)]
    b = train(task, cfg, seeds=(0, 1), progress=False, masks=ones)
    assert np.array_equal(a.loss_history, b.loss_history)
    for na, nb in zip(a.networks, b.networks):
        for x, y in zip(na.layers, nb.layers):
            assert np.array_equal(x[0], y[0]) and np.array_equal(x[1], y[1])


def test_masked_entries_stay_exactly_zero_and_the_rest_moves():
    task = kand_task(5, 2, 2, seed=1)
    rng = np.random.default_rng(0)
    masks = [rng.random((7, 5)) < 0.5, rng.random((task.n_features, 7)) < 0.5]
    cfg = TrainConfig(hidden=(7,), steps=50, lr=0.05, weight_decay=1e-3, batch_size=8)
    res = train(task, cfg, seeds=(0, 1, 2), progress=False, masks=masks)
    start = train(task, TrainConfig(hidden=(7,), steps=1, lr=1e-12), seeds=(0,), progress=False, masks=masks)
    for net in res.networks:
        for (W, _), M in zip(net.layers, masks):
            assert not W[~M].any()
            assert np.count_nonzero(W) == M.sum()
    assert not np.allclose(res.networks[0].W_in, start.networks[0].W_in)


def test_fit_pads_mixed_widths_and_matches_one_at_a_time():
    from capacity.train import fit, init_weights

    rng = np.random.default_rng(2)
    inits = [init_weights((5, w, 1), np.random.default_rng(s)) for s, w in enumerate((2, 3, 4))]
    X = rng.integers(0, 2, size=(3, 32, 5)).astype(np.float32)
    Y = rng.integers(0, 2, size=(3, 32, 1)).astype(np.float32)
    cfg = TrainConfig(steps=25, log_every=5)
    a, ha, out = fit(inits, X, Y, cfg, evals={"x": X})
    for i in range(3):
        b, hb, outb = fit([inits[i]], X[i], Y[i], cfg, evals={"x": X[i]})
        assert np.allclose(ha[i], hb[0], atol=1e-5)
        assert np.allclose(out["x"][i], outb["x"][0], atol=1e-4)
        for x, y in zip(a[i], b[0]):
            assert x.shape == y.shape and np.allclose(x, y, atol=1e-4)


def test_fit_cross_entropy_and_dropconnect():
    from capacity.train import fit, init_weights

    rng = np.random.default_rng(4)
    X = rng.normal(size=(60, 4))
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0).astype(int)  # 3 classes
    inits = [init_weights((4, 8, 3), np.random.default_rng(s)) for s in range(2)]
    cfg = TrainConfig(loss="ce", steps=150, lr=0.05, log_every=50)
    w, h, out = fit(inits, X, y, cfg, dropconnect=[0.0, 0.5], evals={"train": X})
    assert out["train"].shape == (2, 60, 3)
    assert (out["train"][0].argmax(axis=1) == y).mean() > 0.9
    assert (h[:, -1] < h[:, 0]).all()
    with pytest.raises(CapacityError, match="dropconnect"):
        fit(inits, X, y, cfg, dropconnect=1.0)
    with pytest.raises(CapacityError, match="tasks train with loss"):
        train(kand_task(3, 1, 2), TrainConfig(loss="ce"), progress=False)


def _converge_case():
    from capacity.train import init_weights

    rng = np.random.default_rng(0)
    X = rng.integers(0, 2, (64, 4)).astype(np.float32)
    Y = (X[:, :1] * X[:, 1:2]).astype(np.float32)  # AND of two inputs: a width-8 net fits it fast
    inits = [init_weights((4, 8, 1), np.random.default_rng(s)) for s in range(3)]
    inits.append(init_weights((4, 1, 1), np.random.default_rng(9)))  # one unit: a different stopping step
    return inits, X, Y, TrainConfig(lr=0.05, steps=400, log_every=20, batch_size=16)


def test_convergence_rule_by_hand():
    from capacity.train import Convergence

    rule = Convergence(window=40, rel_tol=0.1)
    steps = np.array([20, 40, 60])
    hist = np.array([[1.0, 0.95, 0.92],   # best 0.92 vs 1.0 at step 20: 8 % <= 10 %: plateau
                     [1.0, 0.5, 0.85],    # best 0.5: 50 % better: runs on
                     [1.0, 0.99, 0.98]])  # plateau too, but not yet checked at step 40 (window)
    assert rule.stop(steps, hist, np.zeros(3, bool)).tolist() == [True, False, True]
    assert rule.stop(steps[:2], hist[:, :2], np.zeros(3, bool)).tolist() == [False, False, False]
    assert rule.stop(steps[:1], hist[:, :1], np.array([False, True, False])).tolist() == [False, True, False]
    with pytest.raises(CapacityError):
        Convergence(window=0)


def test_fit_stops_converged_networks_and_keeps_their_weights():
    from capacity.train import Convergence, fit

    inits, X, Y, cfg = _converge_case()
    rule = Convergence(window=100, rel_tol=0.01)
    rep, rep2 = {}, {}
    w, h, _ = fit(inits, X, Y, cfg, converge=rule, report=rep)
    w2, h2, _ = fit(inits, X, Y, cfg, converge=rule, report=rep2)  # same seed -> same numbers
    assert all(np.array_equal(a, b) for x, y in zip(w, w2) for a, b in zip(x, y)) and np.array_equal(h, h2)
    assert np.array_equal(rep["steps"], rep2["steps"]) and np.array_equal(rep["converged"], rep2["converged"])
    assert rep["converged"].all() and (rep["steps"] < cfg.steps).all()  # every network stopped early
    first = int(np.argmin(rep["steps"]))
    col = list(cfg.logged_steps).index(rep["steps"][first])
    assert (h[first, col:] == h[first, col]).all()  # the loss of a stopped network stays put
    # the earliest stopper's weights: bit for bit those of the same batch trained exactly that many steps
    from dataclasses import replace

    w_cut, _, _ = fit(inits, X, Y, replace(cfg, steps=int(rep["steps"][first])))
    assert all(np.array_equal(a, b) for a, b in zip(w[first], w_cut[first]))
    # the later ones stopped in a smaller batch: the same up to float summation order
    for i in range(len(inits)):
        w_i, _, _ = fit(inits, X, Y, replace(cfg, steps=int(rep["steps"][i])))
        assert all(np.allclose(a, b, atol=1e-4) for a, b in zip(w[i], w_i[i]))
    # no rule: every network trains the whole cap and the default arithmetic is unchanged
    rep3 = {}
    w3, _, _ = fit(inits, X, Y, cfg, report=rep3)
    w4, _, _ = fit(inits, X, Y, cfg)
    assert (rep3["steps"] == cfg.steps).all() and not rep3["converged"].any()
    assert all(np.array_equal(a, b) for x, y in zip(w3, w4) for a, b in zip(x, y))
