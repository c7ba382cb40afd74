"""The command line: JSON outputs, `python -m capacity`, and one-line exit-2 errors for bad input."""

import json
import subprocess
import sys

import numpy as np
import pytest

from capacity.cli import main


def run(*args):
    p = subprocess.run([sys.executable, "-m", "capacity", *args], capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def test_count_json_keys_and_value():
    rc, out, err = run("count", "--inputs", "4", "--hidden", "1", "--activation", "step", "--real", "--json")
    assert rc == 0, err
    d = json.loads(out)
    for key in ("count", "inputs", "sparsity", "hidden", "activation", "weight_bound", "domain_size", "seconds"):
        assert key in d
    assert d["count"] == 1882 and d["domain_size"] == 16  # OEIS A000609(4)


def test_count_text_and_sparse(capsys):
    assert main(["count", "--inputs", "3", "--sparsity", "1", "--hidden", "1", "--activation", "relu",
                 "--weight-bound", "1", "--no-progress"]) == 0
    # 4 points: every function of 4 points that is a threshold function of x0..x2 restricted to {0, e0, e1, e2}
    # is any function (each point is separable): 2^4 = 16
    assert capsys.readouterr().out.startswith("16 functions")


def test_represent_and_min_width_json(tmp_path, capsys):
    assert main(["represent", "--inputs", "2", "--hidden", "1", "--features", "x0 ^ x1", "--activation", "relu",
                 "--weight-bound", "1", "--method", "sat", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["status"] == "NOT_REPRESENTABLE" and d["certificate"]["kind"] == "drup" and d["certificate"]["checked"]
    w = tmp_path / "w.npz"
    assert main(["min-width", "--inputs", "2", "--features", "x0 ^ x1", "--activation", "step", "--weight-bound",
                 "1", "--witness", str(w), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    for key in ("min_width", "status", "certificate_kind", "witness", "seconds"):
        assert key in d
    assert d["min_width"] == 2 and d["status"] == "PROVEN" and d["witness"] == str(w)
    from capacity import Domain, Network, from_spec
    from capacity.network import computed

    net = Network.load(w)
    assert computed(net, from_spec(Domain(2), "x0 ^ x1"), aligned=True).all()


BAD = [
    ["count", "--inputs", "0", "--hidden", "1", "--activation", "step", "--real"],
    ["count", "--inputs", "3", "--hidden", "-1", "--activation", "step", "--real"],
    ["count", "--inputs", "3", "--sparsity", "4", "--hidden", "1", "--activation", "step", "--real"],
    ["count", "--inputs", "40", "--hidden", "1", "--activation", "step", "--real"],
    ["count", "--inputs", "3", "--hidden", "1", "--activation", "step"],
    ["count", "--inputs", "3", "--hidden", "2", "--activation", "relu", "--real"],
    ["represent", "--inputs", "3", "--hidden", "1", "--features", "x0 &&", "--activation", "relu", "-K", "1"],
    ["represent", "--inputs", "3", "--hidden", "1", "--features", "x7", "--activation", "relu", "-K", "1"],
    ["represent", "--inputs", "3", "--hidden", "1", "--features", "nosuchfamily", "--activation", "relu", "-K", "1"],
    ["represent", "--inputs", "3", "--hidden", "1", "--features", " ; ", "--activation", "relu", "-K", "1"],
    ["represent", "--inputs", "3", "--hidden", "0", "--features", "x0", "--activation", "relu", "-K", "1"],
    ["represent", "--inputs", "3", "--hidden", "1", "--features", "x0", "--activation", "relu", "-K", "1",
     "--method", "magic"],
    ["min-width", "--inputs", "3", "--features", "ands:k=5", "--activation", "relu", "-K", "1"],
    ["min-width", "--inputs", "3", "--features", "x0", "--activation", "relu", "-K", "0"],
]


@pytest.mark.parametrize("args", BAD, ids=[" ".join(a[:6]) for a in BAD])
def test_bad_input_one_line_exit_2(args):
    rc, out, err = run(*args)
    assert rc == 2, (rc, err)
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_bad_code_and_model_files(tmp_path):
    bad = tmp_path / "code.txt"
    bad.write_text("+-\n+\n")
    rc, out, err = run("represent", "--inputs", "2", "--hidden", "2", "--features", "x0", "--code", str(bad),
                       "--activation", "relu", "-K", "1")
    assert rc == 2 and len(err.strip().splitlines()) == 1
    contradictory = tmp_path / "c.txt"
    contradictory.write_text("-+\n")
    rc, out, err = run("represent", "--inputs", "2", "--hidden", "1", "--features", "x0", "--code",
                       str(contradictory), "--activation", "relu", "-K", "1", "--nonnegative")
    assert rc == 2 and "contradictory" in err
    wrong = tmp_path / "w.txt"
    wrong.write_text("+-+\n")
    rc, out, err = run("represent", "--inputs", "2", "--hidden", "1", "--features", "x0", "--code", str(wrong),
                       "--activation", "relu", "-K", "1")
    assert rc == 2 and len(err.strip().splitlines()) == 1


def test_code_constrains_count(tmp_path, capsys):
    # code "++" with K = 2: (w0, w1) in {1,2}^2. Cuts of w.x: (1,1) gives 1, x0|x1, x0&x1, 0; (1,2) adds x1 and
    # (2,1) adds x0. The free readout sign adds complements: {0, 1, or, and, x0, x1, nor, nand, ~x0, ~x1} = 10.
    c = tmp_path / "c.txt"
    c.write_text("++\n")
    assert main(["count", "--inputs", "2", "--hidden", "1", "--activation", "step", "-K", "2", "--code", str(c),
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["count"] == 10


def test_witness_npz_roundtrip_from_represent(tmp_path, capsys):
    w = tmp_path / "net.npz"
    assert main(["represent", "--inputs", "3", "--hidden", "2", "--features", "x0 ^ x1; x0 & x1", "--activation",
                 "relu", "-K", "1", "--witness", str(w), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["status"] == "REPRESENTABLE" and d["witness_path"] == str(w)
    z = np.load(w)
    assert z["W_in"].shape == (2, 3)


@pytest.mark.parametrize("kind", ["shape", "missing", "nan", "absent"])
def test_bad_model_npz_one_line_exit_2_no_output(tmp_path, kind):
    f = tmp_path / f"{kind}.npz"
    if kind == "shape":
        np.savez(f, W_in=np.ones((2, 3)), b_in=np.ones(3), W_out=np.ones((1, 2)), b_out=np.ones(1))
    elif kind == "missing":
        np.savez(f, W_in=np.ones((2, 3)), b_in=np.ones(2))
    elif kind == "nan":
        np.savez(f, W_in=np.array([[np.inf, 1.0, 1.0]]), b_in=np.ones(1), W_out=np.ones((1, 1)), b_out=np.ones(1))
    out_dir = tmp_path / "report"
    rc, out, err = run("interpret", str(f), "--out", str(out_dir))
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not out_dir.exists() or not any(out_dir.iterdir())
