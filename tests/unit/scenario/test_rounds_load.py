"""The `rounds` load (barrier rounds) in a scenario file, and the plan compiled from it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from botruntime.load import RoundsPlan
from botruntime.plan import PlanSource, compile_plan, parse_target
from botruntime.scenario import RoleLoad, RoundsLoad

LOADS: TypeAdapter[Any] = TypeAdapter(RoleLoad)
REPO = Path(__file__).parents[3]


def _load(**fields: object) -> Any:
    return LOADS.validate_python({"kind": "rounds", "every_s": 2, **fields})


def test_rounds_last_until_the_last_rounds_period_ends_then_drain() -> None:
    load = _load(rounds=25, per_round=20, first_s=2, drain_s=6)
    assert isinstance(load, RoundsLoad)
    assert load.duration_s() == 2 + 25 * 2 + 6
    assert load.peak_rate_per_s() == 10  # 20 sets every 2 s, on average


@pytest.mark.parametrize(
    ("fields", "needle"),
    [
        ({"per_round": 20}, "rounds"),
        ({"rounds": 3}, "per_round"),
        ({"rounds": 0, "per_round": 20}, "greater than 0"),
        ({"rounds": 3, "per_round": 20, "every": 2}, "Extra inputs"),
    ],
)
def test_a_rounds_load_missing_a_count_is_refused(fields: dict[str, object], needle: str) -> None:
    with pytest.raises(ValidationError, match=needle):
        _load(**fields)


def test_the_double_spend_race_plan_releases_its_spenders_in_rounds() -> None:
    plan = compile_plan(
        PlanSource(
            (REPO / "scenarios" / "double_spend_race.yaml").read_text(),
            "default",
            "",
            parse_target("simnet"),
            "check",
        )
    )
    spenders = plan.role("double_spender")
    assert isinstance(spenders.load, RoundsPlan)
    sets = int(spenders.load.expected_count())
    assert sets == 500
    # each spender fires once with its genesis balance: there are more spenders than sets
    assert len(spenders.bots) >= sets
