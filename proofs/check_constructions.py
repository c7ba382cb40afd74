"""Claim: the hand-built pairwise-AND constructions of ``capacity.scaling.constructions`` are correct, and we
know exactly when.

(1) The dedicated network (one unit ``relu(x_a + x_b - 1)`` per pair, readout ``h - 1``) computes every
    pairwise AND on every domain: the cube and every sparsity ``s >= 2``.
(2) Channel rule on 2-sparse inputs (ours). Take any ``W_in`` in ``{0,1}^(n x m)``, bias -1, ReLU, and for the
    pair ``(a, b)`` a non-empty *channel* ``ch`` of units whose input sets ``A_i`` all contain ``a``, ``b``;
    read out ``y = sum_{i in ch} h_i - |ch|``. On ``D_2`` the output computes ``x_a AND x_b`` if and only if
    ``the intersection of A_i over ch`` is exactly ``{a, b}``. (On ``D_2`` a unit outputs 1 when two of its
    inputs are on and 0 otherwise, so ``y >= 0`` iff every channel unit fires, iff the active pair lies in
    every ``A_i``.) Both constructions are instances: Hänni's U-AND reads the channel of all units
    containing both inputs, the sparse code assigns channels. An empty channel outputs constant 0.
(3) The rule is special to ``s = 2``: on ``D_3`` a unit with three active inputs outputs 2 and can make up
    for a silent channel unit, so there are networks satisfying the rule whose output is wrong on ``D_3``.
(4) The package's builders produce exactly these networks (weights in {0,1}, bias -1, channel readouts).

How it is checked: exhaustively. (1) for m = 2..6 and every sparsity; (2) for every ``W_in`` in
``{0,1}^(n x m)`` with ``(m, n)`` in {(3,1), (3,2), (3,3), (4,1), (4,2), (4,3)}, every pair and every
non-empty channel, by exact integer evaluation on every point of ``D_2`` (and, for a sample, by
``capacity.network.computed``); (3) by finding such a network in the same enumeration on ``D_3``; (4) for the
builders over 200 seeds each.
"""

from __future__ import annotations

import itertools

import numpy as np

from capacity.domain import Domain
from capacity.features import k_ands
from capacity.network import Network, computed
from capacity.scaling.constructions import dedicated_network, pair_features, sparse_code_network, uand_network


def check_dedicated() -> int:
    checked = 0
    for m in range(2, 7):
        for s in list(range(2, m + 1)) + [None]:
            d = Domain(m, s)
            pairs = list(itertools.combinations(range(m), 2))
            c = dedicated_network(d, pairs)
            assert c.all_computed, (m, s)
            checked += len(pairs)
    return checked


def _subsets(items):
    for r in range(1, len(items) + 1):
        yield from itertools.combinations(items, r)


def check_channel_rule(sparsity: int = 2, stop_at_counterexample: bool = False):
    """Returns (cases checked, counterexamples to the rule on this domain)."""
    cases, wrong = 0, []
    for m, n in ((3, 1), (3, 2), (3, 3), (4, 1), (4, 2), (4, 3)):
        d = Domain(m, sparsity)
        X = d.points.astype(np.int64)
        pairs = list(itertools.combinations(range(m), 2))
        targets = {(a, b): (X[:, a] & X[:, b]).astype(bool) for a, b in pairs}
        for bits in itertools.product((0, 1), repeat=n * m):
            W = np.array(bits, dtype=np.int64).reshape(n, m)
            H = np.maximum(X @ W.T - 1, 0)
            for a, b in pairs:
                S_ab = [i for i in range(n) if W[i, a] and W[i, b]]
                for ch in _subsets(S_ab):
                    ch = list(ch)
                    y = H[:, ch].sum(axis=1) - len(ch)
                    ok = bool(np.array_equal(y >= 0, targets[(a, b)]))
                    rule = set(np.flatnonzero(W[ch].min(axis=0)).tolist()) == {a, b}
                    cases += 1
                    if ok != rule:
                        wrong.append((m, n, W.tolist(), (a, b), ch))
                        if stop_at_counterexample:
                            return cases, wrong
    return cases, wrong


