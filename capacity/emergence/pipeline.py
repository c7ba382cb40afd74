"""The emergence pipeline: corpus -> toy LM checkpoints -> activations -> SAEs -> scores -> emergence.

:func:`run_emergence` runs one :class:`EmergenceConfig` (a preset from :data:`PRESETS`, all numbers ours):

1. **LM training**: every toy size is trained on the generated corpus and saved as ``step<N>/`` folders
   (or, with ``checkpoints=DIR``, an existing series on disk is used instead as the only "size");
2. **activations**: every checkpoint is loaded back through :func:`~.sources.load_checkpoint_series` and the
   mean-pooled residual stream is read at every layer, on an SAE-training sample (corpus frequencies) and a
   balanced scoring sample;
3. **SAEs**: one SAE per (size, checkpoint, layer), all of one size trained as one batched model;
4. **scoring**: latent x category scores, categorical features, presence ``P[size, step, layer, category]``;
   then the emergence rules (time, scale, layer reactivation) and Hungarian matching of decoder rows across
   adjacent checkpoints and adjacent layers;
5. the real MiniLM (layer axis only), on a generated labelled sentence set, goes through steps 2-4 too.

Timings per stage are recorded in :attr:`EmergenceResult.timings`.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from ..errors import CapacityError
from .lm import Corpus, CorpusConfig, LMTrainConfig, ToyLMConfig, determinism, train_toylm
from .rules import detect_reactivation, emergence_scale, emergence_time, match_features
from .sae import SAEConfig, train_saes
from .scores import ScoreConfig, score_latents

__all__ = ["PRESETS", "EmergenceConfig", "EmergenceResult", "run_emergence"]


@dataclass(frozen=True)
class EmergenceConfig:
    """One emergence experiment (see :data:`PRESETS`; every default is ours).

    Args:
        name: preset name, recorded in the outputs.
        corpus: the generated corpus.
        sizes: toy LM sizes, small to large.
        lm: LM training (steps, checkpoints).
        n_sae_train: documents (corpus frequencies) the SAEs are trained on, per checkpoint and layer.
        n_eval: documents (balanced over categories) the latents are scored on.
        sae: SAE config for the toy LMs.
        scores: thresholds (purity, AUROC, frequency floor, tau_low, persistence).
        layers: residual-stream layers to read (``None`` = all, 0 = embeddings).
        minilm_per_category: generated sentences per category for the real MiniLM (0 = skip it).
        minilm_sae: SAE config for MiniLM (a small dictionary: 750 training sentences).
        minilm_repeats: SAEs per MiniLM layer with different initialisations (presence = their mean).
        match_min: a matched latent pair with decoder cosine >= this counts as "the same feature".
        seed: master seed (mixed into the corpus, LM, SAE and sampling seeds).
    """

    name: str = "custom"
    corpus: CorpusConfig = field(default_factory=CorpusConfig)
    sizes: tuple[ToyLMConfig, ...] = (ToyLMConfig("S", 8, 2, n_heads=2), ToyLMConfig("M", 32, 3),
                                      ToyLMConfig("L", 64, 4))
    lm: LMTrainConfig = field(default_factory=LMTrainConfig)
    n_sae_train: int = 2048
    n_eval: int = 800
    sae: SAEConfig = field(default_factory=SAEConfig)
    scores: ScoreConfig = field(default_factory=ScoreConfig)
    layers: tuple[int, ...] | None = None
    minilm_per_category: int = 300
    minilm_sae: SAEConfig = field(default_factory=lambda: SAEConfig(d_sae=32, k=4, steps=300))
    minilm_repeats: int = 5
    match_min: float = 0.7
    seed: int = 0

    def __post_init__(self):
        if not self.sizes:
            raise CapacityError("need at least one LM size")
        if self.n_sae_train < 1 or self.n_eval < len(self.corpus.categories) or self.minilm_per_category < 0 \
                or self.minilm_repeats < 1:
            raise CapacityError("need n_sae_train >= 1, n_eval >= number of categories, minilm_per_category >= 0, "
                                "minilm_repeats >= 1")
        if self.layers is not None:
            object.__setattr__(self, "layers", tuple(sorted({int(l) for l in self.layers})))
            if not self.layers or self.layers[0] < 0:
                raise CapacityError("layers must be indices >= 0")

    def check(self, n_layers: int, d_model: int, what: str) -> None:
        """Raise before any work when a layer index or the SAE size does not fit a model."""
        bad = [l for l in (self.layers or ()) if l > n_layers]
        if bad:
            raise CapacityError(f"layer {bad[0]} out of range: {what} has layers 0..{n_layers}")
        self.sae.size(d_model)  # raises when k > d_sae

    def with_seed(self, seed: int) -> EmergenceConfig:
        """The same experiment with every seed set from ``seed``."""
        return replace(self, seed=seed, corpus=replace(self.corpus, seed=seed), lm=replace(self.lm, seed=seed),
                       sae=replace(self.sae, seed=seed), minilm_sae=replace(self.minilm_sae, seed=seed),
                       scores=replace(self.scores, seed=seed))

    def to_dict(self) -> dict:
        return asdict(self)


PRESETS = {
    # seconds: two small sizes, 16 steps, no MiniLM; for tests and a first look (numbers mean nothing)
    "smoke": EmergenceConfig(
        name="smoke", corpus=CorpusConfig(categories=CorpusConfig().categories[:3], seq_len=16),
        sizes=(ToyLMConfig("S", 8, 1, n_heads=2), ToyLMConfig("M", 16, 2)),
        lm=LMTrainConfig(steps=16, batch_size=32, lr=1e-2), n_sae_train=256, n_eval=120,
        sae=SAEConfig(expansion=2, k=2, steps=60, batch_size=128), minilm_per_category=0,
        scores=ScoreConfig(top_n=10)),
    # the command's default and the shipped results: three sizes, 1024 steps (12 checkpoints) + MiniLM,
    # ~3.5 min on 1 thread
    "quick": EmergenceConfig(name="quick", lm=LMTrainConfig(steps=1024)),
    # longer training (4096 steps, 14 checkpoints), twice the SAE data and 10 MiniLM repeats; not yet run
    "full": EmergenceConfig(name="full", lm=LMTrainConfig(steps=4096), n_sae_train=4096, minilm_repeats=10),
}


@dataclass
class EmergenceResult:
    """Everything a run produced: long tables (pandas DataFrames), stage timings, config and the SAEs' sizes."""

    config: EmergenceConfig
    presence: object  # DataFrame: source,size,n_params,step,layer,category,presence,n_features,...
    sae: object  # DataFrame: source,size,step,layer,d_in,d_sae,fvu,l0,dead_frac
    time: object  # DataFrame: source,size,layer,category,first_crossing,emergence_step,n_dips,dips
    scale: object  # DataFrame: category,emergence_size,presence_<size>...
    layers: object  # DataFrame: source,size,step,category,profile,reactivations
    matching: object  # DataFrame: source,size,axis,layer,step_a,step_b,layer_b,mean_cos,share_matched
    lm_loss: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)
    checkpoint_source: str | None = None


