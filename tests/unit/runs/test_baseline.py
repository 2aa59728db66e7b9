"""Baselines: each run stores its baseline expressions; later runs find the latest PASS."""

import dataclasses
from pathlib import Path

from botruntime.runs._baseline import baseline_exprs, find_baseline
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


def test_the_latest_passing_run_of_the_same_size_and_target_is_the_baseline(tmp_path: Path) -> None:
    for report in (
        _report("transfer_baseline-a", started=1.0),
        _report("transfer_baseline-b", started=3.0),
        _report("transfer_baseline-c", started=5.0, verdict="FAIL"),
        _report("transfer_baseline-d", started=6.0, switches=("mempool_drop",)),
        _report("transfer_baseline-e", started=7.0, size="default"),
        _report("transfer_baseline-f", started=8.0, target="alpha=http://x:1"),
        _report("transfer_baseline-now", started=9.0),
    ):
        report.write(tmp_path)
    found = find_baseline(tmp_path, size="smoke", target="simnet", exclude="transfer_baseline-now")
    assert found is not None and found.run_id == "transfer_baseline-b"
    assert found.measures == {"p99(lat.commit{action=send_ax})": 3.0}
    assert find_baseline(tmp_path, size="full", target="simnet", exclude="") is None
