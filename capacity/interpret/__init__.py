"""Combinatorial interpretation of a network from its weights alone, proven exact (docs/design.md §6).

The FCC paper (Adler, Alistarh, Shavit 2025) describes a static analysis of the *signs* of a network's weights
(codes, feature channels) that explains what it computes. Its formal definitions were not available to us
(docs/science-fcc.md): **every definition below is our reading**.

Objects (on the domain ``D`` of inputs with at most ``s`` ones, ``m`` inputs):

* **code**: ``S_in = cat_tau(W_in)``, ``cat_tau(b_in)``, ``cat_tau(W_out)`` with an absolute threshold ``tau``;
  the *positive / negative code* of input ``i`` is the set of hidden units with ``S_in[:, i] = +1 / -1``. The
  report gives the exact tau intervals on which the code, and the channels, stay the same, plus a tau sweep.
* **minimal activating sets** of a unit: the points ``x`` of ``D`` where the unit is active (relu: ``z > 0``,
  step: ``z >= 0``), minimal under inclusion, computed exactly (evaluation in exact arithmetic).
* **input roles** for a unit or output: *excitatory* if every path from the input carries a non-negative product
  of weight signs (then, since relu and step are non-decreasing, switching the input on never lowers the
  pre-activation, whatever the other inputs), *inhibitory* if every product is non-positive, *mixed* otherwise,
  *silent* if the target does not depend on it.
* **threshold reading** (the extracted formula, derived from the weights): the *clauses* are the minimal sets
  ``P`` of excitatory/mixed inputs whose point clears the readout threshold; each clause's *negations* are the
  minimal sets ``J`` of inhibitory/mixed inputs with ``P + J`` below it; each (clause, negation) pair spawns the
  clauses ``P + J + K`` for the minimal excitatory/mixed ``K`` that lift it back over. The formula is the OR of
  the terms ``x_P and not x_J1 and not x_J2 ...`` (a DNF with negations). It is **exact by construction**:
  (sound) if ``x`` contains ``P`` but no ``J`` and the target were off at ``x``, dropping ``x``'s excitatory
  inputs outside ``P`` keeps it off, so ``x``'s inhibitory/mixed inputs outside ``P`` would contain an
  inhibiting set; (complete) if the target is on at ``x``, dropping inhibitory inputs keeps it on, so ``x``
  contains a clause ``P``; if an inhibitor ``J`` of ``P`` lies in ``x``, dropping the other inhibitory inputs
  keeps the target on, so a re-excitation ``K`` lies in ``x`` and ``P + J + K`` (strictly larger) is a clause
  in ``x``; repeat. Every search is exhaustive over its candidate sets (pruned only by rigorous bounds), so the
  argument applies; the formula is nevertheless **proven** independently (next item) before it is claimed.
* **proof**: enumeration of every point of ``D`` (exact network evaluation), or a SAT equivalence check
  (python-sat; one hidden layer; a cardinality constraint for the sparsity; every DRUP proof replayed) when ``D``
  is too large. The network is encoded exactly with integer-scaled weights; for wide (trained float) weights a
  smaller encoding comes first whose rounding is proven harmless: each unit rounded to 12 bits and shown
  band-free (no point of ``D`` within the rounding error of its threshold), and two margin checks on a rounded
  readout (formula => ``y~ >= E``, not formula => ``y~ < -E``, ``E`` bounding the rounding error); where a margin
  check meets a point, that point is evaluated exactly and, if it is not a counterexample, the exact encoding
  decides. "proven equal on all N inputs" appears only when a proof succeeded.
* **feature channel** of clause ``P`` of output ``f``: the last-hidden-layer units with ``cat_tau(W_out[f, h]) =
  +1`` that are active at ``P`` and (one hidden layer) carry every literal of ``P`` in their positive code;
  *dedicated* units also have ``P`` as a minimal activating set (fewer literals cannot activate them). An
  output's channel is the union over its clauses; a unit's **degree** is the number of outputs whose channel
  contains it (polysemanticity), and **overlaps** count the units two channels share (interference).
* **collisions and predicted errors**: with target features, the points where the extracted formula differs
  from the target are the *predicted* errors, each attributed to its cause (a clause carried by units shared
  with other outputs, a spurious activating set, an inhibitor, or a missing channel); they are compared with
  the network's *actual* errors (exact lists).
* **cascading disentanglement** (deeper networks): each unit of layer ``l`` is expressed over the Boolean
  activities of layer ``l - 1`` where that is exact (step units; relu units that take a single positive value
  on ``D``), otherwise over the inputs (and the report says so); the whole chain is then evaluated on every
  point and compared with the network's exact activities.
"""

from ._search import BudgetExceeded
from .analysis import (
                       METHODS,
                       Interpretation,
                       InterpretConfig,
                       extract_formula,
                       interpret,
                       minimal_activating_sets,
                       prove_formula,
                       stability_interval,
)
from .crosscheck import crosscheck_code, front_door_available
from .formula import Formula, Term

__all__ = [
    "METHODS",
    "BudgetExceeded",
    "Formula",
    "InterpretConfig",
    "Interpretation",
    "Term",
    "crosscheck_code",
    "extract_formula",
    "front_door_available",
    "interpret",
    "minimal_activating_sets",
    "prove_formula",
    "stability_interval",
]
