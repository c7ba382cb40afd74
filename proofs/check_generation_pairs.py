"""Claim: the canonical threshold functions of k inputs are exactly the certified pairs of those of k - 1.

Statement. Let C_k be the positive threshold functions of k inputs regular in index order (realisable with
w_1 >= ... >= w_k >= 0). For f on {0,1}^k write f0 = f(., x_k = 0) and f1 = f(., x_k = 1). Then f is in C_k
iff (a) f0, f1 are in C_{k-1}, (b) f0 <= f1, (c) f1(., x_{k-1} = 0) <= f0(., x_{k-1} = 1), and (d) f is a
threshold function. ``capacity.threshold.count_by_generation`` enumerates the pairs with (a)-(c) (the
candidates) and decides (d) with an exactly checked realisation or Farkas certificate.

Proof. (=>) Restricting a sorted non-negative realisation of f to x_k = 0 or 1 gives sorted non-negative
realisations of f0 and f1 (thresholds t and t - w_k), so (a); w_k >= 0 gives (b); w_{k-1} >= w_k gives (c)
(compare x + e_k with x + e_{k-1}). (<=) (b) and the positivity of f0, f1 make f positive; (a) gives, for
every pair i < i + 1 < k, that swapping x_i and x_{i+1} upwards never lowers f0 or f1, hence f; (c) is the
same for the pair (k - 1, k). So f is positive and regular in index order. A threshold function with x_i at
least as desirable as x_j has a realisation with w_i >= w_j: if w_i < w_j, the realisation with w_i and w_j
swapped also realises f (by the desirability), and so does the average of the two, where w_i = w_j. Doing
this for consecutive pairs and setting the weights of inessential inputs to 0 gives a sorted non-negative
realisation, so f is in C_k by (d).

Check below, independent of the package's generation code: for k <= 4, every Boolean function of k inputs is
tested for positivity, regularity and (naively, over every weight vector in Muroga's box with every cut) for
being a threshold function; the candidates and the accepted set of ``count_by_generation`` must equal the
brute-force sets.
"""

import itertools

import numpy as np

from capacity import Domain
from capacity.enumeration import muroga_bound
from capacity.threshold import count_by_generation


def naive_threshold(k):
    X = Domain(k).points.astype(np.int64)
    K = muroga_bound(k)
    out = set()
    for w in itertools.product(range(-K, K + 1), repeat=k):
        s = X @ np.array(w)
        for t in sorted(set(s.tolist())) + [int(s.max()) + 1]:
            out.add(tuple((s >= t).astype(int).tolist()))
    return out


def positive_regular(f, k):
    for p in range(1 << k):
        for i in range(k):
            if not (p >> i) & 1 and f[p] > f[p | 1 << i]:
                return False  # not positive in x_i
            if i + 1 < k and not (p >> i) & 1 and (p >> (i + 1)) & 1 and f[p] > f[p ^ (3 << i)]:
                return False  # x_{i+1} more desirable than x_i somewhere
    return True


def test_claim():
    prev = {(0, 0), (0, 1), (1, 1)}  # C_1: 0, x1, 1
    for k in range(2, 5):
        T = naive_threshold(k)
        half = 1 << (k - 1)
        candidates, canon = set(), set()
        for f in itertools.product((0, 1), repeat=1 << k):
            if not positive_regular(f, k):
                continue
            if f[:half] in prev and f[half:] in prev:
                candidates.add(f)
            if f in T:
                canon.add(f)
        assert canon <= candidates  # (=>): every canonical function is a candidate
        g = count_by_generation(k)
        got = {tuple(int(v) for v in row) for row in Domain(k).unpack(g.canon)}
        assert got == canon, k
        assert g.levels[-1]["candidates"] == len(candidates), (k, g.levels[-1], len(candidates))
        prev = canon


if __name__ == "__main__":
    test_claim()
    print("PASS: canonical threshold functions of k <= 4 inputs = the certified candidate pairs of k - 1")