def _n_params(model) -> int:
    return int(sum(p.numel() for p in model.parameters()))


def _collect(series, steps, tokens_train, tokens_eval, layers, progress, desc):
    """Activations ``[steps, layers, N, d]`` for both samples, plus the parameter count."""
    from tqdm.auto import tqdm

    from .sources import resid_activations

    A_tr, A_ev, n_params = [], [], 0
    for step in tqdm(steps, desc=desc, disable=not progress, leave=False):
        model = series.load(step)
        n_params = _n_params(model)
        A_tr.append(resid_activations(model, tokens_train, layers))
        A_ev.append(resid_activations(model, tokens_eval, layers))
    return np.stack(A_tr), np.stack(A_ev), n_params


def _score_all(sae, A_ev, labels, K, score_cfg):
    """Per instance: CategoryScores on the eval set, and the SAE metrics."""
    F = sae.encode(A_ev)
    return [score_latents(F[i], labels, K, score_cfg) for i in range(len(F))], sae.metrics(A_ev)


def _match_row(source, size, axis, la, lb, sa, sb, W_a, W_b, best_a, best_b, match_min, dir_a=None, dir_b=None):
    """One Hungarian matching of two SAEs' decoder rows. Besides the mean cosine over all pairs, it says how
    many categories whose categorical feature exists on both sides are *tracked*: their best latent on side a
    is matched to their best latent on side b (``tracked`` of ``both_present``). ``dir_a``/``dir_b``
    (``[K, d]`` unit category-mean directions, no SAE involved) give ``category_dir_cos``: how much the
    categories themselves moved."""
    rows, cols, cos = match_features(W_a, W_b)
    partner = dict(zip(rows.tolist(), cols.tolist()))
    both = [(i, j) for i, j in zip(best_a, best_b) if i >= 0 and j >= 0]
    tracked = sum(partner.get(int(i)) == int(j) for i, j in both)
    row = {"source": source, "size": size, "axis": axis, "layer": la, "layer_b": lb, "step_a": sa, "step_b": sb,
           "mean_cos": float(cos.mean()), "share_matched": float((cos >= match_min).mean()),
           "both_present": len(both), "tracked": int(tracked)}
    if dir_a is not None:
        row["category_dir_cos"] = float((dir_a * dir_b).sum(axis=1).mean())
    return row


