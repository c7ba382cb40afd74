"""One problem in, one result out: the objects every solver shares (docs/design.md §4).

A :class:`Problem` asks whether one hidden layer of width ``d_hidden`` (with shared hidden weights and one
readout per feature) computes *all* its features at once, within a weight class: integers in ``[-K, K]``
(``weight_bound=K``) or reals (``weight_bound=None``), optionally non-negative, optionally obeying a code.

Weight-class conventions (ours, docs/design.md §3):

* the bound and the sign restriction apply to every *weight* (``W_in`` and ``W_out``); biases are free
  integers (or reals). With a free bias every finite domain needs only finitely many bias values, so the
  classes are finite for integers;
* ``nonnegative=True`` makes every weight ``>= 0`` (biases stay free);
* a code constrains ``W_in`` (and ``b_in``, ``W_out`` where given), see :mod:`capacity.codes`;
* integer networks use the integer margin: ``y >= 0`` on ones and ``y <= -1`` on zeros. For integer weights
  with integer biases that is the same as ``[y >= 0]``.

A :class:`Result` is REPRESENTABLE with a witness network that :func:`verify_witness` has checked on every
point of the domain in exact arithmetic, NOT_REPRESENTABLE with a :class:`Certificate` that says what kind
of proof it is, or UNKNOWN (time or budget ran out). UNKNOWN is never reported as either of the others.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np

from ..codes import Code
from ..errors import CapacityError
from ..features import FeatureSet
from ..network import ACTIVATIONS, Network

__all__ = ["Status", "Problem", "Result", "Certificate", "verify_witness", "CERTIFICATE_KINDS"]


class Status(str, enum.Enum):
    """The answer of one problem. Compares equal to its name as a string (``Status.UNKNOWN == "UNKNOWN"``)."""

    REPRESENTABLE = "REPRESENTABLE"
    NOT_REPRESENTABLE = "NOT_REPRESENTABLE"
    UNKNOWN = "UNKNOWN"

    def __str__(self) -> str:
        return self.value


#: What a NOT_REPRESENTABLE answer can rest on.
CERTIFICATE_KINDS = ("drup", "enumeration", "farkas", "agreement", "restriction")


@dataclass(frozen=True)
class Problem:
    """Can ``d_hidden`` hidden units compute every feature of ``features`` at once?"""

    features: FeatureSet
    d_hidden: int
    activation: str = "relu"
    weight_bound: int | None = 1
    nonnegative: bool = False
    code: Code | None = None
    seed: int = 0

    def __post_init__(self):
        if len(self.features) == 0:
            raise CapacityError("empty feature set")
        if isinstance(self.d_hidden, bool) or not isinstance(self.d_hidden, (int, np.integer)) or self.d_hidden < 1:
            raise CapacityError(f"width (hidden units) must be an integer >= 1, got {self.d_hidden!r}")
        object.__setattr__(self, "d_hidden", int(self.d_hidden))
        if self.activation not in ACTIVATIONS:
            raise CapacityError(f"activation must be one of {ACTIVATIONS}, got {self.activation!r}")
        if self.weight_bound is not None:
            if isinstance(self.weight_bound, bool) or int(self.weight_bound) != self.weight_bound or self.weight_bound < 1:
                raise CapacityError(f"weight bound must be an integer >= 1 (or None for real weights), got {self.weight_bound!r}")
            object.__setattr__(self, "weight_bound", int(self.weight_bound))
        if self.code is not None:
            c = self.code
            if c.d_hidden != self.d_hidden or c.d_in != self.domain.m:
                raise CapacityError(f"code is {c.d_hidden}x{c.d_in} but the problem has {self.d_hidden} hidden units "
                                    f"and {self.domain.m} inputs")
            if c.S_out is not None and c.S_out.shape[0] not in (1, self.n_features):
                raise CapacityError(f"code S_out has {c.S_out.shape[0]} rows for {self.n_features} features")
            K = np.inf if self.weight_bound is None else self.weight_bound
            c.bounds(c.S_in, K, self.nonnegative)  # raises on a contradictory code
            if c.S_out is not None:
                c.bounds(c.S_out, K, self.nonnegative)

    @property
    def domain(self):
        return self.features.domain

    @property
    def n_features(self) -> int:
        return len(self.features)

    @property
    def real(self) -> bool:
        return self.weight_bound is None

    def readout_code(self) -> np.ndarray | None:
        """``(n_features, d_hidden)`` readout sign pattern, or None when the readout is free."""
        if self.code is None or self.code.S_out is None:
            return None
        S = self.code.S_out
        return np.repeat(S, self.n_features, axis=0) if S.shape[0] == 1 else S

    def weight_bounds(self):
        """``(lo_in, hi_in, lo_out, hi_out)``: per-entry bounds for ``W_in`` and ``W_out`` (``inf`` for reals)."""
        K = np.inf if self.real else float(self.weight_bound)
        n, m, F = self.d_hidden, self.domain.m, self.n_features
        if self.code is None:
            lo_in, hi_in = np.full((n, m), -K), np.full((n, m), K)
        else:
            lo_in, hi_in = self.code.bounds(self.code.S_in, K, self.nonnegative)
        S_out = self.readout_code()
        if S_out is None:
            lo_out, hi_out = np.full((F, n), -K), np.full((F, n), K)
        else:
            lo_out, hi_out = self.code.bounds(S_out, K, self.nonnegative)
        if self.nonnegative:
            lo_in, lo_out = np.maximum(lo_in, 0), np.maximum(lo_out, 0)
        return lo_in, hi_in, lo_out, hi_out

    def bias_signs(self) -> np.ndarray | None:
        """Sign pattern the code puts on ``b_in`` (``None`` when biases are free)."""
        return None if self.code is None else self.code.S_b_in

    def parameter_size(self) -> int:
        """``P``: non-zero weights the class allows (``nnz`` of the code, or dense ``n*m + F*n``)."""
        n, m, F = self.d_hidden, self.domain.m, self.n_features
        S_out = self.readout_code()
        p_in = n * m if self.code is None else int(np.count_nonzero(self.code.S_in))
        return p_in + (F * n if S_out is None else int(np.count_nonzero(S_out)))

    def with_width(self, d_hidden: int) -> "Problem":
        if self.code is not None:
            raise CapacityError("cannot change the width of a problem with a code")
        return Problem(self.features, d_hidden, self.activation, self.weight_bound, self.nonnegative, None, self.seed)

    def to_dict(self) -> dict:
        return {
            "inputs": self.domain.m, "sparsity": self.domain.sparsity, "domain_size": self.domain.size,
            "features": list(self.features.names), "d_hidden": self.d_hidden, "activation": self.activation,
            "weight_bound": self.weight_bound, "nonnegative": self.nonnegative,
            "code": None if self.code is None else self.code.to_dict(), "seed": self.seed,
        }


@dataclass(frozen=True)
class Certificate:
    """Why a NOT_REPRESENTABLE answer holds. ``kind`` is one of ``CERTIFICATE_KINDS``; ``checked`` says the
    certificate itself was verified (a DRUP proof replayed, a Farkas vector checked in rationals, ...)."""

    kind: str
    checked: bool
    detail: str = ""
    data: object = field(default=None, repr=False, compare=False)
    path: str | None = None

    def __post_init__(self):
        if self.kind not in CERTIFICATE_KINDS:
            raise ValueError(f"unknown certificate kind {self.kind!r}")

    def to_dict(self) -> dict:
        return {"kind": self.kind, "checked": self.checked, "detail": self.detail, "path": self.path}


@dataclass(frozen=True, eq=False)
class Result:
    """The answer to one :class:`Problem` (docs/design.md §4).

    ``status`` is REPRESENTABLE (then ``witness`` is a network verified on every point in exact arithmetic),
    NOT_REPRESENTABLE (then ``certificate`` says which proof holds and whether it was checked) or UNKNOWN (time
    or budget ran out; ``info["reason"]`` says which). ``method`` is the solver that answered, ``seconds`` its
    wall time (never part of the answer), ``info`` solver statistics.
    """

    status: Status
    problem: Problem
    method: str
    seconds: float
    witness: Network | None = None
    certificate: Certificate | None = None
    info: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.status is Status.REPRESENTABLE and self.witness is None:
            raise ValueError("a REPRESENTABLE result needs a witness")
        if self.status is Status.NOT_REPRESENTABLE and self.certificate is None:
            raise ValueError("a NOT_REPRESENTABLE result needs a certificate")

    @property
    def representable(self) -> bool | None:
        return {Status.REPRESENTABLE: True, Status.NOT_REPRESENTABLE: False}.get(self.status)

    def to_dict(self) -> dict:
        return {
            "status": str(self.status), "method": self.method, "seconds": round(self.seconds, 6),
            "problem": self.problem.to_dict(), "parameter_size": self.problem.parameter_size(),
            "witness": None if self.witness is None else self.witness.to_dict(),
            "certificate": None if self.certificate is None else self.certificate.to_dict(),
            "info": self.info,
        }

    def to_frame(self):
        """A one-row DataFrame (``pandas.concat`` many to compare). Columns: ``status``, ``method``,
        ``seconds``, ``d_hidden``, ``n_features``, ``activation``, ``weight_bound`` (None = real),
        ``parameter_size``, ``certificate_kind`` and ``checked`` (None unless NOT_REPRESENTABLE)."""
        import pandas as pd

        p, c = self.problem, self.certificate
        return pd.DataFrame([{"status": str(self.status), "method": self.method, "seconds": self.seconds,
                              "d_hidden": p.d_hidden, "n_features": p.n_features, "activation": p.activation,
                              "weight_bound": p.weight_bound, "parameter_size": p.parameter_size(),
                              "certificate_kind": None if c is None else c.kind,
                              "checked": None if c is None else c.checked}])


def verify_witness(problem: Problem, net: Network) -> tuple[bool, str]:
    """Check a witness exactly: shapes, weight class, code, and that output ``f`` computes feature ``f`` on
    every point of the domain. Returns ``(ok, reason)``."""
    if net.W_hidden:
        return False, "witness must have one hidden layer"
    if net.activation != problem.activation:
        return False, f"witness activation {net.activation} != {problem.activation}"
    if net.W_in.shape != (problem.d_hidden, problem.domain.m) or net.W_out.shape != (problem.n_features, problem.d_hidden):
        return False, f"witness shapes {net.W_in.shape}, {net.W_out.shape} do not fit the problem"
    lo_in, hi_in, lo_out, hi_out = problem.weight_bounds()
    if not problem.real:
        if not net.is_integer:
            return False, "integer problem but the witness has non-integer weights or biases"
    for name, W, lo, hi in (("W_in", net.W_in, lo_in, hi_in), ("W_out", net.W_out, lo_out, hi_out)):
        W = W.astype(float)
        if (W < lo).any() or (W > hi).any():
            return False, f"{name} leaves the weight class"
    if problem.code is not None:
        c = problem.code
        if c.mode == "sign" and problem.real:
            if not (np.sign(net.W_in) == c.S_in).all():
                return False, "W_in does not carry the code's signs"
            S_out = problem.readout_code()
            if S_out is not None and not (np.sign(net.W_out) == S_out).all():
                return False, "W_out does not carry the code's signs"
        if c.S_b_in is not None:
            sb = np.sign(net.b_in)
            if c.mode == "sign" and not (sb == c.S_b_in).all():
                return False, "b_in does not carry the code's signs"
            if c.mode == "support" and not ((c.S_b_in != 0) | (net.b_in == 0)).all():
                return False, "b_in leaves the code's support"
    got = net.truth_tables(problem.domain)
    bad = np.flatnonzero(~np.all(got == problem.features.tables, axis=1))
    if bad.size:
        return False, f"witness does not compute feature(s) {[problem.features.names[i] for i in bad[:5]]}"
    return True, "verified on all %d points" % problem.domain.size
