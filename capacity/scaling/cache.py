"""The sweep's result cache: one embedded SQLite file, one row per finished point.

A point's key is a SHA-256 of its configuration, the point function's name, the package version with
the point schema (:func:`point_key`; ``capacity.scaling.points.POINT_SCHEMA``) and a hash of the source
files the point's kind runs (:func:`source_hash`), so a rerun with the same configuration and code reuses
every finished point, and an edit of the code that computed a point recomputes it (results never stale). Each point is written in its
own transaction from the sweep's main process, so a sweep killed at any moment (even by SIGKILL) leaves
every finished point on disk and nothing half-written: SQLite's journal rolls back an interrupted
transaction when the file is next opened.

Nothing is reused silently: opening checks the file is an SQLite database whose ``meta`` table names this
cache format, and runs ``PRAGMA quick_check``; each row carries a SHA-256 of its key and payload that is
re-checked on every read. Any failure raises :class:`CacheError` with the way out (delete the file, choose
another with ``--cache PATH``, or run with ``--no-cache``).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
import zlib
from pathlib import Path

from ..errors import CapacityError

__all__ = ["CacheError", "ResultCache", "NullCache", "point_key", "canonical_json", "SCHEMA", "KIND_SOURCES",
           "source_hash"]

SCHEMA = "capacity-scaling-cache/1"
_MAGIC = b"SQLite format 3\x00"


class CacheError(CapacityError):
    """The result cache file cannot be trusted (corrupted, foreign, or from another format)."""


def canonical_json(obj) -> str:
    """JSON with sorted keys and no whitespace: equal objects give equal text (the hashing input)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=_default)


def _default(o):
    import numpy as np

    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (set, frozenset)):
        return sorted(o)
    raise TypeError(f"cannot serialise {type(o).__name__}")


_COMMON = ("scaling/points.py", "domain.py", "features.py", "network.py", "errors.py")
_EXACT = ("solvers/*.py", "drup.py", "codes.py", "_kernels.py", "enumeration.py")
_TRAIN = ("train.py", "tasks.py")
#: the package files (globs relative to the ``capacity`` folder) each point kind runs, besides ``_COMMON``
KIND_SOURCES = {
    "min_width": _EXACT,
    "capacity": _EXACT,
    "construction": ("scaling/constructions.py",),
    "trained": _TRAIN,
    "trained_width": _TRAIN,
    "count": ("enumeration.py", "_kernels.py", "codes.py"),
}


def source_hash(kind: str, root=None) -> str:
    """SHA-256 of the source files point kind ``kind`` runs (``KIND_SOURCES``; unknown kinds: the whole
    package), read from ``root`` (default: the installed ``capacity`` folder). Part of every cache key."""
    root = Path(__file__).resolve().parent.parent if root is None else Path(root)
    globs = _COMMON + KIND_SOURCES[kind] if kind in KIND_SOURCES else ("**/*.py",)
    files = sorted({p for g in globs for p in root.glob(g) if p.is_file()})
    h = hashlib.sha256()
    for p in files:
        h.update(p.relative_to(root).as_posix().encode() + b"\x00" + p.read_bytes() + b"\x00")
    return h.hexdigest()


def point_key(config: dict, function: str, version: str) -> str:
    """SHA-256 of the point configuration, the point function's qualified name and the package version."""
    text = canonical_json({"config": config, "function": function, "version": version})
    return hashlib.sha256(text.encode()).hexdigest()


def _digest(key: str, payload: str) -> str:
    return hashlib.sha256(key.encode() + b"\x00" + payload.encode()).hexdigest()


def _blob_digest(key: str, name: str, data: bytes) -> str:
    return hashlib.sha256(key.encode() + b"\x00" + name.encode() + b"\x00" + data).hexdigest()


