"""Every scenario of the catalogue end to end on a real simnet (SCENARIOS.md §1.5).

For each file in scenarios/: its smoke size PASSes on default simnet, with every key figure
measured; and for each switch its criteria name in `kills:`, the smoke run with that switch on
FAILs on a criterion that names it. A switch whose naming criteria smoke does not judge
(statistical ones at a size that only reports them) is left to the mutation sweep at the
default size (`testbots mutation`); `test_pairs_left_to_the_sweep_are_few` keeps that honest.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from botruntime.runs import MutationPair, mutation_pairs
from botruntime.scenario import Scenario, find_scenarios_dir, list_scenarios, load_scenario

SmokeRunner = Callable[..., Any]  # conftest.smoke_run -> SmokeRun

pytestmark = pytest.mark.slow

SCENARIOS: dict[str, Scenario] = {
    scenario_id: load_scenario(path).scenario
    for scenario_id, path in list_scenarios(find_scenarios_dir()).items()
}
PAIRS = mutation_pairs(SCENARIOS.values())


def _judged_at_smoke(scenario: Scenario, criteria: tuple[str, ...]) -> bool:
    smoke = scenario.size("smoke")
    return any(
        c.severity == "hard" and c.enforced_at(smoke)
        for c in scenario.verdict.criteria
        if c.id in criteria
    )


SMOKE_PAIRS = [p for p in PAIRS if _judged_at_smoke(SCENARIOS[p.scenario_id], p.criteria)]


def _run_of(item: pytest.Item) -> tuple[str, str | None] | None:
    """The (scenario, switch) run a test of this module reads, if any."""
    params = getattr(item, "callspec", None)
    if item.path != Path(__file__) or params is None:
        return None
    if "pair" in params.params:
        pair: MutationPair = params.params["pair"]
        return (pair.scenario_id, pair.switch)
    scenario_id = params.params.get("scenario_id")
    return (scenario_id, None) if isinstance(scenario_id, str) else None


@pytest.fixture(autouse=True)
def _selected_runs_started(request: pytest.FixtureRequest, smoke_run: SmokeRunner) -> None:
    """The runs of the selected tests only (`-k` picks a few), healthy ones first, then the
    mutants, `SmokeRunner.PARALLEL` at a time from the first test on."""
    runs = [run for item in request.session.items if (run := _run_of(item)) is not None]
    smoke_run.prefetch([run for run in runs if run[1] is None])
    smoke_run.prefetch([run for run in runs if run[1] is not None])


def test_every_scenario_has_a_smoke_size() -> None:
    assert [s for s, scenario in SCENARIOS.items() if scenario.sizes.smoke is None] == []


def test_pairs_left_to_the_sweep_are_few() -> None:
    """Most switches are caught inside `make test`; the rest are named here by the rule."""
    left = [p.name for p in PAIRS if p not in SMOKE_PAIRS]
    assert len(left) <= len(PAIRS) // 4, left


@pytest.mark.parametrize("scenario_id", sorted(SCENARIOS))
def test_smoke_passes_on_default_simnet(smoke_run: SmokeRunner, scenario_id: str) -> None:
    run = smoke_run(scenario_id)
    report = run.report
    assert report is not None, run.output
    assert (run.code, report.verdict) == (0, "PASS"), run.output
    assert report.summary["ledger_mismatch"] == 0, run.output
    unmeasured = [name for name, value in report.figures.items() if value is None]
    assert set(report.figures) == set(SCENARIOS[scenario_id].figures), report.figures
    assert unmeasured == [], run.output


@pytest.mark.parametrize("pair", SMOKE_PAIRS, ids=[p.name for p in SMOKE_PAIRS])
def test_each_switch_named_in_kills_fails_its_criterion(
    smoke_run: SmokeRunner, pair: MutationPair
) -> None:
    scenario_id, switch = pair.scenario_id, pair.switch
    run = smoke_run(scenario_id, switch)
    report = run.report
    assert report is not None, run.output
    assert (run.code, report.verdict) == (1, "FAIL"), run.output
    assert report.switches == (switch,)
    killed = [c.id for c in report.failed_criteria if switch in c.kills]
    assert killed, run.output
