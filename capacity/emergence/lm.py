"""A generated multi-category corpus and tiny decoder-only LMs trained on it with Pythia-style checkpoints.

**Corpus.** Two families of categories (all numbers ours):

* *lexical*: a word-level vocabulary of ``n_function_words`` shared function words (``fn0``, ``fn1``, ...) plus
  one pool of topic words per category (``math0``, ``math1``, ...). Each position of a document is a topic word
  of its category with probability ``density`` (uniform over its ``n_words``), else a uniform function word. A
  bag of words decides the category.
* *order* (``order_categories``): one shared pool of ``order_pool`` words (``w0``, ``w1``, ...). Category ``c``
  has a fixed random permutation ``pi_c`` of the pool; a document starts with a uniform word and each next word
  is ``pi_c(previous)`` with probability ``order_p``, else uniform. Every order category has the same (uniform)
  word frequencies, so only word order (bigram structure) tells them apart.

Documents are drawn with the categories' frequencies: the order categories take ``order_frequency`` each, the
lexical ones share the rest in proportion to their ``frequency``. Scores compare a category with the other
categories of its family (:attr:`Corpus.family`).

**LM.** A GPT-NeoX (the Pythia architecture) built from a ``transformers`` config with random weights and
trained here with a plain torch loop (AdamW, next-token loss). Checkpoints are saved with ``save_pretrained``
into ``step<N>/`` folders, the layout of Pythia's revisions, so the toy series and a real Pythia series on
disk are read by the same loader (:func:`capacity.emergence.sources.load_checkpoint_series`).

torch and transformers are imported inside the functions only.
"""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..errors import CapacityError

__all__ = [
    "DEFAULT_CATEGORIES",
    "Category",
    "Corpus",
    "CorpusConfig",
    "LMTrainConfig",
    "ToyLMConfig",
    "build_toylm",
    "dense_checkpoints",
    "determinism",
    "log_checkpoints",
    "train_toylm",
]


@dataclass(frozen=True)
class Category:
    """One category (domain) of the corpus.

    Args:
        name: a short name; its topic words are ``name0 .. name{n_words-1}``.
        frequency: relative share of documents (normalised over the categories).
        n_words: size of the category's topic-word pool (bigger = each word rarer = harder).
        density: probability that a position of one of its documents is a topic word (lower = harder).
    """

    name: str
    frequency: float
    n_words: int
    density: float

    def __post_init__(self):
        if not self.name.isidentifier() or self.name.startswith("fn"):
            raise CapacityError(f"category name must be an identifier not starting with 'fn', got {self.name!r}")
        if not (self.frequency > 0 and self.n_words >= 1 and 0 < self.density <= 1):
            raise CapacityError(f"category {self.name}: need frequency > 0, n_words >= 1, 0 < density <= 1")


#: Ours: five categories from frequent and easy to rare and hard.
DEFAULT_CATEGORIES = (
    Category("math", 0.40, 16, 0.50),
    Category("physics", 0.30, 32, 0.45),
    Category("biology", 0.17, 64, 0.35),
    Category("history", 0.10, 160, 0.25),
    Category("law", 0.03, 256, 0.15),
)


@dataclass(frozen=True)
class CorpusConfig:
    """The generated corpus (all defaults ours); ``order_categories=()`` gives the lexical family only."""

    categories: tuple[Category, ...] = DEFAULT_CATEGORIES
    n_function_words: int = 16
    seq_len: int = 32
    order_categories: tuple[str, ...] = ()
    order_pool: int = 32
    order_p: float = 0.5
    order_frequency: float = 0.1
    seed: int = 0

    def __post_init__(self):
        object.__setattr__(self, "categories", tuple(
            c if isinstance(c, Category) else Category(**c) for c in self.categories))
        object.__setattr__(self, "order_categories", tuple(self.order_categories))
        names = [c.name for c in self.categories] + list(self.order_categories)
        if len(names) < 2 or len(set(names)) != len(names):
            raise CapacityError(f"need at least two categories with distinct names, got {names}")
        if self.n_function_words < 1 or self.seq_len < 2:
            raise CapacityError("need n_function_words >= 1 and seq_len >= 2")
        if self.order_categories:
            if len(self.order_categories) < 2 or self.order_pool < 2 or not 0 < self.order_p <= 1:
                raise CapacityError("order categories: need at least two, order_pool >= 2, 0 < order_p <= 1")
            if not 0 < self.order_frequency * len(self.order_categories) < 1 or len(self.categories) < 2:
                raise CapacityError("order categories: their total frequency must lie in (0, 1) and at least "
                                    "two lexical categories must remain")
            if any(not n.isidentifier() or n.startswith(("fn", "w")) for n in self.order_categories):
                raise CapacityError("order category names must be identifiers not starting with 'fn' or 'w'")

    def to_dict(self) -> dict:
        return asdict(self)


