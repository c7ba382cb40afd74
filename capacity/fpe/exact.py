"""Beyond the paper: does FPE *provably* raise capacity? Exact answers with the package's solvers.

An FPE network of ``n`` parents and factor ``alpha`` is a width-``alpha n`` network whose ``W_in`` obeys a
*support code*: child ``alpha*i + k`` may only use the inputs of block ``k`` of parent ``i``'s partition (clause-aligned
or random, as in :mod:`capacity.fpe.expand`). We compare, on small DNF instances (``m = 4`` inputs, the whole cube,
integer weights in ``[-1, 1]``, ReLU, free integer biases, free readout):

* ``dense n``: width ``n``, no code (``n*m`` input weights, as many as the FPE code allows);
* ``fpe clause`` / ``fpe random``: width ``alpha n`` with the partition support code;
* ``fpe pruned``: the FPE code after removing ``(alpha-1) n`` input weights so that, with one readout, the
  non-zero budget equals ``dense n``'s; since the pruned entries depend on training, we take the union over
  *every* choice of pruned entries (an upper bound for any magnitude pruning);
* ``dense alpha n``: width ``alpha n``, no code (more parameters; a ceiling).

Questions: the simultaneous capacity of the family {clauses of the DNF, the DNF itself} (``capacity.solvers.capacity``,
exhaustive enumeration: a witness network for the subset found, the enumeration as the certificate that no larger
subset is computable), whether the DNF alone is representable (witness or certificate, re-checked by a second
method), and the size of the representable set among all ``2^(2^m)`` functions (one readout; the enumeration lists
every function the class computes, so the count is exact).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from itertools import combinations

import numpy as np

from ..codes import Code
from .expand import masks_from_assignment, parse_clauses, split_clause, split_random

__all__ = ["ExactConfig", "fpe_code", "run_exact"]


@dataclass(frozen=True)
class ExactConfig:
    """Instances of the exact study (ours): ``dnf_seeds`` random DNFs of ``n_clauses`` clauses of ``width``
    literals on ``inputs`` inputs; ``(n, alpha)`` pairs in ``settings``; integer weights in ``[-K, K]``."""

    inputs: int = 4
    n_clauses: int = 3
    width: int = 2
    dnf_seeds: int = 3
    settings: tuple = ((1, 2), (1, 4), (2, 2))
    weight_bound: int = 1
    second_method: str = "sat"
    time_limit: float = 120.0
    max_dense_listing: int = 3
    seed: int = 0

    def to_dict(self) -> dict:
        d = asdict(self)
        d["settings"] = [list(s) for s in self.settings]
        return d


def fpe_code(n: int, m: int, alpha: int, split: str, clauses=None, seed: int = 0) -> Code:
    """The ``(alpha n) x m`` support code of an FPE layer (clause-aligned: parent ``i`` deals clauses starting at
    child ``i mod alpha``, so different parents pair different clauses)."""
    if split == "clause":
        W = np.ones((n, m))
        A = split_clause(W, clauses, alpha)
        A = (A + np.arange(n)[:, None]) % alpha
    else:
        A = split_random(n, m, alpha, np.random.default_rng(seed))
    return Code(masks_from_assignment(A, alpha).astype(np.int8), mode="support")


def _pruned_union(code: Code, n_drop: int, family, K, width):
    """Union of the representable sets over every way of removing ``n_drop`` entries of the code's support."""
    from ..solvers import representable_set

    support = np.argwhere(code.S_in != 0)
    mask = np.zeros(len(family), dtype=bool)
    n_codes = 0
    for drop in combinations(range(len(support)), n_drop):
        S = code.S_in.copy()
        for j in drop:
            S[tuple(support[j])] = 0
        rs = representable_set(Code(S, mode="support"), family, d_hidden=width, weight_bound=K, method="enumerate")
        mask |= rs.mask
        n_codes += 1
    return mask, n_codes


