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
from .network import Network, computed
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
    "dnf_task",
    "enumerate_functions",
    "features",
    "formulas",
    "from_spec",
    "kand_task",
    "min_width",
    "muroga_bound",
    "representable",
    "representable_set",
    "verify_witness",
    "vision1d_task",
]
