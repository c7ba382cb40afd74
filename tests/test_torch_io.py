"""Tests of capacity.torch_io: torch / state-dict / npz round trips (exact weights, same outputs) and bad input
(one-line ModelError)."""

from __future__ import annotations

import numpy as np
import pytest

from capacity.cli import main
from capacity.domain import Domain
from capacity.errors import ModelError
from capacity.network import Network
from capacity.torch_io import load_model, to_torch

torch = pytest.importorskip("torch")
nn = torch.nn


def _mlp(*widths, seed=0, act=nn.ReLU):
    torch.manual_seed(seed)
    mods = []
    for k in range(len(widths) - 1):
        mods.append(nn.Linear(widths[k], widths[k + 1]))
        if k < len(widths) - 2:
            mods.append(act())
    return nn.Sequential(*mods)


def _same_weights(model, net):
    lins = [m for m in model if isinstance(m, nn.Linear)]
    assert len(lins) == len(net.layers)
    for lin, (W, b) in zip(lins, net.layers):
        # float32 -> float64 is exact: compare the float64 values bit for bit
        assert np.array_equal(lin.weight.detach().double().numpy(), W)
        assert np.array_equal(lin.bias.detach().double().numpy(), b)


def _torch_signs(model, domain):
    with torch.no_grad():
        y = model.double()(torch.tensor(domain.points, dtype=torch.float64)).numpy()
    return y


def test_sequential_round_trip_and_outputs():
    model = _mlp(5, 4, 3)
    net = load_model(model)
    assert net.W_in.shape == (4, 5) and net.W_out.shape == (3, 4) and net.activation == "relu"
    _same_weights(model, net)
    d = Domain(5)
    y = _torch_signs(model, d)
    clear = np.abs(y) > 1e-9  # where float64 torch is unambiguous, it must agree with the exact evaluation
    assert np.array_equal((y >= 0)[clear], net.outputs(d)[clear])
    back = load_model(to_torch(net))
    for (W1, b1), (W2, b2) in zip(net.layers, back.layers):
        assert np.array_equal(W1, W2) and np.array_equal(b1, b2)


def test_deeper_sequential_nested_and_sigmoid():
    model = nn.Sequential(nn.Sequential(nn.Linear(4, 3), nn.ReLU()), nn.Linear(3, 3), nn.ReLU(), nn.Dropout(0.0),
                          nn.Linear(3, 2), nn.Sigmoid())
    net = load_model(model)
    assert net.widths == (3, 3) and len(net.W_hidden) == 1
    _same_weights(nn.Sequential(model[0][0], model[1], model[4]), net)


def test_state_dict_and_pt_file(tmp_path):
    model = _mlp(6, 5, 4, 2, seed=3)
    sd = model.state_dict()
    net = load_model(sd)
    _same_weights(model, net)
    path = tmp_path / "model.pt"
    torch.save(sd, path)
    net2 = load_model(path)
    for (W1, b1), (W2, b2) in zip(net.layers, net2.layers):
        assert np.array_equal(W1, W2) and np.array_equal(b1, b2)
    # the CLI reads the same file
    assert main(["interpret", str(path), "--sparsity", "2", "--no-progress"]) == 0


def test_npz_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    net = Network(rng.normal(size=(3, 4)), rng.normal(size=3), rng.normal(size=(2, 3)), rng.normal(size=2), "relu",
                  (rng.normal(size=(3, 3)),), (rng.normal(size=3),))
    path = net.save(tmp_path / "net.npz")
    back = load_model(path)
    assert back.widths == (3, 3)
    for (W1, b1), (W2, b2) in zip(net.layers, back.layers):
        assert np.array_equal(W1, W2) and np.array_equal(b1, b2)
    step = Network(np.eye(2, dtype=int), np.zeros(2, dtype=int), np.ones((1, 2), dtype=int), np.array([-1]), "step")
    assert load_model(step.save(tmp_path / "step.npz")).activation == "step"
    assert load_model({"W_in": net.W_in, "b_in": net.b_in, "W_out": np.ones((1, 3)), "b_out": np.zeros(1)}).d_in == 4


