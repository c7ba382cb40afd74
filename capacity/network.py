"""Networks, their exact evaluation on a domain, and the features they compute.

A :class:`Network` is ``h = act(W_in x + b_in)`` (then, for deeper networks, ``h = act(W h + b)`` for each
``(W, b)`` in ``W_hidden, b_hidden``), read out by ``y = W_out h + b_out``; ``act`` is ``relu`` or
``step`` (``step(z) = [z >= 0]``). Output ``f`` *computes* a feature when ``y_f(x) >= 0`` exactly where the
feature is 1 (docs/design.md §2; a sigmoid output at logit 0 reads the same way).

Evaluation is exact: integer networks run in int64 with an overflow bound checked first; float networks
run in float64 with a rigorous rounding-error bound per value, and every value whose sign (or, for a
step unit, whose side of 0) the bound cannot decide is recomputed in rational arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from .domain import Domain
from .errors import ModelError

__all__ = ["Network", "ACTIVATIONS", "computed", "truth_tables"]

ACTIVATIONS = ("relu", "step")
_U = 2.0**-53


def _gamma(k: int) -> float:
    """Higham's gamma_k = k u / (1 - k u), doubled for safety: bounds the error of a k-term float sum."""
    return 2.0 * k * _U / (1.0 - k * _U)


def _as_matrix(name, a, ndim):
    try:
        arr = np.asarray(a)
    except Exception as exc:  # pragma: no cover - exotic inputs
        raise ModelError(f"{name} is not an array: {exc}") from None
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise ModelError(f"{name} must be numeric, got dtype {arr.dtype}")
    if arr.ndim != ndim:
        raise ModelError(f"{name} must have {ndim} dimension(s), got shape {arr.shape}")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ModelError(f"{name} contains NaN or infinite values")
    if arr.dtype.kind in "bu":
        arr = arr.astype(np.int64)
    return arr


def _is_integral(a: np.ndarray) -> bool:
    return a.dtype.kind == "i" or bool(np.all(a == np.round(a)) and np.all(np.abs(a) < 2**53))


