"""`Scenario`: one file of scenarios/, validated as a whole (field checks plus cross-checks)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ._errors import FieldProblem, FieldProblems, SizeNotDefined
from ._load_models import ActiveWindow, ClosedLoad, RoleLoad
from ._schema import (
    SIZE_NAMES,
    AllowedTargets,
    Figure,
    Identifier,
    Limits,
    Markets,
    Role,
    SimnetProfile,
    Size,
    SizeName,
    Sizes,
    VerdictSpec,
)

__all__ = ["CrewBlock", "Scenario"]


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    id: Identifier
    description: Annotated[str, Field(min_length=1)]
    tags: tuple[Identifier, ...] = ()
    target: AllowedTargets
    seed: Annotated[int, Field(ge=0, lt=2**63)]
    sizes: Sizes
    roles: Annotated[tuple[Role, ...], Field(min_length=1)]
    verdict: VerdictSpec
    on_worker_loss: Literal["fail", "rebalance", "continue"] = "fail"
    limits: Limits
    simnet: SimnetProfile = Field(default_factory=SimnetProfile)
    markets: Markets = Field(default_factory=Markets)
    # the scenario's own key figures, by name, in the order written (report and asset metadata)
    figures: dict[Identifier, Figure] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problems = _cross_check(self)
        if problems:
            raise FieldProblems(problems)
        return self

    # -- questions the runner asks ----------------------------------------------------------
    def size(self, name: str) -> Size:
        defined = self.sizes.defined()
        if name not in defined:
            raise SizeNotDefined(
                f"scenario {self.id!r} has no size {name!r}",
                path=f"sizes.{name}",
                fix=f"pick one of: {', '.join(defined)}",
            )
        return defined[name]

    def role(self, name: str) -> Role:
        for role in self.roles:
            if role.name == name:
                return role
        raise KeyError(name)

    def bot_ranges(self, size: str) -> dict[str, range]:
        """Bot indices per role at `size`. The one rule that gives roles their bots (the run
        plan reads it): each role's share of `bots`, rounded by largest remainder, ties to the
        role written first. Roles outside crews get contiguous ranges in file order; then
        each crew gets a block of whole crews, crew after crew, in which each of its roles
        holds every k-th bot (k roles: a strided range), so that any cut of the block at a
        multiple of k holds whole crews (`crew_blocks`)."""
        return {role: bots for role, bots in self._layout(size)[0].items()}

    def crew_blocks(self, size: str) -> tuple[CrewBlock, ...]:
        """Each crew's block of bots at `size`, in the order of its first role."""
        return self._layout(size)[1]

    def crews(self) -> dict[str, tuple[str, ...]]:
        """Crew name -> its roles, in file order."""
        found: dict[str, tuple[str, ...]] = {}
        for role in self.roles:
            if role.crew is not None:
                found[role.crew] = (*found.get(role.crew, ()), role.name)
        return found

    def _layout(self, size: str) -> tuple[dict[str, range], tuple[CrewBlock, ...]]:
        crews = self.crews()
        # (role, or "crew:<name>", share, bots per unit); ":" keeps crews apart from roles
        entries: list[tuple[str, float, int]] = []
        for role in self.roles:
            if role.crew is None:
                entries.append((role.name, role.share, 1))
            elif role.name == crews[role.crew][0]:
                members = crews[role.crew]
                entries.append((f"crew:{role.crew}", role.share * len(members), len(members)))
        units = _allocate_units(self.size(size).bots, entries)
        ranges: dict[str, range] = {}
        start = 0
        for name, _, _ in entries:
            if not name.startswith("crew:"):
                ranges[name] = range(start, start + units[name])
                start += units[name]
        blocks = []
        for name, _, unit in entries:
            if name.startswith("crew:"):
                crew = name.removeprefix("crew:")
                block = range(start, start + units[name] * unit)
                for offset, member in enumerate(crews[crew]):
                    ranges[member] = range(block.start + offset, block.stop, unit)
                blocks.append(CrewBlock(crew, crews[crew], block))
                start = block.stop
        ordered = {role.name: ranges[role.name] for role in self.roles}
        return ordered, tuple(blocks)

    def active_window(self, size: str, role: str) -> ActiveWindow | None:
        """The size's window for the role if it sets one, else the role's own."""
        load = self.size(size).load[role]
        return load.active if load.active is not None else self.role(role).active

    def load(self, size: str, role: str) -> RoleLoad:
        return self.size(size).load[role]


