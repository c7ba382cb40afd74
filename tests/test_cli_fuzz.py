"""Fuzzing the command line in-process (``capacity.cli.main``) with hypothesis over argument lists, tiny sizes:
every run ends with exit code 0, 2 or 3, never a traceback or "internal error", and a run refused with exit 2
prints one line on stderr, nothing on stdout, and leaves none of its output files behind."""

import contextlib
import io
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capacity.cli import COMMANDS, main

FUZZ = settings(deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))

# every argument is drawn good, except at most one (``bad``) drawn from its bad values, so that most examples
# reach the work behind the checks and the rest test one check each
GOOD = {
    "m": ["2", "3"], "s": [None, "1"], "n": ["1", "2"], "spec": ["x0", "x0 ^ x1", "x0 & x1; x0 | x1", "pairs"],
    "act": ["relu", "step"], "K": ["1", "2", None], "method": ["auto", "enumerate", "sat", "milp"],
    "limit": [None, "5"], "file": [None, "ok"], "dir": [None, "ok"], "model": ["ok"], "alpha": ["2"],
    "clauses": [None, "x0&x1|x2"], "split": ["random"], "hidden": ["2"], "nf": [None, "1"],
}
BAD = {
    "m": ["0", "-1", "40"], "s": ["4", "-1"], "n": ["0", "x"], "spec": ["x0 &&", "x9", "nosuchfamily", " ; "],
    "act": ["tanh"], "K": ["0"], "method": ["bogus"], "limit": ["0.001", "-1", "nan"],
    "file": ["/proc/w.npz", "/nonexistent/dir/w.npz", "DIR", "sub/missing/w.npz"],
    "dir": ["/proc/xx", "/nonexistent/dir/out", "FILE", "NONEMPTY", "sub/missing/out"],
    "model": ["missing", "garbage"], "alpha": ["1", "-1", "9"], "clauses": ["x0&&", "x9"], "split": ["bogus"],
    "hidden": ["0", "2,x"], "nf": ["99", "0"],
}


@st.composite
def arguments(draw, names):
    """A dict name -> value: all good but at most one (``bad`` names it, or None)."""
    bad = draw(st.sampled_from([None, None, *names]))
    return bad, {k: draw(st.sampled_from(BAD[k] if k == bad else GOOD[k])) for k in names}


