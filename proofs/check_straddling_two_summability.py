"""Claim: a candidate pair is 2-summable iff a straddling sum of extremal points of its halves shows it.

Statement. Let f on {0,1}^k be positive with halves f0 = f(., x_k = 0) <= f1 = f(., x_k = 1), both threshold
functions. f is 2-summable (true x1, x2 and false y1, y2 of f with x1 + x2 <= y1 + y2 componentwise, which no
threshold function has) iff
  (S1) there are points a, b, c, d of {0,1}^(k-1) with f0(a) = f1(b) = 1, f0(c) = f1(d) = 0 and a + b = c + d,
and (S1) holds iff it holds with a, b restricted to the minimal true points of f0, f1 (S2), iff it holds with c, d
restricted to the maximal false points of f0, f1 (S3). ``capacity._kernels._cheap_certify`` decides
2-summability of the generation candidates by (S2) or (S3), whichever scans fewer pairs, on base-3 codes of the
sums (digits 0, 1, 2 never carry), and a hit is checked again exactly by the caller.

Proof. Lowering a false point keeps it false and raising a true point keeps it true (f is positive), so
x1 + x2 <= y1 + y2 can be made an equality by lowering y1, y2 where the sum is larger. In x1 + x2 = y1 + y2 the
last coordinate of both sides is the same: 0 or 2 puts all four points in one half, a 2-summable half, which a
threshold function is not; so it is 1, one point of each pair lies in each half, and dropping x_k gives (S1)
(the true point with x_k = 0 is a true point of f0, and so on). Conversely (S1) lifts to
(a, 0) + (b, 1) = (c, 0) + (d, 1). (S1) => (S2): replace a by a minimal true a' <= a; at each coordinate where
a' is 0 and a is 1, c + d is at least 1 there, so lower whichever of c, d is 1 (it stays false); the same for b.
(S1) => (S3): raise c to a maximal false c' >= c; at each coordinate where c' is 1 and c is 0, a + b = d <= 1
there, so one of a, b is 0: raise it (it stays true); the same for d. The converses are special cases.

Check below, independent of the kernel: for every pair f0 <= f1 of canonical threshold functions of k - 1 <= 4
inputs, 2-summability over all points of f (naive, base-3 sums of all pairs) equals (S1), (S2) and (S3)
computed naively; and for every generation candidate of k <= 6 inputs, the kernel (with zero realisations of
the halves, so no mixture pre-empts it) refutes exactly the naively 2-summable candidates.
"""

import itertools

import numpy as np

from capacity import Domain
from capacity._kernels import KERNELS
from capacity.domain import pack
from capacity.threshold import _MIX, count_by_generation


def sums(points, f, want):
    code = points @ 3 ** np.arange(points.shape[1])
    idx = np.flatnonzero(f == want)
    return {int(code[p] + code[q]) for p, q in itertools.combinations_with_replacement(idx, 2)}


def two_summable(f, k):
    X = Domain(k).points.astype(np.int64)
    return bool(sums(X, f, 1) & sums(X, f, 0))


def extremal(f, k, want):
    """Minimal true (want = 1) or maximal false (want = 0) points of the positive f."""
    out = []
    for p in range(1 << k):
        if f[p] != want:
            continue
        flips = [p ^ (1 << i) for i in range(k) if ((p >> i) & 1) == want]
        if all(f[q] != want for q in flips):
            out.append(p)
    return out


def straddle(f0, f1, k, A, B, Cc, D):
    code = Domain(k).points.astype(np.int64) @ 3 ** np.arange(k)
    left = {int(code[a] + code[b]) for a in A for b in B}
    return any(int(code[c] + code[d]) in left for c in Cc for d in D)


def test_claim():
    for kp in range(1, 5):
        canon = Domain(kp).unpack(count_by_generation(kp).canon).astype(int)
        for f0, f1 in itertools.product(canon, repeat=2):
            if np.any(f0 > f1):
                continue
            allp = range(1 << kp)
            T0, T1 = [p for p in allp if f0[p]], [p for p in allp if f1[p]]
            F0, F1 = [p for p in allp if not f0[p]], [p for p in allp if not f1[p]]
            s = two_summable(np.concatenate([f0, f1]), kp + 1)
            assert s == straddle(f0, f1, kp, T0, T1, F0, F1)
            assert s == straddle(f0, f1, kp, extremal(f0, kp, 1), extremal(f1, kp, 1), F0, F1)
            assert s == straddle(f0, f1, kp, T0, T1, extremal(f0, kp, 0), extremal(f1, kp, 0))
    for k in range(2, 7):
        prev = count_by_generation(k - 1).canon
        bits = Domain(k - 1).unpack(prev)
        half = 1 << (k - 2)
        pairs, _ = KERNELS["pair_candidates"](prev, pack(bits[:, :half]), pack(bits[:, half:]), 0, len(prev), False)
        W0 = np.zeros((len(prev), k - 1), dtype=np.int64)
        status, *_ = KERNELS["cheap_certify"](bits.astype(np.uint8), W0, pairs, Domain(k - 1).points.astype(np.int64),
                                              Domain(k).points.astype(np.int64), np.array(_MIX))
        for r, (i, j) in enumerate(pairs):
            assert (status[r] == 2) == two_summable(np.concatenate([bits[i], bits[j]]).astype(int), k), (k, i, j)


if __name__ == "__main__":
    test_claim()
    print("PASS: generation candidates are 2-summable exactly when a straddling sum of extremal points shows it")
