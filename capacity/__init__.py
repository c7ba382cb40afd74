"""capacity: exact capacity of small neural networks.

Data path: :class:`Domain` -> features (:mod:`capacity.features`) -> :class:`Problem` -> a solver
(``method=``) -> :class:`Result` (a verified witness network or a certificate) -> tables.
"""

__version__ = "0.1.0"

from . import features
from .codes import Code, bit_size, cat_tau
from .domain import MAX_DOMAIN_SIZE, Domain
from .drup import DrupCheck, check_drup
from .enumeration import Enumeration, count, enumerate_functions, muroga_bound
from .errors import CapacityError
from .features import FeatureSet, formulas, from_spec
from .interpret import InterpretConfig, Interpretation, crosscheck_code, extract_formula, interpret, prove_formula
from .network import Network, computed
from .solvers.lp import readable
from .solvers import (
    CapacityResult,
    Certificate,
    MinWidthResult,
    Problem,
    RepresentableSet,
    Result,
    Status,
    capacity,
    min_width,
    representable,
    representable_set,
    verify_witness,
)
from .tasks import Task, cnf_task, dnf_task, kand_task, vision1d_task
from .torch_io import load_model, to_torch
from .train import TrainConfig, TrainResult

__all__ = [
    "__version__",
    "CapacityError",
    "CapacityResult",
    "Certificate",
    "Code",
    "Domain",
    "DrupCheck",
    "Enumeration",
    "FeatureSet",
    "InterpretConfig",
    "Interpretation",
    "MAX_DOMAIN_SIZE",
    "MinWidthResult",
    "Network",
    "Problem",
    "RepresentableSet",
    "Result",
    "Status",
    "Task",
    "TrainConfig",
    "TrainResult",
    "bit_size",
    "capacity",
    "cat_tau",
    "check_drup",
    "cnf_task",
    "computed",
    "count",
    "crosscheck_code",
    "dnf_task",
    "enumerate_functions",
    "extract_formula",
    "features",
    "formulas",
    "from_spec",
    "interpret",
    "kand_task",
    "load_model",
    "min_width",
    "muroga_bound",
    "prove_formula",
    "readable",
    "representable",
    "representable_set",
    "to_torch",
    "verify_witness",
    "vision1d_task",
]
