"""capacity: exact capacity of small neural networks.

Data path: :class:`Domain` -> features (:mod:`capacity.features`) -> :class:`Problem` -> a solver
(``method=``) -> :class:`Result` (a verified witness network or a certificate) -> tables.
"""

__version__ = "0.1.0"

from . import features
from .codes import Code, bit_size, cat_tau
from .domain import MAX_DOMAIN_SIZE, Domain
from .errors import CapacityError
from .features import FeatureSet, formulas, from_spec
from .network import Network, computed
from .solvers import Certificate, Problem, Result, Status, verify_witness

__all__ = [
    "__version__",
    "Code",
    "CapacityError",
    "Certificate",
    "Domain",
    "FeatureSet",
    "MAX_DOMAIN_SIZE",
    "Network",
    "Problem",
    "Result",
    "Status",
    "bit_size",
    "cat_tau",
    "computed",
    "features",
    "formulas",
    "from_spec",
    "verify_witness",
]