class Corpus:
    """Samples labelled token sequences from a :class:`CorpusConfig`."""

    def __init__(self, config: CorpusConfig = CorpusConfig()):
        self.config = config
        cfg = config
        n_lex, n_ord = len(cfg.categories), len(cfg.order_categories)
        self.names = tuple(c.name for c in cfg.categories) + cfg.order_categories
        #: 0 = lexical, 1 = order, per category
        self.family = np.array([0] * n_lex + [1] * n_ord)
        self.n_words = np.array([c.n_words for c in cfg.categories])
        self.density = np.array([c.density for c in cfg.categories])
        freq = np.array([c.frequency for c in cfg.categories], dtype=float)
        lex_share = 1 - cfg.order_frequency * n_ord
        self.frequency = np.concatenate([freq / freq.sum() * lex_share, np.full(n_ord, cfg.order_frequency)])
        self.offsets = cfg.n_function_words + np.concatenate([[0], np.cumsum(self.n_words)[:-1]])
        self.order_offset = int(cfg.n_function_words + self.n_words.sum())
        self.vocab_size = self.order_offset + (cfg.order_pool if n_ord else 0)
        prng = np.random.default_rng([cfg.seed, 99])
        #: [n_order, pool]: successor of each pool word in each order category
        self.successor = np.stack([prng.permutation(cfg.order_pool) for _ in range(n_ord)]) if n_ord else \
            np.zeros((0, cfg.order_pool), dtype=np.int64)

    def words(self) -> list[str]:
        """The token strings, index = token id."""
        out = [f"fn{i}" for i in range(self.config.n_function_words)]
        for c in self.config.categories:
            out += [f"{c.name}{i}" for i in range(c.n_words)]
        if self.config.order_categories:
            out += [f"w{i}" for i in range(self.config.order_pool)]
        return out

    def sample(self, n: int, rng: np.random.Generator, *, balanced: bool = False):
        """``(tokens [n, seq_len] int64, labels [n] int64)``; ``balanced`` draws categories equally often
        (used for the evaluation set, so that every category has enough examples to score)."""
        K, T = len(self.names), self.config.seq_len
        n_lex = len(self.config.categories)
        labels = (np.arange(n) % K) if balanced else rng.choice(K, size=n, p=self.frequency)
        labels = np.asarray(labels, dtype=np.int64)
        lex = np.minimum(labels, n_lex - 1)
        topic = rng.random((n, T)) < self.density[lex][:, None]
        word = (rng.random((n, T)) * self.n_words[lex][:, None]).astype(np.int64) + self.offsets[lex][:, None]
        fn = rng.integers(self.config.n_function_words, size=(n, T))
        tokens = np.where(topic, word, fn).astype(np.int64)
        if self.config.order_categories:
            pool, o = self.config.order_pool, labels >= n_lex
            follow = rng.random((n, T)) < self.config.order_p
            fresh = rng.integers(pool, size=(n, T))
            succ = self.successor[np.maximum(labels - n_lex, 0)]  # [n, pool]
            seq = np.empty((n, T), dtype=np.int64)
            seq[:, 0] = fresh[:, 0]
            for t in range(1, T):
                nxt = succ[np.arange(n), seq[:, t - 1]]
                seq[:, t] = np.where(follow[:, t], nxt, fresh[:, t])
            tokens[o] = seq[o] + self.order_offset
        return tokens, labels


def log_checkpoints(max_step: int) -> tuple[int, ...]:
    """Pythia-style log-spaced checkpoint steps ``0, 1, 2, 4, ...`` up to and including ``max_step``."""
    if max_step < 0:
        raise CapacityError(f"max_step must be >= 0, got {max_step}")
    steps, s = [0], 1
    while s <= max_step:
        steps.append(s)
        s *= 2
    if steps[-1] != max_step:
        steps.append(max_step)
    return tuple(steps)


def dense_checkpoints(max_step: int, every: int = 16) -> tuple[int, ...]:
    """``0, 1, 2, 4, ...`` below ``every``, then every ``every`` steps up to and including ``max_step``."""
    if max_step < 0 or every < 1:
        raise CapacityError(f"need max_step >= 0 and every >= 1, got {max_step}, {every}")
    early = [s for s in log_checkpoints(max_step) if s < every]
    return tuple(sorted({*early, *range(every, max_step + 1, every), max_step}))


