"""The API a newcomer meets first: FeatureSet as a sequence of names, and ``to_frame()`` on every result collection,
with documented columns and values checked against independent facts (brute force written here, OEIS A000609)."""

import itertools

import numpy as np
import pytest

import capacity as cap
from capacity.features import FeatureSet


def test_featureset_is_a_sequence_of_names():
    fs = cap.from_spec(cap.Domain(3), "pairs")
    assert len(fs) == 3 and list(fs) == list(fs.names) == ["x0 & x1", "x0 & x2", "x1 & x2"]
    assert fs[0] == "x0 & x1" and fs[-1] == "x1 & x2" and "x0 & x2" in fs and "x0" not in fs
    sub = fs[1:]
    assert isinstance(sub, FeatureSet) and list(sub) == ["x0 & x2", "x1 & x2"]
    assert np.array_equal(fs[[0, 2]].bits, fs.bits[[0, 2]])
    with pytest.raises(IndexError):
        fs[3]


def _threshold_functions_2():
    """Every function on {0,1}^2 that one step unit with real weights computes, by brute force over small
    integer weights (enough for 2 inputs): truth tables in domain-point order."""
    pts = cap.Domain(2).points.astype(int)
    found = set()
    for w0, w1, b in itertools.product(range(-2, 3), range(-2, 3), range(-3, 4)):
        found.add("".join("1" if w0 * x0 + w1 * x1 + b >= 0 else "0" for x0, x1 in pts))
    return found


def test_enumeration_to_frame_lists_the_threshold_functions():
    en = cap.enumerate_functions(cap.Domain(2), 1, "step", None)
    df = en.to_frame()
    assert list(df.columns) == ["function", "truth_table", "ones"]
    assert len(df) == en.count == 14  # OEIS A000609(2)
    assert set(df.truth_table) == _threshold_functions_2()
    assert (df.ones == df.truth_table.str.count("1")).all()


def test_min_width_to_frame_is_the_ladder():
    xor = cap.from_spec(cap.Domain(2), "x0 ^ x1")
    mw = cap.min_width(xor, activation="step", weight_bound=1)
    df = mw.to_frame()
    assert list(df.columns) == ["width", "status", "method", "seconds", "certificate_kind"]
    assert list(df.width) == [1, 2] and list(df.status) == ["NOT_REPRESENTABLE", "REPRESENTABLE"]
    assert df.certificate_kind.notna().tolist() == [True, False]


def test_representable_set_and_result_frames():
    family = cap.from_spec(cap.Domain(2), "all")
    rs = cap.representable_set(None, family, d_hidden=1, activation="step", weight_bound=2, method="enumerate")
    df = rs.to_frame()
    assert list(df.columns) == ["feature", "representable", "status", "certificate_kind", "method"]
    tables = {"".join("1" if b else "0" for b in row) for row in family.bits[df.representable.to_numpy()]}
    assert tables == _threshold_functions_2()  # all but XOR and XNOR
    assert set(df.certificate_kind[~df.representable]) == {"enumeration"}
    res = cap.representable(cap.Problem(family.select([6]), 1, "step", 2), "enumerate")
    row = res.to_frame()
    assert len(row) == 1 and row.status[0] == str(res.status) and row.parameter_size[0] == 3


def test_capacity_to_frame():
    family = cap.from_spec(cap.Domain(2), "x0 ^ x1; x0 & x1; x0 | x1")
    res = cap.capacity(family, 1, activation="step", weight_bound=1, method="enumerate")
    df = res.to_frame()
    assert list(df.columns) == ["feature", "chosen", "d_hidden", "size", "proven"]
    # one step unit h: every readout is h, not h or a constant, so one of AND / OR fits, and never XOR
    assert df.chosen.sum() == res.size == 1 and not df.chosen[0] and res.proven


def test_interpretation_to_frame():
    # one ReLU unit relu(x0 + x1 - 1) read out at threshold 1: x0 & x1, by hand
    net = cap.Network(np.array([[1, 1]]), np.array([-1]), np.array([[1]]), np.array([-1]), "relu")
    target = cap.from_spec(cap.Domain(2), "x0 & x1")
    df = cap.interpret(net, targets=target, progress=False).to_frame()
    assert list(df.columns) == ["output", "formula", "proven", "channel", "predicted_errors", "actual_errors"]
    assert len(df) == 1 and df.proven[0] and df.channel[0] == [0]
    assert cap.from_spec(cap.Domain(2), df.formula[0]).bits.tolist() == target.bits.tolist()
    assert df.predicted_errors[0] == df.actual_errors[0] == 0
