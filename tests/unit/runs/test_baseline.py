"""Baselines: each run stores its baseline expressions; a later run takes the median of the
last passing runs of the same size and target, with no switch, before it."""

import dataclasses
from pathlib import Path

from botruntime.runs._baseline import BASELINE_WINDOW, baseline_exprs, find_baselines
from botruntime.runs.report import RunReport
from botruntime.scenario import load_scenario

REPO = Path(__file__).parents[3]


def _report(run_id: str, *, verdict: str = "PASS", started: float = 1.0, **kw: object) -> RunReport:
    base = RunReport(
        run_id=run_id,
        scenario_id="transfer_baseline",
        scenario_hash="h",
        size="smoke",
        target="simnet",
        seed="1",
        switches=(),
        git_sha=None,
        started_at_s=started,
        ended_at_s=started + 1,
        verdict=verdict,  # type: ignore[arg-type]
        exit_code=0,
        criteria=(),
        summary={},
        measures={"p99(lat.commit{action=send_ax})": started},
    )
    return dataclasses.replace(base, **kw)  # type: ignore[arg-type]


def test_scenarios_name_their_baseline_expressions() -> None:
    for scenario in ("transfer_baseline", "replay_attack"):
        loaded = load_scenario(scenario, REPO / "scenarios")
        assert list(baseline_exprs(loaded.scenario)) == ["p99(lat.commit{action=send_ax})"]


KEY = "p99(lat.commit{action=send_ax})"


def test_the_median_of_earlier_passing_runs_of_the_same_size_and_target(tmp_path: Path) -> None:
    for report in (
        _report("transfer_baseline-a", started=1.0),
        _report("transfer_baseline-b", started=3.0),
        _report("transfer_baseline-c", started=5.0, verdict="FAIL"),
        _report("transfer_baseline-d", started=6.0, switches=("mempool_drop",)),
        _report("transfer_baseline-e", started=7.0, size="default"),
        _report("transfer_baseline-f", started=8.0, target="alpha=http://x:1"),
        _report("transfer_baseline-g", started=8.5),
        _report("x-now", started=9.0),
        _report("transfer_baseline-later", started=10.0),
    ):
        report.write(tmp_path)
    found = find_baselines(
        tmp_path,
        [KEY],
        size="smoke",
        target="simnet",
        before_s=9.0,
        exclude="transfer_baseline-now",
    )
    baseline = found[KEY]
    assert baseline.run_ids == ("transfer_baseline-g", "transfer_baseline-b", "transfer_baseline-a")
    assert baseline.median == 3.0  # of 8.5, 3 and 1
    nothing = find_baselines(tmp_path, [KEY], size="full", target="simnet", before_s=99, exclude="")
    assert nothing == {}


def test_only_the_last_window_of_runs_counts(tmp_path: Path) -> None:
    for i in range(BASELINE_WINDOW + 3):
        _report(f"transfer_baseline-{i:02d}", started=float(i)).write(tmp_path)
    found = find_baselines(tmp_path, [KEY], size="smoke", target="simnet", before_s=99, exclude="")
    assert len(found[KEY].run_ids) == BASELINE_WINDOW
    assert found[KEY].run_ids[0] == f"transfer_baseline-{BASELINE_WINDOW + 2:02d}"
