"""Feature emergence across time (checkpoints), space (layers) and scale (model sizes) with sparse autoencoders.

Data path: :class:`Corpus` (generated, labelled) -> toy GPT-NeoX LMs with ``step<N>/`` checkpoints
(:mod:`.lm`) -> residual-stream activations at every layer (:mod:`.sources`; also the real MiniLM and any local
checkpoint series) -> SAEs (:mod:`.sae`) -> latent x category scores and presence (:mod:`.scores`) -> emergence
rules, reactivation and Hungarian matching (:mod:`.rules`) -> tables and heatmaps (:mod:`.report`).
:func:`run_emergence` (:mod:`.pipeline`) runs the whole path. Every threshold is ours (the paper's are unknown).

torch and transformers are imported only inside functions.
"""

from .lm import (
    Category,
    Corpus,
    CorpusConfig,
    LMTrainConfig,
    ToyLMConfig,
    build_toylm,
    log_checkpoints,
    train_toylm,
)
from .pipeline import PRESETS, EmergenceConfig, EmergenceResult, run_emergence
from .rules import Emergence, detect_reactivation, emergence_scale, emergence_time, match_features
from .sae import SAE, SAEConfig, train_saes, train_saes_loop
from .scores import CategoryScores, ScoreConfig, auroc, auroc_loop, purity, score_latents, selectivity
from .sources import (
    CheckpointSeries,
    category_sentences,
    load_checkpoint_series,
    minilm_activations,
    resid_activations,
)

__all__ = [
    "PRESETS", "SAE", "Category", "CategoryScores", "CheckpointSeries", "Corpus", "CorpusConfig", "Emergence",
    "EmergenceConfig", "EmergenceResult", "LMTrainConfig", "SAEConfig", "ScoreConfig", "ToyLMConfig", "auroc",
    "auroc_loop", "build_toylm", "category_sentences", "detect_reactivation", "emergence_scale", "emergence_time",
    "load_checkpoint_series", "log_checkpoints", "match_features", "minilm_activations", "purity",
    "resid_activations", "run_emergence", "score_latents", "selectivity", "train_saes", "train_saes_loop",
    "train_toylm",
]