def check_rule_against_package_evaluation(samples: int = 300, seed: int = 0) -> int:
    """The integer evaluation above agrees with capacity.network.computed (exact) on random instances."""
    rng = np.random.default_rng(seed)
    for _ in range(samples):
        m, n = int(rng.integers(3, 6)), int(rng.integers(1, 5))
        W = rng.integers(0, 2, size=(n, m))
        a, b = sorted(rng.choice(m, size=2, replace=False).tolist())
        S_ab = [i for i in range(n) if W[i, a] and W[i, b]]
        if not S_ab:
            continue
        ch = sorted(rng.choice(S_ab, size=int(rng.integers(1, len(S_ab) + 1)), replace=False).tolist())
        W_out = np.zeros((1, n), dtype=np.int64)
        W_out[0, ch] = 1
        net = Network(W, -np.ones(n, dtype=np.int64), W_out, np.array([-len(ch)]), "relu")
        fs = pair_features(Domain(m, 2), [(a, b)])
        got = bool(computed(net, fs, aligned=True)[0])
        rule = set(np.flatnonzero(W[ch].min(axis=0)).tolist()) == {a, b}
        assert got == rule, (W.tolist(), (a, b), ch)
    return samples


def check_builders(seeds: int = 200) -> int:
    for seed in range(seeds):
        rng = np.random.default_rng(10_000 + seed)
        m, n = int(rng.integers(3, 7)), int(rng.integers(1, 9))
        d = Domain(m, 2)
        targets = _pairs(k_ands(d, 2, int(rng.integers(1, m * (m - 1) // 2 + 1)), seed=seed))
        for c in (
            uand_network(d, n, p=float(rng.choice([0.3, 0.5, 0.8])), seed=seed),
            sparse_code_network(d, targets, n, channel_size=int(rng.integers(1, n + 1)), seed=seed),
        ):
            net = c.network
            W, W_out = np.asarray(net.W_in), np.asarray(net.W_out)
            assert set(np.unique(W).tolist()) <= {0, 1} and (np.asarray(net.b_in) == -1).all()
            assert set(np.unique(W_out).tolist()) <= {0, 1}
            assert (np.asarray(net.b_out) == np.where(W_out.sum(axis=1) > 0, -W_out.sum(axis=1), -1)).all()
            pairs = [tuple(int(v[1:]) for v in name.split(" & ")) for name in c.features.names]
            for f, (a, b) in enumerate(pairs):
                ch = np.flatnonzero(W_out[f])
                assert (W[ch, a] == 1).all() and (W[ch, b] == 1).all()  # channel units contain both inputs
                rule = len(ch) > 0 and set(np.flatnonzero(W[ch].min(axis=0)).tolist()) == {a, b}
                assert bool(c.computes[f]) == rule
    return seeds


def _pairs(fs):
    return [tuple(int(v[1:]) for v in name.split(" & ")) for name in fs.names]


def test_claim():
    assert check_dedicated() > 0
    cases, wrong = check_channel_rule(2)
    assert cases > 20_000 and not wrong, wrong[:3]
    _, wrong3 = check_channel_rule(3, stop_at_counterexample=True)
    assert wrong3, "expected the channel rule to fail on 3-sparse inputs"
    check_rule_against_package_evaluation()
    check_builders()


if __name__ == "__main__":
    n_ded = check_dedicated()
    cases, wrong = check_channel_rule(2)
    _, wrong3 = check_channel_rule(3, stop_at_counterexample=True)
    check_rule_against_package_evaluation()
    check_builders()
    assert not wrong and wrong3
    print(
        f"dedicated: {n_ded} (domain, pair) cases; channel rule on D_2: {cases} cases, 0 exceptions; "
        f"on D_3 the rule fails, e.g. m={wrong3[0][0]} W_in={wrong3[0][2]} pair={wrong3[0][3]} "
        f"channel={wrong3[0][4]}"
    )
    print("PASS")
