"""Claim: counting threshold functions by orbits of sorted weight vectors is exact.

Statement. Let G be the group of input permutations (and, on the full cube with a symmetric weight box,
input negations). (i) Every G-orbit of threshold functions contains exactly one function that is positive
(when negations are in G) and *regular in index order*: realisable with w_0 >= w_1 >= ... >= w_{m-1}.
(ii) Its orbit has m! / prod(c_k!) * 2^e members, where c_k are the sizes of the classes of mutually
symmetric inputs and e is the number of essential inputs (2^e only with negations).

Proof sketch. Threshold functions are 2-monotone: inputs are totally preordered by desirability
(w_i >= w_j implies f(x + e_i) >= f(x + e_j)), and a permutation fixing f must preserve that total preorder,
hence map each class of equally desirable (= symmetric) inputs to itself; every permutation inside a class
fixes f. So Stab(f) = prod Sym(c_k), which gives m!/prod(c_k!) under permutations. Negating an essential
input of a positive function makes it non-monotone in that input, while negating an inessential one changes
nothing: the negation orbit has 2^e members. Sorting a realisation inside classes of symmetric inputs keeps
it a realisation of the same function, so the regular representative has a sorted realisation within the
same weight box (this is why the scan over sorted vectors misses nothing).

Checks below, two independent methods against each other: the orbit formula (``count``) against (a) the
explicit list of all images of the canonical functions and (b) a naive loop over every weight vector in the
box with no symmetry at all; on cubes and sparse domains, with and without non-negativity.
"""

import itertools

import numpy as np

from capacity import Domain
from capacity.enumeration import count, enumerate_functions


def naive_threshold_functions(domain: Domain, K: int, nonnegative: bool) -> set:
    X = domain.points.astype(np.int64)
    out = set()
    for w in itertools.product(range(0 if nonnegative else -K, K + 1), repeat=domain.m):
        s = X @ np.array(w)
        for t in sorted(set(s.tolist())) + [int(s.max()) + 1]:
            out.add((s >= t).tobytes())
            if not nonnegative:
                out.add((s < t).tobytes())
    return out


def test_claim():
    for m, s, K, nonneg in [(3, None, 2, False), (4, None, 3, False), (4, None, 2, True), (4, 2, 2, False),
                            (5, 2, 2, False), (5, None, 2, False), (5, 3, 2, True)]:
        d = Domain(m, s)
        by_orbits = count(d, 1, "step", K, nonnegative=nonneg).count
        listed = enumerate_functions(d, 1, "step", K, nonnegative=nonneg).tables
        naive = naive_threshold_functions(d, K, nonneg)
        assert by_orbits == len(listed) == len(naive), (m, s, K, nonneg, by_orbits, len(listed), len(naive))
        assert {d.unpack(r[None])[0].tobytes() for r in listed} == naive


if __name__ == "__main__":
    test_claim()
    print("PASS: orbit-weighted counts of sorted weight vectors equal the explicit and the naive enumerations")
