"""Cross-check hook: does the network's own code represent what the network computes?

A trained network is its own witness for the real-weight *sign-code* class of its code at ``tau = 0`` (its
weights carry exactly the code's signs), so the exact solvers must answer REPRESENTABLE there; a
NOT_REPRESENTABLE answer would be a contradiction (a bug on one side). At ``tau > 0`` the code zeroes the
small weights and the question becomes informative: is the thresholded code still enough?
"""

from __future__ import annotations

__all__ = ["crosscheck_code", "front_door_available"]


def front_door_available() -> bool:
    """Whether ``capacity.solvers.representable`` exists yet."""
    try:
        from ..solvers import representable  # noqa: F401
    except ImportError:
        return False
    return True


def crosscheck_code(network, features=None, *, domain=None, tau: float = 0.0, method: str = "auto",
                    time_limit: float | None = None, seed: int = 0) -> dict:
    """Build ``Problem(features, d_hidden, activation, weight_bound=None, code=Code.from_network(network, tau))``
    with the features the network computes (default: its own output tables on ``domain``) and ask the front
    door ``capacity.solvers.representable(problem, method=...)``. Returns a dict; ``available=False`` when the
    front door is not there yet."""
    from ..codes import Code
    from ..errors import CapacityError
    from ..features import FeatureSet
    from ..solvers import Problem, verify_witness

    if len(network.layers) != 2:
        return {"available": False, "reason": "the exact solvers take one hidden layer"}
    if features is None:
        if domain is None:
            raise CapacityError("crosscheck_code needs the features or a domain")
        features = FeatureSet(domain, network.truth_tables(domain), tuple(f"y{f}" for f in range(network.n_features)))
    code = Code.from_network(network, tau)
    problem = Problem(features, network.d_hidden, network.activation, None, False, code, seed)
    own_ok, own_reason = verify_witness(problem, network)
    out = {"tau": tau, "own_witness": own_ok, "own_witness_reason": own_reason,
           "note": "a trained network is its own witness for the real-weight sign-code class of its code (tau = 0)"}
    if not front_door_available():
        out.update({"available": False, "reason": "capacity.solvers.representable is not available yet"})
        return out
    from ..solvers import representable

    res = representable(problem, method=method, time_limit=time_limit)
    out.update({"available": True, "status": str(res.status), "method": res.method,
                "seconds": round(res.seconds, 6)})
    if own_ok and str(res.status) == "NOT_REPRESENTABLE":
        out["contradiction"] = "the network is a verified witness but the solver says NOT_REPRESENTABLE"
    out["agree"] = not (own_ok and str(res.status) == "NOT_REPRESENTABLE")
    out["result"] = res.to_dict()
    return out
