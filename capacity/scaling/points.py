"""Sweep points: one unit of work each, and the default point function that computes them.

A :class:`Point` names a feature set (a family instance on a domain) and what to compute for it:

* ``min_width``: the exact minimum width ``n*`` (front door :func:`capacity.solvers.front.min_width`),
  with its witness and the certificate for width ``n* - 1``;
* ``capacity``: the exact capacity at width ``n`` (front door :func:`capacity.solvers.front.capacity`):
  the largest subset of the family one hidden layer of width ``n`` computes;
* ``construction``: a hand-built network (:mod:`capacity.scaling.constructions`) at every width up to a cap,
  over construction seeds: which features it computes (exactly) and its smallest all-computing width;
* ``trained``: gradient-trained networks of width ``n`` (:func:`capacity.train.train`) over training seeds:
  the features each computes with exact error rate ``<= tolerance``, and exactly;
* ``trained_width``: a width of ``TRAINED_LADDER`` at which some training seed computes every feature
  exactly and whose ladder predecessor fails, for real-weight networks and for the same networks projected
  to the exact class (:func:`capacity.train.project_to_integers`), found by a walk on the ladder;
* ``count``: the exact number of functions one readout of a width-``n`` network computes on the full cube
  of ``k = m`` inputs (front door :func:`capacity.enumeration.count`).

:func:`run_point` is the default point function; the sweep takes any function with the same signature
(``Point -> dict``), so a test or a new solver plugs in without touching the sweep. A result dict may carry
``"_blobs": {name: bytes}`` (certificate files), which the sweep stores beside the row in the cache.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import combinations, permutations

import numpy as np

from ..domain import Domain
from ..errors import SpecError
from ..features import FeatureSet, k_ands, random_dnf

__all__ = ["Point", "KINDS", "FAMILIES", "family_features", "graph_classes", "run_point"]

KINDS = ("min_width", "capacity", "construction", "trained", "trained_width", "count")
#: bumped whenever what a point computes changes, so cached results of older code are not reused (the cache
#: key also holds a hash of the source the point's kind runs, see ``capacity.scaling.cache.source_hash``)
POINT_SCHEMA = 3
#: pairs: m' random pairwise ANDs; uand: all C(m,2) pairwise ANDs; dnf: m' random DNFs;
#: graphs: every set of m' pairwise ANDs up to relabelling the inputs (one instance per isomorphism class)
FAMILIES = ("pairs", "uand", "dnf", "graphs")
#: geometric width ladder (ratio about sqrt 2) of the smallest-trained-width search
TRAINED_LADDER = (1, 2, 3, 4, 6, 8, 11, 16, 23, 32, 45, 64, 90, 128, 181, 256, 362, 512, 724, 1024)


def _freeze(d: dict) -> tuple:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in d.items()))


@dataclass(frozen=True)
class Point:
    """One sweep point. ``instance`` is the seed of a random family (``pairs``, ``dnf``), the class index of
    ``graphs`` and 0 for ``uand``; ``width`` is the hidden width for ``capacity`` and ``trained`` points
    (None otherwise); ``options`` are the kind's settings as sorted ``(name, value)`` pairs."""

    kind: str
    family: str
    m: int
    sparsity: int | None
    n_features: int
    instance: int
    width: int | None = None
    family_options: tuple = ()
    options: tuple = field(default=())

    @property
    def opts(self) -> dict:
        return dict(self.options)

    @property
    def fopts(self) -> dict:
        return dict(self.family_options)

    def features(self) -> FeatureSet:
        return family_features(
            self.family, self.m, self.sparsity, self.n_features, self.instance, **self.fopts
        )

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "family": self.family,
            "m": self.m,
            "sparsity": self.sparsity,
            "n_features": self.n_features,
            "instance": self.instance,
            "width": self.width,
            "family_options": {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.family_options},
            "options": {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.options},
        }

    @classmethod
    def from_dict(cls, d: dict) -> Point:
        return cls(
            d["kind"],
            d["family"],
            d["m"],
            d["sparsity"],
            d["n_features"],
            d["instance"],
            d.get("width"),
            _freeze(d.get("family_options", {})),
            _freeze(d.get("options", {})),
        )

    def label(self) -> str:
        w = "" if self.width is None else f" n={self.width}"
        return f"{self.kind} {self.family} m={self.m} m'={self.n_features} #{self.instance}{w}"