class NullCache:
    """No cache (``--no-cache``): nothing is found and nothing outlives the run; a point's blobs (certificate
    files) are held in memory until the report has written them."""

    path = None

    def __init__(self):
        self._blobs: dict = {}

    def get(self, key):
        return None

    def latest_for(self, config):
        return None

    def get_blob(self, key, name):
        return self._blobs.get(key, {}).get(name)

    def blob_names(self, key):
        return sorted(self._blobs.get(key, {}))

    def put(self, key, config, result, blobs=None):
        if blobs:
            self._blobs[key] = dict(blobs)

    def __len__(self):
        return 0

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class ResultCache:
    """An SQLite file of finished sweep points: ``get(key)``, ``put(key, config, result, blobs)``."""

    def __init__(self, path):
        self.path = Path(path)
        self._advice = f"delete {self.path}, choose another file with --cache PATH, or run with --no-cache"
        if self.path.exists() and self.path.is_dir():
            raise CacheError(f"result cache {self.path} is a directory; {self._advice}")
        if self.path.exists() and self.path.stat().st_size > 0:
            with open(self.path, "rb") as fh:
                head = fh.read(len(_MAGIC))
            if head != _MAGIC:
                raise CacheError(
                    f"result cache {self.path} is not an SQLite file (corrupted or foreign); {self._advice}"
                )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(str(self.path), timeout=60, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            check = self._db.execute("PRAGMA quick_check").fetchall()
            if check != [("ok",)]:
                raise CacheError(f"result cache {self.path} is corrupted ({check[0][0]}); {self._advice}")
            self._init_schema()
        except sqlite3.DatabaseError as exc:
            raise CacheError(f"result cache {self.path} is corrupted ({exc}); {self._advice}") from None

    def _init_schema(self):
        tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not tables:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)"
                )
                self._db.execute(
                    "CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, config TEXT NOT NULL,"
                    " result TEXT NOT NULL, digest TEXT NOT NULL, created REAL NOT NULL)"
                )
                self._db.execute(
                    "CREATE TABLE IF NOT EXISTS blobs (key TEXT NOT NULL, name TEXT NOT NULL,"
                    " data BLOB NOT NULL, digest TEXT NOT NULL, PRIMARY KEY (key, name))"
                )
                self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA,))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            tables = {"meta", "results", "blobs"}
        if not {"meta", "results", "blobs"} <= tables:
            raise CacheError(f"{self.path} is an SQLite file but not a capacity result cache; {self._advice}")
        row = self._db.execute("SELECT value FROM meta WHERE name='schema'").fetchone()
        if row is None or row[0] != SCHEMA:
            raise CacheError(
                f"result cache {self.path} has format {row[0] if row else 'unknown'!r}, "
                f"expected {SCHEMA!r}; {self._advice}"
            )

    # ---- reading -----------------------------------------------------------------------------
    def _fail(self, exc) -> CacheError:
        return CacheError(f"result cache {self.path} is corrupted ({exc}); {self._advice}")

    def get(self, key: str) -> dict | None:
        """The stored result of point ``key``, or None. A row whose digest does not match raises."""
        try:
            row = self._db.execute("SELECT result, digest FROM results WHERE key=?", (key,)).fetchone()
        except sqlite3.DatabaseError as exc:
            raise self._fail(exc) from None
        if row is None:
            return None
        payload, digest = row
        if _digest(key, payload) != digest:
            raise self._fail(f"entry {key[:12]} fails its checksum")
        try:
            return json.loads(payload)
        except ValueError as exc:
            raise self._fail(f"entry {key[:12]} is not JSON: {exc}") from None

    def latest_for(self, config: dict) -> tuple[str, dict] | None:
        """``(key, result)`` of the newest stored row for the same point configuration under any key (an
        earlier version of the code), or None; for reports of runs stopped before they finished."""
        try:
            row = self._db.execute(
                "SELECT key FROM results WHERE config=? ORDER BY created DESC LIMIT 1", (canonical_json(config),)
            ).fetchone()
        except sqlite3.DatabaseError as exc:
            raise self._fail(exc) from None
        return None if row is None else (row[0], self.get(row[0]))

    def get_blob(self, key: str, name: str) -> bytes | None:
        try:
            row = self._db.execute(
                "SELECT data, digest FROM blobs WHERE key=? AND name=?", (key, name)
            ).fetchone()
        except sqlite3.DatabaseError as exc:
            raise self._fail(exc) from None
        if row is None:
            return None
        data, digest = bytes(row[0]), row[1]
        if _blob_digest(key, name, data) != digest:
            raise self._fail(f"blob {name!r} of entry {key[:12]} fails its checksum")
        return zlib.decompress(data)

    def blob_names(self, key: str) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT name FROM blobs WHERE key=? ORDER BY name", (key,))]

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM results").fetchone()[0])

    def keys(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT key FROM results ORDER BY key")]

    # ---- writing -----------------------------------------------------------------------------
    def put(self, key: str, config: dict, result: dict, blobs: dict[str, bytes] | None = None) -> None:
        """Store one finished point (and its blobs, zlib-compressed) in one transaction."""
        payload = canonical_json(result)
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?)",
                    (key, canonical_json(config), payload, _digest(key, payload), time.time()),
                )
                for name, data in (blobs or {}).items():
                    z = zlib.compress(data, 6)
                    self._db.execute(
                        "INSERT OR REPLACE INTO blobs VALUES (?, ?, ?, ?)",
                        (key, name, z, _blob_digest(key, name, z)),
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        except sqlite3.DatabaseError as exc:
            raise self._fail(exc) from None

    def close(self) -> None:
        if getattr(self, "_db", None) is not None:
            self._db.close()
            self._db = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
