"""What the scenarios cover, read from their files and the registries, never from a run.

Four views of one set of scenarios (issue 12's "MECE cross-check"): which scenarios use each
registered behaviour, which criteria kill each vulnerable-mode switch (`kills:`), which criteria
check each invariant route (`inv[...]`), and the role groups each scenario plays. A row with no
mark is a gap: a defence no scenario proves it detects, an action no scenario exercises.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from botruntime.behaviors import Group
from botruntime.chain.tx import JsonValue
from botruntime.scenario import Expr, Invariants, Scenario, route_matches, walk

__all__ = [
    "CATALOGUE_SCENARIOS",
    "GROUPS",
    "CoverageMatrix",
    "Marks",
    "UnmatchedPattern",
    "build_matrix",
]

CATALOGUE_SCENARIOS: Final = 24  # SCENARIOS.md §2: 10 legitimate, 8 adversarial, 6 anti-pattern
GROUPS: Final[tuple[Group, ...]] = ("legitimate", "adversarial", "anti-pattern")  # §1.1
Marks = Mapping[str, tuple[str, ...]]
"""scenario id -> what marks the cell: the roles (behaviours) or the criterion ids (switches,
routes); a scenario that does not cover the row is absent."""


@dataclass(frozen=True, slots=True)
class UnmatchedPattern:
    """An `inv[...]` pattern that selects no known route: a typo judges nothing (N/A)."""

    scenario: str
    criterion: str
    pattern: str


@dataclass(frozen=True, slots=True)
class CoverageMatrix:
    scenarios: tuple[str, ...]  # ids, sorted
    behaviours: Mapping[str, Marks]  # registered behaviour -> scenarios whose roles use it
    behaviour_groups: Mapping[str, Group]
    switches: Mapping[str, Marks]  # switch -> scenarios whose criteria kill it
    routes: Mapping[str, Marks]  # invariant route -> scenarios whose criteria check it
    roles: Mapping[str, Mapping[Group, tuple[str, ...]]]  # scenario -> group -> role names
    unmatched_patterns: tuple[UnmatchedPattern, ...]

    @property
    def switches_without_killer(self) -> tuple[str, ...]:
        return _unmarked(self.switches)

    @property
    def unused_behaviours(self) -> tuple[str, ...]:
        return _unmarked(self.behaviours)

    @property
    def unchecked_routes(self) -> tuple[str, ...]:
        return _unmarked(self.routes)

    @property
    def complete_catalogue(self) -> bool:
        """Whether every scenario of the catalogue has its file, so every gap is a real one."""
        return len(self.scenarios) >= CATALOGUE_SCENARIOS

    def counts(self) -> dict[str, int]:
        """The numbers a dashboard plots over time."""
        return {
            "scenarios": len(self.scenarios),
            "scenarios_in_catalogue": CATALOGUE_SCENARIOS,
            "switches_total": len(self.switches),
            "switches_killed": len(self.switches) - len(self.switches_without_killer),
            "kill_pairs": sum(len(marks) for marks in self.switches.values()),
            "behaviours_total": len(self.behaviours),
            "behaviours_used": len(self.behaviours) - len(self.unused_behaviours),
            "routes_total": len(self.routes),
            "routes_checked": len(self.routes) - len(self.unchecked_routes),
            "unmatched_patterns": len(self.unmatched_patterns),
        }

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "scenarios": list(self.scenarios),
            "roles": {
                scenario: {group: list(names) for group, names in groups.items()}
                for scenario, groups in self.roles.items()
            },
            "behaviours": {
                name: {"group": self.behaviour_groups[name], "used_by": _marks_json(marks)}
                for name, marks in self.behaviours.items()
            },
            "switches": {name: {"killed_by": _marks_json(m)} for name, m in self.switches.items()},
            "routes": {name: {"checked_by": _marks_json(m)} for name, m in self.routes.items()},
            "switches_without_killer": list(self.switches_without_killer),
            "unused_behaviours": list(self.unused_behaviours),
            "unchecked_routes": list(self.unchecked_routes),
            "unmatched_patterns": [
                {"scenario": u.scenario, "criterion": u.criterion, "pattern": u.pattern}
                for u in self.unmatched_patterns
            ],
            "counts": dict(self.counts()),
        }


def build_matrix(
    scenarios: Iterable[Scenario],
    *,
    behaviours: Mapping[str, Group],
    switches: Sequence[str],
    routes: Sequence[str],
) -> CoverageMatrix:
    """The matrix of `scenarios` against the registries: behaviour name -> group, the switch
    names and the invariant routes (rows keep the registries' order, behaviours by group)."""
    ordered = sorted(scenarios, key=lambda s: s.id)
    used: dict[str, dict[str, list[str]]] = {name: {} for name in behaviours}
    killed: dict[str, dict[str, list[str]]] = {name: {} for name in switches}
    checked: dict[str, dict[str, list[str]]] = {route: {} for route in routes}
    unmatched: list[UnmatchedPattern] = []
    for scenario in ordered:
        for role in scenario.roles:
            for name in role.behaviours:
                _mark(used, name, scenario.id, role.name)
        for criterion in scenario.verdict.criteria:
            for switch in criterion.kills:
                _mark(killed, switch, scenario.id, criterion.id)
            for pattern in _patterns(criterion.tree):
                hits = [route for route in routes if route_matches(route, pattern)]
                for route in hits:
                    _mark(checked, route, scenario.id, criterion.id)
                if not hits:
                    unmatched.append(UnmatchedPattern(scenario.id, criterion.id, pattern))
    by_group = sorted(behaviours, key=lambda name: (GROUPS.index(behaviours[name]), name))
    return CoverageMatrix(
        scenarios=tuple(s.id for s in ordered),
        behaviours=_frozen({name: used[name] for name in by_group}),
        behaviour_groups=MappingProxyType(dict(behaviours)),
        switches=_frozen(killed),
        routes=_frozen(checked),
        roles=MappingProxyType({s.id: _role_groups(s) for s in ordered}),
        unmatched_patterns=tuple(unmatched),
    )


def _patterns(tree: Expr) -> list[str]:
    return [p for node in walk(tree) if isinstance(node, Invariants) for p in node.patterns]


def _mark(table: dict[str, dict[str, list[str]]], row: str, scenario: str, mark: str) -> None:
    """Mark the cell (row, scenario); a row the registry does not know is not a row."""
    cells = table.get(row)
    if cells is not None and mark not in cells.setdefault(scenario, []):
        cells[scenario].append(mark)


def _frozen(table: Mapping[str, Mapping[str, list[str]]]) -> Mapping[str, Marks]:
    return MappingProxyType(
        {
            row: MappingProxyType({s: tuple(m) for s, m in cells.items()})
            for row, cells in table.items()
        }
    )


def _role_groups(scenario: Scenario) -> Mapping[Group, tuple[str, ...]]:
    return MappingProxyType(
        {g: tuple(r.name for r in scenario.roles if r.group == g) for g in GROUPS}
    )


def _unmarked(table: Mapping[str, Marks]) -> tuple[str, ...]:
    return tuple(row for row, marks in table.items() if not marks)


def _marks_json(marks: Marks) -> dict[str, JsonValue]:
    return {scenario: list(names) for scenario, names in marks.items()}
