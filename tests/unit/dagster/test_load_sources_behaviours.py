"""The code location refuses, at load, a scenario naming a behaviour nobody registered."""

import shutil
from pathlib import Path

import pytest

from testbots_dagster.factory import ScenarioLoadError, load_sources

REPO_SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"


def test_an_unknown_behaviour_fails_the_load_naming_file_and_role(tmp_path: Path) -> None:
    folder = tmp_path / "scenarios"
    shutil.copytree(REPO_SCENARIOS, folder)
    path = folder / "replay_attack.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("replay_cross_chain: ", "replay_crosschain: ", 1))
    with pytest.raises(ScenarioLoadError) as caught:
        load_sources(folder)
    message = str(caught.value)
    assert caught.value.file == str(path) and message.startswith(f"{path}: ")
    assert "roles[2].behaviours.replay_crosschain" in message
    assert "did you mean 'replay_cross_chain'?" in message and "known: " in message
