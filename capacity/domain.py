"""Boolean domains and truth tables.

A :class:`Domain` is the full cube ``{0,1}^m`` or the ``s``-sparse inputs ``{x : |x| <= s}``.
Its points are indexed once, in a fixed order: **the points of the cube with at most s ones, in
increasing order of the integer ``sum_i x_i 2^i``** (input ``x0`` is the least significant bit).
For the full cube, point ``j`` is therefore the binary expansion of ``j`` (the kitty convention).

A feature (a Boolean function on the domain) is a *truth table*: a bitset over the point indices,
stored little-endian in ``ceil(N / 64)`` uint64 words (bit ``j % 64`` of word ``j // 64`` is the
value at point ``j``). A set of ``F`` features is a ``(F, words)`` uint64 array.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from math import comb

import numpy as np

from .errors import CapacityError, DomainTooLarge

__all__ = [
    "MAX_DOMAIN_SIZE",
    "Domain",
    "n_words",
    "pack",
    "unpack",
    "popcount",
]

#: Largest number of points a domain may have. Past it, building the point matrix and the
#: truth tables would cost memory the exact methods cannot use anyway, so we refuse early.
MAX_DOMAIN_SIZE = 1 << 22


def n_words(n_points: int) -> int:
    """Number of uint64 words in a truth table over ``n_points`` points."""
    return max(1, (n_points + 63) // 64)


def pack(bits) -> np.ndarray:
    """Pack boolean arrays ``(..., N)`` into truth tables ``(..., ceil(N/64))`` uint64."""
    bits = np.asarray(bits, dtype=bool)
    n = bits.shape[-1]
    w = n_words(n)
    padded = np.zeros(bits.shape[:-1] + (w * 64,), dtype=np.uint8)
    padded[..., :n] = bits
    by = np.packbits(padded.reshape(bits.shape[:-1] + (w, 64)), axis=-1, bitorder="little")
    return by.view("<u8").reshape(bits.shape[:-1] + (w,)).astype(np.uint64)


def unpack(words, n_points: int) -> np.ndarray:
    """Unpack truth tables ``(..., words)`` into boolean arrays ``(..., n_points)``."""
    words = np.ascontiguousarray(np.asarray(words, dtype=np.uint64))
    by = words.astype("<u8").view(np.uint8).reshape(words.shape[:-1] + (words.shape[-1] * 8,))
    bits = np.unpackbits(by, axis=-1, bitorder="little")
    return bits[..., :n_points].astype(bool)


def popcount(words) -> np.ndarray:
    """Number of ones in each truth table (sum over the last axis)."""
    return np.bitwise_count(np.asarray(words, dtype=np.uint64)).sum(axis=-1).astype(np.int64)


def _check_int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise CapacityError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise CapacityError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


@dataclass(frozen=True)
class Domain:
    """The admissible inputs: ``m`` Boolean inputs, all of them (``sparsity=None``) or at most ``sparsity`` ones.

    >>> d = Domain(3, sparsity=1)
    >>> d.size, d.points.tolist()
    (4, [[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]])
    """

    m: int
    sparsity: int | None = None
    _size: int = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        _check_int("inputs", self.m, 1)
        if self.sparsity is not None:
            _check_int("sparsity", self.sparsity, 0)
            if self.sparsity > self.m:
                raise CapacityError(f"sparsity {self.sparsity} is greater than the number of inputs {self.m}")
        s = self.m if self.sparsity is None else self.sparsity
        size = sum(comb(self.m, t) for t in range(s + 1))
        if size > MAX_DOMAIN_SIZE:
            raise DomainTooLarge(
                f"domain with {self.m} inputs and sparsity {self.sparsity} has {size} points, "
                f"more than the limit MAX_DOMAIN_SIZE = {MAX_DOMAIN_SIZE}"
            )
        object.__setattr__(self, "_size", size)

    @property
    def is_cube(self) -> bool:
        return self.sparsity is None or self.sparsity >= self.m

    @property
    def size(self) -> int:
        """Number of points ``N``."""
        return self._size

    @property
    def words(self) -> int:
        return n_words(self._size)

    @cached_property
    def codes(self) -> np.ndarray:
        """The integer ``sum_i x_i 2^i`` of each point, in domain order (increasing; int64, or Python ints
        in an object array when ``m > 62``)."""
        if self.is_cube:
            return np.arange(1 << self.m, dtype=np.int64)
        from itertools import combinations

        codes = sorted(sum(1 << i for i in c) for t in range(self.sparsity + 1)
                       for c in combinations(range(self.m), t))
        return np.array(codes, dtype=np.int64 if self.m <= 62 else object)

    @cached_property
    def points(self) -> np.ndarray:
        """The ``(N, m)`` 0/1 matrix of points (int8), row ``j`` is point ``j``."""
        if self.m <= 62:
            return ((self.codes[:, None] >> np.arange(self.m, dtype=np.int64)) & 1).astype(np.int8)
        pts = np.zeros((self.size, self.m), dtype=np.int8)
        for j, c in enumerate(self.codes):
            for i in range(self.m):
                if (c >> i) & 1:
                    pts[j, i] = 1
        return pts

    def lookup(self, points) -> np.ndarray:
        """Indices of the rows of ``points`` (a 0/1 matrix of points of this domain)."""
        points = np.asarray(points, dtype=np.int64)
        if self.m <= 62:
            return np.searchsorted(self.codes, (points << np.arange(self.m, dtype=np.int64)).sum(axis=1))
        where = {c: j for j, c in enumerate(self.codes)}
        return np.array([where[sum(1 << i for i in np.flatnonzero(row).tolist())] for row in points], dtype=np.int64)

    def index(self, x) -> int:
        """Index of point ``x`` (a 0/1 sequence of length m) in the domain order."""
        x = np.asarray(x, dtype=np.int64).reshape(-1)
        if x.shape[0] != self.m or not np.isin(x, (0, 1)).all():
            raise CapacityError(f"point {x.tolist()} is not a 0/1 vector of length {self.m}")
        code = sum(1 << i for i in np.flatnonzero(x).tolist())
        j = int(np.searchsorted(self.codes, code))
        if j >= self.size or self.codes[j] != code:
            raise CapacityError(f"point {x.tolist()} is not in {self}")
        return j

    def pack(self, bits) -> np.ndarray:
        """Truth tables of boolean arrays over this domain's points."""
        bits = np.asarray(bits, dtype=bool)
        if bits.shape[-1] != self.size:
            raise CapacityError(f"expected {self.size} values per table, got {bits.shape[-1]}")
        return pack(bits)

    def unpack(self, words) -> np.ndarray:
        return unpack(words, self.size)

    def __str__(self) -> str:
        if self.is_cube:
            return f"{{0,1}}^{self.m}"
        return f"{{x in {{0,1}}^{self.m} : |x| <= {self.sparsity}}}"

    def to_dict(self) -> dict:
        return {"inputs": self.m, "sparsity": self.sparsity, "size": self.size}
