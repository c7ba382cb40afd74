"""Stop a running CaDiCaL 1.9.5 search at a wall-clock deadline (only ever to give up with UNKNOWN).

python-sat's ``Cadical195.interrupt()`` raises ``NotImplementedError`` and its ``solve`` holds the GIL, so no
Python thread can act while CaDiCaL searches. CaDiCaL's own ``Solver::terminate()`` is made to be called
asynchronously from another thread; python-sat's extension module exports it. :func:`deadline_timer` arms a
POSIX timer (``timer_create`` with ``SIGEV_THREAD``, glibc) whose expiry runs that function in a native thread,
with no Python and no GIL involved. The timer fires at the deadline and then every 0.1 s, because CaDiCaL
clears the request at the end of each ``solve``: a slice started after the deadline stops at once too.

A terminated ``solve_limited`` returns None (unknown), never an answer, so this cannot change a result, only
turn it into UNKNOWN. Where a piece is missing (not Linux/glibc, a python-sat build without the symbol) the
timer is None and the caller keeps its polling between conflict slices.
"""

from __future__ import annotations

import ctypes
import time

__all__ = ["deadline_timer"]

_SYMBOL = {"cadical195": "_ZN10CaDiCaL1956Solver9terminateEv"}  # CaDiCaL195::Solver::terminate()
_CLOCK_MONOTONIC, _SIGEV_THREAD = 1, 2
_REPEAT = 0.1  # seconds between terminate requests after the deadline


class _SigEvent(ctypes.Structure):  # struct sigevent (glibc, 64 bytes) with the SIGEV_THREAD member
    _fields_ = [("value", ctypes.c_void_p), ("signo", ctypes.c_int), ("notify", ctypes.c_int),
                ("function", ctypes.c_void_p), ("attribute", ctypes.c_void_p), ("pad", ctypes.c_int * 8)]


class _TimeSpec(ctypes.Structure):
    _fields_ = [("sec", ctypes.c_long), ("nsec", ctypes.c_long)]


class _ITimerSpec(ctypes.Structure):
    _fields_ = [("interval", _TimeSpec), ("value", _TimeSpec)]


def _spec(seconds: float) -> _TimeSpec:
    ns = max(int(seconds * 1e9), 1)  # zero would disarm the timer
    return _TimeSpec(ns // 1_000_000_000, ns % 1_000_000_000)


_LIBS: dict = {}


def _libs():
    """(libc with the timer functions, pysolvers) or None."""
    if "libs" not in _LIBS:
        try:
            import pysolvers

            libc = ctypes.CDLL(None, use_errno=True)
            if not hasattr(libc, "timer_create"):  # glibc before 2.34
                libc = ctypes.CDLL("librt.so.1", use_errno=True)
            libc.timer_create.argtypes = [ctypes.c_int, ctypes.POINTER(_SigEvent), ctypes.POINTER(ctypes.c_void_p)]
            libc.timer_settime.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(_ITimerSpec),
                                           ctypes.c_void_p]
            libc.timer_delete.argtypes = [ctypes.c_void_p]
            get = ctypes.pythonapi.PyCapsule_GetPointer
            get.restype, get.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
            _LIBS["libs"] = (libc, ctypes.CDLL(pysolvers.__file__))
        except (OSError, AttributeError, ImportError):
            _LIBS["libs"] = None
    return _LIBS["libs"]


class _Timer:
    def __init__(self, libc, handle, deadline):
        self.libc, self.handle, self.deadline = libc, handle, deadline

    def cancel(self) -> None:
        """Disarm and delete the timer; must run before the solver is deleted."""
        if self.handle is None:
            return
        self.libc.timer_settime(self.handle, 0, ctypes.byref(_ITimerSpec()), None)
        self.libc.timer_delete(self.handle)
        self.handle = None
        if time.perf_counter() >= self.deadline:
            time.sleep(0.02)  # let a terminate() already on its way finish before the solver goes


def deadline_timer(solver, name: str, deadline: float):
    """Call CaDiCaL's ``terminate()`` on the python-sat ``solver`` (python-sat name ``name``) at ``deadline``
    (a :func:`time.perf_counter` value) and every 0.1 s after; returns a timer with ``cancel()``, or None when
    this solver or platform does not allow it."""
    libs = _libs() if name in _SYMBOL else None
    if libs is None:
        return None
    libc, lib = libs
    try:
        fn = ctypes.cast(getattr(lib, _SYMBOL[name]), ctypes.c_void_p).value
        ptr = ctypes.pythonapi.PyCapsule_GetPointer(solver.solver.cadical, None)
    except (AttributeError, ValueError):
        return None
    if not fn or not ptr:
        return None
    ev = _SigEvent(value=ptr, notify=_SIGEV_THREAD, function=fn)
    handle = ctypes.c_void_p()
    if libc.timer_create(_CLOCK_MONOTONIC, ctypes.byref(ev), ctypes.byref(handle)) != 0:
        return None
    spec = _ITimerSpec(_spec(_REPEAT), _spec(deadline - time.perf_counter()))
    if libc.timer_settime(handle, 0, ctypes.byref(spec), None) != 0:
        libc.timer_delete(handle)
        return None
    return _Timer(libc, handle, deadline)
