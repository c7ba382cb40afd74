"""Fixed Parameter Expansion (FPE): wider hidden layers at an unchanged non-zero weight count.

See the README section *Fixed Parameter Expansion*. :func:`fpe_expand` is the method; :mod:`.metrics` the polysemanticity and clause
metrics; :mod:`.study` the pre-registered study (Boolean tasks with variable-disjoint clauses, mnist1d, digits,
MiniLM text; every variant at an equal non-zero budget, trained by :func:`capacity.train.fit`), :mod:`.analysis`
its paired intervals and verdicts, :mod:`.exact` exact capacity with the solvers; :mod:`.report` writes tables
and plots. torch is imported only inside the training functions.
"""

from .expand import (BASELINES, SPLITS, FPEError, FPEExpansion, count_nonzero, fpe_expand, masks_from_assignment,
                     overlapping_masks, parse_clauses, prune_to_budget, split_clause, split_gram, split_random)
from .metrics import (balanced_collision, clause_collision_rate, clause_coverage, expected_collision,
                      feature_capacity, fold_regression, mean_pairwise_cosine, monte_carlo_collision)

__all__ = ["BASELINES", "SPLITS", "FPEError", "FPEExpansion", "balanced_collision", "clause_collision_rate",
           "clause_coverage", "count_nonzero", "expected_collision", "feature_capacity", "fold_regression",
           "fpe_expand", "masks_from_assignment", "mean_pairwise_cosine", "monte_carlo_collision",
           "overlapping_masks", "parse_clauses", "prune_to_budget", "split_clause", "split_gram", "split_random"]
