"""The stepped load (a stepped ramp): rising rates held in turn, each step a hold stage."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from botruntime.scenario import RoleLoad, SteppedLoad

LOADS: TypeAdapter[Any] = TypeAdapter(RoleLoad)


def _load(**fields: object) -> Any:
    return LOADS.validate_python({"kind": "stepped", "step_s": 7, **fields})


def test_steps_are_held_in_turn_and_then_drained() -> None:
    load = _load(rates_per_s=[25, 50, 100], drain_s=8)
    assert isinstance(load, SteppedLoad)
    assert load.duration_s() == 3 * 7 + 8
    assert load.peak_rate_per_s() == 100


def test_steps_given_as_fractions_of_c_tx_have_no_peak_until_c_tx_is_known() -> None:
    load = _load(capacity_fractions=[0.25, 0.5, 1.0])
    assert load.duration_s() == 21 and load.peak_rate_per_s() is None


@pytest.mark.parametrize(
    ("fields", "needle"),
    [
        ({}, "needs exactly one list of rates"),
        ({"rates_per_s": [1], "capacity_fractions": [0.5]}, "needs exactly one list of rates"),
        ({"rates_per_s": [50, 50]}, "do not rise"),
        ({"capacity_fractions": [1.0, 0.5]}, "do not rise"),
        ({"rates_per_s": []}, "at least 1"),
        ({"rates_per_s": [0, 10]}, "greater than 0"),
    ],
)
def test_a_stepped_load_without_rising_rates_is_refused_with_the_fix(
    fields: dict[str, object], needle: str
) -> None:
    with pytest.raises(ValidationError, match=needle):
        _load(**fields)
