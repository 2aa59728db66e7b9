"""`workspace.yaml` loads the testbots code location through the dagster CLI, as `make ui` does."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
DAGSTER = Path(sys.executable).parent / "dagster"


def _validate(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    home = tmp_path / "dagster_home"
    home.mkdir(exist_ok=True)
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")  # what `make ui` installs
    return subprocess.run(
        [str(DAGSTER), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO,
        env={**os.environ, "DAGSTER_HOME": str(home), "TESTBOTS_HOME": str(tmp_path), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # dagster logs to either, depending on the terminal
        text=True,
        timeout=120,
    )


def test_the_workspace_loads_the_code_location(tmp_path: Path) -> None:
    done = _validate(tmp_path)
    assert done.returncode == 0, done.stdout
    assert "Validation successful for code location testbots" in done.stdout


def test_a_bad_scenario_fails_the_code_location_naming_file_and_field(tmp_path: Path) -> None:
    scenarios = tmp_path / "scenarios"
    shutil.copytree(REPO / "scenarios", scenarios)
    bad = scenarios / "replay_attack.yaml"
    bad.write_text(bad.read_text().replace("seed:", "sede:", 1))
    done = _validate(tmp_path, TESTBOTS_SCENARIOS=str(scenarios))
    assert done.returncode != 0
    assert f"{bad}: this scenario cannot be loaded" in done.stdout
    assert "unknown key 'sede'" in done.stdout
