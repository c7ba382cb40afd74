"""Claim: with step hidden units and a free readout whose weights may take the values -1 and +1, the feature
"x = p" (true at the single point p of the domain) is computed exactly when p's hidden pattern differs from the
pattern of every other point. (The SAT method encodes pairwise ANDs on 2-sparse inputs, which are such
indicators, this way.)

Proof. If another point q has p's pattern, every readout gives q the output it gives p, so q would be wrongly
marked true. Conversely, with h = h(p) in {0,1}^n, the readout y(x) = sum_{j: h_j = 1} h_j(x) - sum_{j: h_j = 0}
h_j(x) - |h| is 0 at p, and for any other pattern g != h it is at most -1: either g misses a one of h (the first
sum drops by at least 1) or g has a one outside h (the second sum subtracts at least 1). The readout uses weights
in {-1, +1} and an integer bias, so it lies in every integer box with K >= 1 and in the real class.

Machine check: on small domains, for every hidden layer of the class (all multisets of unit behaviours of the
enumeration core), "some readout in [-1, 1] computes every indicator" equals "every indicator point has a unique
pattern", where the first predicate is decided by brute force over all readouts in {-1, 0, 1}^n and all biases.
"""

from itertools import combinations_with_replacement, product

import numpy as np

from capacity import Domain
from capacity._kernels import KERNELS


def readout_exists(H: np.ndarray, p: int) -> bool:
    """Brute force: some v in {-1,0,1}^n and bias c with v.H[q] + c >= 0 exactly at q = p."""
    for v in product((-1, 0, 1), repeat=H.shape[1]):
        y = H @ np.array(v)
        others = np.delete(y, p)
        if others.size == 0 or y[p] > others.max():
            return True
    return False


def test_claim():
    for m, s, n in ((2, None, 2), (2, None, 3), (3, None, 2), (3, 1, 2), (4, 2, 2)):
        d = Domain(m, s)
        X = d.points.astype(np.int64)
        rows, _, _ = KERNELS["unit_box"](X, np.full(m, -1), np.full(m, 1), -m - 2, m + 2, False, d.words)
        units = d.unpack(rows).astype(np.int64)  # (behaviours, N)
        checked = 0
        for combo in combinations_with_replacement(range(len(units)), n):
            H = units[list(combo)].T  # (N, n) hidden patterns
            for p in range(d.size):
                unique = not any((H[q] == H[p]).all() for q in range(d.size) if q != p)
                assert unique == readout_exists(H, p), (m, s, combo, p)
                checked += 1
        assert checked > 0


if __name__ == "__main__":
    test_claim()
    print("PASS: a point indicator is a readout of step units iff the point's hidden pattern is unique")
