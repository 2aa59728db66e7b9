"""Behaviours: one user action each, registered by name (STYLE.md), grouped as legitimate,
adversarial and anti-pattern (SCENARIOS.md §1.1). Importing this package registers them all.
"""

from botruntime.behaviors import adversarial, antipattern, legitimate  # noqa: F401  (registers them)
from botruntime.behaviors._check import check_behaviours
from botruntime.behaviors._registry import (
    Behavior,
    BehaviorError,
    BehaviorFn,
    BehaviorRegistry,
    DuplicateBehavior,
    Group,
    UnknownBehavior,
)
from botruntime.behaviors._table import BEHAVIORS, behavior

__all__ = [
    "BEHAVIORS",
    "Behavior",
    "BehaviorError",
    "BehaviorFn",
    "BehaviorRegistry",
    "DuplicateBehavior",
    "Group",
    "UnknownBehavior",
    "behavior",
    "check_behaviours",
]
