"""Fixed Parameter Expansion (FPE): split each hidden neuron into children with disjoint input masks.

Recipe (research digest of *Expand Neurons, Not Parameters*, section 2; the paper body was not read, so the
details marked *ours* are our choices):

1. parent unit ``i`` of a hidden layer becomes ``alpha`` children ``alpha*i ... alpha*i + alpha - 1``;
2. child ``k`` gets the incoming weights ``w_i * m_(i,k)``; the masks of one parent are disjoint and cover the
   parent's inputs, so the incoming non-zero count is unchanged;
3. the outgoing weights of the parent are copied to every child (this adds non-zeros);
4. the smallest-magnitude weights of all expanded layers (one global threshold) are pruned until the
   non-zero count equals the dense model's again;
5. the surviving non-zero pattern is the fixed mask for fine-tuning.

Biases (open in the paper; **ours**): each child gets ``b_i / alpha``, so the children's pre-activations add
up to the parent's exactly; biases are not counted in the non-zero budget (docs/design.md §2: ``P = nnz`` of weights,
biases reported separately). By subadditivity of ReLU the sum of the children's activations is then ``>=`` the
parent's, with equality exactly where all of a parent's children have pre-activations of one sign.

Every hidden layer of the network is expanded (one hidden layer: the paper's setting; several: our reading of
its 5-layer MLP experiment). Layer ``l + 1`` sees the duplicated outputs of layer ``l`` as its inputs and its
own rows are then split over those ``alpha * n_l`` inputs.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ..errors import CapacityError
from ..network import Network

__all__ = [
    "BASELINES",
    "SPLITS",
    "FPEError",
    "FPEExpansion",
    "count_nonzero",
    "fpe_expand",
    "masks_from_assignment",
    "overlapping_masks",
    "parse_clauses",
    "prune_to_budget",
    "split_clause",
    "split_gram",
    "split_random",
]

SPLITS = ("random", "clause", "gram")
#: ablations of the first FPE experiments (overlapping child masks; DropConnect now lives in capacity.fpe.study)
BASELINES = ("overlap", "dropconnect")


class FPEError(CapacityError):
    """Bad FPE input: an expansion factor, a split or clauses the network cannot take."""


def count_nonzero(weights) -> int:
    """Non-zero weight entries over the given matrices (the budget; biases are not passed in)."""
    return int(sum(np.count_nonzero(np.asarray(w)) for w in weights))


def _split(node, op: str) -> list:
    """The operands of a chain of ``op`` in a formula parsed by :mod:`capacity.features`."""
    return _split(node[1], op) + _split(node[2], op) if node[0] == op else [node]


def _parse(text: str, d_in: int):
    from ..errors import FormulaError
    from ..features import _Parser

    try:
        return _Parser(text, d_in).parse()
    except FormulaError as exc:
        raise FPEError(str(exc)) from None


def _literal_indices(clause) -> list[int]:
    """Input indices of a parsed AND of literals."""
    idx = []
    for lit in _split(clause, "&"):
        lit = lit[1] if lit[0] == "~" else lit
        if lit[0] != "x":
            raise FPEError("clauses must be ANDs of literals like 'x0 & ~x3' (a DNF is an OR of them)")
        idx.append(lit[1])
    return idx


def parse_clauses(clauses, d_in: int) -> list[tuple[int, ...]]:
    """Clauses as tuples of input indices. Accepts a DNF text (``"(x0 & ~x3) | (x1 & x2)"``, read by the
    package's formula parser), a list of clause texts, or lists of indices / ``(index, negated)`` pairs. Every
    index must be an input of the network."""
    if isinstance(clauses, str):
        clauses = [_literal_indices(c) for c in _split(_parse(clauses, d_in), "|")]
    out = []
    for c in clauses:
        if isinstance(c, str):
            idx = _literal_indices(_parse(c, d_in))
        else:
            try:
                idx = [int(v[0]) if isinstance(v, (tuple, list)) else int(v) for v in c]
            except (TypeError, ValueError):
                raise FPEError(f"a clause must list input indices, got {c!r}") from None
        if not idx:
            raise FPEError("empty clause")
        bad = [i for i in idx if not 0 <= i < d_in]
        if bad:
            raise FPEError(f"clause {c!r} names input(s) {bad} but the network has {d_in} inputs (x0..x{d_in - 1})")
        out.append(tuple(sorted(set(idx))))
    if not out:
        raise FPEError("no clauses given")
    return out


def _check_alpha(alpha, d: int, where: str) -> int:
    if isinstance(alpha, bool) or not isinstance(alpha, (int, np.integer)):
        raise FPEError(f"alpha must be an integer, got {alpha!r}")
    if alpha < 2:
        raise FPEError(f"alpha must be >= 2 (each neuron splits into alpha children), got {alpha}")
    if alpha > d:
        raise FPEError(f"alpha = {alpha} is larger than the fan-in {d} of {where}: some child would get no input")
    return int(alpha)


# ---------------------------------------------------------------------------------------------
# splits: an assignment (n_parents, d) of each input of each parent to one of its alpha children


def split_random(n: int, d: int, alpha: int, rng: np.random.Generator) -> np.ndarray:
    """Each parent's inputs in a uniformly random order, cut into ``alpha`` blocks of sizes ``d // alpha`` or
    ``d // alpha + 1`` (balanced random partition)."""
    A = np.empty((n, d), dtype=np.int64)
    for i in range(n):
        for k, block in enumerate(np.array_split(rng.permutation(d), alpha)):
            A[i, block] = k
    return A


def split_clause(W: np.ndarray, clauses, alpha: int) -> np.ndarray:
    """Clause-aligned split (*ours* in detail): all inputs of a clause go to one child.

    For parent ``i`` the clauses are ranked by the parent's weight mass on them (``sum |w_i[clause]|``, largest
    first) and dealt round-robin to children ``0, 1, ..., alpha - 1, 0, ...``, so the parent's ``alpha`` strongest
    clauses land in different children. An input shared by several clauses goes with the highest-ranked one;
    inputs in no clause go one by one to the child with the fewest inputs.
    """
    n, d = W.shape
    A = np.full((n, d), -1, dtype=np.int64)
    for i in range(n):
        mass = np.array([np.abs(W[i, list(c)]).sum() for c in clauses])
        order = np.argsort(-mass, kind="stable")
        for r, c in enumerate(order):
            for j in clauses[c]:
                if A[i, j] < 0:
                    A[i, j] = r % alpha
        for j in np.flatnonzero(A[i] < 0):
            A[i, j] = int(np.argmin(np.bincount(A[i][A[i] >= 0], minlength=alpha)))
    return A


def split_gram(W: np.ndarray, alpha: int, seed: int = 0) -> np.ndarray:
    """Feature-based split for real data: cluster the rows of the Gram matrix ``G = W^T W`` (inputs that the layer
    treats alike) into ``min(d, 2 alpha)`` pseudo-feature groups with k-means (scikit-learn), spread the groups over
    the children greedily (largest group to the emptiest child), and rotate the children by the parent index so
    that different parents pair different groups. Group count and rotation are *ours*."""
    from sklearn.cluster import KMeans

    n, d = W.shape
    G = W.T @ W
    n_groups = min(d, 2 * alpha)
    with warnings.catch_warnings():  # duplicate Gram rows (e.g. inputs a layer ignores) give fewer clusters: fine
        warnings.simplefilter("ignore")
        labels = KMeans(n_clusters=n_groups, n_init=4, random_state=seed).fit_predict(G)
    groups = sorted((np.flatnonzero(labels == g) for g in range(n_groups)), key=lambda a: (-a.size, a[0] if a.size else 0))
    load = np.zeros(alpha, dtype=np.int64)
    child_of_input = np.empty(d, dtype=np.int64)
    for g in groups:
        if g.size == 0:
            continue
        k = int(np.argmin(load))
        child_of_input[g] = k
        load[k] += g.size
    if (load == 0).any():  # fewer non-empty groups than children: fall back to a balanced cut of the group order
        order = np.concatenate([g for g in groups if g.size])
        for k, block in enumerate(np.array_split(order, alpha)):
            child_of_input[block] = k
    return np.stack([(child_of_input + i) % alpha for i in range(n)])


def masks_from_assignment(A: np.ndarray, alpha: int) -> np.ndarray:
    """``(alpha * n, d)`` bool masks: row ``alpha*i + k`` is ``A[i] == k`` (disjoint, covering per parent)."""
    n, d = A.shape
    return (A[:, None, :] == np.arange(alpha)[None, :, None]).reshape(alpha * n, d)


def overlapping_masks(n: int, d: int, alpha: int, rng: np.random.Generator) -> np.ndarray:
    """Ablation: every child draws its own random subset of the parent's inputs, of the size a balanced split
    would give it; the children of a parent may overlap and need not cover (same child count and the same
    incoming non-zero count as the partition)."""
    sizes = [len(b) for b in np.array_split(np.arange(d), alpha)]
    M = np.zeros((alpha * n, d), dtype=bool)
    for i in range(n):
        for k in range(alpha):
            M[alpha * i + k, rng.choice(d, size=sizes[k], replace=False)] = True
    return M


# ---------------------------------------------------------------------------------------------
# expansion


@dataclass(frozen=True, eq=False)
class FPEExpansion:
    """The result of :func:`fpe_expand`.

    Args:
        network: the expanded and pruned network (the starting point of fine-tuning).
        unpruned: the expanded network before pruning.
        masks: fixed fine-tuning masks, one bool array per weight matrix (input layer first, readout last).
        partitions: per hidden layer, the ``(alpha * n, fan_in)`` child masks before pruning.
        alpha, split, seed: how it was made.
        budget: the dense model's non-zero weight count, which ``network`` matches.
        n_pruned: weights removed by the pruning step.
    """

    network: Network
    unpruned: Network
    masks: tuple
    partitions: tuple
    alpha: int
    split: str
    budget: int
    n_pruned: int
    seed: int = 0

    @property
    def d_hidden(self) -> int:
        return self.network.d_hidden


def prune_to_budget(weights, masks, budget: int):
    """Zero the smallest-magnitude non-zero entries over all matrices (one global order, ties by position)
    until ``budget`` non-zeros remain; returns new ``(weights, masks, n_pruned)``."""
    weights = [np.array(w, dtype=np.float64) for w in weights]
    masks = [np.array(m, dtype=bool) & (w != 0) for w, m in zip(weights, masks)]
    for w, m in zip(weights, masks):
        w[~m] = 0.0
    excess = sum(int(m.sum()) for m in masks) - budget
    if excess <= 0:
        return weights, masks, 0
    mags = np.concatenate([np.where(m, np.abs(w), np.inf).ravel() for w, m in zip(weights, masks)])
    drop = np.argsort(mags, kind="stable")[:excess]
    flat = np.zeros(mags.size, dtype=bool)
    flat[drop] = True
    off = 0
    for w, m in zip(weights, masks):
        part = flat[off:off + w.size].reshape(w.shape)
        w[part] = 0.0
        m[part] = False
        off += w.size
    return weights, masks, excess


def fpe_expand(network: Network, alpha: int, split: str = "random", clauses=None, seed: int = 0,
               overlap: bool = False) -> FPEExpansion:
    """Expand every hidden layer of ``network`` by ``alpha`` at an unchanged non-zero weight count.

    ``split``: ``random`` (balanced random partition), ``clause`` (clause-aligned; needs ``clauses`` over the
    network's inputs; applies to the first layer, deeper layers split at random) or ``gram`` (k-means on the
    Gram matrix of each layer). ``overlap=True`` is the ablation with overlapping, non-covering child masks
    (:func:`overlapping_masks`) instead of a partition. Asserts the invariants: equal non-zero count, partition
    masks disjoint and covering, width ``alpha * n``.
    """
    if not isinstance(network, Network):
        raise FPEError(f"network must be a capacity Network (see capacity.torch_io.load_model), got "
                       f"{type(network).__name__}")
    if network.activation != "relu":
        raise FPEError(f"FPE expands ReLU networks, got activation {network.activation!r}")
    if split not in SPLITS:
        raise FPEError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    layers = [(np.asarray(W, dtype=np.float64), np.asarray(b, dtype=np.float64)) for W, b in network.layers]
    for k, (W, _) in enumerate(layers[:-1]):
        _check_alpha(alpha, W.shape[1] * (alpha if k else 1), f"hidden layer {k}")
    alpha = int(alpha)
    if split == "clause":
        if clauses is None:
            raise FPEError("the clause split needs clauses (a DNF over the network's inputs)")
        clauses = parse_clauses(clauses, network.d_in)
    rng = np.random.default_rng(seed)
    budget = count_nonzero(W for W, _ in layers)

    new, partitions = [], []
    W_prev_out = None  # the current layer's weight matrix after the previous layer's duplication
    for k in range(len(layers) - 1):
        W, b = layers[k]
        if k > 0:
            W = W_prev_out
        n, d = W.shape
        if overlap:
            M = overlapping_masks(n, d, alpha, rng)
        else:
            if split == "clause" and k == 0:
                A = split_clause(W, clauses, alpha)
            elif split == "gram":
                A = split_gram(W, alpha, seed=int(rng.integers(2**31)))
            else:
                A = split_random(n, d, alpha, rng)
            M = masks_from_assignment(A, alpha)
            blocks = M.reshape(n, alpha, d).sum(axis=1)
            assert (blocks == 1).all(), "child masks must be disjoint and cover the parent's inputs"
        partitions.append(M)
        W_child = np.repeat(W, alpha, axis=0) * M
        b_child = np.repeat(b, alpha) / alpha
        new.append((W_child, b_child))
        W_next = layers[k + 1][0]
        W_prev_out = np.repeat(W_next, alpha, axis=1)  # outgoing weights duplicated to every child
    new.append((W_prev_out, layers[-1][1].copy()))

    unpruned = Network(new[0][0], new[0][1], new[-1][0], new[-1][1], "relu",
                       tuple(W for W, _ in new[1:-1]), tuple(b for _, b in new[1:-1]))
    weights, masks, n_pruned = prune_to_budget([W for W, _ in new], [np.ones(W.shape, bool) for W, _ in new],
                                               budget)
    pruned = Network(weights[0], new[0][1], weights[-1], new[-1][1], "relu", tuple(weights[1:-1]),
                     tuple(b for _, b in new[1:-1]))
    assert count_nonzero(weights) == min(budget, count_nonzero(W for W, _ in new)), "non-zero count changed"
    for (W, _), (Wn, _) in zip(layers[:-1], new[:-1]):
        assert Wn.shape[0] == alpha * W.shape[0]
    return FPEExpansion(pruned, unpruned, tuple(masks), tuple(partitions), alpha, "overlap" if overlap else split,
                        budget, n_pruned, seed)
