"""The static analysis: codes, minimal activating sets, channels, formulas, proofs, interference, errors.

See the package docstring (:mod:`capacity.interpret`) for the definitions (ours where the paper's are unknown)
and for why the extracted formulas are exact.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from fractions import Fraction

import numpy as np

from ..codes import Code, cat_tau
from ..domain import MAX_DOMAIN_SIZE, Domain
from ..errors import CapacityError, ModelError
from ..network import Network
from . import _exact
from ._search import (
    EXCITATORY,
    INHIBITORY,
    MIXED,
    SILENT,
    Budget,
    BudgetExceeded,
    NetTarget,
    ThresholdTarget,
    alternating_terms,
    minimal_sets,
)
from .formula import Formula, Term

__all__ = [
    "METHODS",
    "InterpretConfig",
    "Interpretation",
    "extract_formula",
    "interpret",
    "minimal_activating_sets",
    "prove_formula",
    "stability_interval",
]

METHODS = ("auto", "enumerate", "sat", "both")
#: capacity.domain.Domain indexes points by 64-bit integer codes, so enumeration needs at most this many inputs.
_MAX_ENUM_INPUTS = 62
_ROLE_NAMES = {EXCITATORY: "excitatory", INHIBITORY: "inhibitory", MIXED: "mixed", SILENT: "silent"}


@dataclass(frozen=True)
class InterpretConfig:
    """How to interpret. Every default is ours.

    Args:
        tau: the categorisation threshold of the reported code and channels (``cat_tau``, absolute).
        taus: the tau sweep (``None``: 0, the chosen tau and 5%, 10%, 20%, 30%, 50% of the largest weight).
        method: how formulas are proven: ``"enumerate"`` (every point of the domain), ``"sat"`` (python-sat
            equivalence check with a DRUP proof; one hidden layer), ``"both"`` (both, and they must agree) or
            ``"auto"`` (enumeration when the domain has at most ``enumeration_limit`` points, else SAT).
        enumeration_limit: largest domain that is enumerated.
        max_evaluations: budget of exact point evaluations per extracted formula (past it: extraction fails,
            and the report says so).
        max_terms: budget of terms per extracted formula.
        time_limit: seconds per SAT proof (``None``: no limit). A stopped proof is reported as not proven.
        check_proof: replay the SAT solver's DRUP proof with :func:`capacity.drup.check_drup`.
        max_listed: error points listed (with attributions) per output; counts are always exact.
        crosscheck: also ask the exact solvers whether the network's code represents what it computes.
        seed: recorded for reproducibility (nothing here is random).
    """

    tau: float = 0.0
    taus: tuple | None = None
    method: str = "auto"
    enumeration_limit: int = 1 << 20
    max_evaluations: int = 2_000_000
    max_terms: int = 5_000
    time_limit: float | None = None
    check_proof: bool = True
    max_listed: int = 200
    crosscheck: bool = False
    seed: int = 0

    def __post_init__(self):
        for name in ("tau",):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)) or not np.isfinite(v) \
                    or v < 0:
                raise CapacityError(f"tau must be a finite number >= 0, got {v!r}")
            object.__setattr__(self, name, float(v))
        if self.taus is not None:
            try:
                taus = tuple(float(t) for t in self.taus)
            except (TypeError, ValueError):
                raise CapacityError(f"taus must be numbers, got {self.taus!r}") from None
            if not taus or any(not np.isfinite(t) or t < 0 for t in taus):
                raise CapacityError(f"taus must be finite numbers >= 0, got {self.taus!r}")
            object.__setattr__(self, "taus", taus)
        if self.method not in METHODS:
            raise CapacityError(f"method must be one of {', '.join(METHODS)}, got {self.method!r}")
        for name in ("enumeration_limit", "max_evaluations", "max_terms", "max_listed"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise CapacityError(f"{name} must be a positive integer, got {v!r}")
        if self.time_limit is not None and (not np.isfinite(self.time_limit) or self.time_limit <= 0):
            raise CapacityError(f"time_limit must be a positive number, got {self.time_limit!r}")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["taus"] = None if self.taus is None else list(self.taus)
        return d


# ---------------------------------------------------------------------------------------------
# small helpers

def _pt(S) -> list[int]:
    return sorted(int(i) for i in S)


def _pt_text(S, names=None) -> str:
    S = _pt(S)
    if not S:
        return "{}"
    return "{" + ",".join((names[i] if names else f"x{i}") for i in S) + "}"


def _points(sets, m) -> np.ndarray:
    X = np.zeros((len(sets), m), dtype=np.int8)
    for r, S in enumerate(sets):
        if len(S):
            X[r, list(S)] = 1
    return X


def _domain_size(m: int, s: int) -> int:
    return sum(math.comb(m, t) for t in range(s + 1))


def stability_interval(values, tau: float) -> tuple[float, float]:
    """The interval ``[lo, hi)`` of thresholds around ``tau`` on which ``[tau < v]`` is the same for every ``v`` in
    ``values`` (the categories ``cat_tau`` of weights ``w`` with ``|w| = v`` change exactly at ``tau = v``)."""
    vals = np.asarray([float(v) for v in values if v > 0], dtype=np.float64)
    lo = float(vals[vals <= tau].max(initial=0.0))
    above = vals[vals > tau]
    hi = float(above.min()) if above.size else math.inf
    return lo, hi


def _depth(network) -> int:
    return len(network.layers) - 1


# ---------------------------------------------------------------------------------------------
# public building blocks

def minimal_activating_sets(network: Network, layer: int, unit: int, sparsity: int | None = None, *,
                            max_evaluations: int = 2_000_000) -> list[tuple]:
    """The minimal (under inclusion) sets of inputs whose point activates the unit, exactly, among the inputs
    with at most ``sparsity`` ones: ``z > 0`` for relu units, ``z >= 0`` for step units (``layer ==`` depth: the
    readout, ``y >= 0``). A minimal activating set only holds excitatory or mixed inputs (dropping an inhibitory
    input never switches a unit off), so the search runs over those, with exact evaluation at each set."""
    m = network.d_in
    s = m if sparsity is None else int(sparsity)
    t = NetTarget(network, layer, unit)
    roles = t.roles()
    pool = [j for j in range(m) if roles[j] in (EXCITATORY, MIXED)]
    return minimal_sets(t, (), pool, True, s, Budget(max_evaluations, 1))


def _formula_from_target(target, m, s, budget) -> Formula:
    terms = alternating_terms(target, s, budget)
    return Formula(m, tuple(Term(P, J) for P, J in terms.items()), s if s < m else None).simplified()


def extract_formula(network: Network, output: int, sparsity: int | None = None, *, layer: int | None = None,
                    max_evaluations: int = 2_000_000, max_terms: int = 5_000) -> Formula:
    """The threshold reading of an output (or, with ``layer``, of a hidden unit) as a :class:`Formula`.

    Raises :class:`~capacity.interpret._search.BudgetExceeded` when the search needs more than its budget."""
    m = network.d_in
    s = m if sparsity is None else int(sparsity)
    layer = _depth(network) if layer is None else int(layer)
    return _formula_from_target(NetTarget(network, layer, output), m, s, Budget(max_evaluations, max_terms))


def prove_formula(network: Network, output: int, formula: Formula, sparsity: int | None = None, *,
                  method: str = "enumerate", layer: int | None = None, time_limit: float | None = None,
                  check_proof: bool = True, max_counterexamples: int = 20) -> dict:
    """Prove (or refute) that ``formula`` equals what the network computes at ``output`` on every input with at
    most ``sparsity`` ones. ``method="enumerate"`` evaluates both on every point (exact); ``method="sat"`` runs
    the SAT equivalence check (one hidden layer). Returns a dict with ``status`` ("proven", "refuted",
    "unknown"), ``points`` (the domain size), ``counterexamples`` and the certificate."""
    from ._sat import sat_equivalence

    m = network.d_in
    s = m if sparsity is None else int(sparsity)
    layer = _depth(network) if layer is None else int(layer)
    N = _domain_size(m, s)
    t0 = time.perf_counter()
    if method == "enumerate":
        if m > _MAX_ENUM_INPUTS:
            raise CapacityError(f"enumeration needs at most {_MAX_ENUM_INPUTS} inputs, the network has {m}; use 'sat'")
        dom = Domain(m, None if s >= m else s)
        net_vals = _exact.fires(network, dom.points, layer, output)
        f_vals = formula.evaluate(dom.points)
        bad = np.flatnonzero(net_vals != f_vals)
        cex = [_pt(np.flatnonzero(dom.points[j])) for j in bad[:max_counterexamples]]
        return {"method": "enumeration", "status": "proven" if bad.size == 0 else "refuted", "points": N,
                "disagreements": int(bad.size), "counterexamples": cex,
                "certificate": {"kind": "enumeration", "checked": True,
                                "detail": f"formula and network evaluated exactly on all {N} points"},
                "seconds": round(time.perf_counter() - t0, 6)}
    if method == "sat":
        try:
            r = sat_equivalence(network, layer, output, formula, m, s, time_limit=time_limit, check_proof=check_proof)
        except CapacityError as exc:
            return {"method": "sat", "status": "unknown", "points": N, "reason": str(exc), "counterexamples": [],
                    "certificate": None, "seconds": round(time.perf_counter() - t0, 6)}
        cex = [] if r["counterexample"] is None else [r["counterexample"]]
        out = {"method": "sat", "status": r["status"], "points": N, "counterexamples": cex,
               "certificate": r["certificate"], "clauses": r["clauses"], "sat_calls": r["sat_calls"],
               "steps": r["steps"], "seconds": round(r["seconds"], 6)}
        if "reason" in r:
            out["reason"] = r["reason"]
        return out
    raise CapacityError(f"proof method must be 'enumerate' or 'sat', got {method!r}")


# ---------------------------------------------------------------------------------------------
# the result

@dataclass(frozen=True, eq=False)
class Interpretation:
    """Everything :func:`interpret` found; ``to_dict()`` is the JSON report, ``to_markdown()`` the text one."""

    network: Network
    m: int
    sparsity: int | None
    domain_size: int
    enumerable: bool
    config: InterpretConfig
    names: tuple
    code: dict
    units: list
    outputs: list
    degrees: dict
    overlaps: list
    collisions: list
    tau_sweep: list
    cascade: dict | None
    crosscheck: dict | None
    seconds: float
    notes: tuple = field(default=())

    @property
    def proven(self) -> list[bool]:
        """Per output: the extracted formula was proven equal to the network on every point."""
        return [o["proven"] for o in self.outputs]

    @property
    def formulas(self) -> list:
        return [o["formula"] for o in self.outputs]

    def channels(self) -> list[list[int]]:
        return [o["channel"] for o in self.outputs]

    def to_frame(self):
        """One row per output. Columns: ``output`` (name), ``formula`` (text, None when none was found),
        ``proven`` (equal to the network on every point), ``channel`` (hidden units), ``predicted_errors`` and
        ``actual_errors`` (against ``--features`` targets; None without targets)."""
        import pandas as pd

        rows = []
        for o in self.outputs:
            e = o.get("errors") or {}
            rows.append({"output": o["name"], "formula": None if o["formula"] is None else o["formula"].text(),
                         "proven": bool(o["proven"]), "channel": list(o["channel"]),
                         "predicted_errors": e.get("predicted_count"), "actual_errors": e.get("actual_count")})
        return pd.DataFrame(rows, columns=["output", "formula", "proven", "channel", "predicted_errors",
                                           "actual_errors"])

    def to_dict(self) -> dict:
        net = self.network
        outs = []
        for o in self.outputs:
            d = {k: v for k, v in o.items() if k not in ("formula",)}
            d["formula"] = o["formula"].to_dict() if o["formula"] is not None else None
            outs.append(d)
        return {
            "model": {"d_in": net.d_in, "widths": list(net.widths), "n_features": net.n_features,
                      "activation": net.activation, "parameter_size": net.parameter_size,
                      "integer_weights": bool(net.is_integer)},
            "domain": {"inputs": self.m, "sparsity": self.sparsity, "size": self.domain_size,
                       "enumerable": self.enumerable},
            "config": self.config.to_dict(),
            "code": self.code,
            "units": self.units,
            "outputs": outs,
            "degrees": self.degrees,
            "overlaps": self.overlaps,
            "collisions": self.collisions,
            "tau_sweep": self.tau_sweep,
            "cascade": self.cascade,
            "crosscheck": self.crosscheck,
            "summary": self.summary(),
            "notes": list(self.notes),
            "seconds": round(self.seconds, 6),
        }

    def summary(self) -> dict:
        F = len(self.outputs)
        proven = sum(1 for o in self.outputs if o["proven"])
        d = {"outputs": F, "proven": proven, "domain_size": self.domain_size,
             "claim": [o["claim"] for o in self.outputs]}
        errs = [o.get("errors") for o in self.outputs]
        if any(e is not None for e in errs):
            d["errors_confirmed"] = all(e["confirmed"] for e in errs if e is not None)
            d["actual_errors"] = [None if e is None else e["actual_count"] for e in errs]
        return d

    def to_markdown(self) -> str:
        from ._report import markdown

        return markdown(self)

    def plot_code(self, path=None):
        """Draw the code matrix (see :func:`capacity.interpret.plot.plot_code`); returns PNG bytes."""
        from .plot import plot_code

        return plot_code(self, path)


# ---------------------------------------------------------------------------------------------
# the analysis

def _default_taus(network, tau):
    big = max(float(np.abs(network.W_in).max(initial=0)), float(np.abs(network.W_out).max(initial=0)))
    taus = {0.0, float(tau)} | {round(q * big, 12) for q in (0.05, 0.1, 0.2, 0.3, 0.5)}
    return tuple(sorted(taus))


def _code_section(network, tau):
    code = Code(cat_tau(network.W_in, tau), cat_tau(network.b_in, tau))  # the readout may sit on a deeper layer
    S_in, S_b, S_out = code.S_in, code.S_b_in, cat_tau(network.W_out, tau)
    m = network.d_in
    pos = {f"x{i}": sorted(code.positive_code(i)) for i in range(m)}
    neg = {f"x{i}": sorted(code.negative_code(i)) for i in range(m)}
    mags = np.concatenate([np.abs(network.W_in).ravel(), np.abs(network.b_in).ravel(),
                           np.abs(network.W_out).ravel()]).astype(np.float64)
    lo, hi = stability_interval(mags, tau)
    hi = None if math.isinf(hi) else hi  # None: unbounded (JSON has no infinity)
    return {"tau": tau, "S_in": S_in.tolist(), "S_b_in": S_b.tolist(), "S_out": S_out.tolist(),
            "positive_codes": pos, "negative_codes": neg,
            "nnz_in": int(np.count_nonzero(S_in)), "nnz_out": int(np.count_nonzero(S_out)),
            "stable_code_interval": [lo, hi]}


def _channel_members(network, out_terms, H_at, H_rest):
    """Channel membership thresholds, ``(on, off)``: ``{(f, clause): {unit: t}}`` with the unit in the channel
    at threshold ``tau`` iff ``tau < t``.

    Our reading: the (on-)channel of clause ``P`` of output ``f`` holds the last-hidden-layer units with a positive
    readout category for ``f`` that are active at ``P`` and, with one hidden layer, carry every literal of ``P`` in
    their positive code. The *off-channel* (disinhibition, ours) holds the units with a negative readout category
    whose activity at ``P`` is below their activity at rest and (one hidden layer) have a literal of ``P`` in
    their negative code: the clause fires the output by silencing them."""
    depth = _depth(network)
    on, off = {}, {}
    for f, terms in enumerate(out_terms):
        for t in terms:
            P = t.clause
            Hp = H_at[(f, P)]
            m_on, m_off = {}, {}
            for h in range(len(Hp)):
                v = float(network.W_out[f, h])
                if v > 0 and Hp[h] > 0:
                    thr = v
                    if depth == 1 and P:
                        thr = min(thr, float(network.W_in[h, list(P)].min()))
                    if thr > 0:
                        m_on[h] = thr
                elif v < 0 and Hp[h] < H_rest[h]:
                    thr = -v
                    if depth == 1:
                        negs = [-float(network.W_in[h, i]) for i in P if network.W_in[h, i] < 0]
                        thr = min(thr, max(negs)) if negs else 0.0
                    if thr > 0:
                        m_off[h] = thr
            on[(f, P)], off[(f, P)] = m_on, m_off
    return on, off


def _channels_at(members, tau, F):
    per_clause = {key: sorted(h for h, t in memb.items() if tau < t) for key, memb in members.items()}
    per_out = [sorted({h for (f, P), hs in per_clause.items() if f == fo for h in hs}) for fo in range(F)]
    return per_clause, per_out


def _attribute_inhibitors(network, f, P, J):
    """Units (last hidden layer) whose contribution to output ``f`` drops from point ``P`` to ``P + J``, exactly."""
    X = _points([P, tuple(P) + tuple(J)], network.d_in)
    vals = _exact.forward(network, X)
    Z, _ = vals[-2]
    relu = network.activation == "relu"
    H = np.maximum(Z, 0) if relu else (Z >= 0).astype(np.int64)
    out = []
    for h in range(H.shape[1]):
        v = network.W_out[f, h]
        if v == 0 or H[0, h] == H[1, h]:
            continue
        up = H[1, h] > H[0, h]
        if (v < 0 and up) or (v > 0 and not up):
            what = ("switched on" if H[0, h] == 0 else "driven harder") if up else \
                   ("switched off" if H[1, h] == 0 else "weakened")
            out.append({"unit": h, "readout": "negative" if v < 0 else "positive", "effect": what})
    return out


def _derivation_text(roles_d, n_evals, depth):
    ex = ", ".join(roles_d["excitatory"] + roles_d["mixed"]) or "none"
    inh = ", ".join(roles_d["inhibitory"] + roles_d["mixed"]) or "none"
    where = "through the readout" if depth == 1 else f"through {depth} hidden layers"
    return (f"threshold reading of the weights: clauses are the minimal sets of excitatory/mixed inputs ({ex}) whose "
            f"channel drive {where} clears the readout threshold; negations are the minimal sets of inhibitory/"
            f"mixed inputs ({inh}) that switch a clause off, with re-excitation clauses where more excitation "
            f"switches it back on. Input roles come from the signs of the weights on every path; each candidate set "
            f"was evaluated exactly ({n_evals} evaluations). Not fitted to the output table.")


def interpret(network: Network, *, sparsity: int | None = None, inputs: int | None = None, targets=None,
              config: InterpretConfig | None = None, progress: bool = False) -> Interpretation:
    """Interpret a network from its weights alone, exactly, on the inputs with at most ``sparsity`` ones.

    ``targets``: optional :class:`~capacity.features.FeatureSet` (one feature per output, in output order) to
    measure errors against: the errors predicted from the extracted formulas (and their channel collisions) are
    confirmed against the network's actual errors, as exact lists."""
    from tqdm.auto import tqdm

    t0 = time.perf_counter()
    config = InterpretConfig() if config is None else config
    if not isinstance(network, Network):
        raise ModelError(f"expected a capacity.network.Network, got {type(network).__name__} (see load_model)")
    m = network.d_in
    if inputs is not None and int(inputs) != m:
        raise CapacityError(f"the model has {m} inputs, not {inputs}")
    if sparsity is not None:
        if isinstance(sparsity, bool) or int(sparsity) != sparsity or sparsity < 0:
            raise CapacityError(f"sparsity must be an integer >= 0, got {sparsity!r}")
        if sparsity > m:
            raise CapacityError(f"sparsity {sparsity} is greater than the number of inputs {m}")
    s = m if sparsity is None else int(sparsity)
    sp = None if s >= m else s
    N = _domain_size(m, s)
    enumerable = N <= min(config.enumeration_limit, MAX_DOMAIN_SIZE) and m <= _MAX_ENUM_INPUTS
    domain = Domain(m, sp) if enumerable else None
    depth = _depth(network)
    F = network.n_features
    notes = []
    method = config.method
    if method == "auto":
        methods = ["enumerate"] if enumerable else ["sat"]
    elif method == "both":
        methods = ["enumerate", "sat"]
    else:
        methods = [method]
    if "enumerate" in methods and not enumerable:
        raise CapacityError(f"the domain ({m} inputs, {N} points) is too large to enumerate (limit "
                            f"{config.enumeration_limit} points, {_MAX_ENUM_INPUTS} inputs); use method 'sat' or 'auto'")
    if "sat" in methods and depth != 1:
        notes.append("the SAT proof encodes one hidden layer; this network is deeper, so its formulas are proven "
                     "by enumeration only" + ("" if enumerable else " (not possible here: the domain is too large)"))
        methods = [mth for mth in methods if mth != "sat"] or (["enumerate"] if enumerable else [])
    if targets is not None:
        if domain is None:
            raise CapacityError("target features need an enumerable domain (use a sparsity or fewer inputs)")
        td = targets.domain
        if td.m != m or (m if td.sparsity is None else min(td.sparsity, m)) != s:
            raise CapacityError(f"target features live on {td}, the interpretation on {domain}")
        domain = td  # the same points in the same order (a cube is a cube whatever its sparsity says)
        if len(targets) != F:
            raise CapacityError(f"{len(targets)} target features for {F} outputs (one per output, in order)")
        names = tuple(f"y{f}: {targets.names[f]}" for f in range(F))
    else:
        names = tuple(f"y{f}" for f in range(F))

    tau = config.tau
    code = _code_section(network, tau)

    # ---- hidden units: minimal activating sets (every layer), formulas of first-layer units
    units = []
    mas: dict[tuple, list] = {}
    bar = tqdm(total=sum(network.widths) + F, desc="interpret", disable=not progress, leave=False)
    for layer, width in enumerate(network.widths):
        for h in range(width):
            tgt = NetTarget(network, layer, h)
            roles = tgt.roles()
            budget = Budget(config.max_evaluations, config.max_terms)
            entry = {"layer": layer + 1, "unit": h,
                     "positive_inputs": [int(i) for i in np.flatnonzero(roles == EXCITATORY)],
                     "negative_inputs": [int(i) for i in np.flatnonzero(roles == INHIBITORY)],
                     "mixed_inputs": [int(i) for i in np.flatnonzero(roles == MIXED)]}
            try:
                pool = [j for j in range(m) if roles[j] in (EXCITATORY, MIXED)]
                sets = minimal_sets(tgt, (), pool, True, s, budget)
                mas[(layer, h)] = sets
                entry["minimal_activating_sets"] = [list(A) for A in sets]
                entry["active_at_rest"] = sets == [()]
            except BudgetExceeded as exc:
                mas[(layer, h)] = None
                entry["minimal_activating_sets"] = None
                entry["error"] = str(exc)
            if layer == 0 and mas[(layer, h)] is not None:
                try:
                    fu = _formula_from_target(tgt, m, s, Budget(config.max_evaluations, config.max_terms))
                    entry["formula"] = fu.text()
                except BudgetExceeded as exc:
                    entry["formula"] = None
                    entry["error"] = str(exc)
            units.append(entry)
            bar.update(1)

    # ---- outputs: threshold reading, proofs
    outputs = []
    out_terms = []
    for f in range(F):
        tgt = NetTarget(network, depth, f)
        roles = tgt.roles()
        roles_d = {name: [f"x{i}" for i in np.flatnonzero(roles == r)] for r, name in _ROLE_NAMES.items()}
        budget = Budget(config.max_evaluations, config.max_terms)
        entry = {"output": f, "name": names[f], "roles": roles_d}
        try:
            formula = _formula_from_target(tgt, m, s, budget)
        except BudgetExceeded as exc:
            formula = None
            entry.update({"formula": None, "derivation": f"extraction failed: {exc}", "proofs": [], "proven": False,
                          "claim": f"no formula extracted ({exc})", "terms": [], "channel": [], "off_channel": [],
                          "fcc_consistent": None})
            outputs.append(entry)
            out_terms.append([])
            bar.update(1)
            continue
        entry["formula"] = formula
        entry["derivation"] = _derivation_text(roles_d, budget.evaluations, depth)
        proofs = []
        for mth in methods:
            proofs.append(prove_formula(network, f, formula, s, method=mth, time_limit=config.time_limit,
                                        check_proof=config.check_proof))
        statuses = {p["status"] for p in proofs}
        proven = bool(proofs) and statuses == {"proven"}
        entry["proofs"] = proofs
        entry["proven"] = proven
        if proven:
            how = " and ".join(
                "enumeration" if p["method"] == "enumeration" else
                ("SAT (DRUP proof checked)" if p["certificate"] and p["certificate"].get("checked") else
                 "SAT (proof not checked)") for p in proofs)
            entry["claim"] = f"proven equal on all {N} inputs ({how})"
        elif "refuted" in statuses:
            p = next(p for p in proofs if p["status"] == "refuted")
            entry["claim"] = (f"extraction FAILED: the formula differs from the network on "
                              f"{p.get('disagreements', 'at least 1')} point(s), e.g. "
                              f"{_pt_text(p['counterexamples'][0])}")
        elif not proofs:
            entry["claim"] = "not proven (no proof method applies: the domain is too large to enumerate and the " \
                             "SAT encoding covers one hidden layer)"
        else:
            reasons = "; ".join(p.get("reason", p["status"]) for p in proofs if p["status"] != "proven")
            entry["claim"] = f"not proven ({reasons})"
        if len(statuses) > 1 and "unknown" not in statuses:
            raise RuntimeError(f"proof methods disagree on output {f}: {statuses}")  # a bug, never bad input
        outputs.append(entry)
        out_terms.append(list(formula.terms))
        bar.update(1)
    bar.close()

    # ---- channels (tau-dependent), degrees, overlaps
    last = depth - 1
    width_last = network.widths[-1]
    clause_keys = [(f, t.clause) for f, ts in enumerate(out_terms) for t in ts]
    H_at, H_rest = {}, np.zeros(width_last, dtype=np.int64)
    if clause_keys:
        X = _points([()] + [P for _, P in clause_keys], m)
        Z, _ = _exact.forward(network, X)[last]
        H = np.maximum(Z, 0) if network.activation == "relu" else (Z >= 0).astype(np.int64)
        H_rest = H[0]
        for r, key in enumerate(clause_keys):
            H_at[key] = H[r + 1]
    members, off_members = _channel_members(network, out_terms, H_at, H_rest)
    per_clause, per_out = _channels_at(members, tau, F)
    off_clause, off_out = _channels_at(off_members, tau, F)
    thresholds = [t for mm in (members, off_members) for memb in mm.values() for t in memb.values()]
    ch_lo, ch_hi = stability_interval(thresholds, tau)
    code["stable_channel_interval"] = [ch_lo, None if math.isinf(ch_hi) else ch_hi]
    degree = [0] * width_last
    feats_of = [[] for _ in range(width_last)]
    for f in range(F):
        for h in per_out[f]:
            degree[h] += 1
            feats_of[h].append(f)
    overlaps = [[len(set(per_out[f]) & set(per_out[g])) for g in range(F)] for f in range(F)]
    off_degree = [sum(1 for f in range(F) if h in off_out[f]) for h in range(width_last)]
    degrees = {"layer": depth, "degree": degree, "features": feats_of,
               "polysemantic": [h for h in range(width_last) if degree[h] >= 2], "off_degree": off_degree}
    for f, entry in enumerate(outputs):
        if entry["formula"] is None:
            continue
        entry["channel"] = per_out[f]
        entry["off_channel"] = off_out[f]
        tdetails = []
        fcc = bool(entry["formula"].terms)
        for t in entry["formula"].terms:
            P = t.clause
            chan = per_clause[(f, P)]
            ded = [h for h in chan if mas.get((last, h)) is not None and P in [tuple(A) for A in mas[(last, h)]]]
            if not ded:
                fcc = False
            inh = [{"set": list(J), "units": _attribute_inhibitors(network, f, P, J)} for J in t.negations]
            tdetails.append({"clause": list(P), "negations": [list(J) for J in t.negations], "channel": chan,
                             "dedicated": ded, "off_channel": off_clause[(f, P)], "inhibitors": inh})
        entry["terms"] = tdetails
        entry["fcc_consistent"] = fcc

    # ---- collisions: shared units and the outputs their activating sets belong to
    collisions = []
    for h in degrees["polysemantic"]:
        sets = mas.get((last, h)) or []
        rows = []
        for A in sets:
            belongs = [f for f in feats_of[h]
                       if any(set(A) <= set(P) and h in per_clause[(f, P)] for (g, P) in per_clause if g == f)]
            interferes = [f for f in feats_of[h] if f not in belongs]
            rows.append({"set": list(A), "belongs_to": belongs, "interferes_with": interferes})
        collisions.append({"unit": h, "outputs": feats_of[h], "activating_sets": rows})

    # ---- errors against targets
    if targets is not None:
        net_out = network.outputs(domain)
        tgt_bits = targets.bits.T  # (N, F)
        P_ = domain.points
        for f, entry in enumerate(outputs):
            actual = np.flatnonzero(net_out[:, f] != tgt_bits[:, f])
            actual_sets = [_pt(np.flatnonzero(P_[j])) for j in actual]
            if entry["formula"] is None:
                entry["errors"] = {"predicted": None, "actual": actual_sets[: config.max_listed],
                                   "actual_count": int(actual.size), "confirmed": False,
                                   "note": "no formula extracted, no prediction"}
                continue
            pred_vals = entry["formula"].evaluate(P_)
            pred = np.flatnonzero(pred_vals != tgt_bits[:, f])
            details = []
            for j in pred[: config.max_listed]:
                details.append(_attribute_error(network, f, entry, P_[j], bool(pred_vals[j]), targets, domain,
                                                per_clause, off_clause, mas, last, feats_of, names))
            entry["errors"] = {
                "target": targets.names[f],
                "predicted_count": int(pred.size), "actual_count": int(actual.size),
                "predicted": [_pt(np.flatnonzero(P_[j])) for j in pred[: config.max_listed]],
                "actual": actual_sets[: config.max_listed],
                "confirmed": bool(np.array_equal(pred, actual)),
                "false_positives": int(np.sum(pred_vals[pred])), "false_negatives": int(np.sum(~pred_vals[pred])),
                "attribution": details,
            }

    # ---- tau sweep
    taus = config.taus if config.taus is not None else _default_taus(network, tau)
    sweep = []
    ref = per_out
    for tv in sorted(set(taus) | {tau}):
        _, po = _channels_at(members, tv, F)
        _, poff = _channels_at(off_members, tv, F)
        deg = [sum(1 for f in range(F) if h in po[f]) for h in range(width_last)]
        sweep.append({"tau": tv, "nnz_in": int(np.count_nonzero(cat_tau(network.W_in, tv))),
                      "nnz_out": int(np.count_nonzero(cat_tau(network.W_out, tv))),
                      "channels": po, "off_channels": poff, "degree": deg,
                      "same_channels_as_chosen": po == ref and poff == off_out,
                      "empty_channels": [f for f in range(F) if not po[f] and out_terms[f]]})

    # ---- cascade (deeper networks)
    cascade = None
    if depth >= 2:
        if domain is None:
            cascade = {"verified": False, "note": "cascading needs an enumerable domain"}
        else:
            cascade = _cascade(network, domain, config)

    cross = None
    if config.crosscheck:
        from .crosscheck import crosscheck_code

        if domain is None or depth != 1:
            cross = {"available": False, "reason": "cross-check needs one hidden layer and an enumerable domain"}
        else:
            cross = crosscheck_code(network, domain=domain, tau=tau, time_limit=config.time_limit)

    notes.append("Definitions are ours where the FCC paper's are unavailable (docs/science-fcc.md): "
                 "cat_tau is absolute; a channel of clause P of output f is the set of last-hidden-layer units with "
                 "a positive readout category for f that are active at P (and, with one hidden layer, carry every "
                 "literal of P in their positive code); 'dedicated' units have P as a minimal activating set.")
    return Interpretation(network, m, sp, N, enumerable, config, names, code, units, outputs, degrees, overlaps,
                          collisions, sweep, cascade, cross, time.perf_counter() - t0, tuple(notes))


