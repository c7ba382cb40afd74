"""Codes: the sign-based categorisation of a network's weights (docs/design.md §3).

``cat_tau(w) = +1 if w > tau, -1 if w < -tau, else 0``. A :class:`Code` holds ``S_in = cat_tau(W_in)``
(``d_hidden x d_in``) and optionally ``S_b_in`` and ``S_out``. Read from a network it describes the
network; given directly it is a *constraint* on weights:

* ``mode="sign"``: a weight is 0 where the code is 0 and has the code's sign (strictly) elsewhere;
* ``mode="support"``: a weight is 0 where the code is 0 and free (any value, 0 included) elsewhere.

So a sign code fixes the exact non-zero pattern and a support code only caps it; both fix the
parameter size ``P = nnz(S_in) + nnz(S_out)`` that results are plotted against.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil, log2
from pathlib import Path

import numpy as np

from .errors import CapacityError, ModelError

__all__ = ["cat_tau", "Code", "bit_size"]


def cat_tau(w, tau: float = 0.0) -> np.ndarray:
    """Sign categories of ``w`` with dead zone ``[-tau, tau]``, as int8 in {-1, 0, +1}."""
    if not np.isfinite(tau) or tau < 0:
        raise CapacityError(f"tau must be a finite number >= 0, got {tau}")
    w = np.asarray(w)
    return ((w > tau).astype(np.int8) - (w < -tau).astype(np.int8)).astype(np.int8)


def bit_size(P: int, K: int) -> int:
    """Bits to store ``P`` integer weights in ``[-K, K]``: ``P * ceil(log2(2K + 1))``."""
    return int(P) * int(ceil(log2(2 * K + 1)))


def _code_matrix(name, a, ndim):
    arr = np.asarray(a)
    if arr.ndim != ndim:
        raise CapacityError(f"code {name} must have {ndim} dimension(s), got shape {arr.shape}")
    if arr.size and not np.isin(arr, (-1, 0, 1)).all():
        raise CapacityError(f"code {name} has entries outside {{-1, 0, +1}}")
    out = arr.astype(np.int8)
    out.setflags(write=False)
    return out


@dataclass(frozen=True, eq=False)
class Code:
    """A feature-channel code: sign patterns of ``W_in`` and, optionally, of ``b_in`` and ``W_out``."""

    S_in: np.ndarray
    S_b_in: np.ndarray | None = None
    S_out: np.ndarray | None = None
    mode: str = "sign"

    def __post_init__(self):
        if self.mode not in ("sign", "support"):
            raise CapacityError(f"code mode must be 'sign' or 'support', got {self.mode!r}")
        object.__setattr__(self, "S_in", _code_matrix("S_in", self.S_in, 2))
        if self.S_b_in is not None:
            object.__setattr__(self, "S_b_in", _code_matrix("S_b_in", self.S_b_in, 1))
            if self.S_b_in.shape[0] != self.d_hidden:
                raise CapacityError(f"code S_b_in has {self.S_b_in.shape[0]} entries for {self.d_hidden} hidden units")
        if self.S_out is not None:
            object.__setattr__(self, "S_out", _code_matrix("S_out", self.S_out, 2))
            if self.S_out.shape[1] != self.d_hidden:
                raise CapacityError(f"code S_out has {self.S_out.shape[1]} columns for {self.d_hidden} hidden units")

    @property
    def d_hidden(self) -> int:
        return self.S_in.shape[0]

    @property
    def d_in(self) -> int:
        return self.S_in.shape[1]

    @classmethod
    def from_network(cls, network, tau: float = 0.0) -> "Code":
        """``cat_tau`` of a network's first layer, biases and readout."""
        return cls(cat_tau(network.W_in, tau), cat_tau(network.b_in, tau), cat_tau(network.W_out, tau))

    def parameter_size(self, n_features: int = 1) -> int:
        """``P = nnz(S_in) + nnz(S_out)``; without ``S_out`` the readout is dense (``d_hidden`` per feature)."""
        out = np.count_nonzero(self.S_out) if self.S_out is not None else self.d_hidden * n_features
        return int(np.count_nonzero(self.S_in) + out)

    def positive_code(self, i: int) -> frozenset:
        """Hidden units with ``S_in[:, i] = +1``: input ``i``'s codeword."""
        return frozenset(np.flatnonzero(self.S_in[:, i] > 0).tolist())

    def negative_code(self, i: int) -> frozenset:
        return frozenset(np.flatnonzero(self.S_in[:, i] < 0).tolist())

    def bounds(self, S: np.ndarray, K: float, nonnegative: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Integer (or real, ``K = inf``) bounds ``lo <= w <= hi`` that ``S`` puts on the weights it covers.
        In sign mode a strict sign becomes ``>= 1`` / ``<= -1`` for integers (``> 0`` / ``< 0`` for reals, which
        the real-weight solvers handle by scale invariance)."""
        S = np.asarray(S)
        lo = np.where(S == 0, 0, -K).astype(float)
        hi = np.where(S == 0, 0, K).astype(float)
        if self.mode == "sign":
            unit = 1.0 if np.isfinite(K) else 0.0
            lo = np.where(S > 0, unit, lo)
            hi = np.where(S < 0, -unit, hi)
        if nonnegative:
            lo = np.maximum(lo, 0)
        if (lo > hi).any():
            raise CapacityError("contradictory code: some weight has no allowed value "
                                "(a negative sign with non-negative weights, or a sign with weight bound 0)")
        return lo, hi

    def allows(self, network) -> bool:
        """Whether the network's weights obey this code (first layer, and readout/biases where given)."""
        def ok(S, W):
            if W.shape != S.shape:
                return False
            if self.mode == "support":
                return bool(np.all((S != 0) | (W == 0)))
            return bool(np.all(np.sign(W) == S))
        return ok(self.S_in, network.W_in) and (self.S_b_in is None or ok(self.S_b_in, network.b_in)) and (
            self.S_out is None or ok(self.S_out, network.W_out))

    def __str__(self) -> str:
        sym = {1: "+", -1: "-", 0: "."}
        rows = ["".join(sym[int(v)] for v in row) for row in self.S_in]
        return "\n".join(rows)

    def to_dict(self) -> dict:
        d = {"mode": self.mode, "S_in": self.S_in.tolist()}
        if self.S_b_in is not None:
            d["S_b_in"] = self.S_b_in.tolist()
        if self.S_out is not None:
            d["S_out"] = self.S_out.tolist()
        return d

    def save(self, path):
        arrays = {"S_in": self.S_in, "mode": np.array(self.mode)}
        if self.S_b_in is not None:
            arrays["S_b_in"] = self.S_b_in
        if self.S_out is not None:
            arrays["S_out"] = self.S_out
        np.savez(path, **arrays)

    @classmethod
    def load(cls, path) -> "Code":
        """Read a code: an .npz with ``S_in`` (optional ``S_b_in``, ``S_out``, ``mode``), or a text file with one
        row per hidden unit written with ``+ - 0`` (or ``.``) characters or integers ``1 -1 0``."""
        path = Path(path)
        if not path.exists():
            raise ModelError(f"code file {path} does not exist")
        if path.suffix == ".npz":
            try:
                with np.load(path, allow_pickle=False) as z:
                    data = {k: z[k] for k in z.files}
            except Exception as exc:
                raise ModelError(f"cannot read {path} as .npz: {exc}") from None
            if "S_in" not in data:
                raise ModelError(f"{path} has no array S_in")
            return cls(data["S_in"], data.get("S_b_in"), data.get("S_out"),
                       str(data["mode"]) if "mode" in data else "sign")
        rows = []
        for line in path.read_text().splitlines():
            line = line.split("#")[0].strip()
            if not line:
                continue
            toks = line.replace(",", " ").split()
            if len(toks) == 1 and set(toks[0]) <= set("+-0."):
                toks = list(toks[0])
            try:
                rows.append([{"+": 1, "-": -1, ".": 0}.get(t, None) if t in "+-." else int(t) for t in toks])
            except ValueError:
                raise ModelError(f"cannot read code row {line!r} in {path}: use + - 0 or 1 -1 0") from None
        if not rows or len({len(r) for r in rows}) != 1:
            raise ModelError(f"code file {path} must have equally long, non-empty rows")
        return cls(np.array(rows))
