"""How one role's arrivals are shaped at one size (SCENARIOS.md §1.2, DESIGN §5).

Open loop (arrivals do not wait for answers): `constant`, `ramping` and `poisson` follow
stages (`ramp` to a rate, `hold` at it, `drain`: no new intents, wait for in-flight ones),
`stepped` holds each of a rising list of rates for the same time (a stepped ramp: each step is
a hold stage, judged on its own), `rounds` fires a batch of arrivals at once at fixed
instants (barrier rounds: every attacker of a round released together), `trace` replays a
recorded timeline. Closed loop: `closed`
sessions, each doing its next action after the previous one and a think time. A rate is either
absolute (`rate_per_s`) or a fraction of the network's measured capacity C_tx
(`capacity_fraction`, for `full` sizes).
"""

from __future__ import annotations

from itertools import pairwise
from typing import Annotated, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    PositiveFloat,
    model_validator,
)

from ._errors import FieldProblem

__all__ = [
    "ActiveWindow",
    "ClosedLoad",
    "ConstantLoad",
    "PoissonLoad",
    "RampingLoad",
    "RoleLoad",
    "RoundsLoad",
    "Stage",
    "SteppedLoad",
    "ThinkTime",
    "TraceLoad",
]

_MODEL = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _one_rate(kind: str, rate: float | None, fraction: float | None) -> None:
    if rate is None and fraction is None:
        raise FieldProblem(
            f"a {kind} needs a rate",
            "add 'rate_per_s' (e.g. rate_per_s: 50) or, for a full size, "
            "'capacity_fraction' (e.g. capacity_fraction: 0.5 for 0.5·C_tx)",
        )
    if rate is not None and fraction is not None:
        raise FieldProblem(
            f"a {kind} has both 'rate_per_s' and 'capacity_fraction'", "keep one of them"
        )


class ActiveWindow(BaseModel):
    """When a role acts, in seconds from the start of the run; arrivals outside are not made."""

    model_config = _MODEL
    from_s: NonNegativeFloat = 0.0
    until_s: PositiveFloat | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.until_s is not None and self.until_s <= self.from_s:
            raise FieldProblem(
                f"until_s ({self.until_s}) is not after from_s ({self.from_s})",
                "make until_s larger than from_s, or drop until_s to act until the end",
            )
        return self


class Stage(BaseModel):
    model_config = _MODEL
    kind: Literal["ramp", "hold", "drain"]
    seconds: PositiveFloat
    rate_per_s: NonNegativeFloat | None = None
    capacity_fraction: PositiveFloat | None = None

    @model_validator(mode="after")
    def _rate_given(self) -> Self:
        if self.kind == "drain":
            if self.rate_per_s is not None or self.capacity_fraction is not None:
                raise FieldProblem(
                    "a drain stage makes no new intents", "remove its rate_per_s/capacity_fraction"
                )
        else:
            _one_rate(f"{self.kind} stage", self.rate_per_s, self.capacity_fraction)
        return self


class _Staged(BaseModel):
    model_config = _MODEL
    stages: Annotated[tuple[Stage, ...], Field(min_length=1)]
    active: ActiveWindow | None = None

    @model_validator(mode="after")
    def _drain_last(self) -> Self:
        kinds = [stage.kind for stage in self.stages]
        if "drain" in kinds[:-1]:
            raise FieldProblem(
                "a drain stage must be the last one", "move the drain stage to the end"
            )
        if kinds == ["drain"]:
            raise FieldProblem("only a drain stage: nothing is ever sent", "add a hold stage")
        return self

    def duration_s(self) -> float:
        return sum(stage.seconds for stage in self.stages)

    def peak_rate_per_s(self) -> float | None:
        rates = [stage.rate_per_s for stage in self.stages if stage.rate_per_s is not None]
        return max(rates) if rates else None


class ConstantLoad(BaseModel):
    """Evenly spaced arrivals at one rate for `seconds`, then `drain_s`."""

    model_config = _MODEL
    kind: Literal["constant"]
    seconds: PositiveFloat
    rate_per_s: NonNegativeFloat | None = None
    capacity_fraction: PositiveFloat | None = None
    drain_s: NonNegativeFloat = 0.0
    active: ActiveWindow | None = None

    @model_validator(mode="after")
    def _rate_given(self) -> Self:
        _one_rate("constant load", self.rate_per_s, self.capacity_fraction)
        return self

    def duration_s(self) -> float:
        return self.seconds + self.drain_s

    def peak_rate_per_s(self) -> float | None:
        return self.rate_per_s


class RampingLoad(_Staged):
    """Evenly spaced arrivals whose rate follows the stages (linear during a ramp)."""

    kind: Literal["ramping"]


class PoissonLoad(_Staged):
    """Exponentially spaced arrivals (seeded) whose mean rate follows the stages."""

    kind: Literal["poisson"]


