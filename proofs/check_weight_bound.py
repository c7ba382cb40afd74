"""Claim: integer weights of size K(m) = floor((m+1)^((m+1)/2) / 2^m) realise every threshold function.

Statement. Let D be a set of points of {0,1}^m that contains 0 and the m unit vectors (the full cube, or
any s-sparse domain with s >= 1). Every function f: D -> {0,1} of the form [w . x >= t] with real (w, t)
also has a realisation with integer w, t and |w_i| <= K(m). If f is monotone, the integer w can be taken
non-negative. Consequently, for step units and for one ReLU unit, real weights and integer weights in
[-K(m), K(m)] represent exactly the same functions, which is how ``capacity count --real`` and
``enumerate`` answer real-weight questions.

Proof (Muroga-style; written out so that it can be checked).
1. Scale a real realisation so that the margin is 1: the polyhedron
   Q = {(w, t) : x.w - t >= 0 for f(x) = 1,  x.w - t <= -1 for f(x) = 0}  is non-empty.
2. Q is pointed: its constraint rows (x, -1) for x in D include (0, -1) and (e_i, -1), which span R^(m+1), so
   Q contains no line and has a vertex v. At v, m+1 linearly independent constraints are tight:
   A v = b with rows (x_r, -1) of A and b_r in {0, -1}.
3. Cramer: v_i = det(A_i) / det(A), where A_i is A with column i replaced by b. Negating the last column and
   (if needed) the b column turns A_i into a 0/1 matrix of order m+1 that still has an all-ones column
   (the t column when i is a weight index). So |det A_i| <= H(m+1), where H(k) is the largest |det| of a
   0/1 matrix of order k with an all-ones column.
4. H(k) <= k^(k/2) / 2^(k-1): subtracting 1/2 of the all-ones column from each other column and scaling
   those k-1 columns by 2 gives a +-1 matrix whose |det| is 2^(k-1) |det M|, and Hadamard's inequality
   bounds a +-1 matrix of order k by k^(k/2).
5. w' = |det A| w and t' = |det A| t are integers (= +-det A_i), satisfy the constraints with margin
   |det A| >= 1, and |w'_i| <= H(m+1) <= (m+1)^((m+1)/2) / 2^m. Since w'_i is an integer, |w'_i| <= K(m).
6. Monotone f: a weight w_i < 0 on an essential input would make f decreasing in x_i, so essential weights
   are >= 0; an inessential input's weight can be set to 0 without changing f on D (compare x with x - e_i).
The readout of a step network is a threshold function of the n hidden bits (on the patterns that occur),
and any real realisation of it is a threshold function on all of {0,1}^n, so K(n) suffices there.

Checks below: (a) H(k) <= k^(k/2)/2^(k-1) by exhaustive search over all 0/1 matrices with an all-ones
column for k <= 4; (b) K(m) matches the closed form computed in exact rationals; (c) the enumeration at
K(m) gives OEIS A000609 (an independent published oracle) for m <= 6 and a box two larger adds nothing
(also on sparse domains), so the bound is not merely sufficient on paper.
"""

from fractions import Fraction
from itertools import product
from math import isqrt

import numpy as np

from capacity import Domain
from capacity.enumeration import count, muroga_bound

A000609 = [2, 4, 14, 104, 1882, 94572, 15028134]


def scanned_box(domain, K):
    """The one-unit count of the box ``[-K, K]`` itself: ``count`` cuts boxes past ``K(m)`` down to it (this
    claim), so checking the claim must call the scan directly."""
    from capacity._kernels import KERNELS
    from capacity.enumeration import _one_unit

    return _one_unit(domain, K, False, False, KERNELS, 1, False)[0]


def max_det_with_ones_column(k: int) -> int:
    best = 0
    for bits in product((0, 1), repeat=k * (k - 1)):
        M = np.ones((k, k))
        M[:, 1:] = np.array(bits).reshape(k, k - 1)
        best = max(best, abs(round(np.linalg.det(M))))
    return best


def test_claim():
    for k in range(1, 5):  # (a)
        H = max_det_with_ones_column(k)
        assert H ** 2 * 4 ** (k - 1) <= k**k, (k, H)
    for m in range(0, 12):  # (b)
        v = Fraction((m + 1) ** (m + 1), 4**m)
        assert muroga_bound(m) == isqrt(v.numerator // v.denominator)
    for m in range(1, 7):  # (c)
        assert count(Domain(m), 1, "step", None).count == A000609[m]
        if m <= 5:
            K = muroga_bound(m)
            assert scanned_box(Domain(m), K + 2) == scanned_box(Domain(m), K) == A000609[m]
    for m, s in ((5, 2), (6, 3)):
        K = muroga_bound(m)
        assert scanned_box(Domain(m, s), K + 2) == scanned_box(Domain(m, s), K)


if __name__ == "__main__":
    test_claim()
    print("PASS: K(m) = floor((m+1)^((m+1)/2)/2^m) integer weights realise every threshold function;",
          "K(1..8) =", [muroga_bound(m) for m in range(1, 9)])