@dataclass(frozen=True, slots=True)
class CrewBlock:
    """The bots of one crew name: `bots` holds whole crews of `len(roles)` bots each, the
    i-th role's bot of crew j at `bots.start + j·len(roles) + i`."""

    name: str
    roles: tuple[str, ...]
    bots: range

    @property
    def size(self) -> int:
        """Bots per crew: one of each role."""
        return len(self.roles)

    @property
    def count(self) -> int:
        return len(self.bots) // self.size


def _allocate_units(total: int, entries: list[tuple[str, float, int]]) -> dict[str, int]:
    """Units per entry (a role: 1 bot; a crew: one bot per role) by largest remainder of its
    share of `total` bots; bots no whole crew can take go to the role outside crews that lost
    most to rounding."""
    weight = sum(share for _, share, _ in entries)
    quotas = [total * share / weight / unit for _, share, unit in entries]
    counts = [int(quota) for quota in quotas]
    left = total - sum(c * unit for c, (_, _, unit) in zip(counts, entries, strict=True))
    by_remainder = sorted(range(len(entries)), key=lambda i: (counts[i] - quotas[i], i))
    for i in by_remainder:
        if entries[i][2] <= left:
            counts[i] += 1
            left -= entries[i][2]
    singles = [i for i in by_remainder if entries[i][2] == 1]
    if left and singles:
        counts[singles[0]] += left
    elif left:
        raise ValueError(f"{total} bots do not make whole crews")
    return {name: count for (name, _, _), count in zip(entries, counts, strict=True)}


def _check_crews(scenario: Scenario) -> list[FieldProblem]:
    """A crew is one bot of each of its roles: two roles or more, with equal shares, in every
    size enough bots for one crew; bots that make no whole crew need a role outside crews."""
    problems: list[FieldProblem] = []
    index = {role.name: i for i, role in enumerate(scenario.roles)}
    for crew, members in scenario.crews().items():
        roles = [scenario.roles[index[m]] for m in members]
        where = f"roles[{index[members[-1]]}].crew"
        if len(members) < 2:
            problems.append(
                FieldProblem(
                    f"crew {crew!r} has one role ({members[0]}): a crew coordinates roles",
                    "name the crew on each role that takes part, or drop `crew`",
                    path=where,
                )
            )
        elif len({role.share for role in roles}) > 1:
            problems.append(
                FieldProblem(
                    f"the roles of crew {crew!r} have shares "
                    f"{', '.join(f'{r.name}: {r.share:g}' for r in roles)}",
                    "a crew has one bot of each of its roles: give its roles equal shares",
                    path=f"roles[{index[members[0]]}].share",
                )
            )
    if problems:
        return problems
    for size_name, size in scenario.sizes.defined().items():
        try:
            blocks = scenario.crew_blocks(size_name)
        except ValueError:
            problems.append(
                FieldProblem(
                    f"sizes.{size_name}.bots {size.bots} cannot be split into whole crews",
                    "add a role outside crews, or make bots a multiple of the crew size",
                    path=f"sizes.{size_name}.bots",
                )
            )
            continue
        for block in blocks:
            if block.count == 0:
                problems.append(
                    FieldProblem(
                        f"sizes.{size_name}.bots {size.bots} leaves crew {block.name!r} "
                        "without a single crew",
                        "raise bots or the crew roles' share",
                        path=f"sizes.{size_name}.bots",
                    )
                )
    return problems


