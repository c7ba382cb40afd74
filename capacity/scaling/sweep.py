"""Sweep configurations, presets and the runner.

:class:`SweepConfig` describes a ladder of feature families, input counts ``m``, feature counts ``m'`` and
widths ``n``; :func:`plan` turns it into :class:`~capacity.scaling.points.Point` objects; :func:`run_sweep`
computes the points not already in the result cache on an executor (local processes by default, Dask with
``--dask``), writing each finished point to the cache from this process, and returns a
:class:`SweepResult` that :mod:`capacity.scaling.report` turns into tables, fits and plots.

Reproducible: instance ``i`` of a random family uses feature seed ``1000 * seed + i``; constructions and
training use their own fixed seeds; the tables are sorted by point, never by finishing order, and carry no
timings (those go to ``results.json``), so the same configuration gives byte-identical CSV files.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field, fields, replace
from math import comb
from pathlib import Path

from ..errors import SpecError
from .cache import NullCache, ResultCache, point_key, source_hash
from .points import FAMILIES, POINT_SCHEMA, Point, graph_classes, run_point

__all__ = ["SweepConfig", "PRESETS", "COLUMNS", "plan", "run_sweep", "SweepResult", "preset"]

#: what to compute: exact min width, exact capacity, hand-built constructions, trained networks at each width
#: of the ladder, the smallest trained width (real and projected to integers), exact function counts, exact
#: min width of step networks with real weights (Muroga's bound) and with integers in [-1, 1]
COLUMNS = ("min_width", "capacity", "construction", "trained", "trained_width", "count", "step_real")
#: the two exact step classes of the ``step_real`` column: (column suffix, weight bound)
STEP_CLASSES = (("real", None), ("int", 1))
#: function counts only for k * n <= this (k inputs, width n): beyond it the enumeration runs for minutes to hours
COUNT_MAX_KN = 8
#: exact points (min width, capacity) only on domains with at most this many points
EXACT_DOMAIN_LIMIT = 128
_AND_FAMILIES = ("pairs", "uand", "graphs")
_CONSTRUCTION_GRID = {
    "sparse_code": {"grid_channel_size": (1, 2, 3, 4)},
    "hanni_uand": {"grid_p": (0.3, 0.5, 0.7)},
    "dedicated": {},
}


def _ints(name, values, minimum=1, allow_empty=False) -> tuple:
    try:
        vals = tuple(int(v) for v in values)
    except (TypeError, ValueError):
        raise SpecError(f"{name} must be a list of integers, got {values!r}") from None
    if not vals and not allow_empty:
        raise SpecError(f"{name} is empty: give at least one value")
    bad = [v for v in vals if v < minimum]
    if bad:
        raise SpecError(f"{name} must be >= {minimum}, got {bad[0]}")
    return tuple(sorted(set(vals)))


@dataclass(frozen=True)
class SweepConfig:
    """One scaling sweep. Every default is ours.

    Args:
        families: feature families (``pairs``, ``uand``, ``dnf``, ``graphs``; see ``points.FAMILIES``).
        columns: what to compute (``COLUMNS``; default all but ``step_real``, which the presets add).
        inputs: ``m`` ladder of the ``pairs`` and ``dnf`` families.
        feature_counts: ``m'`` ladder of the ``pairs`` family (capped at ``C(m, 2)``) and, unless
            ``dnf_feature_counts`` is given, of the ``dnf`` family.
        dnf_feature_counts: ``m'`` ladder of the ``dnf`` family (empty: ``feature_counts``).
        uand_inputs: ``m`` ladder of the ``uand`` family (all ``C(m, 2)`` pairwise ANDs).
        graph_inputs: ``m`` ladder of the ``graphs`` family: every set of ``m'`` pairwise ANDs up to
            relabelling the inputs, for every ``m'`` from 1 to ``C(m, 2)`` (the worst case over feature sets;
            ``m <= 6``).
        widths: ``n`` ladder for exact capacity and trained networks.
        capacity_feature_counts: ``m'`` values that get exact-capacity points (empty: the largest ``m'``);
            ``uand`` always gets them.
        sparsity: inputs have at most this many ones (``None``: the whole cube).
        instances: random instances (feature seeds) per ``m'``.
        dnf_clauses, dnf_width, dnf_negations: shape of the random DNFs.
        weight_bound, activation, nonnegative, method, time_limit: the exact class and solver settings
            (integers in ``[-K, K]``, free biases; ``time_limit`` seconds per solver call).
        max_width: cap on the exact minimum-width search (None: the front door's default).
        constructions, construction_seeds, construction_max_width: hand-built networks, their seeds, and the
            widest construction tried.
        construction_inputs, construction_feature_counts: extra, larger ``m`` (U-AND, and random pairs with
            these ``m'``) for the constructions only (exact solving is out of reach there).
        certificate_files: also store a DRUP refutation (CNF and proof) of width ``n* - 1`` for every exact
            minimum width, for ``proofs/check_table_certificates.py`` (``--certificates``; costs a SAT call).
        tolerance: a trained output computes its feature when its exact error rate over the domain is
            ``<= tolerance`` (in (0, 1)); reported beside the exact judgement (no tolerance) for the
            per-width trained points only.
        scale_uand_inputs: ``m`` ladder of U-AND for the scaling columns only (constructions, smallest trained
            width); no exact points.
        scale_pairs_inputs, scale_pairs_feature_counts, scale_instances: random ``m'``-sets of pairs on these
            ``m`` for the scaling columns only, ``scale_instances`` sets per ``m'``.
        scale_max_width: widest construction and trained width tried on the scaling sets.
        scan_seeds, scan_steps, scan_lr: training seeds, Adam steps and learning rate of the smallest trained
            width search (``trained_width``: a walk on ``TRAINED_LADDER`` from ``sqrt(m')``, balanced loss, every network
            judged exactly, and projected to the exact class and judged again).
        count_inputs, count_widths: ``k`` and ``n`` of the exact function counts (full cube, one readout).
        step_uand_inputs: extra U-AND ``m`` ladder for the exact step columns only (``step_real``).
        train_seeds, train_steps, train_lr: training runs per point, Adam steps, learning rate.
        seed: master seed.
        preset: the preset this configuration came from (a label).
    """

    families: tuple = ("pairs", "uand", "dnf")
    columns: tuple = tuple(c for c in COLUMNS if c != "step_real")
    inputs: tuple = (6,)
    feature_counts: tuple = (1, 2, 3, 4, 6, 8)
    dnf_feature_counts: tuple = ()
    uand_inputs: tuple = (3, 4, 5, 6)
    graph_inputs: tuple = (4,)
    widths: tuple = (1, 2, 3, 4, 5, 6)
    capacity_feature_counts: tuple = ()
    sparsity: int | None = 2
    instances: int = 3
    dnf_clauses: int = 2
    dnf_width: int = 2
    dnf_negations: float = 0.0
    weight_bound: int = 1
    activation: str = "relu"
    nonnegative: bool = False
    method: str = "auto"
    time_limit: float | None = 60.0
    max_width: int | None = None
    constructions: tuple = ("sparse_code", "hanni_uand", "dedicated")
    construction_seeds: int = 5
    construction_max_width: int = 64
    construction_inputs: tuple = ()
    construction_feature_counts: tuple = ()
    tolerance: float = 0.01
    train_seeds: int = 3
    train_steps: int = 1500
    train_lr: float = 0.02
    certificate_files: bool = False
    scale_uand_inputs: tuple = ()
    scale_pairs_inputs: tuple = ()
    scale_pairs_feature_counts: tuple = ()
    scale_instances: int = 3
    scale_max_width: int = 1024
    scan_seeds: int = 2
    scan_steps: int = 1500
    scan_lr: float = 0.02
    count_inputs: tuple = ()
    count_widths: tuple = (1, 2, 3)
    step_uand_inputs: tuple = ()
    seed: int = 0
    preset: str = "custom"

    def __post_init__(self):
        fam = tuple(dict.fromkeys(str(f).strip().lower() for f in self.families))
        if not fam:
            raise SpecError("families is empty: give at least one of " + ", ".join(FAMILIES))
        for f in fam:
            if f not in FAMILIES:
                raise SpecError(f"unknown family {f!r}; known: {', '.join(FAMILIES)}")
        object.__setattr__(self, "families", fam)
        cols = tuple(dict.fromkeys(str(c).strip().lower() for c in self.columns))
        if not cols:
            raise SpecError("columns is empty: give at least one of " + ", ".join(COLUMNS))
        for c in cols:
            if c not in COLUMNS:
                raise SpecError(f"unknown column {c!r}; known: {', '.join(COLUMNS)}")
        object.__setattr__(self, "columns", cols)
        object.__setattr__(self, "widths", _ints("width ladder", self.widths))
        needs_m = any(f in fam for f in ("pairs", "dnf"))
        object.__setattr__(self, "inputs", _ints("inputs ladder", self.inputs, 2, allow_empty=not needs_m))
        object.__setattr__(
            self,
            "feature_counts",
            _ints("feature-count ladder", self.feature_counts, 1, allow_empty=not needs_m),
        )
        object.__setattr__(
            self,
            "uand_inputs",
            _ints("U-AND inputs ladder", self.uand_inputs, 2, allow_empty="uand" not in fam),
        )
        object.__setattr__(
            self,
            "dnf_feature_counts",
            _ints("DNF feature-count ladder", self.dnf_feature_counts, 1, allow_empty=True),
        )
        object.__setattr__(
            self,
            "graph_inputs",
            _ints("graph inputs ladder", self.graph_inputs, 2, allow_empty="graphs" not in fam),
        )
        object.__setattr__(
            self,
            "capacity_feature_counts",
            _ints("capacity feature counts", self.capacity_feature_counts, 1, True),
        )
        object.__setattr__(
            self, "construction_inputs", _ints("construction inputs", self.construction_inputs, 2, True)
        )
        object.__setattr__(
            self,
            "construction_feature_counts",
            _ints("construction feature counts", self.construction_feature_counts, 1, True),
        )
        for name, lo in (("scale_uand_inputs", 2), ("scale_pairs_inputs", 2), ("scale_pairs_feature_counts", 1),
                         ("count_inputs", 1), ("count_widths", 1), ("step_uand_inputs", 2)):
            object.__setattr__(self, name, _ints(name.replace("_", " "), getattr(self, name), lo, True))
        for name in (
            "scale_instances",
            "scale_max_width",
            "scan_seeds",
            "scan_steps",
            "instances",
            "construction_seeds",
            "construction_max_width",
            "train_seeds",
            "train_steps",
            "weight_bound",
            "dnf_clauses",
            "dnf_width",
        ):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise SpecError(f"{name} must be an integer >= 1, got {v!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise SpecError(f"seed must be an integer >= 0, got {self.seed!r}")
        try:
            tol = float(self.tolerance)
        except (TypeError, ValueError):
            raise SpecError(f"tolerance must be a number in (0, 1), got {self.tolerance!r}") from None
        if not 0.0 < tol < 1.0:
            raise SpecError(f"tolerance must be in (0, 1), got {self.tolerance}")
        if self.sparsity is not None and (not isinstance(self.sparsity, int) or self.sparsity < 0):
            raise SpecError(f"sparsity must be an integer >= 0 or None, got {self.sparsity!r}")
        if any(f in _AND_FAMILIES for f in fam) and self.sparsity is not None and self.sparsity < 2:
            raise SpecError(
                f"pairwise ANDs are constant 0 on inputs with at most {self.sparsity} ones; use sparsity >= 2"
            )
        if self.activation not in ("relu", "step"):
            raise SpecError(f"activation must be relu or step, got {self.activation!r}")
        if self.time_limit is not None and not float(self.time_limit) > 0:
            raise SpecError(f"time limit must be > 0 seconds, got {self.time_limit}")
        from .constructions import CONSTRUCTIONS

        for c in self.constructions:
            if c not in CONSTRUCTIONS:
                raise SpecError(f"unknown construction {c!r}; known: {', '.join(CONSTRUCTIONS)}")
        if "graphs" in fam and max(self.graph_inputs, default=0) > 6:
            raise SpecError("the graphs family enumerates isomorphism classes by brute force: inputs <= 6")
        if not 0.0 <= float(self.dnf_negations) <= 1.0:
            raise SpecError(f"dnf negations must be in [0, 1], got {self.dnf_negations}")
        if not float(self.scan_lr) > 0:
            raise SpecError(f"scan lr must be > 0, got {self.scan_lr}")
        if max(self.count_inputs, default=0) > 6:
            raise SpecError(f"function counts enumerate the full cube: count inputs <= 6, got {max(self.count_inputs)}")
        self._check_exact_domains()
        self._check_classes()

    def _check_exact_domains(self):
        """Bad input before any work: an exact point on a domain beyond ``EXACT_DOMAIN_LIMIT`` points."""
        from .bounds import domain_size

        if not {"min_width", "capacity", "step_real"} & set(self.columns):
            return
        ms = []
        if "uand" in self.families:
            ms += [("uand", m) for m in self.uand_inputs]
            if "step_real" in self.columns:
                ms += [("uand", m) for m in self.step_uand_inputs]
        for fam in ("pairs", "dnf"):
            if fam in self.families:
                ms += [(fam, m) for m in self.inputs]
        if "graphs" in self.families:
            ms += [("graphs", m) for m in self.graph_inputs]
        for fam, m in ms:
            size = domain_size(m, self.sparsity)
            if size > EXACT_DOMAIN_LIMIT:
                raise SpecError(
                    f"exact ladder: {fam} with m={m} has {size} domain points, beyond the exact limit "
                    f"{EXACT_DOMAIN_LIMIT}; use the scaling ladders (--scale-uand-inputs, --scale-pairs-inputs) "
                    "for larger sizes"
                )

    def _check_classes(self):
        """Bad input before any work: columns whose classes the tables cannot label side by side."""
        relu_only = [c for c in ("construction", "trained", "trained_width") if c in self.columns]
        exact = [c for c in ("min_width", "capacity") if c in self.columns]
        if self.activation != "relu" and relu_only and exact:
            raise SpecError(
                f"class mismatch: the exact columns would be {self.activation} networks but "
                f"{', '.join(relu_only)} are ReLU networks; use --activation relu or drop those columns"
            )
        if self.nonnegative and relu_only and exact:
            raise SpecError(
                "class mismatch: the exact columns would be non-negative networks but trained networks and "
                "their projections have signed weights; drop nonnegative or those columns"
            )

    def to_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d: dict) -> SweepConfig:
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise SpecError(f"unknown sweep setting(s): {', '.join(unknown)}")
        return cls(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in d.items()})


PRESETS = {
    # seconds: what the tests run
    "smoke": SweepConfig(
        columns=COLUMNS,
        families=("pairs", "uand"),
        inputs=(4,),
        feature_counts=(1, 2, 3),
        uand_inputs=(3, 4),
        widths=(1, 2, 3),
        instances=2,
        construction_seeds=2,
        construction_max_width=12,
        train_seeds=2,
        train_steps=300,
        time_limit=60.0,
        scale_uand_inputs=(5, 6),
        scale_pairs_inputs=(8,),
        scale_pairs_feature_counts=(4, 8),
        scale_instances=1,
        scale_max_width=32,
        scan_seeds=1,
        scan_steps=150,
        count_inputs=(2, 3),
        count_widths=(1,),
        preset="smoke",
    ),
    # a few minutes on 2 cores: the README's tables (every exact point finishes far inside its time limit)
    "quick": SweepConfig(
        columns=COLUMNS,
        families=("pairs", "uand", "dnf", "graphs"),
        inputs=(5,),
        feature_counts=(1, 2, 3, 4, 5),
        dnf_feature_counts=(1, 2, 3),
        uand_inputs=(3, 4),
        graph_inputs=(4,),
        widths=(1, 2, 3, 4, 5),
        capacity_feature_counts=(3,),
        instances=3,
        construction_seeds=3,
        construction_inputs=(8, 12, 16),
        construction_feature_counts=(4, 8, 16, 32),
        train_seeds=3,
        train_steps=1500,
        time_limit=120.0,
        scale_uand_inputs=(6, 8, 11, 16),
        scale_pairs_inputs=(32,),
        scale_pairs_feature_counts=(6, 12, 24, 48, 96),
        scale_instances=2,
        scale_max_width=256,
        scan_steps=800,
        count_inputs=(2, 3, 4),
        count_widths=(1, 2),
        step_uand_inputs=(5, 6),
        preset="quick",
    ),
    # docs/scaling.md: a decade and a half of m' (6 ... 528) for the scaling columns; target <= 1 h on 2 cores;
    # exact points that run out of time end UNKNOWN (shown with their bounds)
    "full": SweepConfig(
        columns=COLUMNS,
        families=("pairs", "uand", "dnf", "graphs"),
        inputs=(6,),
        feature_counts=(1, 2, 3, 4, 5, 6, 8),
        dnf_feature_counts=(1, 2, 3),
        uand_inputs=(3, 4, 5, 6),
        graph_inputs=(4,),
        widths=(1, 2, 3, 4, 5, 6),
        capacity_feature_counts=(3,),
        instances=3,
        construction_seeds=3,
        construction_max_width=64,
        train_seeds=3,
        train_steps=1500,
        time_limit=300.0,
        scale_uand_inputs=(8, 11, 16, 23, 33),
        scale_pairs_inputs=(64,),
        scale_pairs_feature_counts=(6, 12, 24, 48, 96, 192, 384, 512),
        scale_instances=2,
        scale_max_width=1024,
        scan_seeds=2,
        scan_steps=1500,
        count_inputs=(2, 3, 4, 5),
        count_widths=(1, 2, 3),
        step_uand_inputs=(7, 8),
        preset="full",
    ),
}


def preset(name: str, **overrides) -> SweepConfig:
    """A preset with some settings replaced (validated again)."""
    if name not in PRESETS:
        raise SpecError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}")
    return replace(PRESETS[name], **overrides) if overrides else PRESETS[name]


# ---------------------------------------------------------------------------------------------
# planning


def _instances(cfg: SweepConfig, family: str, m: int, mp: int, scale: bool = False) -> list[int]:
    if family == "uand":
        return [0]
    if family == "graphs":
        return list(range(len(graph_classes(m, mp))))
    return [1000 * cfg.seed + i for i in range(cfg.scale_instances if scale else cfg.instances)]


def _min_width_point(cfg: SweepConfig, exact: dict, base: dict) -> Point:
    o = dict(exact, max_width=cfg.max_width)
    if cfg.certificate_files:
        o["certificate_files"] = True
    return Point("min_width", **base, options=tuple(sorted(o.items())))


def plan(cfg: SweepConfig) -> list[Point]:
    """Every point of the sweep, in a fixed order."""
    exact = {
        "activation": cfg.activation,
        "weight_bound": cfg.weight_bound,
        "nonnegative": cfg.nonnegative,
        "method": cfg.method,
        "time_limit": cfg.time_limit,
        "solver_seed": cfg.seed,
    }
    train = {
        "tolerance": float(cfg.tolerance),
        "seeds": cfg.train_seeds,
        "steps": cfg.train_steps,
        "lr": float(cfg.train_lr),
        "train_seed": cfg.seed,
    }
    fam_opts = {
        "dnf": (
            ("clauses", cfg.dnf_clauses),
            ("negations", float(cfg.dnf_negations)),
            ("width", cfg.dnf_width),
        )
    }
    sets = []  # (family, m, m', exact?, scaling ladder?)
    for family in cfg.families:
        if family == "uand":
            sets += [(family, m, comb(m, 2), True, False) for m in cfg.uand_inputs]
        elif family == "graphs":
            sets += [(family, m, mp, True, False) for m in cfg.graph_inputs for mp in range(1, comb(m, 2) + 1)]
        else:
            counts = (
                cfg.dnf_feature_counts if family == "dnf" and cfg.dnf_feature_counts else cfg.feature_counts
            )
            for m in cfg.inputs:
                cap = comb(m, 2) if family in _AND_FAMILIES else None
                sets += [(family, m, mp, True, False) for mp in counts if cap is None or mp <= cap]
    if "construction" in cfg.columns:
        for m in cfg.construction_inputs:
            if "uand" in cfg.families:
                sets.append(("uand", m, comb(m, 2), False, False))
            if "pairs" in cfg.families:
                sets += [
                    ("pairs", m, mp, False, False)
                    for mp in cfg.construction_feature_counts
                    if mp <= comb(m, 2)
                ]
    if "uand" in cfg.families:
        sets += [("uand", m, comb(m, 2), False, True) for m in cfg.scale_uand_inputs if m not in cfg.uand_inputs]
    step_only = []
    if "uand" in cfg.families and "step_real" in cfg.columns:
        step_only = [m for m in cfg.step_uand_inputs if m not in cfg.uand_inputs]
    if "pairs" in cfg.families:
        sets += [
            ("pairs", m, mp, False, True)
            for m in cfg.scale_pairs_inputs
            for mp in cfg.scale_pairs_feature_counts
            if mp <= comb(m, 2)
        ]
    cap_counts = set(cfg.capacity_feature_counts) or {max(cfg.feature_counts, default=0)}
    points: list[Point] = []
    seen = set()
    scan = {"seeds": cfg.scan_seeds, "steps": cfg.scan_steps, "lr": float(cfg.scan_lr), "train_seed": cfg.seed,
            "weight_bound": cfg.weight_bound}
    for family, m, mp, is_exact, is_scale in sets:
        fo = fam_opts.get(family, ())
        for inst in _instances(cfg, family, m, mp, is_scale):
            base = dict(
                family=family, m=m, sparsity=cfg.sparsity, n_features=mp, instance=inst, family_options=fo
            )
            new = []
            if is_exact and "min_width" in cfg.columns:
                new.append(_min_width_point(cfg, exact, base))
            if is_exact and "step_real" in cfg.columns:
                new += [_min_width_point(cfg, dict(exact, activation="step", weight_bound=K), base)
                        for _, K in STEP_CLASSES]
            if is_exact and "capacity" in cfg.columns and (family == "uand" and m <= 5 or mp in cap_counts):
                for n in cfg.widths:
                    if family in _AND_FAMILIES and n >= mp:
                        continue  # width m' computes any m' pairs (dedicated construction)
                    new.append(Point("capacity", **base, width=n, options=tuple(sorted(exact.items()))))
            if "construction" in cfg.columns and family in _AND_FAMILIES:
                for c in cfg.constructions:
                    if is_scale and c == "dedicated":
                        continue  # width m' by design
                    cap_w = mp if c == "dedicated" else (cfg.scale_max_width if is_scale else cfg.construction_max_width)
                    o = {
                        "construction": c,
                        "seeds": 1 if c == "dedicated" else cfg.construction_seeds,
                        "max_width": cap_w,
                        "count_widths": () if is_scale else tuple(cfg.widths),
                        **_CONSTRUCTION_GRID[c],
                    }
                    if is_scale:
                        o["search"] = "bisect"
                    new.append(Point("construction", **base, options=tuple(sorted(o.items()))))
            if "trained_width" in cfg.columns and family in _AND_FAMILIES and family != "graphs":
                o = dict(scan, max_width=min(cfg.scale_max_width, max(4, 2 * mp)))
                new.append(Point("trained_width", **base, options=tuple(sorted(o.items()))))
            for p in new:
                if p not in seen:
                    seen.add(p)
                    points.append(p)
        if is_exact and "trained" in cfg.columns:
            # one point per width trains every instance (and seed) at once: batching is nearly free
            insts = tuple(_instances(cfg, family, m, mp))
            o = tuple(sorted(dict(train, instances=insts).items()))
            for n in cfg.widths:
                points.append(Point("trained", family, m, cfg.sparsity, mp, -1, n, fo, o))
    for m in step_only:
        base = dict(family="uand", m=m, sparsity=cfg.sparsity, n_features=comb(m, 2), instance=0)
        points += [_min_width_point(cfg, dict(exact, activation="step", weight_bound=K), base)
                   for _, K in STEP_CLASSES]
    if "count" in cfg.columns:
        for k in cfg.count_inputs:
            for n in cfg.count_widths:
                if k * n > COUNT_MAX_KN:
                    continue
                for act, K in (("step", 1), ("relu", 1), ("step", None)):
                    o = (("activation", act), ("weight_bound", K))
                    points.append(Point("count", "all", k, None, 0, 0, n, (), o))
    return points


# ---------------------------------------------------------------------------------------------
# running


@dataclass
class SweepResult:
    """Points, their results (same order), and how the run went."""

    config: SweepConfig
    points: list
    keys: list
    results: list
    run: dict = field(default_factory=dict)
    cache: object = None

    def to_dict(self) -> dict:
        return {
            "config": self.config.to_dict(),
            "run": dict(self.run),
            "points": [
                {"point": p.to_dict(), "key": k, "result": r}
                for p, k, r in zip(self.points, self.keys, self.results)
            ],
        }

    def to_frame(self):
        """One row per point: the point's fields (``kind``, ``family``, ``m``, ...), its cache ``key``, and the
        scalar fields of its result prefixed ``result.`` (nested lists and dicts stay in :meth:`to_dict`)."""
        import pandas as pd

        rows = []
        for p, k, r in zip(self.points, self.keys, self.results):
            row = {**p.to_dict(), "key": k}
            row.update({f"result.{a}": b for a, b in (r or {}).items() if not isinstance(b, (dict, list, tuple))})
            rows.append(row)
        return pd.DataFrame(rows)

    def close(self) -> None:
        """Close the result cache (checkpoints SQLite's write-ahead log into the file)."""
        if self.cache is not None:
            self.cache.close()

    def blobs(self, i: int) -> dict:
        """Certificate files stored with point ``i`` (kept in memory for this run under ``--no-cache``)."""
        if self.cache is None:
            return {}
        return {name: self.cache.get_blob(self.keys[i], name) for name in self.cache.blob_names(self.keys[i])}


def _fn_name(fn) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


def _loadavg():
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover - not on Linux
        return None


def _utc() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _preload(kinds) -> None:
    """Import every module of the source files the point kinds run (``KIND_SOURCES``)."""
    import importlib

    from .cache import _COMMON, KIND_SOURCES

    root = Path(__file__).resolve().parent.parent
    files = {f for k in kinds for g in _COMMON + KIND_SOURCES.get(k, ()) for f in root.glob(g) if f.is_file()}
    for f in sorted(files):
        parts = ("capacity",) + f.relative_to(root).with_suffix("").parts
        importlib.import_module(".".join(parts[:-1] if parts[-1] == "__init__" else parts))


def _cost_rank(p: Point) -> tuple:
    return (p.n_features * p.m, p.kind)


def run_sweep(
    cfg: SweepConfig,
    *,
    cache=None,
    executor=None,
    progress: bool = True,
    point_fn=run_point,
    compute: bool = True,
) -> SweepResult:
    """Compute every point of ``cfg`` (reusing the cache), on ``executor`` (default: local processes).

    ``cache``: a :class:`~capacity.scaling.cache.ResultCache`, a path, or None (no cache). ``point_fn``:
    the function computing one point (default :func:`~capacity.scaling.points.run_point`); it must be
    picklable by reference for process and Dask executors. ``compute=False`` computes nothing: a point not in
    the cache under its key takes the newest result stored for the same point by an earlier version of the
    code (counted in ``run["stale"]``), or stays ``None`` (counted in ``run["missing"]``): a report of a sweep
    that ran out of time, or whose code changed under it."""
    from tqdm.auto import tqdm

    from .. import __version__
    from .executors import LocalExecutor

    if not isinstance(cfg, SweepConfig):
        raise SpecError(f"expected a SweepConfig, got {type(cfg).__name__}")
    own_cache = cache is not None and not hasattr(cache, "get")
    cache = NullCache() if cache is None else (ResultCache(cache) if own_cache else cache)
    own_exec = executor is None
    t0 = time.perf_counter()
    load_start = _loadavg()
    started_utc = _utc()
    points = plan(cfg)
    fname = _fn_name(point_fn)
    # import the code every kind runs before hashing it, so forked workers run the code the keys name even
    # if a file is edited while the sweep runs
    _preload({p.kind for p in points})
    sources = {kind: source_hash(kind) for kind in {p.kind for p in points}}
    keys = [point_key(p.to_dict(), fname, f"{__version__}/{POINT_SCHEMA}/{sources[p.kind]}") for p in points]
    results: list = [None] * len(points)
    for i, k in enumerate(keys):
        results[i] = cache.get(k)
    # the cheapest points first (smallest sets), so a sweep stopped early (2 shared cores, a deadline) has
    # finished as many points as it could; results and tables are ordered by point whatever the order here
    todo = sorted((i for i, r in enumerate(results) if r is None), key=lambda i: _cost_rank(points[i]))
    missing, stale = [], []
    if not compute:  # a report only: fall back to results of an earlier version of the code, marked stale
        for i in todo:
            old = cache.latest_for(points[i].to_dict())
            if old is None:
                missing.append(i)
            else:
                keys[i], results[i] = old
                stale.append(i)
        todo = []
    executor = LocalExecutor() if own_exec and todo else executor
    bar = tqdm(
        total=len(points),
        initial=len(points) - len(todo),
        desc="capacity scaling",
        unit="pt",
        disable=not progress,
        dynamic_ncols=True,
    )
    try:
        if todo:
            for j, out in executor.run(point_fn, [points[i] for i in todo]):
                i = todo[j]
                blobs = out.pop("_blobs", None)
                if out.get("status") != "NOT_WIRED":
                    cache.put(keys[i], points[i].to_dict(), out, blobs)
                results[i] = out
                bar.set_postfix_str(points[i].label(), refresh=False)
                bar.update()
    finally:
        bar.close()
        if own_exec and executor is not None:
            executor.close()
    not_wired = sorted(
        {p.kind for p, r in zip(points, results) if r is not None and r.get("status") == "NOT_WIRED"}
    )
    run = {
        "stale": {
            kind: sum(1 for i in stale if points[i].kind == kind) for kind in sorted({points[i].kind for i in stale})
        },
        "missing": {
            kind: sum(1 for i in missing if points[i].kind == kind) for kind in sorted({points[i].kind for i in missing})
        },
        "points": len(points),
        "computed": len(todo),
        "cached": len(points) - len(todo) - len(missing),
        "not_wired": not_wired,
        "wall_seconds": time.perf_counter() - t0,
        # the points' own times, summed over the points computed in this run: CPU over wall says how loaded
        # the machine was; CPU / workers estimates the run's wall time on idle cores
        "computed_point_seconds": {
            "wall": sum(float(results[i].get("wall_seconds", 0.0)) for i in todo if results[i] is not None),
            "cpu": sum(float(results[i].get("cpu_seconds", 0.0)) for i in todo if results[i] is not None),
        },
        "loadavg_start": load_start,
        "loadavg_end": _loadavg(),
        "started_utc": started_utc,
        "finished_utc": _utc(),
        "point_function": fname,
        "version": __version__,
        "executor": executor.describe() if executor is not None else {"executor": "none (all cached)"},
        "cache": None if cache.path is None else str(cache.path),
    }
    return SweepResult(cfg, points, keys, results, run, cache)
