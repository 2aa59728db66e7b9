"""A scenario naming a behaviour the registry lacks is refused with file, path and known names."""

from pathlib import Path

import pytest

from botruntime.behaviors import BEHAVIORS, check_behaviours
from botruntime.scenario import ScenarioError, UnknownBehaviours, load_scenario

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"


def _misspelt(tmp_path: Path) -> Path:
    text = (SCENARIOS / "transfer_baseline.yaml").read_text(encoding="utf-8")
    broken = text.replace("behaviours: {send_ax: 70,", "behaviours: {sned_ax: 70,", 1)
    assert broken != text
    path = tmp_path / "transfer_baseline.yaml"
    path.write_text(broken, encoding="utf-8")
    return path


@pytest.mark.parametrize("scenario_id", ["transfer_baseline", "replay_attack"])
def test_the_repo_scenarios_name_only_registered_behaviours(scenario_id: str) -> None:
    check_behaviours(load_scenario(scenario_id, SCENARIOS).scenario)


def test_an_unknown_name_is_refused_with_path_close_match_and_known_names(
    tmp_path: Path,
) -> None:
    scenario = load_scenario(_misspelt(tmp_path)).scenario  # the schema alone lets it pass
    with pytest.raises(UnknownBehaviours) as caught:
        check_behaviours(scenario, file="mine.yaml")
    error = caught.value
    assert isinstance(error, ScenarioError)
    assert error.unknown == ("sned_ax",)
    assert error.file == "mine.yaml" and error.path == "roles[0].behaviours.sned_ax"
    message = str(error)
    assert "mine.yaml: roles[0].behaviours.sned_ax: no behaviour named 'sned_ax'" in message
    assert "did you mean 'send_ax'?" in message
    assert all(name in error.fix for name in BEHAVIORS)


def test_the_file_defaults_to_the_scenario_id(tmp_path: Path) -> None:
    scenario = load_scenario(_misspelt(tmp_path)).scenario
    with pytest.raises(UnknownBehaviours, match=r"^transfer_baseline\.yaml: roles\[0\]"):
        check_behaviours(scenario)
