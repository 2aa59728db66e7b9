"""A scenario's `figures:`: numbers over the run's metrics, refused when they are conditions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from botruntime.scenario import ScenarioInvalid, evaluate_number, load_scenario

Make = Callable[..., Any]  # conftest.make_source -> MemorySource

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"


def _with_figures(tmp_path: Path, figures: object) -> Path:
    document = yaml.safe_load((SCENARIOS / "transfer_baseline.yaml").read_text(encoding="utf-8"))
    document["figures"] = figures
    path = tmp_path / "transfer_baseline.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def test_figures_keep_their_order_and_read_the_run(tmp_path: Path, make_source: Make) -> None:
    path = _with_figures(
        tmp_path,
        {
            "payments": {"expr": "n.commit{action=send_ax}", "description": "payments made"},
            "commit_p99": {"expr": "p99(lat.commit{action=send_ax})"},
        },
    )
    scenario = load_scenario(path).scenario
    assert list(scenario.figures) == ["payments", "commit_p99"]
    assert not scenario.figures["payments"].is_duration
    assert scenario.figures["commit_p99"].is_duration
    source = make_source(
        samples=[
            ("n.commit", {"action": "send_ax"}, 1.0, 1.0),
            ("n.commit", {"action": "send_ax"}, 2.0, 1.0),
            ("n.commit", {"action": "send_dx"}, 2.0, 1.0),
        ]
    )
    assert evaluate_number(scenario.figures["payments"].tree, source) == 2.0
    assert evaluate_number(scenario.figures["commit_p99"].tree, source) is None  # no samples


@pytest.mark.parametrize(
    ("figure", "says"),
    [
        ({"expr": "n.commit > 3"}, "a condition, not a number"),
        ({"expr": "n.commit +"}, "figures.x.expr"),
        ({"value": "n.commit"}, "figures.x"),
    ],
)
def test_a_bad_figure_names_the_field_and_the_fix(
    tmp_path: Path, figure: dict[str, str], says: str
) -> None:
    with pytest.raises(ScenarioInvalid) as raised:
        load_scenario(_with_figures(tmp_path, {"x": figure}))
    assert says in str(raised.value)