# ---------------------------------------------------------------------------------------------
# families


@lru_cache(maxsize=64)
def graph_classes(m: int, k: int) -> tuple:
    """Every set of ``k`` input pairs on ``m`` inputs up to relabelling the inputs (graphs with ``k`` edges on
    ``m`` vertices up to isomorphism): one representative each, the lexicographically smallest of its class,
    in increasing order. Brute force over ``m!`` relabellings (``m <= 6``)."""
    if m > 6:
        raise SpecError(f"the graphs family enumerates isomorphism classes by brute force; m <= 6, got {m}")
    edges = list(combinations(range(m), 2))
    if not 1 <= k <= len(edges):
        raise SpecError(f"graphs family needs 1 <= m' <= C(m,2) = {len(edges)}, got {k}")
    perms = list(permutations(range(m)))
    seen, reps = set(), []
    for es in combinations(edges, k):
        if es in seen:
            continue
        orbit = set()
        for p in perms:
            orbit.add(tuple(sorted(tuple(sorted((p[a], p[b]))) for a, b in es)))
        seen |= orbit
        reps.append(min(orbit))
    return tuple(sorted(reps))


def family_features(
    family: str, m: int, sparsity: int | None, n_features: int, instance: int, **fopts
) -> FeatureSet:
    """The feature set of one family instance (see ``FAMILIES``)."""
    domain = Domain(m, sparsity)
    if family == "pairs":
        return k_ands(domain, 2, n_features, seed=instance)
    if family == "uand":
        return k_ands(domain, 2)
    if family == "graphs":
        from .constructions import pair_features

        return pair_features(domain, graph_classes(m, n_features)[instance])
    if family == "dnf":
        return random_dnf(
            domain,
            int(fopts.get("clauses", 2)),
            int(fopts.get("width", 2)),
            n_features,
            negations=float(fopts.get("negations", 0.0)),
            seed=instance,
        )
    raise SpecError(f"unknown family {family!r}; known: {', '.join(FAMILIES)}")


# ---------------------------------------------------------------------------------------------
# the default point function


def _cpu() -> float:
    """CPU seconds of this process (every thread) and of its finished children."""
    import resource

    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + ch.ru_utime + ch.ru_stime


def run_point(point: Point) -> dict:
    """Compute one point (dispatch on ``point.kind``); returns a JSON-friendly dict with the point's own
    ``wall_seconds`` and ``cpu_seconds`` (the worker's CPU time, which on a loaded machine estimates the
    idle time of the point far better than its wall time)."""
    t0, c0 = time.perf_counter(), _cpu()
    if point.kind == "min_width":
        out = _min_width(point)
    elif point.kind == "capacity":
        out = _capacity(point)
    elif point.kind == "construction":
        out = _construction(point)
    elif point.kind == "trained":
        out = _trained(point)
    elif point.kind == "trained_width":
        out = _trained(point, _trained_width)
    elif point.kind == "count":
        out = _count(point)
    else:
        raise SpecError(f"unknown point kind {point.kind!r}; known: {', '.join(KINDS)}")
    out.setdefault("seconds", time.perf_counter() - t0)
    out["wall_seconds"] = time.perf_counter() - t0
    out["cpu_seconds"] = _cpu() - c0
    return out


def _exact_kwargs(o: dict) -> dict:
    return {
        "activation": o.get("activation", "relu"),
        "weight_bound": o.get("weight_bound", 1),
        "nonnegative": bool(o.get("nonnegative", False)),
        "method": o.get("method", "auto"),
        "time_limit": o.get("time_limit"),
    }


def _net_dict(net):
    return None if net is None else net.to_dict()


