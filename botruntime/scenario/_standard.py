"""The standard hard criteria every scenario gets, next to its own (SCENARIOS.md §1.4).

A validity gate judges the experiment; these judge the network, so a network that stalls or
pushes back FAILs instead of passing for a broken experiment. The scalars named here are what
the runner reports:

- `chain.blocks_ratio`: blocks produced / blocks expected, the lowest over the hold stages
- `blocked_ratio`: intents blocked by the network (every bot of their role waiting on it) /
  intents offered

A scenario that stops the chain on purpose says so (`verdict.chain_stops`) and gives its own
expectation in place of S1's; S2 holds everywhere.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final, NamedTuple

__all__ = ["LIVENESS", "STANDARD_CRITERIA", "StandardCriterion"]


class StandardCriterion(NamedTuple):
    expr: str
    description: str


LIVENESS: Final = "S1"

STANDARD_CRITERIA: Final = MappingProxyType(
    {
        LIVENESS: StandardCriterion(
            "chain.blocks_ratio >= 80%",
            "liveness: the chain produced at least 80% of the expected blocks in every hold stage",
        ),
        "S2": StandardCriterion(
            "blocked_ratio <= 1%",
            "back-pressure: at most 1% of intents found every bot of their role waiting on the "
            "network",
        ),
    }
)
