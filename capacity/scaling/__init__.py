"""Parameter-capacity scaling laws: exact minimum width and capacity beside hand-built constructions,
gradient-trained networks and the published asymptotic bounds (constants fitted to our exact tables).

``capacity scaling`` (CLI) runs :func:`run_sweep` on a :class:`SweepConfig` (presets ``smoke``, ``default``,
``full``) through a SQLite :class:`ResultCache` on local processes or a Dask cluster, then
:func:`write_report` writes Markdown, CSV, JSON and PNG files.
"""

from .bounds import BOUNDS, Bound, counting_min_width, fit_constant, fit_exponent, network_behaviours
from .cache import CacheError, NullCache, ResultCache, point_key
from .constructions import (
    Construction,
    construction_min_width,
    dedicated_network,
    pair_features,
    sparse_code_network,
    uand_network,
)
from .executors import DaskExecutor, LocalExecutor, SerialExecutor, make_executor
from .points import FAMILIES, KINDS, Point, family_features, graph_classes, run_point
from .report import export_certificates, fits, frames, write_report
from .sweep import COLUMNS, PRESETS, SweepConfig, SweepResult, plan, preset, run_sweep

__all__ = [
    "BOUNDS",
    "Bound",
    "COLUMNS",
    "CacheError",
    "Construction",
    "DaskExecutor",
    "FAMILIES",
    "KINDS",
    "LocalExecutor",
    "NullCache",
    "PRESETS",
    "Point",
    "ResultCache",
    "SerialExecutor",
    "SweepConfig",
    "SweepResult",
    "construction_min_width",
    "counting_min_width",
    "dedicated_network",
    "export_certificates",
    "family_features",
    "fit_constant",
    "fit_exponent",
    "fits",
    "frames",
    "graph_classes",
    "make_executor",
    "network_behaviours",
    "pair_features",
    "plan",
    "point_key",
    "preset",
    "run_point",
    "run_sweep",
    "sparse_code_network",
    "uand_network",
    "write_report",
]
