"""What the scenarios cover: behaviours, vulnerable-mode switches, invariant routes and role
groups, read from the scenario files and the registries (`testbots coverage`).

matrix = coverage_of_dir(scenarios_dir)  # every file, validated; or coverage_of(scenarios)
matrix.switches_without_killer           # switches no criterion's `kills:` names
matrix.unused_behaviours                 # registered behaviours no role uses
print(json.dumps(matrix.to_json()))      # the same matrix for machines
"""

from botruntime.coverage._matrix import (
    CATALOGUE_SCENARIOS,
    GROUPS,
    CoverageMatrix,
    Marks,
    UnmatchedPattern,
    build_matrix,
)
from botruntime.coverage._sources import coverage_of, coverage_of_dir

__all__ = [
    "CATALOGUE_SCENARIOS",
    "GROUPS",
    "CoverageMatrix",
    "Marks",
    "UnmatchedPattern",
    "build_matrix",
    "coverage_of",
    "coverage_of_dir",
]
