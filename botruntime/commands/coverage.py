"""`testbots coverage`: what the scenarios cover, read from their files and the registries.

Four tables: the scenarios with their role groups (whose numbers head the columns of the
others), behaviour x scenario, vulnerable-mode switch x scenario criterion (`kills:`) and
invariant route x scenario (`inv[...]`). Then the gaps by name: switches no criterion kills,
registered behaviours no scenario uses, routes no criterion checks, patterns that select no
route. The gaps are reported, not failed: exit 0, or 2 when a scenario file is invalid. Once
every scenario of the catalogue has its file, a switch without a killer fails the test suite.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from botruntime.coverage import (
    CATALOGUE_SCENARIOS,
    GROUPS,
    CoverageMatrix,
    Marks,
    coverage_of_dir,
)
from botruntime.scenario import ExitCode, ScenarioError, find_scenarios_dir

__all__ = ["coverage"]

_DIR_HELP = "folder of scenario YAML files (default: $TESTBOTS_SCENARIOS, else ./scenarios)"
_PIPED_WIDTH = 200  # off a terminal, keep each row on one line of the log
_GAP = "red"


@click.command()
@click.option("--dir", "directory", type=click.Path(path_type=Path), help=_DIR_HELP)
@click.option("--json", "as_json", is_flag=True, help="print the matrix as JSON")
def coverage(directory: Path | None, as_json: bool) -> None:
    """Show which scenarios use each behaviour, kill each simnet switch and check each
    invariant route, and name the gaps."""
    try:
        matrix = coverage_of_dir(find_scenarios_dir(directory))
    except ScenarioError as exc:
        click.echo(str(exc), err=True)
        raise SystemExit(int(ExitCode.USAGE)) from None
    if as_json:
        click.echo(json.dumps(matrix.to_json(), indent=2))
        return
    console = Console(markup=False, highlight=False)
    if not console.is_terminal:
        console.width = _PIPED_WIDTH
    for table in _tables(matrix):
        console.print(table)
    for line in _gap_lines(matrix):
        console.print(line, soft_wrap=True)  # one line each, whole, for grep and logs


def _gap_lines(matrix: CoverageMatrix) -> list[str]:
    """The gaps by name, one line each."""
    counts = matrix.counts()
    lines = [
        f"{counts['scenarios']} of {CATALOGUE_SCENARIOS} catalogue scenarios have a file; "
        f"{counts['switches_killed']} of {counts['switches_total']} switches killed, "
        f"{counts['behaviours_used']} of {counts['behaviours_total']} behaviours used, "
        f"{counts['routes_checked']} of {counts['routes_total']} invariant routes checked",
        _named("switches no criterion kills", matrix.switches_without_killer),
        _named("registered behaviours no scenario uses", matrix.unused_behaviours),
        _named("invariant routes no criterion checks", matrix.unchecked_routes),
    ]
    if matrix.unmatched_patterns:
        found = [f"{u.scenario} {u.criterion} {u.pattern!r}" for u in matrix.unmatched_patterns]
        lines.append(_named("inv[...] patterns that select no route", found))
    if not matrix.complete_catalogue and matrix.switches_without_killer:
        lines.append(
            "a switch without a killer fails the tests once all "
            f"{CATALOGUE_SCENARIOS} scenario files exist"
        )
    return lines


def _named(what: str, names: Sequence[str]) -> str:
    return f"{what} ({len(names)}): {', '.join(names) or 'none'}"


def _tables(matrix: CoverageMatrix) -> list[Table]:
    roles = Table("#", "scenario", *GROUPS, title="scenarios and their role groups")
    for number, scenario in enumerate(matrix.scenarios, start=1):
        groups = matrix.roles[scenario]
        roles.add_row(str(number), scenario, *(", ".join(groups[g]) or "-" for g in GROUPS))
    behaviours = _grid(
        "behaviour x scenario (x: a role uses it)",
        ("behaviour", "group"),
        lambda name: (name, matrix.behaviour_groups[name]),
        matrix.behaviours,
        matrix.scenarios,
        lambda roles: "x",
    )
    switches = _grid(
        "switch x scenario (criteria whose kills: name it)",
        ("switch",),
        lambda name: (name,),
        matrix.switches,
        matrix.scenarios,
        _short_ids,
    )
    routes = _grid(
        "route x scenario (criteria whose inv[...] checks it)",
        ("route",),
        lambda name: (name,),
        matrix.routes,
        matrix.scenarios,
        _short_ids,
    )
    return [roles, behaviours, switches, routes]


def _grid(
    title: str,
    heads: tuple[str, ...],
    label: Callable[[str], tuple[str, ...]],
    rows: Mapping[str, Marks],
    scenarios: tuple[str, ...],
    cell: Callable[[tuple[str, ...]], str],
) -> Table:
    """One row per registry entry, one column per scenario (numbered as in the first table),
    and how many scenarios mark the row; an unmarked row is a gap."""
    numbers = [str(i) for i in range(1, len(scenarios) + 1)]
    table = Table(*heads, *numbers, "scenarios", title=title)
    for row, marks in rows.items():
        cells = [cell(marks[s]) if s in marks else "" for s in scenarios]
        table.add_row(*label(row), *cells, str(len(marks)), style=None if marks else _GAP)
    return table


def _short_ids(criteria: tuple[str, ...]) -> str:
    """`C4_completeness` -> `C4`: the column is narrow, --json has the full ids."""
    return ",".join(dict.fromkeys(c.split("_", 1)[0] for c in criteria))
