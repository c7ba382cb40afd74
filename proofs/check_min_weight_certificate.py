"""Claim: the lower-bound certificates of ``capacity.threshold.min_total_weights`` are sound, and the minimal
total weight of a canonical threshold function may be taken over non-increasing weights.

Statement. Let f on {0,1}^k be positive and regular in index order. The total weight of an integer realisation
[w.x >= t] with w >= 0 is u = S + |2t - 1 - S| = max(2t - 1, 2S + 1 - 2t), S = sum(w); it is odd.
(L) Some realisation of least total has w_1 >= ... >= w_k.
(C) If integers a_x >= 0 (true points x), b_y >= 0 (false points y), r_c >= 0 (c = 1..k-1) and D > 0 satisfy
|B - A| <= 2D and 2 L_j + B - A <= 2D for every j, where A = sum a, B = sum b and
L_j = sum a_x x_j - sum b_y y_j + r_j - r_{j-1} (r_0 = r_k = 0), then every realisation with
w_1 >= ... >= w_k >= 0 has u >= (A + B) / (2D), so the least total is at least the smallest odd integer above it.

Proof. (L): if w_i < w_j with i before j, input j is at least as strong as i in f (the realisation shows it) and
i at least as strong as j (regularity), so they are symmetric and swapping w_i, w_j keeps f and u; repeat.
(C): summing a_x (x.w - t) >= 0, b_y (t - 1 - y.w) >= 0 and r_c (w_c - w_{c+1}) >= 0 gives
sum_j w_j L_j + (B - A) t - B >= 0. With q = (B - A) / 2, L_j <= D - q and w >= 0: (D - q) S + 2qt >= B.
With g = (D + q) / 2 >= 0 and h = (D - q) / 2 >= 0 (this is |B - A| <= 2D), g + h = D and
D u >= g (2t - 1) + h (2S + 1 - 2t) = 2qt + (D - q) S - q >= B - q = (A + B) / 2.

Check below: the identity of the last line in sympy; and for every canonical function of k <= 4 inputs, the
least total over ALL integer realisations with 0 <= w_j <= 9, 0 <= t <= 9k + 1 (a brute force with no order and
no LP; the minima are at most 9 at k = 4, so the box holds them) equals the least total over the non-increasing
ones there (L), equals the bound the Numba kernel's certificate proves after ``check_weight_certificates`` and
the total of its rounded realisation (C, and the bounds meet).
"""

import itertools

import numpy as np
import sympy as sp

from capacity import Domain
from capacity._kernels import KERNELS
from capacity.threshold import check_weight_certificates, count_by_generation


def brute_minima(k, sorted_only):
    X = Domain(k).points.astype(np.int64)
    best = {}
    for w in itertools.product(range(10), repeat=k):
        if sorted_only and any(w[i] < w[i + 1] for i in range(k - 1)):
            continue
        s = X @ np.array(w, dtype=np.int64)
        S = sum(w)
        for t in range(0, 9 * k + 2):
            key = tuple((s >= t).tolist())
            u = S + abs(2 * t - 1 - S)
            if best.get(key, u + 1) > u:
                best[key] = u
    return best


def test_claim():
    D, q, t, S = sp.symbols("D q t S")
    g, h = (D + q) / 2, (D - q) / 2
    assert sp.expand(g * (2 * t - 1) + h * (2 * S + 1 - 2 * t) - (2 * q * t + (D - q) * S - q)) == 0
    for k in range(1, 5):
        d = Domain(k)
        X = d.points.astype(np.int64)
        fb = d.unpack(count_by_generation(k).canon).astype(np.uint8)
        every, ordered = brute_minima(k, False), brute_minima(k, True)
        lo, hi, W, T, cert, Dc = KERNELS["min_weight_lp"](fb, X, 500)
        assert np.array_equal(check_weight_certificates(fb, X, cert, Dc), lo)
        for r, f in enumerate(fb.astype(bool)):
            key = tuple(f.tolist())
            assert every[key] == ordered[key] == lo[r] == hi[r], (k, r)
            assert np.array_equal(X @ W[r] >= T[r], f)


if __name__ == "__main__":
    test_claim()
    print("PASS: weight certificates are sound and minimal totals need only non-increasing weights (k <= 4)")
