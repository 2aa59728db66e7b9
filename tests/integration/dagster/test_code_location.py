"""`workspace.yaml` loads the testbots code location through the dagster CLI, as `make ui` does."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
DAGSTER = Path(sys.executable).parent / "dagster"


def _dagster(tmp_path: Path, args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    home = tmp_path / "dagster_home"
    home.mkdir(exist_ok=True)
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")  # what `make ui` installs
    return subprocess.run(
        [str(DAGSTER), *args],
        cwd=REPO,
        env={**os.environ, "DAGSTER_HOME": str(home), "TESTBOTS_HOME": str(tmp_path), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # dagster logs to either, depending on the terminal
        text=True,
        timeout=120,
    )


def _validate(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return _dagster(tmp_path, ["definitions", "validate", "-w", "workspace.yaml"], **env)


def test_the_workspace_loads_the_code_location(tmp_path: Path) -> None:
    done = _validate(tmp_path)
    assert done.returncode == 0, done.stdout
    assert "Validation successful for code location testbots" in done.stdout


def test_a_hostile_scenario_file_leaves_every_other_job_loaded(tmp_path: Path) -> None:
    """An alias bomb in one file: refused in bounded time, its error shown; the code location
    still loads with every other scenario's job."""
    scenarios = tmp_path / "scenarios"
    shutil.copytree(REPO / "scenarios", scenarios)
    bad = scenarios / "replay_attack.yaml"
    anchors = ["a0: &a0 [" + ", ".join(["lol"] * 9) + "]"]
    anchors += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    bad.write_text("\n".join(["id: replay_attack", *anchors]) + "\n")
    env = {"TESTBOTS_SCENARIOS": str(scenarios)}
    done = _validate(tmp_path, **env)
    assert done.returncode == 0, done.stdout
    assert "Validation successful for code location testbots" in done.stdout
    listed = _dagster(tmp_path, ["job", "list", "-w", "workspace.yaml"], **env)
    assert listed.returncode == 0, listed.stdout
    assert f"{bad}: this scenario cannot be loaded" in listed.stdout
    assert "values once its aliases are expanded" in listed.stdout
    jobs = set(re.findall(r"^Job: (scenario_\w+)$", listed.stdout, flags=re.MULTILINE))
    expected = {f"scenario_{p.stem}" for p in scenarios.glob("*.yaml") if p != bad}
    assert jobs == expected
