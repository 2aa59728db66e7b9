"""The asset `coverage`: what the loaded scenarios cover, as tables and numbers in the UI.

The matrix is `botruntime.coverage`'s (the same as `testbots coverage`), built from the scenario
files this code location loaded and the registries; it reads no run. The tables go in as
markdown, one column per scenario; the counts go in as numbers under labels that never change,
so the UI plots how coverage grows as scenarios are added.
"""

# No `from __future__ import annotations`: Dagster resolves the asset function's annotations.

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence

import dagster as dg

from botruntime.coverage import GROUPS, CoverageMatrix, Marks, coverage_of
from botruntime.scenario import Scenario
from testbots_dagster.reports import REPORTS_GROUP

__all__ = ["build_coverage", "coverage_metadata"]


def build_coverage(scenarios: Sequence[Scenario]) -> dg.AssetsDefinition:
    matrix = coverage_of(scenarios)
    # the matrix is the asset's code: the UI marks it stale when a scenario or registry changes
    version = hashlib.sha256(json.dumps(matrix.to_json(), sort_keys=True).encode()).hexdigest()

    @dg.asset(
        name="coverage",
        group_name=REPORTS_GROUP,
        kinds={"python"},
        code_version=version[:16],
        description="Which scenarios use each behaviour, kill each simnet switch and check "
        "each invariant route, and the gaps: switches no criterion kills, behaviours no "
        "scenario uses (from the scenario files, as `testbots coverage`).",
    )
    def coverage() -> dg.MaterializeResult:
        return dg.MaterializeResult(metadata=coverage_metadata(matrix))

    return coverage


def coverage_metadata(matrix: CoverageMatrix) -> "dict[str, dg.RawMetadataValue]":
    return {
        **matrix.counts(),
        "gaps": dg.MetadataValue.md(_gaps(matrix)),
        "roles": dg.MetadataValue.md(_roles(matrix)),
        "behaviours": dg.MetadataValue.md(
            _grid(
                ("behaviour", "group"),
                lambda name: (name, matrix.behaviour_groups[name]),
                matrix.behaviours,
                matrix.scenarios,
            )
        ),
        "switches": dg.MetadataValue.md(
            _grid(("switch",), lambda name: (name,), matrix.switches, matrix.scenarios)
        ),
        "routes": dg.MetadataValue.md(
            _grid(("invariant route",), lambda name: (name,), matrix.routes, matrix.scenarios)
        ),
    }


def _gaps(matrix: CoverageMatrix) -> str:
    def named(what: str, names: Sequence[str]) -> str:
        listed = ", ".join(f"`{name}`" for name in names) or "none"
        return f"- **{what}** ({len(names)}): {listed}"

    lines = [
        named("switches no criterion kills", matrix.switches_without_killer),
        named("registered behaviours no scenario uses", matrix.unused_behaviours),
        named("invariant routes no criterion checks", matrix.unchecked_routes),
    ]
    if matrix.unmatched_patterns:
        lines.append(
            named(
                "inv[...] patterns that select no route",
                [f"{u.scenario} {u.criterion} {u.pattern}" for u in matrix.unmatched_patterns],
            )
        )
    return "\n".join(lines)


def _roles(matrix: CoverageMatrix) -> str:
    lines = [_row(("scenario", *GROUPS)), _row(("---",) * (len(GROUPS) + 1))]
    for scenario, groups in matrix.roles.items():
        lines.append(_row((scenario, *(", ".join(groups[g]) or "-" for g in GROUPS))))
    return "\n".join(lines)


def _grid(
    heads: tuple[str, ...],
    label: Callable[[str], tuple[str, ...]],
    rows: Mapping[str, Marks],
    scenarios: tuple[str, ...],
) -> str:
    """A markdown table: a row per registry entry, a column per scenario whose cells name the
    roles or criteria behind the mark, and how many scenarios mark the row."""
    columns = (*heads, *scenarios, "scenarios")
    lines = [_row(columns), _row(("---",) * len(columns))]
    for row, marks in rows.items():
        cells = (", ".join(marks.get(s, ())) for s in scenarios)
        lines.append(_row((*label(row), *cells, str(len(marks)))))
    return "\n".join(lines)


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"