def _min_width(point: Point) -> dict:
    from ..solvers import min_width

    fs = point.features()
    o = point.opts
    r = min_width(fs, **_exact_kwargs(o), max_width=o.get("max_width"), seed=o.get("solver_seed", 0))
    cert = r.certificate
    kind = getattr(r, "certificate_kind", None if cert is None else cert.kind)
    out = {
        "status": str(r.status),
        "min_width": r.min_width,
        "lower": r.lower,
        "upper": r.upper,
        "proven": bool(r.proven),
        "method": str(r.method),
        "seconds": float(r.seconds),
        "certificate_kind": kind,
        "certificate_checked": None if cert is None else bool(cert.checked),
        "certificate_detail": None if cert is None else str(cert.detail),
        "witness": _net_dict(r.witness),
        "witness_parameter_size": None if r.witness is None else r.witness.parameter_size,
    }
    blobs = certificate_blobs(cert)
    if not blobs and o.get("certificate_files") and r.min_width is not None and r.min_width > 1:
        blobs, how = drup_files(fs, r.min_width - 1, o)
        out["certificate_files"] = how
    elif blobs:
        out["certificate_files"] = "from the front door's certificate"
    if blobs:
        out["_blobs"] = blobs
    return out


def drup_files(features: FeatureSet, width: int, o: dict) -> tuple[dict, str]:
    """A DRUP refutation of width ``width`` for the shipped tables: the CNF of
    :func:`capacity.solvers.sat.encode` (symmetry breaking on) and CaDiCaL's proof, as bytes. The proof is
    not checked here; ``proofs/check_table_certificates.py`` checks it with :func:`capacity.drup.check_drup`
    and re-encodes the problem to check the CNF is the claimed one."""
    import tempfile
    from pathlib import Path

    from pysat.solvers import Solver

    from ..drup import write_dimacs, write_proof
    from ..solvers.problem import Problem
    from ..solvers.sat import encode

    problem = Problem(
        features,
        width,
        o.get("activation", "relu"),
        o.get("weight_bound", 1),
        bool(o.get("nonnegative", False)),
    )
    clauses, _, info = encode(problem, True)
    limit = o.get("time_limit")
    t0 = time.perf_counter()
    with Solver(name="cadical153", with_proof=True, bootstrap_with=clauses) as s:
        sat = None
        while sat is None:
            if limit is not None and time.perf_counter() - t0 > float(limit):
                return {}, "timeout"
            s.conf_budget(5000)
            sat = s.solve_limited()
        if sat:
            raise RuntimeError(f"width {width} is satisfiable although the front door proved it too narrow")
        proof = s.get_proof() or []
    with tempfile.TemporaryDirectory() as tmp:
        cnf_p, prf_p = Path(tmp) / "lower.cnf", Path(tmp) / "lower.drup"
        write_dimacs(cnf_p, clauses, info["variables"])
        write_proof(prf_p, proof)
        return {
            "cnf": cnf_p.read_bytes(),
            "proof": prf_p.read_bytes(),
        }, "sat.encode + cadical153 (unchecked here)"


def _capacity(point: Point) -> dict:
    from ..solvers import capacity

    fs = point.features()
    o = point.opts
    r = capacity(fs, point.width, **_exact_kwargs(o), seed=o.get("solver_seed", 0))
    chosen = [int(i) for i in r.chosen]
    return {
        "size": int(r.size),
        "upper": None if r.upper is None else int(r.upper),
        "proven": bool(r.proven),
        "chosen": chosen,
        "seconds": float(r.seconds),
        "witness": _net_dict(r.witness),
        "witness_parameter_size": None if r.witness is None else r.witness.parameter_size,
    }