def _attribute_error(network, f, entry, x, predicted_on, targets, domain, per_clause, off_clause, mas, last, feats_of,
                     names):
    """Why the formula (and so the network) gets point ``x`` wrong: the clause and channel units behind a false
    positive (with the collisions of those units), or the inhibitors / missing drive behind a false negative."""
    xs = set(np.flatnonzero(x).tolist())
    tb = targets.bits[f]
    out = {"point": sorted(xs), "kind": "false positive" if predicted_on else "false negative"}
    formula = entry["formula"]
    if predicted_on:
        hits = [t for t in formula.terms if set(t.clause) <= xs and not any(set(J) <= xs for J in t.negations)]
        t = hits[0]
        units = []
        for h in per_clause[(f, t.clause)]:
            spur = []
            for A in (mas.get((last, h)) or []):
                if set(A) <= xs:
                    a_idx = domain.index(_points([A], network.d_in)[0])
                    if not tb[a_idx]:
                        spur.append(list(A))
            units.append({"unit": h, "shared_with": [names[g] for g in feats_of[h] if g != f],
                          "spurious_activating_sets": spur})
        out["clause"] = list(t.clause)
        out["channel_units"] = units
        out["off_channel_units"] = off_clause[(f, t.clause)]
        shared = [u for u in units if u["shared_with"]]
        if shared:
            out["cause"] = (f"clause {_pt_text(t.clause)} reaches the threshold through unit(s) "
                            f"{', '.join(str(u['unit']) for u in shared)} shared with "
                            f"{', '.join(sorted({s for u in shared for s in u['shared_with']}))} (channel collision)")
        elif units:
            out["cause"] = (f"clause {_pt_text(t.clause)} reaches the threshold through unit(s) "
                            f"{', '.join(str(u['unit']) for u in units)}, not shared: a spurious clause of this channel")
        elif off_clause[(f, t.clause)]:
            out["cause"] = (f"clause {_pt_text(t.clause)} fires the readout by silencing off-channel unit(s) "
                            f"{', '.join(map(str, off_clause[(f, t.clause)]))} (disinhibition)")
        else:
            out["cause"] = f"clause {_pt_text(t.clause)} fires the readout without a channel at this tau (bias)"
    else:
        inh = []
        for t in formula.terms:
            if set(t.clause) <= xs:
                for J in t.negations:
                    if set(J) <= xs:
                        inh.append({"clause": list(t.clause), "inhibitor": list(J),
                                    "units": _attribute_inhibitors(network, f, t.clause, J)})
        out["inhibited"] = inh
        if inh:
            us = sorted({u["unit"] for i in inh for u in i["units"]})
            shared = sorted({names[g] for u in us for g in feats_of[u] if g != f})
            out["cause"] = (f"clause {_pt_text(inh[0]['clause'])} is switched off by {_pt_text(inh[0]['inhibitor'])} "
                            f"through unit(s) {', '.join(map(str, us)) or '(none: magnitudes)'}"
                            + (f" (units also in the channels of {', '.join(shared)})" if shared else ""))
        else:
            out["cause"] = "no clause of the extracted formula lies inside this point: the channel drive here stays " \
                           "below the readout threshold (missing or too weak channel)"
    return out