def run_exact(config: ExactConfig = ExactConfig(), progress: bool = True):
    """Rows (one per DNF seed, setting and class) and a dict of witnesses/certificates for the JSON output."""
    import pandas as pd
    from tqdm.auto import tqdm

    from ..features import all_functions, formulas
    from ..solvers import Problem, Status, capacity, representable, representable_set
    from ..tasks import dnf_task

    rows, evidence = [], []
    K = config.weight_bound
    jobs = [(s, n, a) for s in range(config.dnf_seeds) for n, a in config.settings]
    everything = None
    for s, n, a in tqdm(jobs, desc="fpe exact", disable=not progress, leave=False):
        task = dnf_task(config.inputs, 1, config.n_clauses, config.width, seed=1000 * config.seed + s)
        dnf = task.features.names[0]
        clauses = parse_clauses(dnf, config.inputs)
        texts = [c.strip() for c in dnf.split("|")]
        family = formulas(task.domain, [t[1:-1] if t.startswith("(") else t for t in texts]) + task.features
        if everything is None:
            everything = all_functions(task.domain)
        m = config.inputs
        classes = [("dense n", n, None), ("fpe clause", a * n, fpe_code(n, m, a, "clause", clauses)),
                   ("fpe random", a * n, fpe_code(n, m, a, "random", seed=s)), ("dense alpha n", a * n, None)]
        for name, width, code in classes:
            t0 = time.perf_counter()
            cap = capacity(family, width, weight_bound=K, code=code, method="enumerate", time_limit=config.time_limit)
            prob = Problem(task.features, width, "relu", K, False, code, config.seed)
            first = representable(prob, "enumerate", time_limit=config.time_limit)
            second = representable(prob, config.second_method, time_limit=config.time_limit)
            # listing every function of a dense width >= 4 layer takes minutes: skipped (reported as missing)
            rs = representable_set(code, everything, d_hidden=width, weight_bound=K, method="enumerate") \
                if code is not None or width <= config.max_dense_listing else None
            row = {"dnf_seed": s, "dnf": dnf, "n": n, "alpha": a, "class": name, "width": width,
                   "w_in_nonzero": int(n * m if code is None and name == "dense n" else
                                       (width * m if code is None else np.count_nonzero(code.S_in))),
                   "P_one_readout": int((n * m if name == "dense n" else width * m if code is None else
                                         np.count_nonzero(code.S_in)) + width),
                   "capacity": cap.size, "family_size": len(family), "capacity_proven": cap.proven,
                   "capacity_proof": cap.proof, "dnf_status": str(first.status),
                   "dnf_evidence": _evidence(first), "dnf_second": f"{second.method}: {second.status}",
                   "methods_agree": methods_agree(first.status, second.status),
                   "rep_count": np.nan if rs is None else rs.count, "rep_complete": rs is not None, "seconds": time.perf_counter() - t0}
            rows.append(row)
            evidence.append({"row": {k: v for k, v in row.items()}, "capacity": cap.to_dict(),
                             "dnf_first": first.to_dict(), "dnf_second": second.to_dict()})
            if name == "fpe clause":
                t0 = time.perf_counter()
                mask, n_codes = _pruned_union(code, (a - 1) * n, everything, K, width)
                rows.append({**{k: row[k] for k in ("dnf_seed", "dnf", "n", "alpha", "width")},
                             "class": "fpe pruned (any)", "w_in_nonzero": n * m - (a - 1) * n,
                             "P_one_readout": n * m - (a - 1) * n + width, "capacity": np.nan,
                             "family_size": len(family), "capacity_proven": False,
                             "capacity_proof": f"union over {n_codes} pruned codes",
                             "dnf_status": "REPRESENTABLE" if mask[_index(task, everything)]
                             else "NOT_REPRESENTABLE", "dnf_evidence": "enumeration of every pruned code",
                             "dnf_second": "", "methods_agree": True, "rep_count": int(mask.sum()),
                             "rep_complete": True, "seconds": time.perf_counter() - t0})
    return pd.DataFrame(rows), evidence


def methods_agree(first, second) -> bool:
    """Two methods agree only when both answered and gave the same status: an UNKNOWN is no evidence
    either way, so it never counts as agreement (the row shows it in ``dnf_status``/``dnf_second``)."""
    from ..solvers import Status

    return first == second and first is not Status.UNKNOWN


def _index(task, everything) -> int:
    """Where ``all_functions`` lists the task's DNF (matched by truth table)."""
    return int(np.flatnonzero((everything.tables == task.features.tables[0]).all(axis=1))[0])


def _evidence(res) -> str:
    if res.witness is not None:
        return f"witness ({res.method}, verified on all points)"
    if res.certificate is not None:
        return f"certificate {res.certificate.kind} ({res.method})"
    return "none (UNKNOWN)"