def _category_directions(A, labels, K):
    """Unit vectors ``[..., K, d]``: each category's mean minus the overall mean, of ``A [..., N, d]``."""
    mu = A.mean(axis=-2, keepdims=True)
    D = np.stack([A[..., labels == c, :].mean(axis=-2) for c in range(K)], axis=-2) - mu
    return D / np.maximum(np.linalg.norm(D, axis=-1, keepdims=True), 1e-12)


def _matching_rows(source, size, W_dec, best, dirs, steps, layers, match_min):
    """Matching between adjacent checkpoints (same layer) and adjacent layers (final checkpoint).

    ``W_dec [T, L, d_sae, d]``; ``best [T, L, K]``: each category's best latent (-1 = not present);
    ``dirs [T, L, K, d]``: category-mean directions."""
    out = []
    T, L = W_dec.shape[:2]
    for li in range(L):
        for ti in range(T - 1):
            out.append(_match_row(source, size, "time", layers[li], layers[li], steps[ti], steps[ti + 1],
                                  W_dec[ti, li], W_dec[ti + 1, li], best[ti, li], best[ti + 1, li], match_min,
                                  dirs[ti, li], dirs[ti + 1, li]))
    for li in range(L - 1):
        out.append(_match_row(source, size, "layer", layers[li], layers[li + 1], steps[-1], steps[-1],
                              W_dec[-1, li], W_dec[-1, li + 1], best[-1, li], best[-1, li + 1], match_min,
                              dirs[-1, li], dirs[-1, li + 1]))
    return out


def run_emergence(config: EmergenceConfig, workdir, *, checkpoints=None, progress: bool = True,
                  threads: int | None = 1) -> EmergenceResult:
    """Run the whole grid (see module doc). LM checkpoints are written under ``workdir/checkpoints``.

    ``checkpoints``: a local ``step<N>/`` series to analyse instead of training the toy sizes. ``threads``: torch
    threads during the run (fixed for reproducibility; restored afterwards)."""
    with determinism(config.seed, threads):
        return _run(config, workdir, checkpoints, progress)