@dataclass(frozen=True, eq=False)
class Network:
    """A ReLU or step MLP with one readout per feature. Shapes: ``W_in (d_hidden, d_in)``, ``b_in (d_hidden,)``,
    ``W_out (n_features, d_last)``, ``b_out (n_features,)``; optional deeper layers ``W_hidden[k]``, ``b_hidden[k]``."""

    W_in: np.ndarray
    b_in: np.ndarray
    W_out: np.ndarray
    b_out: np.ndarray
    activation: str = "relu"
    W_hidden: tuple = ()
    b_hidden: tuple = ()

    def __post_init__(self):
        if self.activation not in ACTIVATIONS:
            raise ModelError(f"activation must be one of {ACTIVATIONS}, got {self.activation!r}")
        W_in, b_in = _as_matrix("W_in", self.W_in, 2), _as_matrix("b_in", self.b_in, 1)
        W_out, b_out = _as_matrix("W_out", self.W_out, 2), _as_matrix("b_out", self.b_out, 1)
        if len(self.W_hidden) != len(self.b_hidden):
            raise ModelError(f"{len(self.W_hidden)} hidden weight matrices but {len(self.b_hidden)} bias vectors")
        Wh = tuple(_as_matrix(f"W_hidden[{k}]", w, 2) for k, w in enumerate(self.W_hidden))
        bh = tuple(_as_matrix(f"b_hidden[{k}]", b, 1) for k, b in enumerate(self.b_hidden))
        if b_in.shape[0] != W_in.shape[0]:
            raise ModelError(f"b_in has {b_in.shape[0]} entries but W_in has {W_in.shape[0]} rows (hidden units)")
        width = W_in.shape[0]
        for k, (w, b) in enumerate(zip(Wh, bh)):
            if w.shape[1] != width:
                raise ModelError(f"W_hidden[{k}] has {w.shape[1]} columns but the layer below has {width} units")
            if b.shape[0] != w.shape[0]:
                raise ModelError(f"b_hidden[{k}] has {b.shape[0]} entries but W_hidden[{k}] has {w.shape[0]} rows")
            width = w.shape[0]
        if W_out.shape[1] != width:
            raise ModelError(f"W_out has {W_out.shape[1]} columns but the last hidden layer has {width} units")
        if b_out.shape[0] != W_out.shape[0]:
            raise ModelError(f"b_out has {b_out.shape[0]} entries but W_out has {W_out.shape[0]} rows (features)")
        for name, val in (("W_in", W_in), ("b_in", b_in), ("W_out", W_out), ("b_out", b_out),
                          ("W_hidden", Wh), ("b_hidden", bh)):
            if isinstance(val, tuple):
                for v in val:
                    v.setflags(write=False)
            else:
                val.setflags(write=False)
            object.__setattr__(self, name, val)

    # ---- shapes and sizes -----------------------------------------------------------------
    @property
    def d_in(self) -> int:
        return self.W_in.shape[1]

    @property
    def d_hidden(self) -> int:
        """Width of the first hidden layer."""
        return self.W_in.shape[0]

    @property
    def n_features(self) -> int:
        return self.W_out.shape[0]

    @property
    def layers(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """All ``(W, b)`` pairs from input to readout."""
        return [(self.W_in, self.b_in), *zip(self.W_hidden, self.b_hidden), (self.W_out, self.b_out)]

    @property
    def widths(self) -> tuple[int, ...]:
        return tuple(w.shape[0] for w, _ in self.layers[:-1])

    @property
    def parameter_size(self) -> int:
        """``P``: the number of non-zero weights (biases excluded, as in docs/design.md §2)."""
        return int(sum(np.count_nonzero(w) for w, _ in self.layers))

    @property
    def is_integer(self) -> bool:
        return all(_is_integral(w) and _is_integral(b) for w, b in self.layers)

    # ---- I/O ------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        def conv(a):
            return a.astype(np.int64).tolist() if _is_integral(a) else a.tolist()

        out = {"activation": self.activation, "W_in": conv(self.W_in), "b_in": conv(self.b_in),
               "W_out": conv(self.W_out), "b_out": conv(self.b_out)}
        if self.W_hidden:
            out["W_hidden"] = [conv(w) for w in self.W_hidden]
            out["b_hidden"] = [conv(b) for b in self.b_hidden]
        return out

    @classmethod
    def from_dict(cls, d: dict) -> "Network":
        try:
            return cls(np.array(d["W_in"]), np.array(d["b_in"]), np.array(d["W_out"]), np.array(d["b_out"]),
                       d.get("activation", "relu"), tuple(np.array(w) for w in d.get("W_hidden", ())),
                       tuple(np.array(b) for b in d.get("b_hidden", ())))
        except KeyError as exc:
            raise ModelError(f"network is missing {exc.args[0]!r}") from None

    def save(self, path) -> Path:
        """Write an .npz with ``W_in, b_in, W_out, b_out, activation`` (and ``W_hidden_k, b_hidden_k``), whole
        or not at all; ``.npz`` is appended when the name lacks it (as numpy does)."""
        import io

        from ._files import write_atomic

        arrays = {"W_in": self.W_in, "b_in": self.b_in, "W_out": self.W_out, "b_out": self.b_out,
                  "activation": np.array(self.activation)}
        for k, (w, b) in enumerate(zip(self.W_hidden, self.b_hidden)):
            arrays[f"W_hidden_{k}"], arrays[f"b_hidden_{k}"] = w, b
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        path = Path(path)
        return write_atomic(path if path.suffix == ".npz" else path.with_suffix(path.suffix + ".npz"), buf.getvalue())

    @classmethod
    def load(cls, path, activation: str | None = None) -> "Network":
        """Read an .npz written by :meth:`save` (or any .npz with ``W_in, b_in, W_out, b_out``)."""
        path = Path(path)
        if not path.exists():
            raise ModelError(f"model file {path} does not exist")
        try:
            with np.load(path, allow_pickle=False) as z:
                data = {k: z[k] for k in z.files}
        except Exception as exc:
            raise ModelError(f"cannot read {path} as .npz: {exc}") from None
        missing = [k for k in ("W_in", "b_in", "W_out", "b_out") if k not in data]
        if missing:
            raise ModelError(f"{path} is missing array(s) {', '.join(missing)}")
        act = activation or (str(data["activation"]) if "activation" in data else "relu")
        k, Wh, bh = 0, [], []
        while f"W_hidden_{k}" in data:
            Wh.append(data[f"W_hidden_{k}"])
            bh.append(data.get(f"b_hidden_{k}", np.zeros(data[f"W_hidden_{k}"].shape[0])))
            k += 1
        return cls(data["W_in"], data["b_in"], data["W_out"], data["b_out"], act, tuple(Wh), tuple(bh))

    # ---- evaluation -----------------------------------------------------------------------
    def _check_domain(self, domain: Domain):
        if domain.m != self.d_in:
            raise ModelError(f"network has {self.d_in} inputs but the domain has {domain.m}")

    def logits(self, domain: Domain) -> np.ndarray:
        """``(N, n_features)`` readout values in float64 (for display; use :meth:`outputs` for exact signs)."""
        self._check_domain(domain)
        h = domain.points.astype(np.float64)
        for W, b in self.layers[:-1]:
            z = h @ W.T.astype(np.float64) + b
            h = np.maximum(z, 0.0) if self.activation == "relu" else (z >= 0).astype(np.float64)
        return h @ self.W_out.T.astype(np.float64) + self.b_out

    def outputs(self, domain: Domain) -> np.ndarray:
        """``(N, n_features)`` booleans ``[y_f(x) >= 0]``, exact."""
        self._check_domain(domain)
        return _exact_signs(self, domain.points)

    def truth_tables(self, domain: Domain) -> np.ndarray:
        """``(n_features, words)`` truth tables of the outputs."""
        return domain.pack(self.outputs(domain).T)

    def hidden_tables(self, domain: Domain) -> np.ndarray:
        """``(d_hidden, words)`` truth tables ``[W_in x + b_in >= 0]`` / ``> 0``: which points activate each unit
        (step: ``z >= 0``; relu: ``z > 0``), exact."""
        self._check_domain(domain)
        first = Network(self.W_in, self.b_in, np.eye(self.d_hidden, dtype=np.int64),
                        np.zeros(self.d_hidden, dtype=np.int64), "step")
        if self.activation == "step":
            return domain.pack(_exact_signs(first, domain.points, layers_override=[(self.W_in, self.b_in)]).T)
        neg = _exact_signs(first, domain.points, layers_override=[(-self.W_in, -self.b_in)])
        return domain.pack(~neg.T)  # z > 0  <=>  not (-z >= 0)


def _int_bound(layers, act, m) -> int:
    """Upper bound on every |value| an integer forward pass produces."""
    h = 1
    for W, b in layers[:-1]:
        z = int(np.abs(W.astype(object)).sum(axis=1).max()) * h + int(np.abs(b.astype(object)).max(initial=0))
        h = z if act == "relu" else 1
    W, b = layers[-1]
    return int(np.abs(W.astype(object)).sum(axis=1).max(initial=0)) * h + int(np.abs(b.astype(object)).max(initial=0))


def _exact_signs(net: Network, X: np.ndarray, layers_override=None) -> np.ndarray:
    """``[y >= 0]`` for every point row of ``X`` and every output, exactly."""
    layers = layers_override if layers_override is not None else net.layers
    relu = net.activation == "relu"
    if all(_is_integral(W) and _is_integral(b) for W, b in layers) and _int_bound(layers, net.activation, X.shape[1]) < 2**62:
        h = X.astype(np.int64)
        for W, b in layers[:-1]:
            z = h @ W.T.astype(np.int64) + b.astype(np.int64)
            h = np.maximum(z, 0) if relu else (z >= 0).astype(np.int64)
        W, b = layers[-1]
        return (h @ W.T.astype(np.int64) + b.astype(np.int64)) >= 0
    # float path with a rigorous error bound; undecided points are recomputed exactly
    h = X.astype(np.float64)
    err = np.zeros_like(h)
    undecided = np.zeros(X.shape[0], dtype=bool)
    for depth, (W, b) in enumerate(layers):
        W, b = W.astype(np.float64), b.astype(np.float64)
        aW = np.abs(W)
        z = h @ W.T + b
        k = W.shape[1] + 1
        ez = _gamma(k) * (np.abs(h) @ aW.T + np.abs(b)) + (err @ aW.T) * (1 + _gamma(k)) + 1e-300
        if depth == len(layers) - 1:
            undecided |= (np.abs(z) <= ez).any(axis=1)
            out = z >= 0
            break
        if relu:
            h, err = np.maximum(z, 0.0), ez
        else:
            undecided |= (np.abs(z) <= ez).any(axis=1)
            h, err = (z >= 0).astype(np.float64), np.zeros_like(z)
    if undecided.any():
        out[undecided] = _fraction_signs(layers, relu, X[undecided])
    return out


def _fraction_signs(layers, relu, X) -> np.ndarray:
    def fr(a):  # via Python int/float objects, so no numpy integer can overflow inside a Fraction
        return np.vectorize(Fraction, otypes=[object])(np.asarray(a).astype(object))
    h = X.astype(object)
    for W, b in layers[:-1]:
        z = h.dot(fr(W).T) + fr(b)
        h = np.where(z > 0, z, 0) if relu else np.where(z >= 0, 1, 0).astype(object)
    W, b = layers[-1]
    return np.asarray(h.dot(fr(W).T) + fr(b) >= 0, dtype=bool)


def truth_tables(network: Network, domain: Domain) -> np.ndarray:
    """Truth tables of the network's outputs on ``domain`` (same as ``network.truth_tables(domain)``)."""
    return network.truth_tables(domain)


def computed(network: Network, features, *, aligned: bool = False) -> np.ndarray:
    """Which features the network computes, exactly, on the features' domain.

    With ``aligned=False`` (default) entry ``i`` says whether *some* output computes feature ``i``; with
    ``aligned=True`` it says whether output ``i`` computes feature ``i`` (a trained network's reading).
    """
    tables = network.truth_tables(features.domain)
    if aligned:
        if len(features) != network.n_features:
            raise ModelError(f"aligned check needs {network.n_features} features, got {len(features)}")
        return np.all(tables == features.tables, axis=1)
    return (features.tables[:, None, :] == tables[None, :, :]).all(axis=2).any(axis=1)
