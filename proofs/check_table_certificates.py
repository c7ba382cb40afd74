"""Claim: every minimum width ``n*`` in the shipped scaling tables (``min_width.csv`` of ``results/scaling/``
and of ``results/scaling-full/``: the ReLU column ``n_star`` and the exact step columns ``n_star_step_real``,
``n_star_step_int``) is proven by files stored beside it in ``<folder>/certificates/``: a witness network of
width ``n*`` and, for width ``n* - 1``, a DRUP refutation.

How it is checked, for every entry of ``certificates/index.json``:

1. each stored file has the SHA-256 the index records;
2. the witness is re-verified exactly (``capacity.solvers.verify_witness``: weight class and every output on
   every point of the domain, in exact integer arithmetic) for the feature set rebuilt from the stored
   point (family, ``m``, sparsity, ``m'``, instance seed);
3. for ``n* > 1``: the stored CNF is compared clause by clause with a fresh
   ``capacity.solvers.sat.encode`` of the width-``n* - 1`` problem (symmetry breaking on, as documented in
   ``capacity/solvers/sat.py``), so the proof refutes the claimed problem and not some other formula, and the
   stored DRUP proof is replayed by ``capacity.drup.check_drup``; for ``n* = 1`` width 0 would output
   constants, and every feature is checked to be non-constant on the domain;
4. every proven value of those columns in ``min_width.csv`` has an entry with the same ``n*`` (step
   entries are re-encoded with their own class: real weights through Muroga's bound, see
   ``capacity.solvers.sat.integer_bounds``).

``python proofs/check_table_certificates.py`` checks every witness and replays every proof of both folders,
with the backward core-first checker (``docs/certificates.md``). The default pytest run does the same for
``results/scaling`` and, for ``results/scaling-full``, checks every hash, witness and CNF and replays the
proofs only under ``-m slow`` (minutes).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "results" / "scaling"
CERTS = RESULTS / "certificates"
FOLDERS = (RESULTS, ROOT / "results" / "scaling-full")


def load_index(certs: Path = CERTS) -> list[dict]:
    path = certs / "index.json"
    assert path.exists(), f"{path} is missing (regenerate the shipped results: see results/scaling/README.md)"
    return json.loads(path.read_text())["entries"]


def _parse_cnf(text: str) -> list[list[int]]:
    clauses, cur = [], []
    for line in text.splitlines():
        s = line.strip()
        if not s or s[0] in "cp%":
            continue
        for t in s.split():
            v = int(t)
            if v == 0:
                clauses.append(cur)
                cur = []
            else:
                cur.append(v)
    assert not cur, "last clause not terminated"
    return clauses


def _problem(point: dict, width: int):
    from capacity.scaling import Point
    from capacity.solvers import Problem

    p = Point.from_dict(point)
    o = p.opts
    return Problem(
        p.features(),
        width,
        o.get("activation", "relu"),
        o.get("weight_bound", 1),
        bool(o.get("nonnegative", False)),
    )


def check_entry(e: dict, certs: Path = CERTS, replay: bool = True) -> dict:
    from capacity.drup import check_drup
    from capacity.network import Network
    from capacity.solvers import verify_witness
    from capacity.solvers.sat import encode

    files = {}
    for name, f in e["files"].items():
        data = (certs / f["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == f["sha256"], (
            f"{e['name']}: {name} does not match its SHA-256"
        )
        files[name] = data
    n = int(e["min_width"])
    w = json.loads(files["witness"])
    problem = _problem(e["point"], n)
    ok, why = verify_witness(problem, Network.from_dict(w["network"]))
    assert ok, f"{e['name']}: witness fails: {why}"
    out = {"name": e["name"], "min_width": n, "witness": why, "lower": None}
    if n == 1:
        bits = problem.features.bits
        assert (bits.any(axis=1) & (~bits).any(axis=1)).all(), (
            f"{e['name']}: a constant feature needs width 0"
        )
        out["lower"] = "width 0 outputs constants; every feature is non-constant"
        return out
    assert "cnf" in files and "proof" in files, f"{e['name']}: no DRUP certificate stored for width {n - 1}"
    clauses = _parse_cnf(gzip.decompress(files["cnf"]).decode())
    fresh, _, _ = encode(_problem(e["point"], n - 1), True)
    assert [list(c) for c in fresh] == clauses, f"{e['name']}: stored CNF is not the width-{n - 1} encoding"
    if replay:
        res = check_drup(clauses, gzip.decompress(files["proof"]))
        assert res.ok, f"{e['name']}: DRUP proof rejected: {res.reason}"
        out["lower"] = f"DRUP replayed: {res.core} of {res.lemmas} lemmas (the core) checked in {res.seconds:.1f} s"
    else:
        out["lower"] = "CNF matches; proof not replayed (quick run)"
    return out


def check_table_matches_index(entries: list[dict], results: Path = RESULTS) -> int:
    """Every proven value of ``n_star`` and of the exact step columns has an entry with the same width;
    returns the number of proven values."""
    import pandas as pd

    df = pd.read_csv(results / "min_width.csv")
    by = {
        (x.get("column", "n_star"), x["point"]["family"], x["point"]["m"], x["point"]["n_features"],
         x["point"]["instance"]): x["min_width"]
        for x in entries
    }
    total = 0
    for col, proven_col in (("n_star", "proven"), ("n_star_step_real", "n_star_step_real_proven"),
                            ("n_star_step_int", "n_star_step_int_proven")):
        if col not in df.columns:
            continue
        proven = df[df[proven_col].fillna(False).astype(bool)]
        for r in proven.itertuples():
            key = (col, r.family, int(r.m), int(r.n_features), int(r.instance))
            assert key in by and int(by[key]) == int(getattr(r, col)), f"{results.name}: {key} has no matching entry"
        total += len(proven)
    return total


def check_folder(results: Path, replay: bool = True, progress=None) -> tuple[int, int]:
    """Check every entry of ``results/certificates`` and the table against the index; returns
    ``(entries, proven table values)``."""
    certs = results / "certificates"
    entries = load_index(certs)
    rows = check_table_matches_index(entries, results)
    assert entries and rows == len([e for e in entries if e["proven"]]), (
        f"{results.name}: {rows} proven table values but {len(entries)} index entries"
    )
    for e in entries:
        r = check_entry(e, certs, replay=replay)
        if progress:
            progress(f"{results.name}/{r['name']}: n*={r['min_width']}: witness {r['witness']}; "
                     f"width {r['min_width'] - 1}: {r['lower']}")
    return len(entries), rows


def test_claim():
    check_folder(RESULTS, replay=True)


def test_claim_full_hashes_witnesses_and_cnfs():
    check_folder(FOLDERS[1], replay=False)


@pytest.mark.slow
def test_claim_full_proofs_replayed():
    check_folder(FOLDERS[1], replay=True)


if __name__ == "__main__":
    import sys

    for folder in FOLDERS:
        n, rows = check_folder(folder, replay=True, progress=lambda line: print(line, flush=True))
        print(f"{folder.name}: {n} entries, {rows} proven table values")
    print("PASS")
    sys.exit(0)
