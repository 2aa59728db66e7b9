"""A rate given as a fraction of C_tx: compiled from the C_tx the run source carries."""

from __future__ import annotations

import pickle
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from botruntime.load import SessionPlan
from botruntime.plan import CapacityUnknown, PlanSource, RunPlan, compile_plan, parse_target

SCENARIOS = Path(__file__).parents[3] / "scenarios"


def _doc(load: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((SCENARIOS / "transfer_baseline.yaml").read_text())
    doc["sizes"]["full"] = {"bots": 100, "load": {"general_user": load}}
    return doc


def _source(load: dict[str, Any], capacity: float | None = None) -> PlanSource:
    text = yaml.safe_dump(_doc(load))
    source = PlanSource(text, "full", "", parse_target("simnet"), "r1", (), "fractions.yaml")
    return replace(source, capacity_tx_per_s=capacity)


def _arrivals(plan: RunPlan, lo: float, hi: float) -> int:
    load = plan.roles[0].load
    assert not isinstance(load, SessionPlan)
    return sum(1 for _, offset in load.arrivals() if lo <= offset < hi)


CONSTANT = {"kind": "constant", "seconds": 10, "capacity_fraction": 0.5}
RAMPING = {
    "kind": "ramping",
    "stages": [
        {"kind": "hold", "seconds": 10, "capacity_fraction": 0.5},
        {"kind": "drain", "seconds": 2},
    ],
}
STEPPED = {"kind": "stepped", "step_s": 10, "capacity_fractions": [0.25, 0.5], "drain_s": 2}


@pytest.mark.parametrize(
    ("load", "field"),
    [
        (CONSTANT, "sizes.full.load.general_user"),
        (RAMPING, "sizes.full.load.general_user.stages[0]"),
        (STEPPED, "sizes.full.load.general_user.capacity_fractions[0]"),
    ],
)
def test_without_c_tx_the_plan_is_refused_naming_the_field_and_capacity_ramp(
    load: dict[str, Any], field: str
) -> None:
    with pytest.raises(CapacityUnknown) as refused:
        compile_plan(_source(load))
    assert (refused.value.file, refused.value.path) == ("fractions.yaml", field)
    assert "run capacity_ramp on this target first" in str(refused.value)


def test_with_c_tx_each_rate_is_its_fraction_of_c_tx() -> None:
    assert _arrivals(compile_plan(_source(CONSTANT, 80.0)), 0, 10) == 400  # 0.5 x 80/s x 10 s
    assert _arrivals(compile_plan(_source(RAMPING, 80.0)), 0, 10) == 400
    stepped = compile_plan(_source(STEPPED, 80.0))
    assert (_arrivals(stepped, 0, 10), _arrivals(stepped, 10, 20)) == (200, 400)
    assert stepped.roles[0].load.hold_windows() == ((0.0, 10.0), (10.0, 20.0))


def test_c_tx_is_part_of_the_fingerprint_and_travels_with_the_plan() -> None:
    plan = compile_plan(_source(CONSTANT, 80.0))
    assert plan.fingerprint != compile_plan(_source(CONSTANT, 81.0)).fingerprint
    again = pickle.loads(pickle.dumps(plan))  # a plan travels as its source, recompiled
    assert again.fingerprint == plan.fingerprint
    assert again.source.capacity_tx_per_s == 80.0 and _arrivals(again, 0, 10) == 400


def test_a_size_with_absolute_rates_ignores_c_tx_but_still_fingerprints_it() -> None:
    absolute = {"kind": "constant", "seconds": 10, "rate_per_s": 5}
    with_c_tx = compile_plan(_source(absolute, 80.0))
    assert _arrivals(with_c_tx, 0, 10) == _arrivals(compile_plan(_source(absolute)), 0, 10) == 50
