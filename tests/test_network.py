from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from capacity.domain import Domain
from capacity.errors import ModelError
from capacity.features import formulas
from capacity.network import Network, computed


def _fraction_outputs(net, domain):
    """Independent oracle: the forward pass in Python Fractions, point by point."""
    out = []
    for x in domain.points.tolist():
        h = [Fraction(v) for v in x]
        for W, b in net.layers[:-1]:
            z = [sum(Fraction(W[i, j].item()) * h[j] for j in range(len(h))) + Fraction(b[i].item()) for i in range(W.shape[0])]
            h = [max(v, Fraction(0)) for v in z] if net.activation == "relu" else [Fraction(int(v >= 0)) for v in z]
        W, b = net.layers[-1]
        out.append([sum(Fraction(W[i, j].item()) * h[j] for j in range(len(h))) + Fraction(b[i].item()) >= 0
                    for i in range(W.shape[0])])
    return np.array(out, dtype=bool)


def test_xor_relu_network():
    d = Domain(2)
    net = Network(np.array([[1, 1], [1, 1]]), np.array([0, -1]), np.array([[1, -2]]), np.array([-1]))
    assert net.outputs(d)[:, 0].tolist() == [False, True, True, False]
    fs = formulas(d, ["x0 ^ x1", "x0 | x1"])
    assert computed(net, fs).tolist() == [True, False]
    assert net.parameter_size == 6


def test_float_boundary_is_exact():
    # 0.1 + 0.2 - 0.3 is 5.55e-17 in floats but 2.78e-17 > 0 exactly (dyadic values of the doubles);
    # and 0.5 + 0.25 - 0.75 is exactly 0 (>= 0 is true).
    d = Domain(2)
    net = Network(np.array([[0.1, 0.2]]), np.array([-0.3]), np.array([[1.0]]), np.array([-1.0]), "step")
    assert net.outputs(d)[:, 0].tolist() == [False, False, False, True]
    assert _fraction_outputs(net, d)[:, 0].tolist() == [False, False, False, True]
    net2 = Network(np.array([[0.5, 0.25]]), np.array([0.0]), np.array([[1.0]]), np.array([-0.75]), "relu")
    assert net2.outputs(d)[:, 0].tolist() == [False, False, False, True]
    # a value 1e-20 away from zero in each direction, below float resolution of the sum
    tiny = 1e-20
    net3 = Network(np.array([[1.0, tiny]]), np.array([-1.0]), np.array([[1.0]]), np.array([0.0]), "relu")
    out = net3.outputs(d)[:, 0]
    assert out.tolist() == _fraction_outputs(net3, d)[:, 0].tolist()


@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.sampled_from(["relu", "step"]),
       st.integers(0, 2**32 - 1), st.booleans(), st.integers(0, 1))
def test_exact_outputs_match_fractions(m, n, F, act, seed, integer, depth):
    rng = np.random.default_rng(seed)
    d = Domain(m)

    def arr(*shape):
        a = rng.integers(-3, 4, size=shape)
        return a if integer else a * rng.choice([0.5, 0.1, 1 / 3, 2.0], size=shape)

    Wh, bh = ((arr(n, n),), (arr(n),)) if depth else ((), ())
    net = Network(arr(n, m), arr(n), arr(F, n), arr(F), act, Wh, bh)
    assert (net.outputs(d) == _fraction_outputs(net, d)).all()


def test_big_integers_fall_back_exactly():
    d = Domain(2)
    big = 2**61
    net = Network(np.array([[big, big]]), np.array([-big]), np.array([[4]]), np.array([-4 * big]), "relu")
    assert (net.outputs(d) == _fraction_outputs(net, d)).all()


def test_npz_roundtrip_and_bad_files(tmp_path):
    net = Network(np.array([[1.5, -2.0]]), np.array([0.25]), np.array([[1.0], [-1.0]]), np.array([0.0, 1.0]),
                  "relu", (np.array([[2.0]]),), (np.array([-1.0]),))
    p = net.save(tmp_path / "m.npz")
    back = Network.load(p)
    assert all((a == b).all() for (a, _), (b, _) in zip(net.layers, back.layers))
    np.savez(tmp_path / "missing.npz", W_in=np.ones((2, 2)), b_in=np.ones(2))
    with pytest.raises(ModelError, match="missing"):
        Network.load(tmp_path / "missing.npz")
    np.savez(tmp_path / "shape.npz", W_in=np.ones((2, 2)), b_in=np.ones(3), W_out=np.ones((1, 2)), b_out=np.ones(1))
    with pytest.raises(ModelError, match="b_in"):
        Network.load(tmp_path / "shape.npz")
    np.savez(tmp_path / "nan.npz", W_in=np.array([[np.nan]]), b_in=np.ones(1), W_out=np.ones((1, 1)), b_out=np.ones(1))
    with pytest.raises(ModelError, match="NaN"):
        Network.load(tmp_path / "nan.npz")
    (tmp_path / "junk.npz").write_text("not a zip")
    with pytest.raises(ModelError):
        Network.load(tmp_path / "junk.npz")
    with pytest.raises(ModelError):
        Network.load(tmp_path / "absent.npz")


def test_hidden_tables_and_aligned():
    d = Domain(2)
    net = Network(np.array([[1, 1], [1, -1]]), np.array([-1, 0]), np.array([[1, 0], [0, 1]]), np.array([-1, -1]))
    # relu active means z > 0: unit 0 only at 11, unit 1 only at 10
    assert d.unpack(net.hidden_tables(d)).tolist() == [[False, False, False, True], [False, True, False, False]]
    fs = formulas(d, ["x0 & x1", "x0 & ~x1"])
    assert computed(net, fs, aligned=True).tolist() == [True, True]
    assert computed(net, formulas(d, ["x0 & ~x1", "x0 & x1"]), aligned=True).tolist() == [False, False]
