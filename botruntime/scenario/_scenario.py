"""`Scenario`: one file of scenarios/, validated as a whole (field checks plus cross-checks)."""

from __future__ import annotations

import difflib
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ._errors import FieldProblem, FieldProblems, SizeNotDefined
from ._load_models import ActiveWindow, ClosedLoad, RoleLoad
from ._schema import (
    SIZE_NAMES,
    AllowedTargets,
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

__all__ = ["Scenario"]


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
        """Contiguous bot indices per role at `size`, in file order. The one rule that gives
        roles their bots (the run plan reads it): each role's share of `bots`, rounded by
        largest remainder, ties to the role written first."""
        return _allocate(self.size(size).bots, [(role.name, role.share) for role in self.roles])

    def active_window(self, size: str, role: str) -> ActiveWindow | None:
        """The size's window for the role if it sets one, else the role's own."""
        load = self.size(size).load[role]
        return load.active if load.active is not None else self.role(role).active

    def load(self, size: str, role: str) -> RoleLoad:
        return self.size(size).load[role]


def _allocate(total: int, shares: list[tuple[str, float]]) -> dict[str, range]:
    weight = sum(share for _, share in shares)
    quotas = [total * share / weight for _, share in shares]
    counts = [int(quota) for quota in quotas]
    by_remainder = sorted(range(len(shares)), key=lambda i: (counts[i] - quotas[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    ranges: dict[str, range] = {}
    start = 0
    for (name, _), count in zip(shares, counts, strict=True):
        ranges[name] = range(start, start + count)
        start += count
    return ranges


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
    ranges = _allocate(size.bots, [(role.name, role.share) for role in scenario.roles])
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
