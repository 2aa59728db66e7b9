"""The coverage matrix of the scenario files against the built-in registries: the behaviours
testbots registers, simnet's vulnerable-mode switches and its invariant routes."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from botruntime.behaviors import BEHAVIORS, check_behaviours
from botruntime.scenario import (
    INVARIANT_ROUTES,
    VULN_SWITCHES,
    Scenario,
    list_scenarios,
    load_scenario,
)

from ._matrix import CoverageMatrix, build_matrix

__all__ = ["coverage_of", "coverage_of_dir"]


def coverage_of(scenarios: Iterable[Scenario]) -> CoverageMatrix:
    return build_matrix(
        scenarios,
        behaviours={name: b.group for name, b in BEHAVIORS.items()},
        switches=tuple(VULN_SWITCHES),
        routes=tuple(INVARIANT_ROUTES),
    )


def coverage_of_dir(directory: Path) -> CoverageMatrix:
    """The matrix of every scenario file in `directory`, each valid against the schema and
    naming only registered behaviours; the first bad file raises its ScenarioError."""
    scenarios = []
    for path in list_scenarios(directory).values():
        loaded = load_scenario(path)
        check_behaviours(loaded.scenario, file=path.name)
        scenarios.append(loaded.scenario)
    return coverage_of(scenarios)