def certificate_blobs(cert) -> dict:
    """The files behind a certificate, as bytes: ``cnf`` (DIMACS) and ``proof`` (DRUP lines) for a DRUP
    certificate, taken from ``cert.data`` (a dict with ``cnf``/``clauses`` and ``proof``, or a
    ``(cnf, proof)`` pair) or from ``cert.path`` (a proof file, with ``<stem>.cnf`` beside it)."""
    if cert is None:
        return {}
    from pathlib import Path

    blobs = {}
    data = cert.data
    cnf = proof = None
    if isinstance(data, dict):
        cnf = data.get("cnf", data.get("clauses"))
        proof = data.get("proof", data.get("proof_lines"))
    elif isinstance(data, (tuple, list)) and len(data) == 2:
        cnf, proof = data
    if cnf is not None:
        clauses = getattr(cnf, "clauses", cnf)
        if isinstance(clauses, (str, bytes)):
            blobs["cnf"] = clauses if isinstance(clauses, bytes) else clauses.encode()
        else:
            nv = max((abs(int(lit)) for c in clauses for lit in c), default=0)
            lines = [f"p cnf {nv} {len(clauses)}"] + [
                " ".join(str(int(lit)) for lit in c) + " 0" for c in clauses
            ]
            blobs["cnf"] = ("\n".join(lines) + "\n").encode()
    if proof is not None:
        if isinstance(proof, (str, bytes)):
            blobs["proof"] = proof if isinstance(proof, bytes) else proof.encode()
        else:
            blobs["proof"] = (
                "\n".join(
                    p.decode()
                    if isinstance(p, bytes)
                    else (p if isinstance(p, str) else " ".join(map(str, p)) + " 0")
                    for p in proof
                )
                + "\n"
            ).encode()
    if cert.path and "proof" not in blobs:
        p = Path(cert.path)
        if p.is_file():
            blobs["proof"] = p.read_bytes()
            for cand in (p.with_suffix(".cnf"), p.parent / (p.stem.split(".")[0] + ".cnf")):
                if "cnf" not in blobs and cand.is_file():
                    blobs["cnf"] = cand.read_bytes()
    return blobs


def _construction(point: Point) -> dict:
    from .constructions import construction_min_width, pairs_of

    fs = point.features()
    o = point.opts
    name = o["construction"]
    pairs = pairs_of(fs)
    grid = {k[5:]: v for k, v in o.items() if k.startswith("grid_")}
    max_width = int(o.get("max_width", len(pairs)))
    per_seed = []
    for seed in range(int(o.get("seeds", 1))):
        count = o.get("count_widths")
        best, log = construction_min_width(
            name,
            fs.domain,
            pairs,
            max_width=max_width,
            seed=seed,
            grid=grid,
            count_widths=None if count is None else set(count),
            search=o.get("search", "scan"),
        )
        per_seed.append(
            {
                "seed": seed,
                "min_width": None if best is None else best.d_hidden,
                "parameter_size": None if best is None else best.parameter_size,
                "params": None if best is None else best.params,
                "computed_by_width": [e["n_computed"] for e in log],
            }
        )
        if name == "dedicated":
            break
    return {"construction": name, "max_width": max_width, "per_seed": per_seed}


def _trained(point: Point, fn=None) -> dict:
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the sweep parallelises over points
    try:
        return (fn or _train_point)(point)
    finally:
        torch.set_num_threads(threads)


