"""Where sweep points run: in this process, in local processes, or on a Dask cluster, all through one
interface, ``executor.run(fn, items)``, which yields ``(index, result)`` as points finish.

The sweep code is the same for every executor (same task function, same cache writes from the main
process, same result order after sorting), so a Dask run and a local run give the same tables.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

from ..errors import CapacityError

__all__ = ["SerialExecutor", "LocalExecutor", "DaskExecutor", "make_executor", "DASK_CONNECT_TIMEOUT"]

#: seconds to wait for a Dask scheduler before giving up with a one-line error
DASK_CONNECT_TIMEOUT = 3.0


class SerialExecutor:
    """Runs every point in this process, in order (``--workers 1``)."""

    name = "serial"
    workers = 1

    def run(self, fn, items):
        for i, item in enumerate(items):
            yield i, fn(item)

    def close(self):
        pass

    def describe(self) -> dict:
        return {"executor": self.name, "workers": 1}


def _worker_init():
    # one thread per worker process: the sweep parallelises over points, not inside them
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ.setdefault(var, "1")


class LocalExecutor:
    """A ``concurrent.futures.ProcessPoolExecutor`` (fork context on Linux) with ``workers`` processes.

    At most ``2 * workers`` points are in flight, so a killed sweep loses only those."""

    name = "local"

    def __init__(self, workers: int | None = None):
        self.workers = int(workers or os.cpu_count() or 1)
        if self.workers < 1:
            raise CapacityError(f"workers must be >= 1, got {workers}")
        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx, initializer=_worker_init)

    def run(self, fn, items):
        items = list(items)
        pending, nxt = {}, 0
        try:
            while nxt < len(items) or pending:
                while nxt < len(items) and len(pending) < 2 * self.workers:
                    pending[self._pool.submit(fn, items[nxt])] = nxt
                    nxt += 1
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in sorted(done, key=pending.get):
                    i = pending.pop(fut)
                    yield i, fut.result()
        finally:
            for fut in pending:
                fut.cancel()

    def close(self):
        self._pool.shutdown(wait=True, cancel_futures=True)

    def describe(self) -> dict:
        return {"executor": self.name, "workers": self.workers}


class DaskExecutor:
    """Runs the same task function on a Dask distributed cluster (``--dask ADDRESS``).

    ``client`` may be given directly (tests pass a ``LocalCluster``'s client); otherwise ``address`` is
    connected with a ``DASK_CONNECT_TIMEOUT`` second timeout and an unreachable scheduler raises
    :class:`~capacity.errors.CapacityError` in one line."""

    name = "dask"

    def __init__(self, address: str | None = None, *, client=None, timeout: float = DASK_CONNECT_TIMEOUT):
        try:
            from distributed import Client
        except ImportError:  # pragma: no cover - installed in the dev environment
            raise CapacityError("--dask needs dask.distributed: pip install 'capacity[scale]'") from None
        self._own = client is None
        if client is None:
            if not address or not isinstance(address, str):
                raise CapacityError(f"Dask scheduler address must be a non-empty string, got {address!r}")
            import logging

            quiet = [logging.getLogger(n) for n in ("distributed", "distributed.comm", "distributed.client")]
            levels = [lg.level for lg in quiet]
            for lg in quiet:
                lg.setLevel(logging.CRITICAL)
            try:
                client = Client(address, timeout=timeout, set_as_default=False)
            except Exception as exc:  # OSError / TimeoutError / ValueError for a malformed address
                msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise CapacityError(
                    f"cannot reach the Dask scheduler at {address!r} within {timeout:g} s "
                    f"({type(exc).__name__}: {msg[:120]})"
                ) from None
            finally:
                for lg, lv in zip(quiet, levels):
                    lg.setLevel(lv)
        self.client = client
        self.address = address or getattr(client.scheduler, "address", None)
        info = client.scheduler_info()
        self.workers = max(1, sum(int(w.get("nthreads", 1)) for w in info.get("workers", {}).values()))

    def run(self, fn, items):
        from distributed import as_completed

        items = list(items)
        if not items:
            return
        futures = self.client.map(fn, items, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        try:
            for fut in as_completed(futures, loop=self.client.loop):
                yield index[fut.key], fut.result()
        finally:
            self.client.cancel([f for f in futures if not f.done()])

    def close(self):
        if self._own:
            self.client.close()

    def describe(self) -> dict:
        return {"executor": self.name, "workers": self.workers, "address": str(self.address)}


def make_executor(*, dask: str | None = None, workers: int | None = None):
    """``--dask ADDRESS`` gives a :class:`DaskExecutor`; ``workers == 1`` a :class:`SerialExecutor`; otherwise
    a :class:`LocalExecutor` with ``workers`` processes (default: every core)."""
    if dask:
        return DaskExecutor(dask)
    if workers == 1:
        return SerialExecutor()
    return LocalExecutor(workers)
