"""Feature emergence across time (checkpoints), space (layers) and scale (model sizes) with sparse autoencoders.

Data path: :class:`Corpus` (generated, labelled; lexical and word-order categories) -> toy GPT-NeoX LMs with
``step<N>/`` checkpoints, several seeds (:mod:`.lm`) -> per-token residual-stream activations at every layer
(:mod:`.sources`; also the real MiniLM and any local checkpoint series) -> SAEs with AuxK, saved in SAELens'
format (:mod:`.sae`) -> continuous evidence with controls and the sharp-against-smooth test (:mod:`.evidence`)
and the thresholded presence (:mod:`.scores`, :mod:`.rules`) -> tables and plots (:mod:`.report`).
:func:`run_emergence` (:mod:`.pipeline`) runs the whole grid. Every threshold is ours (the paper's are unknown).

torch and transformers are imported only inside functions.
"""

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
    Category,
    Corpus,
    CorpusConfig,
    LMTrainConfig,
    ToyLMConfig,
    build_toylm,
    dense_checkpoints,
    log_checkpoints,
    train_toylm,
)
from .pipeline import PRESETS, EmergenceConfig, EmergenceResult, run_emergence
from .rules import Emergence, detect_reactivation, emergence_scale, emergence_time, match_features
from .sae import SAE, SAEConfig, load_sae, train_saes, train_saes_loop
from .scores import CategoryScores, ScoreConfig, auroc, auroc_loop, purity, score_latents, selectivity
from .sources import (
    CheckpointSeries,
    category_sentences,
    load_checkpoint_series,
    minilm_activations,
    resid_activations,
    spliced_loss,
)

__all__ = [
    "PRESETS", "SAE", "Category", "CategoryScores", "CheckpointSeries", "Corpus", "CorpusConfig", "Emergence",
    "EmergenceConfig", "EmergenceResult", "LMTrainConfig", "SAEConfig", "ScoreConfig", "ToyLMConfig", "auroc",
    "auroc_loop", "build_toylm", "category_sentences", "dense_checkpoints", "detect_reactivation",
    "emergence_index", "emergence_scale", "emergence_time", "heldout_best_auroc", "load_checkpoint_series",
    "load_sae", "log_checkpoints", "match_features", "mean_interval", "minilm_activations", "probe_auroc",
    "purity", "random_directions", "resid_activations", "run_emergence", "score_latents", "selectivity",
    "sharpness", "shuffle_within_family", "spliced_loss", "train_saes", "train_saes_loop", "train_toylm",
]