def _trained_width(point: Point) -> dict:
    """A ladder search for two criteria at once (real weights; projected to ``[-K, K]``): the reported width
    is a ladder width where some seed computes every feature exactly and whose ladder predecessor was tried
    and failed (or the ladder's first width). The search starts at the first ladder width ``>= sqrt(m')``
    (near the answer on every shipped set, so it never trains far wider networks than needed), climbs one
    rung at a time until a width succeeds, then descends one rung at a time while widths succeed. Training
    need not be monotone in the width; the reported width is a success above a failure either way."""
    from ..tasks import Task
    from ..train import TrainConfig, project_to_integers, train

    o = point.opts
    fs = point.features()
    task = Task("kand", fs.domain, fs, {"family": point.family, "instance": point.instance}, point.instance)
    K = int(o.get("weight_bound", 1))
    ladder = [w for w in TRAINED_LADDER if w <= int(o["max_width"])]
    seeds = tuple(range(int(o.get("seeds", 2))))
    tried: dict = {}

    def probe(i):
        if i not in tried:
            cfg = TrainConfig(hidden=(ladder[i],), lr=float(o.get("lr", 0.02)), steps=int(o.get("steps", 1500)),
                              seed=int(o.get("train_seed", 0)), balance=True)
            res = train([task], cfg, seeds=seeds, progress=False)
            real = [int(c.sum()) for c in res.computed]
            proj = [int(project_to_integers(net, fs, K)[1].sum()) for net in res.networks]
            tried[i] = {"width": ladder[i], "real": real, "projected": proj}
        return tried[i]

    F = len(fs)
    start = next((i for i, w in enumerate(ladder) if w * w >= F), len(ladder) - 1)
    out = {"status": "DONE", "ladder": ladder, "weight_bound": K, "search": "sqrt-start ladder walk"}
    for crit in ("real", "projected"):
        ok = lambda i, c=crit: max(probe(i)[c]) == F  # noqa: E731
        # resume from what the other criterion tried: the lowest known success, else climb from the start
        hi = next((i for i in sorted(tried) if ok(i)), None)
        if hi is None:
            hi = next((i for i in range(start, len(ladder)) if ok(i)), None)
        if hi is None:
            out[f"{crit}_width"], out[f"{crit}_failed_below"] = None, ladder[-1]
            continue
        while hi > 0 and ok(hi - 1):
            hi -= 1
        out[f"{crit}_width"] = ladder[hi]
        out[f"{crit}_failed_below"] = None if hi == 0 else ladder[hi - 1]
    out["tried"] = [tried[i] for i in sorted(tried)]
    return out


def _count(point: Point) -> dict:
    from ..domain import Domain
    from ..enumeration import count

    from ..errors import CapacityError

    o = point.opts
    try:
        r = count(Domain(point.m), int(point.width), o["activation"], o["weight_bound"])
    except CapacityError as exc:  # the front door refuses work it predicts to be too large
        return {"status": "REFUSED", "count": None, "reason": str(exc)}
    return {"status": "DONE", "count": int(r.count), "weight_bound_used": r.weight_bound_used,
            "method": str(r.method), "seconds": float(r.seconds)}


def _train_point(point: Point) -> dict:
    from ..tasks import Task
    from ..train import TrainConfig, train

    o = point.opts
    insts = tuple(o.get("instances", (point.instance,)))
    tasks = []
    for inst in insts:
        fs = family_features(point.family, point.m, point.sparsity, point.n_features, inst, **point.fopts)
        tasks.append(
            Task(
                "dnf" if point.family == "dnf" else "kand",
                fs.domain,
                fs,
                {"family": point.family, "instance": inst},
                inst,
            )
        )
    cfg = TrainConfig(
        hidden=(int(point.width),),
        loss=o.get("loss", "bce"),
        lr=float(o.get("lr", 0.02)),
        steps=int(o.get("steps", 1500)),
        seed=int(o.get("train_seed", 0)),
    )
    seeds = tuple(range(int(o.get("seeds", 3))))
    res = train(tasks, cfg, seeds=seeds, progress=False)
    tol = float(o["tolerance"])
    err = np.asarray(res.error_rates, dtype=float)
    comp = np.asarray(res.computed)
    per = []
    for t, inst in enumerate(insts):
        rows = [i for i, (ti, _) in enumerate(res.instances) if ti == t]
        per.append(
            {
                "instance": inst,
                "seeds": [int(res.instances[i][1]) for i in rows],
                "n_within_tolerance": [int((err[i] <= tol + 1e-12).sum()) for i in rows],
                "n_exact": [int(comp[i].sum()) for i in rows],
                "max_error": [round(float(err[i].max()), 9) for i in rows],
                "parameter_size": [int(res.networks[i].parameter_size) for i in rows],
            }
        )
    return {"status": "DONE", "tolerance": tol, "per_instance": per, "seconds": float(res.seconds)}