class TraceLoad(BaseModel):
    """Replays a recorded timeline (CSV or JSONL, relative to the scenario file)."""

    model_config = _MODEL
    kind: Literal["trace"]
    file: Annotated[str, Field(min_length=1, pattern=r"\.(csv|jsonl)$")]
    speed: PositiveFloat = 1.0
    drain_s: NonNegativeFloat = 0.0
    active: ActiveWindow | None = None

    def duration_s(self) -> float | None:
        return None  # known once the trace is read

    def peak_rate_per_s(self) -> float | None:
        return None


class ThinkTime(BaseModel):
    model_config = _MODEL
    distribution: Literal["constant", "exponential", "uniform"]
    mean_s: PositiveFloat | None = None
    min_s: NonNegativeFloat | None = None
    max_s: PositiveFloat | None = None

    @model_validator(mode="after")
    def _parameters(self) -> Self:
        if self.distribution == "uniform":
            if self.min_s is None or self.max_s is None or self.max_s <= self.min_s:
                raise FieldProblem(
                    "a uniform think time needs min_s < max_s", "e.g. min_s: 1, max_s: 5"
                )
            if self.mean_s is not None:
                raise FieldProblem("a uniform think time has no mean_s", "remove mean_s")
        elif self.mean_s is None or self.min_s is not None or self.max_s is not None:
            raise FieldProblem(
                f"a {self.distribution} think time takes only mean_s", "e.g. mean_s: 2"
            )
        return self


class ClosedLoad(BaseModel):
    """`sessions` concurrent users, each acting after the previous answer and a think time."""

    model_config = _MODEL
    kind: Literal["closed"]
    sessions: Annotated[int, Field(gt=0, le=100_000_000)]
    think_time: ThinkTime
    seconds: PositiveFloat
    drain_s: NonNegativeFloat = 0.0
    active: ActiveWindow | None = None

    def duration_s(self) -> float:
        return self.seconds + self.drain_s

    def peak_rate_per_s(self) -> float | None:
        return None  # throughput is an output of a closed loop


class SteppedLoad(BaseModel):
    """Evenly spaced arrivals held at each rate in turn for `step_s`, then `drain_s`.

    The rates rise: a stepped ramp looks for the highest rate the network sustains
    (capacity_ramp), so each step is a hold stage of its own and the report judges each."""

    model_config = _MODEL
    kind: Literal["stepped"]
    step_s: PositiveFloat
    rates_per_s: Annotated[tuple[PositiveFloat, ...], Field(min_length=1)] | None = None
    capacity_fractions: Annotated[tuple[PositiveFloat, ...], Field(min_length=1)] | None = None
    drain_s: NonNegativeFloat = 0.0
    active: ActiveWindow | None = None

    @model_validator(mode="after")
    def _rising_rates(self) -> Self:
        if (self.rates_per_s is None) == (self.capacity_fractions is None):
            raise FieldProblem(
                "a stepped load needs exactly one list of rates",
                "give 'rates_per_s' (e.g. rates_per_s: [25, 50, 100]) or, for a full size, "
                "'capacity_fractions' (e.g. capacity_fractions: [0.25, 0.5, 1.0])",
            )
        steps = self.rates_per_s or self.capacity_fractions or ()
        if any(b <= a for a, b in pairwise(steps)):
            raise FieldProblem(
                f"the steps {list(steps)} do not rise", "list each step higher than the one before"
            )
        return self

    def duration_s(self) -> float:
        return self.step_s * len(self.rates_per_s or self.capacity_fractions or ()) + self.drain_s

    def peak_rate_per_s(self) -> float | None:
        return max(self.rates_per_s) if self.rates_per_s else None


class RoundsLoad(BaseModel):
    """Barrier rounds: `per_round` arrivals all due at one instant, `first_s` from the start
    of the run and every `every_s` after it, `rounds` times, then `drain_s`.

    The instants are offsets from the run's start, which every worker shares (the
    coordinator's `start_at_unix_s`), so a round is one wall-clock release on every worker:
    attackers spread over several worker processes fire together without talking to each
    other. The round's arrivals are split over the workers like any other arrivals."""

    model_config = _MODEL
    kind: Literal["rounds"]
    every_s: PositiveFloat
    rounds: Annotated[int, Field(gt=0, le=1_000_000)]
    per_round: Annotated[int, Field(gt=0, le=1_000_000)]
    first_s: NonNegativeFloat = 0.0
    drain_s: NonNegativeFloat = 0.0
    active: ActiveWindow | None = None

    def duration_s(self) -> float:
        return self.first_s + self.rounds * self.every_s + self.drain_s

    def peak_rate_per_s(self) -> float | None:
        return self.per_round / self.every_s  # the mean rate; a round is one burst


RoleLoad = Annotated[
    ConstantLoad | RampingLoad | PoissonLoad | SteppedLoad | RoundsLoad | TraceLoad | ClosedLoad,
    Field(discriminator="kind"),
]
