"""``sat.solve`` starts loading the LRAT checker's compiled kernels (``drup.warm_up``) before it encodes: only
the timing may change, never the answer, the engine or the certificate."""

import json
import os
import subprocess
import sys

import pytest

from capacity import Domain, Problem, drup
from capacity.drup import check_drup, read_dimacs
from capacity.features import k_ands
from capacity.solvers import Status, sat

#: step U-AND, m = 10, width 2: refuted with a proof above LRAT_PYTHON_BYTES, so the compiled engine checks it
PROBLEM = Problem(k_ands(Domain(10, sparsity=2), 2), 2, "step", 1)


def certificate(r) -> dict:
    """Everything of a SAT refutation that must not depend on the warm-up (no seconds)."""
    d = r.certificate.data
    return {"status": r.status.name, "kind": r.certificate.kind, "ok": d.ok, "engine": d.engine,
            "lemmas": d.lemmas, "deletions": d.deletions, "core": d.core, "reason": d.reason,
            "variables": r.info["variables"], "clauses": r.info["clauses"], "conflicts": r.info["conflicts"]}


def test_sat_solve_warms_up_for_lrat_solvers_only(monkeypatch):
    calls = []
    monkeypatch.setattr(sat, "warm_up", lambda: calls.append(1))
    small = Problem(k_ands(Domain(4, sparsity=2), 2), 1, "step", 1)
    assert sat.solve(small).status is Status.NOT_REPRESENTABLE and calls == [1]
    assert sat.solve(small, solver="cadical153").status is Status.NOT_REPRESENTABLE and calls == [1]  # DRUP


def test_the_warm_up_path_gives_the_certificate_of_the_independent_twin(tmp_path, monkeypatch):
    """With and without the warm-up: the same certificate, and the lemma and deletion counts of the
    plain-Python twin (no Numba) on the same proof, read back from disk."""
    with_warm = sat.solve(PROBLEM, proof_path=tmp_path / "p.lrat")
    drup._join_warm_up()
    monkeypatch.setattr(sat, "warm_up", lambda: None)
    without = sat.solve(PROBLEM)
    assert certificate(with_warm) == certificate(without)
    proof = (tmp_path / "p.lrat").read_bytes()
    assert len(proof) > drup.LRAT_PYTHON_BYTES and with_warm.certificate.data.engine == "lrat"
    twin = check_drup(read_dimacs(tmp_path / "p.cnf"), proof, engine="lrat-python")
    assert twin.ok and (twin.lemmas, twin.deletions) == (without.certificate.data.lemmas,
                                                        without.certificate.data.deletions)


CHILD = """
import json, sys
from capacity import Domain, Problem, drup
from capacity.features import k_ands
from capacity.solvers import sat
if sys.argv[1] == "without":
    sat.warm_up = lambda: None
r = sat.solve(Problem(k_ands(Domain(10, sparsity=2), 2), 2, "step", 1))
d = r.certificate.data
print(json.dumps({"status": r.status.name, "ok": d.ok, "engine": d.engine, "lemmas": d.lemmas,
                  "deletions": d.deletions, "reason": d.reason, "conflicts": r.info["conflicts"],
                  "warm_threads": len(drup._WARM),
                  "signatures": {k: len(drup._JITTED[k].signatures) if k in drup._JITTED else 0
                                 for k in ("_scan_lrat", "_lrat")}}))
"""


def fresh(mode, env) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, mode], env=env, capture_output=True, text=True,
                         timeout=300, check=True)
    return json.loads(out.stdout.splitlines()[-1])


@pytest.mark.parametrize("cache", ["as is", pytest.param("empty", marks=pytest.mark.slow)])
def test_a_fresh_process_checks_with_the_kernels_the_warm_up_made(cache, tmp_path):
    """In a fresh process (Numba's disk cache as it is, or empty: a fresh machine, where the check can start
    while the warm-up thread still compiles), the check uses the one compiled signature per kernel that the
    warm-up made, and its certificate is that of a process without the warm-up."""
    env = dict(os.environ)
    if cache == "empty":
        env["NUMBA_CACHE_DIR"] = str(tmp_path)
    warm, cold = fresh("with", env), fresh("without", env)
    assert warm.pop("warm_threads") == 1 and cold.pop("warm_threads") == 0
    assert warm.pop("signatures") == cold.pop("signatures") == {"_scan_lrat": 1, "_lrat": 1}
    assert warm == cold and warm["status"] == "NOT_REPRESENTABLE" and warm["engine"] == "lrat" and warm["ok"]
