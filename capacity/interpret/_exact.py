"""Exact arithmetic on a network's weights: dyadic scaling, exact forward passes, exact point tests.

Every float64 weight is a dyadic rational ``n / 2^e``, so a layer's weights and biases scale to integers
by one power of two; a forward pass in (Python or int64) integers then gives every pre-activation exactly.
:func:`forward` is an independent twin of :func:`capacity.network._exact_signs` (float with an error
bound and a rational fallback): the tests compare the two.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..network import Network, _exact_signs

__all__ = ["as_fraction", "dyadic", "fires", "forward", "layer_active"]

_INT64_SAFE = 2**62


def as_fraction(v) -> Fraction:
    """The exact rational value of a float64 / integer."""
    if isinstance(v, Fraction):
        return v
    if isinstance(v, (np.integer, int)):
        return Fraction(int(v))
    return Fraction(float(v))


def dyadic(values) -> tuple[list[int], int]:
    """Integers ``k`` and an exponent ``e`` with ``values == k / 2^e`` exactly (one ``e`` for all)."""
    fr = [as_fraction(v) for v in np.asarray(values, dtype=object).ravel()]
    e = 0
    for f in fr:
        d = f.denominator
        if d & (d - 1):
            raise ValueError(f"{f} is not a dyadic rational")
        e = max(e, d.bit_length() - 1)
    return [int(f * (1 << e)) for f in fr], e


def _int_array(vals, shape):
    big = max((abs(v) for v in vals), default=0)
    dtype = np.int64 if big < 2**31 else object
    return np.array(vals, dtype=dtype).reshape(shape)


def _dot(A, B):
    """Exact integer matrix product (int64 when it cannot overflow, Python ints otherwise)."""
    if A.dtype != object and B.dtype != object:
        bound = int(np.abs(A).max(initial=0)) * int(np.abs(B).max(initial=0)) * max(1, A.shape[-1])
        if bound < _INT64_SAFE:
            return A @ B
    return np.asarray(A, dtype=object).dot(np.asarray(B, dtype=object))


def forward(network: Network, X) -> list[tuple[np.ndarray, int]]:
    """Exact pre-activations of every layer at the points ``X`` (rows, 0/1).

    Returns ``[(Z_1, E_1), ..., (Z_L, E_L), (Y, E_out)]``: integer arrays with ``z = Z / 2^E`` exactly.
    """
    h = np.asarray(X, dtype=np.int64)
    scale = 0  # h = H / 2^scale
    out = []
    relu = network.activation == "relu"
    for k, (W, b) in enumerate(network.layers):
        wi, ew = dyadic(W)
        bi, eb = dyadic(b)
        E = scale + ew
        # b must be expressed at scale E (>= eb? not necessarily): bring both to E' = max(E, eb)
        Ep = max(E, eb)
        Wint = _int_array([v << (Ep - E) for v in wi], W.shape)
        bint = _int_array([v << (Ep - eb) for v in bi], b.shape)
        Z = _dot(h, Wint.T) + bint
        out.append((Z, Ep))
        if k == len(network.layers) - 1:
            break
        if relu:
            h, scale = np.maximum(Z, 0), Ep
        else:
            h, scale = (Z >= 0).astype(np.int64), 0
    return out


def fires(network: Network, X, layer: int, index: int, strict: bool | None = None) -> np.ndarray:
    """Exact ``[z > 0]`` (``strict``) or ``[z >= 0]`` of unit ``index`` of ``layer`` (``layer == depth`` is the
    readout) at the rows of ``X``, via :func:`capacity.network._exact_signs` on the sub-network."""
    layers = network.layers
    depth = len(layers) - 1
    if strict is None:
        strict = layer < depth and network.activation == "relu"
    W, b = layers[layer]
    w, bb = W[index:index + 1], b[index:index + 1]
    X = np.asarray(X, dtype=np.int8)
    if X.shape[0] == 0:
        return np.zeros(0, dtype=bool)
    if strict:
        return ~_exact_signs(network, X, layers_override=[*layers[:layer], (-w, -bb)])[:, 0]
    return _exact_signs(network, X, layers_override=[*layers[:layer], (w, bb)])[:, 0]


def layer_active(network: Network, X, layer: int) -> np.ndarray:
    """Exact activity ``(rows, width)`` of hidden ``layer`` (relu: ``z > 0``; step: ``z >= 0``)."""
    layers = network.layers
    W, b = layers[layer]
    X = np.asarray(X, dtype=np.int8)
    if network.activation == "relu":
        return ~_exact_signs(network, X, layers_override=[*layers[:layer], (-W, -b)])
    return _exact_signs(network, X, layers_override=[*layers[:layer], (W, b)])