def _run(argv):
    """``main(argv)`` with stdout and stderr captured; argparse's SystemExit becomes its exit code."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(argv)
        except SystemExit as exc:
            rc = exc.code if isinstance(exc.code, int) else 2
    return rc, out.getvalue(), err.getvalue()


def _check(argv, rc, out, err, outputs=()):
    assert rc in (0, 2, 3), (argv, rc, err)
    assert "Traceback" not in err and "internal error" not in err, (argv, err)
    if rc == 2:
        assert out == "", (argv, out)
        lines = [line for line in err.splitlines() if line.strip() and not line.startswith("usage:")
                 and not line.startswith(" ")]
        assert len(lines) == 1, (argv, err)
        for p in outputs:
            assert not Path(p).exists() or Path(p).is_dir() and p.endswith("NONEMPTY"), (argv, p)


def _path(tmp: Path, kind, name):
    """Turn a FILES/DIRS kind into a concrete path inside ``tmp``; also returns the paths that a refused run
    must not create."""
    if kind is None:
        return None, []
    if kind == "ok":
        return str(tmp / name), [str(tmp / name)]
    if kind == "DIR":
        (tmp / "adir").mkdir(exist_ok=True)
        return str(tmp / "adir"), []
    if kind == "FILE":
        (tmp / "afile").write_text("x")
        return str(tmp / "afile"), []
    if kind == "NONEMPTY":
        (tmp / "NONEMPTY").mkdir(exist_ok=True)
        (tmp / "NONEMPTY" / "keep").write_text("x")
        return str(tmp / "NONEMPTY"), []
    if kind.startswith("sub/"):
        return str(tmp / kind), [str(tmp / "sub")]
    return kind, []


def _model(tmp: Path) -> str:
    from capacity import Network

    rng = np.random.default_rng(0)
    net = Network(rng.integers(-2, 3, (3, 3)), rng.integers(-1, 2, 3), rng.integers(-2, 3, (2, 3)),
                  np.zeros(2, int), "relu")
    return str(net.save(tmp / "net.npz"))


@settings(FUZZ, max_examples=40)
@given(cmd=st.sampled_from(["represent", "min-width"]),
       drawn=arguments(["m", "s", "n", "spec", "act", "K", "method", "limit", "file"]),
       proof=st.sampled_from([None, None, None, "ok", "/proc/x"]))
def test_fuzz_represent_and_min_width(cmd, drawn, proof):
    bad, a = drawn
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        argv = [cmd, "--inputs", a["m"], "--features", a["spec"], "--activation", a["act"], "--method",
                a["method"], "--no-progress"]
        argv += ["--real"] if a["K"] is None else ["--weight-bound", a["K"]]
        argv += ["--hidden", a["n"]] if cmd == "represent" else ["--max-width", "3"]
        for opt, key in (("--sparsity", "s"), ("--time-limit", "limit")):
            if a[key] is not None:
                argv += [opt, a[key]]
        w, made = _path(tmp, a["file"], "w.npz")
        if w is not None:
            argv += ["--witness", w]
        if cmd == "represent" and proof is not None:
            p, made_p = _path(tmp, proof, "x.drup")
            argv += ["--proof", p]
            made += made_p
        rc, out, err = _run(argv)
        _check(argv, rc, out, err, made)
        refused = {"spec", "act", "K", "file", "method"} | ({"n"} if cmd == "represent" else set())
        if "--proof" in argv and a["method"] != "sat" or bad in refused:
            assert rc == 2, (argv, rc, err)
        if bad is None and "--proof" not in argv and not (a["K"] is None and a["act"] == "relu"):
            assert rc in (0, 3), (argv, rc, err)


@settings(FUZZ, max_examples=15)
@given(m=st.integers(0, 3), s=st.sampled_from([None, 1, 5]), n=st.integers(0, 2),
       act=st.sampled_from(["relu", "step"]), K=st.sampled_from([None, 0, 1]))
def test_fuzz_count(m, s, n, act, K):
    argv = ["count", "--inputs", str(m), "--hidden", str(n), "--activation", act, "--no-progress"]
    argv += ["--real"] if K is None else ["--weight-bound", str(K)]
    if s is not None:
        argv += ["--sparsity", str(s)]
    _check(argv, *_run(argv))


def _model_path(tmp: Path, kind: str) -> str:
    if kind == "ok":
        return _model(tmp)
    path = tmp / "model.npz"
    if kind == "garbage":
        path.write_bytes(b"not a model")
    return str(path)


@settings(FUZZ, max_examples=30)
@given(drawn=arguments(["model", "dir", "s"]), spec=st.sampled_from([None, "x0; x1", "x0 &&", "x0"]))
def test_fuzz_interpret(drawn, spec):
    bad, a = drawn
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        argv = ["interpret", _model_path(tmp, a["model"]), "--no-progress", "--method", "enumerate"]
        o, made = _path(tmp, a["dir"], "report")
        if o is not None:
            argv += ["--out", o]
        if spec is not None:
            argv += ["--features", spec]
        if a["s"] is not None:
            argv += ["--sparsity", a["s"]]
        rc, out, err = _run(argv)
        _check(argv, rc, out, err, made)
        if bad is not None or spec in ("x0 &&", "x0"):
            assert rc == 2, (argv, rc, err)
        else:
            assert rc == 0 and (o is None or len(list(Path(o).iterdir())) == 3), (argv, rc, err)


@settings(FUZZ, max_examples=30)
@given(drawn=arguments(["alpha", "split", "clauses", "file"]), suffix=st.sampled_from([".npz", ".npz", ".txt"]))
def test_fuzz_fpe_expand(drawn, suffix):
    bad, a = drawn
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        argv = ["fpe", "expand", "--model", _model(tmp), "--alpha", a["alpha"], "--split", a["split"]]
        o, made = _path(tmp, a["file"], "e" + suffix)
        argv += ["--out", o if o is not None else str(tmp / ("e" + suffix))]
        made = made or [str(tmp / ("e" + suffix))]
        if a["clauses"] is not None:
            argv += ["--clauses", a["clauses"]]
        rc, out, err = _run(argv)
        _check(argv, rc, out, err, made)
        if bad is not None and (bad != "clauses" or a["split"] == "clause") or suffix == ".txt":
            assert rc == 2, (argv, rc, err)


@settings(FUZZ, max_examples=12)
@given(drawn=arguments(["m", "nf", "dir", "hidden"]))
def test_fuzz_train(drawn):
    pytest.importorskip("torch")
    bad, a = drawn
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        argv = ["train", "--task", "kand", "--inputs", a["m"], "--hidden", a["hidden"], "--steps", "2",
                "--seeds", "1", "--threads", "1", "--no-progress"]
        if a["nf"] is not None:
            argv += ["--n-features", a["nf"]]
        o, made = _path(tmp, a["dir"], "run")
        argv += ["--out", o if o is not None else str(tmp / "run")]
        made = made or [str(tmp / "run")]
        rc, out, err = _run(argv)
        _check(argv, rc, out, err, made)
        assert rc == (2 if bad is not None else 0), (argv, rc, err)


JUNK = ["--inputs", "-1", "0", "--hidden", "--out", "/proc/xx", "--features", "x0 &&", "--preset", "huge",
        "--seeds", "nope", "--json", "--no-progress", "/nonexistent/model.npz", "--time-limit", "-3"]


@FUZZ
@given(cmd=st.sampled_from(sorted(COMMANDS)), args=st.lists(st.sampled_from(JUNK), max_size=6))
def test_fuzz_junk_arguments_every_command(cmd, args):
    """Arguments that are all invalid: every command refuses them with one line and exit code 2 (argparse or
    a CapacityError), never with a traceback."""
    argv = [cmd, *args]
    rc, out, err = _run(argv)
    _check(argv, rc, out, err)
    assert rc == 2, (argv, rc, out)


def test_help_of_every_command_names_every_option():
    for cmd in COMMANDS:
        rc, out, err = _run([cmd, "--help"])
        assert rc == 0 and "usage:" in out, (cmd, err)


def test_every_option_has_help_text():
    from capacity.cli import build_parser

    def walk(parser, where):
        for action in parser._actions:
            if action.__class__.__name__ == "_SubParsersAction":
                for name, sub in action.choices.items():
                    walk(sub, f"{where} {name}")
            elif action.option_strings and action.dest != "help":
                assert action.help, f"{where} {action.option_strings[0]} has no help text"

    for cmd in COMMANDS:
        walk(build_parser(cmd), f"capacity {cmd}")


def test_output_files_are_ordinary_mode(tmp_path):
    w = tmp_path / "w.npz"
    rc, out, err = _run(["min-width", "--inputs", "2", "--features", "x0 ^ x1", "--activation", "step",
                         "--weight-bound", "1", "--witness", str(w), "--no-progress"])
    assert rc == 0, err
    umask = os.umask(0)
    os.umask(umask)
    assert w.stat().st_mode & 0o777 == 0o666 & ~umask


def test_unknown_exits_3():
    rc, out, err = _run(["min-width", "--inputs", "3", "--features", "parity", "--activation", "step",
                         "--weight-bound", "1", "--method", "sat", "--time-limit", "0.001", "--no-progress"])
    assert rc == 3 and "UNKNOWN" in out, (rc, out, err)


@pytest.mark.parametrize("witness,proof", [("x", "x.npz"), ("x.npz", "x.npz"), (None, "x.cnf")])
def test_clashing_outputs_are_refused_before_work(tmp_path, witness, proof):
    argv = ["represent", "--inputs", "2", "--hidden", "1", "--features", "x0 ^ x1", "--activation", "relu",
            "--weight-bound", "1", "--method", "sat", "--proof", str(tmp_path / proof), "--no-progress"]
    if witness is not None:
        argv += ["--witness", str(tmp_path / witness)]
    rc, out, err = _run(argv)
    _check(argv, rc, out, err)
    assert rc == 2 and not any(tmp_path.iterdir()), (rc, err)


def test_fpe_expand_refuses_to_overwrite_its_model(tmp_path):
    model = _model(tmp_path)
    before = Path(model).read_bytes()
    rc, out, err = _run(["fpe", "expand", "--model", model, "--alpha", "2", "--out", model])
    _check(["fpe"], rc, out, err)
    assert rc == 2 and "input model" in err and Path(model).read_bytes() == before