def _run(config, workdir, checkpoints, progress):
    import pandas as pd
    from tqdm.auto import tqdm

    from .sources import load_checkpoint_series

    workdir = Path(workdir)
    corpus = Corpus(config.corpus)
    names = corpus.names
    K = len(names)
    sc = config.scores
    rng = np.random.default_rng([config.seed, 7])
    tok_train, _ = corpus.sample(config.n_sae_train, rng)
    tok_eval, lab_eval = corpus.sample(config.n_eval, rng, balanced=True)
    timings = {"lm_training": 0.0, "activations": 0.0, "sae_training": 0.0, "scoring": 0.0}
    lm_loss = {}

    source = "toy" if checkpoints is None else "series"

    # 1. LM training (or an existing series); every check first, so bad input fails before any work
    if checkpoints is not None:
        series = load_checkpoint_series(checkpoints)
        if series.vocab_size < corpus.vocab_size:
            raise CapacityError(f"{checkpoints}: vocab_size {series.vocab_size} < the corpus' {corpus.vocab_size}")
        config.check(series.n_layers, series.d_model, "the checkpoint series")
        runs = [(Path(checkpoints).name or "series", series)]
    else:
        for size in config.sizes:
            config.check(size.n_layers, size.d_model, f"LM size {size.name}")
        if config.minilm_per_category:
            config.minilm_sae.size(384)
        runs = []
        for size in config.sizes:
            t0 = time.perf_counter()
            folder = workdir / "checkpoints" / size.name
            info = train_toylm(size, corpus, config.lm, folder, progress=progress)
            timings["lm_training"] += time.perf_counter() - t0
            lm_loss[size.name] = info["loss"]
            runs.append((size.name, load_checkpoint_series(folder)))

    pres_rows, sae_rows, time_rows, layer_rows, match_rows = [], [], [], [], []
    final_presence = {}  # size -> [K] (best layer, final checkpoint)
    n_params_of = {}
    for size_name, series in tqdm(runs, desc="sizes", disable=not progress, leave=False):
        steps = list(series.steps)
        layers = list(range(series.n_layers + 1)) if config.layers is None else list(config.layers)
        # 2. activations
        t0 = time.perf_counter()
        A_tr, A_ev, n_params = _collect(series, steps, tok_train, tok_eval, layers, progress,
                                        f"activations {size_name}")
        n_params_of[size_name] = n_params
        timings["activations"] += time.perf_counter() - t0
        T, L, _, d = A_tr.shape
        # 3. SAEs: all (step, layer) of this size at once
        t0 = time.perf_counter()
        sae = train_saes(A_tr.reshape(T * L, -1, d), config.sae, progress=progress, desc=f"SAEs {size_name}")
        timings["sae_training"] += time.perf_counter() - t0
        # 4. scoring
        t0 = time.perf_counter()
        scores, metrics = _score_all(sae, A_ev.reshape(T * L, -1, d), lab_eval, K, sc)
        P = np.stack([s.presence for s in scores]).reshape(T, L, K)
        for i, s in enumerate(scores):
            ti, li = divmod(i, L)
            cat = s.categorical
            best = s.best_latent
            sae_rows.append({"source": source, "size": size_name, "step": steps[ti],
                                 "layer": layers[li], "d_in": d, "d_sae": sae.d_sae, "fvu": float(metrics["fvu"][i]),
                                 "l0": float(metrics["l0"][i]), "dead_frac": float(metrics["dead_frac"][i])})
            for c in range(K):
                j = best[c]
                pres_rows.append({
                    "source": source, "size": size_name, "n_params": n_params,
                    "step": steps[ti], "layer": layers[li], "category": names[c], "presence": float(P[ti, li, c]),
                    "present": bool(P[ti, li, c] >= sc.purity_min), "n_features": int(cat[:, c].sum()),
                    "best_latent": int(j), "best_auroc": float(s.auroc[j, c]) if j >= 0 else None,
                    "best_selectivity": float(s.selectivity[j, c]) if j >= 0 else None,
                    "max_auroc": float(s.auroc[:, c].max())})
        for c in range(K):
            curves = [("any", P[:, :, c].max(axis=1))] + [(layers[li], P[:, li, c]) for li in range(L)]
            for lay, curve in curves:
                e = emergence_time(steps, curve, sc.purity_min, sc.persist)
                time_rows.append({"source": source, "size": size_name, "layer": str(lay), "category": names[c],
                                      "first_crossing": e.first_crossing, "emergence_step": e.emergence,
                                      "n_dips": e.n_dips, "dips": ";".join(f"{a}-{b}{'' if r else '(lost)'}"
                                                                     for a, b, r in e.dips),
                                      "final_presence": float(curve[-1])})
            prof = P[-1, :, c]
            react = detect_reactivation(prof, sc.purity_min, sc.absent_max)
            earlier = [f"{steps[ti]}:{a}>{b}>{e}" for ti in range(T - 1)
                       for a, b, e in detect_reactivation(P[ti, :, c], sc.purity_min, sc.absent_max)]
            layer_rows.append({"source": source, "size": size_name, "step": steps[-1], "category": names[c],
                               "profile": " ".join(f"{v:.2f}" for v in prof), "layers": " ".join(map(str, layers)),
                               "reactivations": ";".join(f"{a}>{b}>{e}" for a, b, e in react),
                               "earlier_checkpoints": " ".join(earlier)})
        final_presence[size_name] = P[-1].max(axis=0)
        best = np.stack([np.where(s.presence >= sc.purity_min, s.best_latent, -1) for s in scores]).reshape(T, L, K)
        dirs = _category_directions(A_ev, lab_eval, K)
        match_rows += _matching_rows(source, size_name, sae.W_dec.reshape(T, L, sae.d_sae, d), best, dirs, steps,
                                     layers, config.match_min)
        timings["scoring"] += time.perf_counter() - t0

    # scale: sizes ordered by parameter count
    order = sorted(final_presence, key=lambda s: n_params_of[s])
    scale_rows = []
    for c in range(K):
        vals = [final_presence[s][c] for s in order]
        row = {"category": names[c], "emergence_size": emergence_scale(order, vals, sc.purity_min)}
        row.update({f"presence_{s}": float(v) for s, v in zip(order, vals)})
        scale_rows.append(row)

    # 5. the real MiniLM, layer axis only
    if config.minilm_per_category and checkpoints is None:
        _minilm(config, pres_rows, sae_rows, layer_rows, match_rows, timings, progress)

    return EmergenceResult(config, pd.DataFrame(pres_rows), pd.DataFrame(sae_rows), pd.DataFrame(time_rows),
                           pd.DataFrame(scale_rows), pd.DataFrame(layer_rows), pd.DataFrame(match_rows),
                           lm_loss, {k: round(v, 3) for k, v in timings.items()},
                           None if checkpoints is None else str(checkpoints))


