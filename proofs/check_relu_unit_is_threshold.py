"""Claim: one ReLU unit with a threshold readout computes exactly the linear threshold functions.

Statement. For any domain D in {0,1}^m, the functions [v * relu(w . x + b) + c >= 0] (real w, b, v, c) are
exactly the threshold functions [w . x >= t] on D (constants included).

Proof. Positive homogeneity: v * relu(z) = sign(v) * relu(|v| z), so the readout magnitude can be moved
into (w, b) and v taken in {-1, 0, +1}. v = 0 gives a constant. v = +1: relu(z) >= -c holds everywhere if
-c <= 0, and otherwise exactly when z >= -c > 0, a threshold function of x. v = -1: relu(z) <= c is never
true if c < 0, and otherwise exactly when z <= c, again a threshold function (of -w). Conversely, a
threshold function with an integer realisation (w, t) (the weight-bound claim) is
[relu(w . x - t + 1) - 1 >= 0]. With integer weights in [-K, K] the same argument shows that one ReLU unit
and one step unit give the same set (readout v = +-1 suffices, and z is an integer).

Checks below: (a) a brute force over ReLU units with *rational* weights on a grid (not integers, so the
homogeneity step matters) and readouts v = +-1, +-1/2, 2, c on a grid, computed in exact fractions, gives
exactly the threshold functions of 2 and 3 inputs, i.e. the set the step enumeration lists and OEIS
A000609 counts (14 and 104); (b) with integer weights the ReLU and step enumerations list the same sets.
"""

from fractions import Fraction
from itertools import product

from capacity import Domain
from capacity.enumeration import enumerate_functions

A000609 = [2, 4, 14, 104]


def relu_unit_functions(domain: Domain, grid, readouts, offsets) -> set:
    pts = domain.points.tolist()
    out = set()
    for w in product(grid, repeat=domain.m):
        for b in offsets:
            h = [max(Fraction(0), sum(wi * xi for wi, xi in zip(w, x)) + b) for x in pts]
            for v in readouts:
                ys = sorted({v * hv for hv in h})
                for c in [-y for y in ys] + [-ys[-1] - 1, -ys[0] + 1]:
                    out.add(tuple(int(v * hv + c >= 0) for hv in h))
    return out


def test_claim():
    grid = [Fraction(k, 2) for k in range(-4, 5)]           # -2 .. 2 in halves
    offsets = [Fraction(k, 2) for k in range(-9, 10)]       # biases -4.5 .. 4.5 in halves
    readouts = [Fraction(-1), Fraction(1), Fraction(-1, 2), Fraction(2)]
    for m in (2, 3):
        d = Domain(m)
        relu = relu_unit_functions(d, grid, readouts, offsets)
        step = {tuple(int(b) for b in d.unpack(r[None])[0]) for r in enumerate_functions(d, 1, "step", None).tables}
        assert relu == step and len(step) == A000609[m]
    for m, s, K in ((3, None, 1), (4, 2, 2), (4, None, 2)):
        d = Domain(m, s)
        a = enumerate_functions(d, 1, "relu", K).tables
        b = enumerate_functions(d, 1, "step", K).tables
        assert (a == b).all()


if __name__ == "__main__":
    test_claim()
    print("PASS: one ReLU unit with a threshold readout computes exactly the threshold functions (m = 2, 3)")
