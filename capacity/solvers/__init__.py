"""Exact solvers: one :class:`Problem` in, one :class:`Result` (witness or certificate) out.

Method modules (``enumerate``, ``sat``, ``cpsat``, ``milp``, ``lp``, ``reference``) each expose
``solve(problem, *, time_limit=None, seed=0, ...)``; the front doors in :mod:`capacity.solvers.front` choose
and cross-check them.
"""

from .front import (
    METHODS,
    CapacityResult,
    MinWidthResult,
    RepresentableSet,
    capacity,
    choose_method,
    min_width,
    representable,
    representable_set,
)
from .problem import CERTIFICATE_KINDS, Certificate, Problem, Result, Status, verify_witness

__all__ = ["CERTIFICATE_KINDS", "METHODS", "CapacityResult", "Certificate", "MinWidthResult", "Problem",
           "RepresentableSet", "Result", "Status", "capacity", "choose_method", "min_width", "representable",
           "representable_set", "verify_witness"]