def _minilm(config, pres_rows, sae_rows, layer_rows, match_rows, timings, progress):
    """MiniLM on generated sentences: ``minilm_repeats`` SAEs per layer (different initialisations, one batch);
    presence per layer is the mean over repeats, and reactivation is also counted per repeat."""
    from .sources import category_sentences, minilm_activations

    sc = config.scores
    R = config.minilm_repeats
    t0 = time.perf_counter()
    texts, labels, names = category_sentences(config.minilm_per_category, seed=config.seed)
    A = minilm_activations(texts, config.layers)  # [L, N, 384]
    L = A.shape[0]
    layers = list(range(L)) if config.layers is None else list(config.layers)
    timings["activations_minilm"] = time.perf_counter() - t0
    # SAEs trained on one half, scored on the other (split by example index parity, both balanced)
    tr, ev = np.arange(len(texts)) % 2 == 0, np.arange(len(texts)) % 2 == 1
    t0 = time.perf_counter()
    sae = train_saes(np.tile(A[:, tr], (R, 1, 1)), config.minilm_sae, progress=progress, desc="SAEs MiniLM")
    timings["sae_training_minilm"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    K = len(names)
    scores, metrics = _score_all(sae, np.tile(A[:, ev], (R, 1, 1)), labels[ev], K, sc)
    Pr = np.stack([s.presence for s in scores]).reshape(R, L, K)
    P = Pr.mean(axis=0)  # [L, K]
    for i, s in enumerate(scores):
        r, li = divmod(i, L)
        sae_rows.append({"source": "minilm", "size": "MiniLM-L6", "step": -1, "layer": layers[li], "d_in": A.shape[2],
                             "d_sae": sae.d_sae, "fvu": float(metrics["fvu"][i]), "l0": float(metrics["l0"][i]),
                             "dead_frac": float(metrics["dead_frac"][i]), "repeat": r})
    for li in range(L):
        for c in range(K):
            per = [scores[r * L + li] for r in range(R)]
            pres_rows.append({
                "source": "minilm", "size": "MiniLM-L6", "n_params": None, "step": -1, "layer": layers[li], "category": names[c],
                "presence": float(P[li, c]), "present": bool(P[li, c] >= sc.purity_min),
                "n_features": float(np.mean([s.categorical[:, c].sum() for s in per])),
                "present_repeats": int((Pr[:, li, c] >= sc.purity_min).sum()),
                "max_auroc": float(np.mean([s.auroc[:, c].max() for s in per]))})
    for c in range(K):
        react = detect_reactivation(P[:, c], sc.purity_min, sc.absent_max)
        n_react = sum(bool(detect_reactivation(Pr[r, :, c], sc.purity_min, sc.absent_max)) for r in range(R))
        layer_rows.append({"source": "minilm", "size": "MiniLM-L6", "step": -1, "category": names[c],
                               "profile": " ".join(f"{v:.2f}" for v in P[:, c]), "layers": " ".join(map(str, layers)),
                               "reactivations": ";".join(f"{a}>{b}>{e}" for a, b, e in react),
                               "reactivating_repeats": f"{n_react}/{R}"})
    W = sae.W_dec.reshape(R, L, sae.d_sae, -1)
    best = np.stack([np.where(s.presence >= sc.purity_min, s.best_latent, -1) for s in scores]).reshape(R, L, K)
    dirs = _category_directions(A[:, ev], labels[ev], K)
    for r in range(R):
        for li in range(L - 1):
            row = _match_row("minilm", "MiniLM-L6", "layer", layers[li], layers[li + 1], -1, -1, W[r, li],
                             W[r, li + 1], best[r, li], best[r, li + 1], config.match_min, dirs[li], dirs[li + 1])
            match_rows.append({**row, "repeat": r})
    timings["scoring_minilm"] = time.perf_counter() - t0
