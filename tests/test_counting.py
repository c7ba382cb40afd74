"""Counting at the frontier: size guards, the count API and CLI, multi-unit counts checked by a second method,
and the structure of threshold-function counts against published sequences."""

import json
import tracemalloc

import numpy as np
import pytest

from capacity import Domain
from capacity.cli import main
from capacity.enumeration import count, enumerate_functions, muroga_bound, predict_work
from capacity.errors import CapacityError

# OEIS A000609: threshold functions of n or fewer variables (an independent published oracle).
A000609 = [2, 4, 14, 104, 1882, 94572, 15028134]


# ---------------------------------------------------------------------------------------------
# memory and size guards


def test_huge_domain_is_refused_by_predicted_memory():
    with pytest.raises(CapacityError, match="MAX_COUNT_BYTES"):
        count(Domain(20), 1, "step", None)


def test_huge_scan_is_refused_by_predicted_work():
    with pytest.raises(CapacityError, match="MAX_EVALUATIONS"):
        count(Domain(20), 2, "step", 1)


def test_limits_are_arguments():
    with pytest.raises(CapacityError, match="MAX_COUNT_BYTES"):
        count(Domain(4), 1, "step", 3, max_bytes=1000)
    with pytest.raises(CapacityError, match="MAX_EVALUATIONS"):
        count(Domain(4), 1, "step", 3, max_evaluations=10)


def test_huge_weight_bound_is_exact_where_muroga_applies_and_refused_elsewhere():
    # a box past Muroga's bound represents exactly the real-weight class (proofs/check_weight_bound.py)
    for act in ("step", "relu"):
        res = count(Domain(4), 1, act, 10**12)
        assert res.count == A000609[4] and res.weight_bound_used == muroga_bound(4)
    assert count(Domain(3), 2, "step", 10**12).count == count(Domain(3), 2, "step", None).count
    with pytest.raises(CapacityError, match="MAX_COUNT_BYTES"):
        count(Domain(3), 2, "relu", 10**12)


@pytest.mark.parametrize("args", [(Domain(3), 1, "step", 2), (Domain(3, 2), 1, "relu", 2), (Domain(2), 2, "relu", 1),
                                  (Domain(2), 2, "step", 1)])
def test_predicted_memory_is_a_lower_bound(args):
    """The plain-Python backend allocates with numpy, which tracemalloc sees: the peak must reach the
    prediction (a lower bound), or the guard could refuse counts that fit."""
    pred = predict_work(*args, tables=True, threads=1)
    tracemalloc.start()
    enumerate_functions(*args, backend="python", threads=1)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert pred["bytes"] <= peak


@pytest.mark.parametrize("argv,needle", [
    (["--inputs", "20", "--hidden", "1", "--activation", "step", "--real"], "MAX_COUNT_BYTES"),
    (["--inputs", "3", "--hidden", "2", "--activation", "relu", "--weight-bound", str(10**12)], "MAX_COUNT_BYTES"),
    (["--inputs", "20", "--hidden", "2", "--activation", "step", "--weight-bound", "1"], "MAX_EVALUATIONS"),
])
def test_cli_refuses_in_one_line(argv, needle, capsys):
    assert main(["count", *argv]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and needle in err and "Traceback" not in err


# ---------------------------------------------------------------------------------------------
# the count API and CLI


def test_count_defaults_to_relu_like_the_other_front_doors():
    import inspect

    from capacity.solvers.front import min_width

    assert inspect.signature(count).parameters["activation"].default == "relu"
    assert inspect.signature(min_width).parameters["activation"].default == "relu"
    assert count(Domain(3), weight_bound=None).activation == "relu"


def test_real_relu_hint_names_an_existing_option():
    from capacity.solvers.front import METHODS

    with pytest.raises(CapacityError, match="method='milp'") as exc:
        count(Domain(3), 2, "relu", None)
    assert "milp" in METHODS and "--method milp" in str(exc.value)


def test_every_count_option_has_help():
    from capacity.cli import build_parser

    sub = build_parser("count")._subparsers._group_actions[0].choices["count"]
    for action in sub._actions:
        assert action.help, action.option_strings


def test_cli_out_file(tmp_path, capsys):
    out = tmp_path / "c.json"
    assert main(["count", "--inputs", "3", "--hidden", "1", "--activation", "relu", "--real", "--out", str(out),
                 "--no-progress"]) == 0
    assert json.loads(out.read_text())["count"] == A000609[3]
    assert main(["count", "--inputs", "3", "--hidden", "1", "--activation", "relu", "--real", "--out",
                 str(tmp_path / "c.txt")]) == 2
    assert main(["count", "--inputs", "3", "--hidden", "1", "--activation", "relu", "--real", "--out",
                 str(tmp_path / "missing" / "c.json")]) == 2
    assert not (tmp_path / "missing").exists()