def _one_line(exc_info):
    msg = str(exc_info.value)
    assert msg and "\n" not in msg
    return msg


def test_bad_models(tmp_path):
    with pytest.raises(ModelError) as e:
        load_model(_mlp(3, 2, 1, act=nn.Tanh))
    assert "Tanh" in _one_line(e)
    with pytest.raises(ModelError) as e:
        load_model(nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1)))
    _one_line(e)
    with pytest.raises(ModelError) as e:
        load_model(nn.Sequential(nn.Linear(3, 2)))
    assert "at least two" in _one_line(e)
    with pytest.raises(ModelError) as e:
        load_model(_mlp(3, 2, 1), activation="step")
    _one_line(e)
    # inconsistent shapes in a state dict
    sd = {"0.weight": torch.zeros(2, 3), "0.bias": torch.zeros(2), "2.weight": torch.zeros(1, 4), "2.bias": torch.zeros(1)}
    with pytest.raises(ModelError) as e:
        load_model(sd)
    assert "expects 4 inputs" in _one_line(e)
    # NaN / inf weights
    sd = _mlp(3, 2, 1).state_dict()
    sd["0.weight"][0, 0] = float("nan")
    with pytest.raises(ModelError) as e:
        load_model(sd)
    assert "NaN" in _one_line(e)
    sd = _mlp(3, 2, 1).state_dict()
    sd["2.bias"][0] = float("inf")
    with pytest.raises(ModelError):
        load_model(sd)
    # non-Linear entries
    with pytest.raises(ModelError) as e:
        load_model({"0.weight": torch.zeros(2, 3, 3, 3), "1.weight": torch.zeros(1, 2)})
    _one_line(e)
    # missing arrays in an npz
    np.savez(tmp_path / "partial.npz", W_in=np.zeros((2, 3)), b_in=np.zeros(2))
    with pytest.raises(ModelError) as e:
        load_model(tmp_path / "partial.npz")
    assert "missing" in _one_line(e)
    # unreadable files
    for name in ("garbage.pt", "garbage.npz"):
        (tmp_path / name).write_bytes(b"\x00\x01 this is not a model")
        with pytest.raises(ModelError) as e:
            load_model(tmp_path / name)
        _one_line(e)
    with pytest.raises(ModelError):
        load_model(tmp_path / "nothing.pt")
    with pytest.raises(ModelError):
        load_model(tmp_path / "model.txt")
    # a pickled nn.Sequential of torch layers loads (weights_only, torch's layer classes allowed) ...
    mlp = _mlp(3, 2, 1)
    torch.save(mlp, tmp_path / "module.pt")
    assert np.array_equal(load_model(tmp_path / "module.pt").W_in, mlp[0].weight.detach().numpy())
    # ... but not with a layer other than Linear/ReLU, and no other pickled class loads at all
    torch.save(nn.Sequential(nn.Linear(3, 2), nn.Tanh(), nn.Linear(2, 1)), tmp_path / "tanh.pt")
    with pytest.raises(ModelError) as e:
        load_model(tmp_path / "tanh.pt")
    assert "unsupported layer Tanh" in _one_line(e)
    from fractions import Fraction

    torch.save({"W_in": Fraction(1, 2)}, tmp_path / "pickle.pt")
    with pytest.raises(ModelError) as e:
        load_model(tmp_path / "pickle.pt")
    assert "weights_only" in _one_line(e)

    class Custom(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(2, 2)

    with pytest.raises(ModelError) as e:
        load_model(Custom())
    assert "Sequential" in _one_line(e)


def test_cli_bad_model_exit_2(tmp_path, capsys):
    torch.save({"0.weight": torch.zeros(2, 3), "0.bias": torch.zeros(3)}, tmp_path / "bad.pt")
    assert main(["interpret", str(tmp_path / "bad.pt")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