def _cross_check(scenario: Scenario) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    names = [role.name for role in scenario.roles]
    for index, name in enumerate(names):
        if name in names[:index]:
            problems.append(
                FieldProblem(
                    f"role {name!r} is defined twice",
                    "give each role its own name",
                    path=f"roles[{index}].name",
                )
            )
    for size_name in SIZE_NAMES:
        size = scenario.sizes.defined().get(size_name)
        if size is not None:
            problems += _check_size(scenario, size_name, size, names)
    problems += _check_crews(scenario)
    adversarial = [role.name for role in scenario.roles if role.group == "adversarial"]
    if adversarial and not scenario.target.allow_adversarial:
        problems.append(
            FieldProblem(
                f"role {adversarial[0]!r} is adversarial but the target does not allow it",
                "set target.allow_adversarial: true (the runner then also asks the target)",
                path="target.allow_adversarial",
            )
        )
    seen: set[str] = set()
    judged = [("gates", gate.id) for gate in scenario.verdict.gates]
    judged += [("criteria", criterion.id) for criterion in scenario.verdict.criteria]
    for index, (kind, judged_id) in enumerate(judged):
        position = index if kind == "gates" else index - len(scenario.verdict.gates)
        if judged_id in seen:
            problems.append(
                FieldProblem(
                    f"id {judged_id!r} is used twice in the verdict",
                    "give every gate and criterion its own id (gates given as plain "
                    "expressions need the {id: ..., expr: ...} form when there are several)",
                    path=f"verdict.{kind}[{position}].id",
                )
            )
        seen.add(judged_id)
    return problems


def _check_size(
    scenario: Scenario, size_name: SizeName, size: Size, names: list[str]
) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    where = f"sizes.{size_name}"
    for name in names:
        if name not in size.load:
            problems.append(
                FieldProblem(
                    f"role {name!r} has no load in size {size_name!r}",
                    f"add {where}.load.{name} (e.g. kind: constant, rate_per_s: 10, seconds: 60)",
                    path=f"{where}.load",
                )
            )
    for name in size.load:
        if name not in names:
            close = difflib.get_close_matches(name, names, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            problems.append(
                FieldProblem(
                    f"no role named {name!r}",
                    f"{hint}the roles are: {', '.join(names)}",
                    path=f"{where}.load.{name}",
                )
            )
    if size.bots > scenario.limits.max_bots:
        problems.append(
            FieldProblem(
                f"{size.bots} bots exceed limits.max_bots ({scenario.limits.max_bots})",
                "lower bots or raise limits.max_bots deliberately",
                path=f"{where}.bots",
            )
        )
    try:
        ranges = scenario.bot_ranges(size_name)
    except ValueError:  # no whole crews: _check_crews says so
        ranges = {}
    for name, span in ranges.items():
        count = len(span)
        if count == 0:
            problems.append(
                FieldProblem(
                    f"role {name!r} gets no bot out of {size.bots}",
                    "raise bots or the role's share",
                    path=f"{where}.bots",
                )
            )
        load = size.load.get(name)
        if isinstance(load, ClosedLoad) and load.sessions > count:
            problems.append(
                FieldProblem(
                    f"{load.sessions} sessions but role {name!r} has {count} bots",
                    f"use at most {count} sessions, or give the role more bots",
                    path=f"{where}.load.{name}.sessions",
                )
            )
    peaks = [load.peak_rate_per_s() for load in size.load.values()]
    total = sum(peak for peak in peaks if peak is not None)
    if total > scenario.limits.max_rate_per_s:
        problems.append(
            FieldProblem(
                f"peak offered rate {total:g}/s exceeds limits.max_rate_per_s "
                f"({scenario.limits.max_rate_per_s:g})",
                "lower the rates or raise limits.max_rate_per_s deliberately",
                path=f"{where}.load",
            )
        )
    return problems