# ---------------------------------------------------------------------------------------------
# cascading disentanglement (our reading, docs/science-fcc.md)

def _cascade(network, domain, config):
    """Layer by layer: each unit over the Boolean features (unit activities) of the layer before, where that is
    exact; over the inputs where it is not; then the whole chain is evaluated on every point and compared with the
    network's exact activities."""
    vals = _exact.forward(network, domain.points)
    relu = network.activation == "relu"
    depth = _depth(network)
    m = network.d_in
    layers_out = []
    acts = []  # true activities per hidden layer
    bool_val = []  # per hidden layer: list of Fraction c_h (or None when not Boolean-exact)
    detail_vals = []
    for k in range(depth):
        Z, E = vals[k]
        a = (Z > 0) if relu else (Z >= 0)
        acts.append(np.asarray(a, dtype=bool))
        cs, dv = [], []
        for h in range(Z.shape[1]):
            if not relu:
                cs.append(Fraction(1))
                dv.append([1])
                continue
            col = Z[:, h]
            nz = [int(v) for v in np.unique(col[col > 0])]
            shown = [str(Fraction(v, 1 << E)) for v in nz[:4]]
            dv.append(shown)
            if len(nz) <= 1:
                cs.append(Fraction(nz[0], 1 << E) if nz else Fraction(0))
            else:
                cs.append(None)
        bool_val.append(cs)
        detail_vals.append(dv)
    s = domain.sparsity if domain.sparsity is not None else m
    preds_prev = None
    ok_all = True
    mismatches = []
    for k in range(depth + 1):
        is_out = k == depth
        W, b = network.layers[k]
        width = W.shape[0]
        rows = []
        pred = np.zeros((domain.size, width), dtype=bool)
        truth = network.outputs(domain) if is_out else acts[k]
        for u in range(width):
            row = {"unit": u}
            budget = Budget(config.max_evaluations, config.max_terms)
            over_features = False
            if k > 0:
                feeds = [h for h in range(W.shape[1]) if W[u, h] != 0]
                exact_feed = all(bool_val[k - 1][h] is not None for h in feeds)
                if exact_feed and W.shape[1] <= 20:
                    over_features = True
                elif not exact_feed:
                    bad = [h for h in feeds if bool_val[k - 1][h] is None]
                    row["not_boolean"] = (f"unit(s) {', '.join(f'h{k}_{h}' for h in bad[:6])} of layer {k} take several "
                                          f"positive values on the domain (e.g. h{k}_{bad[0]}: "
                                          f"{', '.join(detail_vals[k - 1][bad[0]])}), so their activity is not an exact "
                                          "Boolean summary; this unit is expressed over the inputs instead")
                else:
                    row["not_boolean"] = f"layer {k} has {W.shape[1]} units, too many to express over (limit 20)"
            try:
                if over_features:
                    wts = [Fraction(0) if W[u, h] == 0 else _exact.as_fraction(W[u, h]) * bool_val[k - 1][h]
                           for h in range(W.shape[1])]
                    tgt = ThresholdTarget(wts, _exact.as_fraction(b[u]), strict=(relu and not is_out))
                    fm = _formula_from_target(tgt, W.shape[1], W.shape[1], budget)
                    names = [f"h{k}_{h}" for h in range(W.shape[1])]
                    row.update({"over": f"layer {k} features", "formula": fm.text(names)})
                    pred[:, u] = fm.evaluate(preds_prev)
                else:
                    fm = _formula_from_target(NetTarget(network, k, u), m, s, budget)
                    row.update({"over": "inputs", "formula": fm.text()})
                    pred[:, u] = fm.evaluate(domain.points)
            except BudgetExceeded as exc:
                row.update({"over": None, "formula": None, "error": str(exc)})
                ok_all = False
                pred[:, u] = truth[:, u]
            good = np.array_equal(pred[:, u], truth[:, u])
            row["verified"] = bool(good)
            if not good:
                ok_all = False
                bad_pts = np.flatnonzero(pred[:, u] != truth[:, u])[:10]
                mismatches.append({"layer": "output" if is_out else k + 1, "unit": u,
                                   "points": [_pt(np.flatnonzero(domain.points[j])) for j in bad_pts]})
            if not is_out:
                c = bool_val[k][u]
                row["boolean_exact"] = c is not None
                if c is not None and relu:
                    row["value_when_active"] = str(c)
            rows.append(row)
        layers_out.append({"layer": "output" if is_out else k + 1, "units": rows})
        preds_prev = pred
    return {"layers": layers_out, "verified": ok_all, "points": domain.size, "mismatches": mismatches,
            "claim": (f"chain verified on all {domain.size} inputs" if ok_all else
                      "chain NOT verified (see mismatches)")}