@dataclass(frozen=True)
class ToyLMConfig:
    """Shape of one toy GPT-NeoX (TransformerLens names). ``name`` labels the size in tables."""

    name: str
    d_model: int
    n_layers: int
    n_heads: int = 4
    d_mlp: int | None = None  # default 4 * d_model

    def __post_init__(self):
        if self.d_model < 1 or self.n_layers < 1 or self.n_heads < 1 or self.d_model % self.n_heads:
            raise CapacityError(f"size {self.name}: need d_model divisible by n_heads, n_layers >= 1")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class LMTrainConfig:
    """How the toy LMs are trained (all defaults ours)."""

    steps: int = 512
    batch_size: int = 64
    lr: float = 3e-3
    weight_decay: float = 0.01
    seed: int = 0
    checkpoints: tuple[int, ...] = field(default=())  # default: log_checkpoints(steps)

    def __post_init__(self):
        if self.steps < 0 or self.batch_size < 1 or not self.lr > 0:
            raise CapacityError("need steps >= 0, batch_size >= 1, lr > 0")
        ck = tuple(sorted({int(s) for s in (self.checkpoints or log_checkpoints(self.steps))}))
        if ck[0] < 0 or ck[-1] > self.steps:
            raise CapacityError(f"checkpoints must lie in [0, {self.steps}], got {ck}")
        object.__setattr__(self, "checkpoints", ck)

    def to_dict(self) -> dict:
        return asdict(self)


def quiet_hf() -> None:
    """No transformers progress bars or warnings (they would interleave with ours)."""
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


@contextmanager
def determinism(seed: int, threads: int | None = None):
    """Seed torch, ask for deterministic kernels and (optionally) fix the thread count; the previous
    deterministic-algorithms setting and thread count are restored on exit."""
    import torch

    before = (torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled(),
              torch.get_num_threads())
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(before[0], warn_only=before[1])
        torch.set_num_threads(before[2])


def build_toylm(cfg: ToyLMConfig, vocab_size: int, seq_len: int, seed: int = 0):
    """A randomly initialised ``GPTNeoXForCausalLM`` of the given size (no dropout, untied embeddings)."""
    import torch
    from transformers import GPTNeoXConfig, GPTNeoXForCausalLM

    quiet_hf()

    hf = GPTNeoXConfig(vocab_size=vocab_size, hidden_size=cfg.d_model, num_hidden_layers=cfg.n_layers,
                       num_attention_heads=cfg.n_heads, intermediate_size=cfg.d_mlp or 4 * cfg.d_model,
                       max_position_embeddings=seq_len, rotary_pct=0.25, use_parallel_residual=True,
                       hidden_dropout=0.0, attention_dropout=0.0, tie_word_embeddings=False,
                       bos_token_id=0, eos_token_id=0)
    torch.manual_seed(seed)
    model = GPTNeoXForCausalLM(hf)
    model.eval()
    return model


def train_toylm(cfg: ToyLMConfig, corpus: Corpus, train_cfg: LMTrainConfig, out_dir, *, progress: bool = True):
    """Train one toy LM and save ``out_dir/step<N>/`` (HF format) at every checkpoint step.

    Returns ``{"steps": [...], "loss": [per-step training loss], "seconds": float}``; the step-0 folder is the
    initialisation. Same seeds -> same weights (one fixed torch thread count assumed)."""
    import torch
    from tqdm.auto import tqdm

    out_dir = Path(out_dir)
    seed = train_cfg.seed
    model = build_toylm(cfg, corpus.vocab_size, corpus.config.seq_len, seed=seed)
    opt = torch.optim.AdamW(model.parameters(), lr=train_cfg.lr, weight_decay=train_cfg.weight_decay)
    rng = np.random.default_rng([seed, corpus.config.seed, 1])
    wanted = set(train_cfg.checkpoints)
    losses = []
    t0 = time.perf_counter()

    def save(step):
        model.save_pretrained(out_dir / f"step{step}")
        (out_dir / f"step{step}" / "corpus.json").write_text(json.dumps(corpus.config.to_dict()))

    model.train()
    bar = tqdm(range(train_cfg.steps + 1), desc=f"train LM {cfg.name}", disable=not progress, leave=False)
    for step in bar:
        if step in wanted:
            save(step)
        if step == train_cfg.steps:
            break
        x, _ = corpus.sample(train_cfg.batch_size, rng)
        x = torch.from_numpy(x)
        loss = model(input_ids=x, labels=x).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if step % 32 == 0:
            bar.set_postfix(loss=f"{losses[-1]:.3f}")
    model.eval()
    return {"steps": list(train_cfg.checkpoints), "loss": losses, "seconds": time.perf_counter() - t0}
