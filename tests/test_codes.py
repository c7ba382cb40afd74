import numpy as np
import pytest

from capacity.codes import Code, bit_size, cat_tau
from capacity.errors import CapacityError, ModelError
from capacity.network import Network


def test_cat_tau():
    w = np.array([-1.0, -0.1, 0.0, 0.05, 0.2])
    assert cat_tau(w, 0.1).tolist() == [-1, 0, 0, 0, 1]
    assert cat_tau(w).tolist() == [-1, -1, 0, 1, 1]
    with pytest.raises(CapacityError):
        cat_tau(w, -1)


def test_code_from_network_and_sizes():
    net = Network(np.array([[0.9, -0.05, 0.0], [0.0, 1.2, -0.7]]), np.array([-0.5, 0.3]),
                  np.array([[1.0, -1.0]]), np.array([0.0]))
    c = Code.from_network(net, tau=0.1)
    assert c.S_in.tolist() == [[1, 0, 0], [0, 1, -1]]
    assert c.parameter_size(1) == 3 + 2
    assert bit_size(5, 1) == 10 and bit_size(5, 3) == 15
    assert c.positive_code(1) == frozenset({1}) and c.negative_code(2) == frozenset({1})
    assert not c.allows(net)  # -0.05 is not zero
    assert Code.from_network(net, 0.0).allows(net)


def test_bounds_and_contradictions():
    c = Code(np.array([[1, 0, -1]]))
    lo, hi = c.bounds(c.S_in, 2)
    assert lo.tolist() == [[1, 0, -2]] and hi.tolist() == [[2, 0, -1]]
    lo, hi = Code(np.array([[1, 0, -1]]), mode="support").bounds(c.S_in, 2)
    assert lo.tolist() == [[-2, 0, -2]] and hi.tolist() == [[2, 0, 2]]
    with pytest.raises(CapacityError, match="contradictory"):
        c.bounds(c.S_in, 2, nonnegative=True)
    with pytest.raises(CapacityError):
        Code(np.array([[2, 0]]))


def test_load_text_and_npz(tmp_path):
    (tmp_path / "c.txt").write_text("+-0\n0++  # comment\n")
    c = Code.load(tmp_path / "c.txt")
    assert c.S_in.tolist() == [[1, -1, 0], [0, 1, 1]]
    (tmp_path / "d.txt").write_text("1 -1 0\n0 1 1\n")
    assert (Code.load(tmp_path / "d.txt").S_in == c.S_in).all()
    c.save(tmp_path / "c.npz")
    assert (Code.load(tmp_path / "c.npz").S_in == c.S_in).all()
    (tmp_path / "bad.txt").write_text("+-\n+\n")
    with pytest.raises(ModelError):
        Code.load(tmp_path / "bad.txt")
    (tmp_path / "bad2.txt").write_text("a b\n")
    with pytest.raises(ModelError):
        Code.load(tmp_path / "bad2.txt")
