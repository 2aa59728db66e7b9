"""Every simnet switch is killed by some scenario criterion, once the catalogue is complete.

A switch no criterion kills is a defence no scenario proves it detects (SCENARIOS.md §1.5).
While scenario files are still missing, `testbots coverage` reports such switches and this test
skips; the day the last of the 24 files lands, it turns on by itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from botruntime.coverage import CATALOGUE_SCENARIOS, coverage_of_dir
from botruntime.scenario import list_scenarios

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"


def every_switch_has_a_killer(directory: Path) -> None:
    files = list_scenarios(directory)
    if len(files) < CATALOGUE_SCENARIOS:
        pytest.skip(
            f"{len(files)} of the catalogue's {CATALOGUE_SCENARIOS} scenario files exist: a "
            "switch without a killer is reported by `testbots coverage` until all of them do"
        )
    unkilled = coverage_of_dir(directory).switches_without_killer
    assert unkilled == (), (
        "no scenario criterion names these switches in its `kills:` (SCENARIOS.md §8 says "
        f"which one must): {', '.join(unkilled)}"
    )


def test_every_switch_has_a_killer_once_all_scenarios_exist() -> None:
    every_switch_has_a_killer(SCENARIOS)


def test_the_check_turns_on_with_the_last_scenario_file(tmp_path: Path) -> None:
    text = (SCENARIOS / "transfer_baseline.yaml").read_text(encoding="utf-8")
    for n in range(CATALOGUE_SCENARIOS - 1):
        copy = text.replace("id: transfer_baseline", f"id: copy_{n:02d}", 1)
        (tmp_path / f"copy_{n:02d}.yaml").write_text(copy, encoding="utf-8")
    with pytest.raises(pytest.skip.Exception, match="23 of the catalogue's 24"):
        every_switch_has_a_killer(tmp_path)
    (tmp_path / "transfer_baseline.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(AssertionError, match="stale_reads"):
        every_switch_has_a_killer(tmp_path)
