"""Errors the user can cause. The CLI turns each into one line on stderr and exit code 2."""

__all__ = ["CapacityError", "DomainTooLarge", "FormulaError", "ModelError", "SpecError"]


class CapacityError(ValueError):
    """Bad input: a size, a formula, a model file or a specification the package cannot accept."""


class DomainTooLarge(CapacityError):
    """The domain has more points than ``capacity.domain.MAX_DOMAIN_SIZE``."""


class FormulaError(CapacityError):
    """A Boolean formula that does not parse, or names a variable outside the domain."""


class ModelError(CapacityError):
    """A network or model file with missing arrays, wrong shapes or non-finite weights."""


class SpecError(CapacityError):
    """A feature, task or sweep specification that names nothing valid."""
