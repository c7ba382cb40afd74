"""The emergence grid: corpus -> toy LM checkpoints (several LM seeds) -> per-token activations -> SAEs (several
SAE seeds) -> continuous evidence with controls -> emergence, sharpness, scale and layer verdicts.

:func:`run_emergence` runs one :class:`EmergenceConfig` (a preset from :data:`PRESETS`, all numbers ours):

1. **LMs**: every toy size is trained once per LM seed and saved as ``step<N>/`` folders (or, with
   ``checkpoints=DIR``, an existing series is the only size and seed);
2. **activations**: the residual stream at every layer and checkpoint, per token of the SAE-training
   documents (document means with ``tokens=False``) and at the scored positions of the evaluation documents;
   the probe, random-direction and shuffled-label controls are computed here;
3. **SAEs**: one per (LM seed, checkpoint, layer, SAE seed); all (checkpoint, layer, SAE seed) cells of one LM
   seed train as one batched model (chunks of ``max_instances``), so the grid is batched over SAE seeds and
   each LM seed's work is independent of the others';
4. **scores**: held-out best-latent AUROC (and its shuffled-label control), the thresholded presence, FVU,
   L0, dead fraction, latent frequencies; at the final checkpoint the fraction of LM loss recovered;
5. **verdicts** per run (size, LM seed, category) and across LM seeds (see :mod:`.evidence` and the science
   notes): emergence relative to the controls, sharp against smooth, scale, layer reactivation;
6. the real MiniLM (layer axis only, sentence means, ``minilm_repeats`` SAEs per layer), as before.

Timings per stage are recorded in :attr:`EmergenceResult.timings`.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from ..errors import CapacityError
from .evidence import (
    emergence_index,
    heldout_best_auroc,
    mean_interval,
    probe_auroc,
    random_directions,
    sharpness,
    shuffle_within_family,
)
from .lm import (
    Corpus,
    CorpusConfig,
    LMTrainConfig,
    ToyLMConfig,
    dense_checkpoints,
    determinism,
    log_checkpoints,
    train_toylm,
)
from .rules import detect_reactivation, emergence_time, match_features
from .sae import SAEConfig, train_saes
from .scores import ScoreConfig, score_latents

__all__ = ["PRESETS", "EmergenceConfig", "EmergenceResult", "run_emergence"]

ORDER = ("ordA", "ordB", "ordC")


@dataclass(frozen=True)
class EmergenceConfig:
    """One emergence experiment (see :data:`PRESETS`; every default is ours).

    Args:
        name: preset name, recorded in the outputs.
        corpus: the generated corpus (lexical and order families).
        sizes: toy LM sizes, small to large.
        lm: LM training (steps, checkpoints); its seed is replaced by each LM seed.
        lm_seeds, sae_seeds: how many LM seeds (``seed, seed + 1, ...``) and SAE seeds per cell.
        n_sae_train: documents (corpus frequencies) the SAEs and probes are trained on.
        eval_per_category: held-out documents per category the read-outs are scored on.
        tokens: per-token activations (all positions for SAE training); ``False`` = document means.
        score_from, score_every: scored positions ``score_from, score_from + score_every, ...`` (tokens only).
        sae: SAE config for the toy LMs (its seed is replaced by each SAE seed).
        scores: thresholds of the presence score (kept for comparison).
        layers: residual-stream layers to read (``None`` = all, 0 = embeddings).
        margin: delta of the emergence and reactivation rules.
        n_boot: bootstrap refits of the sigmoid width.
        max_instances: SAEs trained in one batch at most (memory).
        minilm_per_category, minilm_sae, minilm_repeats: the real MiniLM layer axis (0 sentences = skip).
        match_min: MiniLM layer matching: decoder cosine that counts as "the same feature".
        seed: master seed (LM seeds start here; corpus, SAE and sampling seeds derive from it).
    """

    name: str = "custom"
    corpus: CorpusConfig = field(default_factory=lambda: CorpusConfig(order_categories=ORDER))
    sizes: tuple[ToyLMConfig, ...] = (ToyLMConfig("S", 8, 2, n_heads=2), ToyLMConfig("M", 32, 3),
                                      ToyLMConfig("L", 64, 4))
    lm: LMTrainConfig = field(default_factory=lambda: LMTrainConfig(steps=512, checkpoints=dense_checkpoints(512)))
    lm_seeds: int = 5
    sae_seeds: int = 3
    n_sae_train: int = 128
    eval_per_category: int = 24
    tokens: bool = True
    score_from: int = 8
    score_every: int = 4
    sae: SAEConfig = field(default_factory=lambda: SAEConfig(steps=150, batch_size=128))
    scores: ScoreConfig = field(default_factory=ScoreConfig)
    layers: tuple[int, ...] | None = None
    margin: float = 0.05
    n_boot: int = 200
    max_instances: int = 1024
    minilm_per_category: int = 300
    minilm_sae: SAEConfig = field(default_factory=lambda: SAEConfig(d_sae=32, k=4, steps=300))
    minilm_repeats: int = 5
    match_min: float = 0.7
    seed: int = 0

    def __post_init__(self):
        if not self.sizes:
            raise CapacityError("need at least one LM size")
        if self.lm_seeds < 1 or self.sae_seeds < 1 or self.n_sae_train < 2 or self.eval_per_category < 2 \
                or self.minilm_per_category < 0 or self.minilm_repeats < 1 or self.max_instances < 1:
            raise CapacityError("need lm_seeds, sae_seeds, max_instances, minilm_repeats >= 1, n_sae_train and "
                                "eval_per_category >= 2, minilm_per_category >= 0")
        if self.tokens and not (0 <= self.score_from < self.corpus.seq_len and self.score_every >= 1):
            raise CapacityError(f"need 0 <= score_from < seq_len = {self.corpus.seq_len} and score_every >= 1")
        if not 0 <= self.margin < 0.5 or self.n_boot < 1:
            raise CapacityError("need 0 <= margin < 0.5 and n_boot >= 1")
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

    def score_positions(self) -> np.ndarray:
        return np.arange(self.score_from, self.corpus.seq_len, self.score_every)

    def to_dict(self) -> dict:
        return asdict(self)


PRESETS = {
    # seconds: two tiny sizes, 2 x 2 seeds, 16 steps, no MiniLM; for tests and a first look (numbers mean nothing)
    "smoke": EmergenceConfig(
        name="smoke", corpus=CorpusConfig(categories=CorpusConfig().categories[:3], seq_len=16,
                                          order_categories=ORDER[:2], order_pool=8, order_frequency=0.2),
        sizes=(ToyLMConfig("S", 8, 1, n_heads=2), ToyLMConfig("M", 16, 2)),
        lm=LMTrainConfig(steps=16, batch_size=32, lr=1e-2, checkpoints=dense_checkpoints(16, 4)),
        lm_seeds=2, sae_seeds=2, n_sae_train=32, eval_per_category=8, score_from=4, score_every=4,
        sae=SAEConfig(expansion=2, k=2, steps=40, batch_size=64), minilm_per_category=0, n_boot=5,
        scores=ScoreConfig(top_n=10)),
    # minutes: the full design with 2 LM seeds x 2 SAE seeds, 256 LM steps (21 checkpoints) + MiniLM
    "quick": EmergenceConfig(name="quick", lm=LMTrainConfig(steps=256, checkpoints=dense_checkpoints(256)),
                             lm_seeds=2, sae_seeds=2, n_boot=100),
    # the pre-registered grid: 5 LM seeds x 3 SAE seeds, 512 LM steps (37 checkpoints) + MiniLM
    "full": EmergenceConfig(name="full"),
    # amendment v3: the same grid trained 4x longer (2048 LM steps, 14 checkpoints), no MiniLM; the scale test
    # on the order family, which no size learned in 512 steps
    "order": EmergenceConfig(name="order", lm=LMTrainConfig(steps=2048, checkpoints=log_checkpoints(2048) + (1536,)),
                             minilm_per_category=0),
}


@dataclass
class EmergenceResult:
    """Everything a run produced: long tables (pandas DataFrames), stage timings, config, loss curves."""

    config: EmergenceConfig
    curves: object  # size,lm_seed,step,layer,category,family,probe,probe_shuffled,random_dir,sae,...,presence
    runs: object  # per (size, lm_seed, category): best layer, emergence steps, sharpness fit, reactivation
    time: object  # per (size, category) across LM seeds
    scale: object  # per category across sizes
    layers: object  # per (size, category): reactivation across LM seeds
    controls: object  # per (size, family, step kind): mean controls
    sae: object  # per SAE: size,lm_seed,sae_seed,step,layer,fvu,l0,dead_frac
    ce: object  # per final-checkpoint SAE: loss clean / zero-ablated / spliced, fraction recovered
    freq: object  # latent-frequency histogram per size (final checkpoint)
    minilm: object  # MiniLM presence per layer and category (empty when skipped)
    minilm_layers: object
    matching: object  # MiniLM adjacent-layer Hungarian matching
    lm_loss: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)
    checkpoint_source: str | None = None


FREQ_BINS = np.array([-np.inf, -5, -4, -3, -2, -1, 0.0001])  # log10 firing frequency; first bin = dead


def _n_params(model) -> int:
    return int(sum(p.numel() for p in model.parameters()))


def _score_all(sae, A_ev, labels, K, score_cfg):
    """Per instance: CategoryScores on the eval set, and the SAE metrics (MiniLM)."""
    F = sae.encode(A_ev)
    return [score_latents(F[i], labels, K, score_cfg) for i in range(len(F))], sae.metrics(A_ev)


def _presence(F, y, family, sc):
    """``[K]`` presence of each category, scored within its family."""
    out = np.zeros(len(family))
    for f in np.unique(family):
        cats = np.flatnonzero(family == f)
        m = np.isin(y, cats)
        out[cats] = score_latents(F[m], np.searchsorted(cats, y[m]), len(cats), sc).presence
    return out


def _match_row(source, size, axis, la, lb, sa, sb, W_a, W_b, best_a, best_b, match_min, dir_a=None, dir_b=None):
    """One Hungarian matching of two SAEs' decoder rows. Besides the mean cosine over all pairs, it says how
    many categories whose categorical feature exists on both sides are *tracked*: their best latent on side a
    is matched to their best latent on side b (``tracked`` of ``both_present``). ``dir_a``/``dir_b``
    (``[K, d]`` unit category-mean directions, no SAE involved) give ``category_dir_cos``."""
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


def run_emergence(config: EmergenceConfig, workdir, *, checkpoints=None, progress: bool = True,
                  threads: int | None = 1, sae_dir=None, jobs: int = 1) -> EmergenceResult:
    """Run the whole grid (see module doc). LM checkpoints are written under ``workdir/checkpoints``.

    ``checkpoints``: a local ``step<N>/`` series to analyse instead of training the toy sizes. ``threads``: torch
    threads during the run (fixed for reproducibility; restored afterwards). ``sae_dir``: when given, the
    final-checkpoint SAE of the first LM and SAE seed at every (size, layer) is saved there in SAELens' format.
    ``jobs``: worker processes for the (size, LM seed) parts; each part is independent and seeded, so the
    tables do not depend on ``jobs``."""
    if jobs < 1:
        raise CapacityError(f"jobs must be >= 1, got {jobs}")
    with determinism(config.seed, threads):
        return _run(config, Path(workdir), checkpoints, progress, sae_dir, jobs, threads)


class _Data:
    """The fixed documents and labels of a run (shared by every size and seed)."""

    def __init__(self, config: EmergenceConfig, corpus: Corpus):
        rng = np.random.default_rng([config.seed, 7])
        K = len(corpus.names)
        self.tok_tr, self.lab_tr = corpus.sample(config.n_sae_train, rng)
        self.tok_ev, self.lab_ev = corpus.sample(config.eval_per_category * K, rng, balanced=True)
        sh_tr = shuffle_within_family(self.lab_tr, corpus.family, rng)
        sh_ev = shuffle_within_family(self.lab_ev, corpus.family, rng)
        T = corpus.config.seq_len
        if config.tokens:
            pos = config.score_positions()
            self.train_positions, self.eval_positions = np.arange(T), pos
            self.sel_rows = (np.arange(len(self.tok_tr))[:, None] * T + pos[None]).ravel()
            rep = len(pos)
        else:
            self.train_positions = self.eval_positions = None
            self.sel_rows = np.arange(len(self.tok_tr))
            rep = 1
        self.y_sel, self.y_ev = np.repeat(self.lab_tr, rep), np.repeat(self.lab_ev, rep)
        self.y_sel_sh, self.y_ev_sh = np.repeat(sh_tr, rep), np.repeat(sh_ev, rep)


def _plan(config, checkpoints):
    """``[(size name, ToyLMConfig or None, lm_seed)]`` after every check (bad input fails before any work)."""
    from .sources import load_checkpoint_series

    corpus = Corpus(config.corpus)
    if checkpoints is not None:
        series = load_checkpoint_series(checkpoints)
        if series.vocab_size < corpus.vocab_size:
            raise CapacityError(f"{checkpoints}: vocab_size {series.vocab_size} < the corpus' {corpus.vocab_size}")
        config.check(series.n_layers, series.d_model, "the checkpoint series")
        return [(Path(checkpoints).name or "series", None, 0)]
    for size in config.sizes:
        config.check(size.n_layers, size.d_model, f"LM size {size.name}")
    if config.minilm_per_category:
        config.minilm_sae.size(384)
    return [(size.name, size, config.seed + i) for size in config.sizes for i in range(config.lm_seeds)]


def _run(config, workdir, checkpoints, progress, sae_dir, jobs, threads):
    from tqdm.auto import tqdm

    plan = _plan(config, checkpoints)
    args = [(config, workdir, checkpoints, part, sae_dir, progress and jobs == 1) for part in plan]
    if jobs == 1:
        parts = [_part(*a) for a in tqdm(args, desc="sizes x LM seeds", disable=not progress, leave=False)]
    else:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        # largest sizes first (they take longest); results are put back in plan order
        order = sorted(range(len(args)), key=lambda i: -(plan[i][1].d_model if plan[i][1] else 0))
        with ProcessPoolExecutor(jobs, mp_context=mp.get_context("spawn"), initializer=_worker_init,
                                 initargs=(threads,)) as pool:
            futures = {i: pool.submit(_part, *args[i]) for i in order}
            mini = pool.submit(_minilm_part, config) if config.minilm_per_category and checkpoints is None \
                else None
            parts = [None] * len(args)
            for i in tqdm(order, desc="sizes x LM seeds", disable=not progress, leave=False):
                parts[i] = futures[i].result()
            return _assemble(config, parts, checkpoints, progress, pool=pool,
                             mini=None if mini is None else mini.result())
    return _assemble(config, parts, checkpoints, progress)


def _minilm_part(config):
    """The MiniLM layer axis as one part: ``{"presence", "sae", "layers", "match", "timings"}``."""
    mini = {"presence": [], "sae": [], "layers": [], "match": [], "timings": {}}
    _minilm(config, mini["presence"], mini["sae"], mini["layers"], mini["match"], mini["timings"], False)
    return mini


def _assemble(config, parts, checkpoints, progress, pool=None, mini=None):
    """The result from the (size, LM seed) parts in plan order: verdicts (per size in ``pool`` when given),
    summaries and MiniLM (``mini``: an already computed :func:`_minilm_part`)."""
    import pandas as pd

    timings = {}
    for p in parts:
        for k, v in p["timings"].items():
            timings[k] = timings.get(k, 0.0) + v
    frames = {k: pd.DataFrame([r for p in parts for r in p[k]]) for k in ("curves", "sae", "ce", "freq")}
    lm_loss = {k: v for p in parts for k, v in p["lm_loss"].items()}
    t0 = time.perf_counter()
    curves = frames["curves"]
    if pool is None:
        runs = _verdict_runs(curves, config, progress)
    else:  # one task per size; concatenated in the curves' order, as the single call would give
        sizes = list(dict.fromkeys(curves["size"]))
        futures = [pool.submit(_verdict_runs, curves[curves["size"] == s], config, False) for s in sizes]
        runs = pd.concat([f.result() for f in futures], ignore_index=True)
    time_t, scale_t, layer_t, controls = _summaries(curves, runs, config)
    timings["verdicts"] = time.perf_counter() - t0

    if mini is None:
        mini = {"presence": [], "sae": [], "layers": [], "match": []}
        if config.minilm_per_category and checkpoints is None:
            _minilm(config, mini["presence"], mini["sae"], mini["layers"], mini["match"], timings, progress)
    else:
        timings.update(mini.get("timings", {}))
    sae_frame = pd.concat([frames["sae"], pd.DataFrame(mini["sae"])], ignore_index=True) if mini["sae"] \
        else frames["sae"]
    return EmergenceResult(config, frames["curves"], runs, time_t, scale_t, layer_t, controls, sae_frame,
                           frames["ce"], frames["freq"], pd.DataFrame(mini["presence"]),
                           pd.DataFrame(mini["layers"]), pd.DataFrame(mini["match"]), lm_loss,
                           {k: round(v, 3) for k, v in timings.items()},
                           None if checkpoints is None else str(checkpoints))


def _worker_init(threads):
    import torch

    torch.use_deterministic_algorithms(True, warn_only=True)
    if threads is not None:
        torch.set_num_threads(threads)


def _part(config, workdir, checkpoints, part, sae_dir, progress):
    """One (size, LM seed): train the LM, read activations, controls, SAEs, scores, loss recovered."""
    from tqdm.auto import tqdm

    from .sources import load_checkpoint_series, resid_activations, spliced_loss

    size_name, size, lm_seed = part
    import torch

    torch.manual_seed(config.seed)
    corpus = Corpus(config.corpus)
    names, family = corpus.names, corpus.family
    K = len(names)
    data = _Data(config, corpus)
    timings = {"lm_training": 0.0, "activations_and_controls": 0.0, "sae_training": 0.0, "scoring": 0.0,
               "loss_recovered": 0.0}
    lm_loss, curve_rows, sae_rows, ce_rows, freq_rows = {}, [], [], [], []
    # 1. the LM of this seed
    if size is None:
        ser = load_checkpoint_series(checkpoints)
    else:
        t0 = time.perf_counter()
        folder = Path(workdir) / "checkpoints" / size_name / f"seed{lm_seed}"
        info = train_toylm(size, corpus, replace(config.lm, seed=lm_seed), folder, progress=progress)
        lm_loss[f"{size_name}/seed{lm_seed}"] = info["loss"]
        timings["lm_training"] += time.perf_counter() - t0
        ser = load_checkpoint_series(folder)
    steps = list(ser.steps)
    layers = list(range(ser.n_layers + 1)) if config.layers is None else list(config.layers)
    # 2. activations and the SAE-free controls
    t0 = time.perf_counter()
    tr_s, ev_s, base = [], [], {}
    for ti, step in enumerate(tqdm(steps, desc=f"activations {size_name} seed {lm_seed}", disable=not progress,
                                   leave=False)):
        model = ser.load(step)
        n_params = _n_params(model)
        a_tr = resid_activations(model, data.tok_tr, layers, positions=data.train_positions)
        a_ev = resid_activations(model, data.tok_ev, layers, positions=data.eval_positions)
        tr_s.append(a_tr)
        ev_s.append(a_ev)
        d = a_tr.shape[-1]
        R = random_directions(d, config.sae.size(d), seed=lm_seed)
        for li in range(len(layers)):
            X_sel = a_tr[li][data.sel_rows]
            base[ti, li] = (probe_auroc(X_sel, data.y_sel, a_ev[li], data.y_ev, family),
                            probe_auroc(X_sel, data.y_sel_sh, a_ev[li], data.y_ev_sh, family),
                            heldout_best_auroc(X_sel @ R, data.y_sel, a_ev[li] @ R, data.y_ev, family))
    timings["activations_and_controls"] += time.perf_counter() - t0
    # 3-4. SAEs of this LM seed: every (checkpoint, layer, SAE seed) in one batched model, then their scores
    a_tr, a_ev = np.stack(tr_s), np.stack(ev_s)  # [T, L, N, d]
    del tr_s, ev_s
    T, L, N, d = a_tr.shape
    J = config.sae_seeds
    sae_auc, sae_sh, pres = (np.zeros((T, L, J, K)) for _ in range(3))
    X = np.tile(a_tr.reshape(T * L, N, d), (J, 1, 1))  # instance = (SAE seed, checkpoint, layer)
    Xe = a_ev.reshape(T * L, -1, d)
    inst_seeds = np.repeat([config.seed * 1000 + j for j in range(J)], T * L)
    final_saes = {}
    for lo in range(0, len(X), config.max_instances):
        hi = min(lo + config.max_instances, len(X))
        t0 = time.perf_counter()
        sae = train_saes(X[lo:hi], config.sae, seeds=inst_seeds[lo:hi], progress=progress,
                         desc=f"SAEs {size_name} seed {lm_seed}")
        timings["sae_training"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        for i in tqdm(range(lo, hi), desc=f"scores {size_name}", disable=not progress, leave=False):
            j, rest = divmod(i, T * L)
            ti, li = divmod(rest, L)
            one = sae.select(i - lo)
            F_sel = one.encode(X[i:i + 1, data.sel_rows])[0]
            F_ev = one.encode(Xe[rest:rest + 1])[0]
            sae_auc[ti, li, j] = heldout_best_auroc(F_sel, data.y_sel, F_ev, data.y_ev, family)
            sae_sh[ti, li, j] = heldout_best_auroc(F_sel, data.y_sel_sh, F_ev, data.y_ev_sh, family)
            pres[ti, li, j] = _presence(F_ev, data.y_ev, family, config.scores)
            m = one.metrics(X[i:i + 1])
            sae_rows.append({"size": size_name, "lm_seed": lm_seed, "sae_seed": j, "step": steps[ti],
                             "layer": layers[li], "d_in": d, "d_sae": one.d_sae, "fvu": float(m["fvu"][0]),
                             "l0": float(m["l0"][0]), "dead_frac": float(m["dead_frac"][0])})
            if ti == T - 1:
                final_saes[li, j] = one
                freq = m["frequency"][0]
                counts = np.histogram(np.where(freq > 0, np.log10(np.maximum(freq, 1e-12)), -np.inf), FREQ_BINS)[0]
                freq_rows.append({"size": size_name, "lm_seed": lm_seed, "sae_seed": j, "layer": layers[li],
                                  **{f"bin{b}": int(c) for b, c in enumerate(counts)}})
        timings["scoring"] += time.perf_counter() - t0
    del X, Xe, a_tr, a_ev
    # the fraction of loss recovered at the final checkpoint
    t0 = time.perf_counter()
    model = ser.load(steps[-1])
    clean = spliced_loss(model, data.tok_ev, 0)
    for li, layer in enumerate(layers):
        zero = spliced_loss(model, data.tok_ev, layer, np.zeros_like)
        for j in range(J):
            one = final_saes[li, j]
            spl = spliced_loss(model, data.tok_ev, layer, lambda h, o=one: o.decode(o.encode(h[None]))[0])
            ce_rows.append({"size": size_name, "lm_seed": lm_seed, "sae_seed": j, "layer": layer,
                            "loss_clean": clean, "loss_zero": zero, "loss_sae": spl,
                            "loss_recovered": (zero - spl) / (zero - clean) if zero != clean else np.nan})
            if sae_dir is not None and lm_seed == config.seed and j == 0:
                one.save(Path(sae_dir) / f"{size_name}_layer{layer}", model_name=f"toy-{size_name}",
                         hook_name=f"blocks.{layer - 1}.hook_resid_post" if layer else "blocks.0.hook_resid_pre",
                         hook_layer=layer, context_size=corpus.config.seq_len, prepend_bos=False,
                         checkpoint_step=steps[-1], lm_seed=lm_seed)
    timings["loss_recovered"] += time.perf_counter() - t0
    sae_m = sae_auc.mean(axis=2)
    for ti in range(T):
        for li in range(L):
            probe, probe_sh, rnd = base[ti, li]
            for c in range(K):
                curve_rows.append({
                    "size": size_name, "n_params": n_params, "lm_seed": lm_seed, "step": steps[ti],
                    "layer": layers[li], "category": names[c], "family": "order" if family[c] else "lexical",
                    "probe": probe[c], "probe_shuffled": probe_sh[c], "random_dir": rnd[c],
                    "sae": sae_m[ti, li, c], "sae_min": sae_auc[ti, li, :, c].min(),
                    "sae_max": sae_auc[ti, li, :, c].max(), "sae_shuffled": sae_sh[ti, li, :, c].mean(),
                    "presence": pres[ti, li, :, c].mean(),
                    "present_share": (pres[ti, li, :, c] >= config.scores.purity_min).mean()})
    return {"curves": curve_rows, "sae": sae_rows, "ce": ce_rows, "freq": freq_rows, "lm_loss": lm_loss,
            "timings": timings}


def _verdict_runs(curves, config, progress):
    """One row per (size, LM seed, category): best layer, emergence steps, sharpness, reactivation."""
    import pandas as pd
    from tqdm.auto import tqdm

    delta = config.margin
    rows = []
    groups = list(curves.groupby(["size", "lm_seed", "category"], sort=False))
    for (size, seed, cat), g in tqdm(groups, desc="verdicts", disable=not progress, leave=False):
        g = g.sort_values(["step", "layer"])
        steps = np.array(sorted(g["step"].unique()))
        layers = np.array(sorted(g["layer"].unique()))
        piv = {k: g.pivot(index="step", columns="layer", values=k).loc[steps, layers].to_numpy()
               for k in ("sae", "probe", "random_dir", "presence")}
        final = piv["sae"][-1]
        lb = int(np.argmax(final))
        probe0 = piv["probe"][0]  # [L]
        level = np.maximum(probe0 + delta, piv["random_dir"][-1] + delta)  # emergence level per layer (final)
        sae_c, probe_c = piv["sae"][:, lb], piv["probe"][:, lb]
        ok = (sae_c >= probe0[lb] + delta) & (sae_c >= piv["random_dir"][:, lb] + delta)
        e_sae = emergence_index(ok)
        e_learn = emergence_index(probe_c >= probe0[lb] + delta)
        e_pres = emergence_time(steps, piv["presence"][:, lb], config.scores.purity_min, config.scores.persist)
        fit = sharpness(steps, sae_c, n_boot=config.n_boot, seed=int(seed), margin=delta) if len(steps) >= 6 \
            else {"verdict": "too few checkpoints"}
        above = final >= level
        react, probe_dip = [], []
        for a in range(len(layers)):
            for c in range(a + 2, len(layers)):
                if not (above[a] and above[c]):
                    continue
                for b in range(a + 1, c):
                    if final[b] <= min(final[a], final[c]) - 2 * delta:
                        react.append(f"{layers[a]}>{layers[b]}>{layers[c]}")
                        pf = piv["probe"][-1]
                        probe_dip.append(bool(pf[b] <= min(pf[a], pf[c]) - 2 * delta))
        pres_react = detect_reactivation(piv["presence"][-1], config.scores.purity_min, config.scores.absent_max)
        rows.append({
            "size": size, "lm_seed": seed, "category": cat, "family": g["family"].iloc[0],
            "best_layer": int(layers[lb]), "probe_step0": float(probe0[lb]),
            "testable": bool(probe0[lb] + delta <= 1.0),
            "sae_final": float(sae_c[-1]), "probe_final": float(probe_c[-1]),
            "random_final": float(piv["random_dir"][-1, lb]),
            "emergence_step": None if e_sae is None else int(steps[e_sae]),
            "learning_step": None if e_learn is None else int(steps[e_learn]),
            "presence_step": e_pres.emergence,
            **{k: fit.get(k) for k in ("verdict", "width_octaves", "width_low", "width_high", "midpoint_step",
                                       "delta_bic")},
            "reactivations": ";".join(react), "reactivates": bool(react),
            "probe_dips_too": bool(react) and all(probe_dip),
            "presence_reactivates": bool(pres_react)})
    return pd.DataFrame(rows)


def _fmt_steps(values):
    v = [x for x in values if x is not None and np.isfinite(x)]
    if not v:
        return "never"
    return f"{int(np.median(v))} [{int(min(v))}-{int(max(v))}]"


def _interval(values, digits=2):
    m, lo, hi = mean_interval(values)
    return "-" if not np.isfinite(m) else f"{m:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"


def _summaries(curves, runs, config):
    """Across LM seeds: time (per size and category), scale (per category), layers, controls."""
    import pandas as pd

    need = lambda n: max(1, int(np.ceil(0.8 * n)))  # "in >= 4 of 5 seeds"  # noqa: E731
    time_rows, layer_rows, scale_rows = [], [], []
    sizes = list(dict.fromkeys(runs["size"]))
    for (size, cat), g in runs.groupby(["size", "category"], sort=False):
        n = len(g)
        emerged = g["emergence_step"].notna()
        n_sharp = int((g["verdict"] == "sharp").sum())
        n_fit = int(g["verdict"].isin(["sharp", "smooth"]).sum())
        if not emerged.sum():
            verdict = "no emergence" if g["testable"].sum() >= need(n) else "not testable (decodable at step 0)"
        elif n_sharp >= need(n):
            verdict = "supported (sharp)"
        elif n_sharp <= max(1, n // 5) and n_fit:
            verdict = "refuted (smooth)"
        else:
            verdict = "mixed"
        widths = g.loc[g["verdict"].isin(["sharp", "smooth"]), "width_octaves"]
        time_rows.append({
            "size": size, "category": cat, "family": g["family"].iloc[0], "seeds": n,
            "testable": int(g["testable"].sum()), "emerged": int(emerged.sum()),
            "emergence_step": _fmt_steps(g["emergence_step"].tolist()),
            "learning_step": _fmt_steps(g["learning_step"].tolist()),
            "presence_step": _fmt_steps(g["presence_step"].tolist()),
            "sharp": n_sharp, "width_octaves_median": float(widths.median()) if len(widths) else np.nan,
            "width_octaves_range": f"{widths.min():.2f}-{widths.max():.2f}" if len(widths) else "-",
            "verdict": verdict})
        react = int(g["reactivates"].sum())
        layer_rows.append({
            "size": size, "category": cat, "seeds": n, "reactivating_seeds": react,
            "probe_also_dips": int(g["probe_dips_too"].sum()), "presence_rule_reactivating": int(
                g["presence_reactivates"].sum()),
            "examples": " ".join(f"s{s}:{r}" for s, r in zip(g["lm_seed"], g["reactivations"]) if r),
            "verdict": "supported" if react >= need(n) else ("refuted" if react <= max(1, n // 5) else "mixed")})
    for cat, g in runs.groupby("category", sort=False):
        row = {"category": cat, "family": g["family"].iloc[0]}
        em = {}
        finals = {}
        for size in sizes:
            h = g[g["size"] == size]
            em[size] = int(h["emergence_step"].notna().sum()), len(h)
            finals[size] = mean_interval(h["sae_final"])
            row[f"{size} emerged"] = f"{em[size][0]}/{em[size][1]}"
            row[f"{size} final SAE AUROC"] = _interval(h["sae_final"])
            row[f"{size} final probe"] = _interval(h["probe_final"])
        small = sizes[0]
        yes = [s for s in sizes if em[s][0] >= need(em[s][1])]
        no_small = em[small][1] - em[small][0] >= need(em[small][1])
        separated = any(finals[s][1] > finals[small][2] for s in yes if s != small)
        if len(yes) == len(sizes):
            verdict = "refuted (every size emerges)"
        elif not yes and all(em[s][0] == 0 for s in sizes):
            verdict = "refuted (no size emerges)"
        elif no_small and yes and separated:
            verdict = f"supported (from {yes[0]})"
        else:
            verdict = "mixed"
        row["verdict"] = verdict
        scale_rows.append(row)
    final_step = curves.groupby("size")["step"].transform("max")
    c = curves.assign(when=np.where(curves["step"] == 0, "step 0", np.where(curves["step"] == final_step, "final",
                                                                            "other")))
    c = c[c["when"] != "other"]
    controls = c.groupby(["size", "family", "when"], sort=False)[
        ["probe", "probe_shuffled", "random_dir", "sae", "sae_shuffled", "presence"]].mean().reset_index()
    return pd.DataFrame(time_rows), pd.DataFrame(scale_rows), pd.DataFrame(layer_rows), controls


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
