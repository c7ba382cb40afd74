from math import comb

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from capacity.domain import MAX_DOMAIN_SIZE, Domain, pack, popcount, unpack
from capacity.errors import CapacityError, DomainTooLarge


@pytest.mark.parametrize("m,s", [(1, None), (3, None), (5, 2), (6, 0), (6, 6), (10, 3)])
def test_size_is_binomial_sum(m, s):
    d = Domain(m, s)
    want = sum(comb(m, t) for t in range(m + 1 if s is None else s + 1))
    assert d.size == want == len(d.points)
    assert (d.points.sum(axis=1) <= (m if s is None else s)).all()
    assert len({tuple(p) for p in d.points.tolist()}) == d.size


def test_documented_order():
    # full cube: point j is the binary expansion of j, x0 least significant
    d = Domain(3)
    assert d.points.tolist()[:4] == [[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0]]
    # sparse: the cube's order restricted to points with <= s ones
    d2 = Domain(3, 1)
    assert d2.points.tolist() == [[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]]
    codes = (d2.points.astype(int) << np.arange(3)).sum(axis=1)
    assert (np.diff(codes) > 0).all()
    assert d2.index([0, 1, 0]) == 2
    with pytest.raises(CapacityError):
        d2.index([1, 1, 0])


@given(st.integers(1, 300), st.integers(1, 5), st.randoms(use_true_random=False))
def test_pack_roundtrip(n, F, rnd):
    bits = np.array([[rnd.random() < 0.5 for _ in range(n)] for _ in range(F)])
    words = pack(bits)
    assert words.shape == (F, (n + 63) // 64)
    assert (unpack(words, n) == bits).all()
    assert (popcount(words) == bits.sum(axis=1)).all()
    # padding bits are zero
    if n % 64:
        assert (words[:, -1] >> np.uint64(n % 64) == 0).all()


def test_bad_sizes():
    with pytest.raises(CapacityError):
        Domain(0)
    with pytest.raises(CapacityError):
        Domain(3, 4)
    with pytest.raises(CapacityError):
        Domain(3, -1)
    with pytest.raises(DomainTooLarge, match="MAX_DOMAIN_SIZE"):
        Domain(40)
    # the limit is about the point count, not m: a large sparse domain is fine
    assert Domain(200, 2).size == 1 + 200 + comb(200, 2) < MAX_DOMAIN_SIZE
