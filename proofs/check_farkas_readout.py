"""Claim: with the hidden layer fixed to the identity on 2 inputs (``h = relu(I x + 0) = x``), XOR is not
linearly readable, and AND and OR are.

How it is checked:

* XOR: :func:`capacity.solvers.lp.readable` returns a Farkas vector ``lambda`` (found by a float LP, rebuilt
  in rationals). Here we re-check it by hand in exact arithmetic: ``lambda >= 0`` on the four points,
  ``sum_{ones} lambda_x (h(x), 1) = sum_{zeros} lambda_x (h(x), 1)`` and ``sum_{zeros} lambda_x > 0``. Any
  readout ``(v, c)`` with ``v.h + c >= 0`` on the ones and ``<= -1`` on the zeros would give
  ``0 <= sum_{ones} lambda_x (v.h(x) + c) = sum_{zeros} lambda_x (v.h(x) + c) <= -sum_{zeros} lambda_x < 0``.
  (By hand: ``lambda = 1/2`` everywhere; both sides equal ``(1/2, 1/2, 1)``.)
* AND, OR: the returned readouts are evaluated here on all four points in exact rationals.

Run: ``python proofs/check_farkas_readout.py`` (prints PASS) or ``pytest proofs/check_farkas_readout.py``.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from capacity.domain import Domain
from capacity.features import formulas
from capacity.network import Network
from capacity.solvers import Status
from capacity.solvers.lp import readable


def _identity_layer() -> Network:
    eye = np.eye(2, dtype=np.int64)
    return Network(
        eye,
        np.zeros(2, dtype=np.int64),
        np.zeros((1, 2), dtype=np.int64),
        np.zeros(1, dtype=np.int64),
        "relu",
    )


def test_claim():
    dom = Domain(2)
    points = [tuple(int(t) for t in x) for x in dom.points]  # h(x) = x for the identity layer
    fs = formulas(dom, "x0 ^ x1; x0 & x1; x0 | x1")
    xor, and_, or_ = readable(_identity_layer(), fs)

    assert xor.status is Status.NOT_REPRESENTABLE
    cert = xor.certificate
    assert cert.kind == "farkas" and cert.checked
    lam = [Fraction(t) for t in cert.data["lambda"]]
    labels = fs.bits[0]
    assert all(t >= 0 for t in lam)
    ones = [sum(lam[i] * Fraction(([*points[i], 1])[k]) for i in range(4) if labels[i]) for k in range(3)]
    zeros = [
        sum(lam[i] * Fraction(([*points[i], 1])[k]) for i in range(4) if not labels[i]) for k in range(3)
    ]
    assert ones == zeros
    assert sum(lam[i] for i in range(4) if not labels[i]) > 0

    for res, f in ((and_, 1), (or_, 2)):
        assert res.status is Status.REPRESENTABLE
        v = [Fraction(t) for t in res.witness.W_out[0].tolist()]
        c = Fraction(res.witness.b_out[0].item())
        for i, x in enumerate(points):
            y = v[0] * x[0] + v[1] * x[1] + c
            assert (y >= 0) if fs.bits[f][i] else (y <= -1)


if __name__ == "__main__":
    test_claim()
    print("PASS")
