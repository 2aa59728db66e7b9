"""The history table, its trends, the comparison of runs and the baseline rule, with pandas."""

import dataclasses
import math
from pathlib import Path

import pandas as pd

from botruntime.runs import BASELINE_WINDOW, baseline_of, figures_frame
from botruntime.runs.history import (
    FIGURES,
    HISTORY_COLUMNS,
    comparison_frame,
    history_frame,
    read_reports,
    trends_frame,
)
from botruntime.runs.report import RunReport


def _run(run_id: str, started: float, p99: float = 1000.0, **kw: object) -> RunReport:
    base = RunReport(
        run_id=run_id,
        scenario_id="transfer_baseline",
        scenario_hash="h",
        size="smoke",
        target="simnet",
        seed="1",
        switches=(),
        git_sha="0123456789abcdef0123",
        started_at_s=started,
        ended_at_s=started + 10,
        verdict="PASS",
        exit_code=0,
        criteria=(),
        summary={"p99_commit_ms": p99, "achieved_rate": 50.0, "err_rate": math.nan},
    )
    return dataclasses.replace(base, **kw)  # type: ignore[arg-type]


def test_history_is_newest_first_with_every_headline_figure_as_a_float_column() -> None:
    frame = history_frame(
        [_run("b", 200.0), _run("a", 100.0), _run("c", 300.0, switches=("fee_leak",))]
    )
    assert list(frame.columns) == list(HISTORY_COLUMNS)
    assert list(frame["run_id"]) == ["c", "b", "a"]
    assert frame.loc[0, "switches"] == "fee_leak" and frame.loc[1, "switches"] == "none"
    assert frame.loc[2, "started"] == "1970-01-01 00:01:40"
    assert all(frame[f].dtype == "float64" for f in FIGURES)
    assert frame.loc[0, "p99_commit_ms"] == 1000.0
    assert pd.isna(frame.loc[0, "error_rate"])  # NaN in the summary: no samples
    assert frame.loc[0, "git_sha"] == "0123456789ab"


def test_an_empty_history_still_has_its_columns() -> None:
    frame = history_frame([])
    assert frame.empty and list(frame.columns) == list(HISTORY_COLUMNS)
    assert trends_frame(frame).empty


def test_read_reports_skips_unfinished_runs_and_other_scenarios(tmp_path: Path) -> None:
    _run("a", 1.0).write(tmp_path)
    _run("b", 2.0).write(tmp_path)
    _run("r", 3.0, scenario_id="replay_attack").write(tmp_path)
    (tmp_path / "going").mkdir()
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "report.json").write_text("{")
    assert [r.run_id for r in read_reports(tmp_path, "transfer_baseline")] == ["b", "a"]
    assert [r.run_id for r in read_reports(tmp_path)] == ["r", "b", "a"]


def test_trends_follow_each_figure_from_oldest_to_latest() -> None:
    runs = [_run(f"r{i}", float(i), p99=p99) for i, p99 in enumerate((1000.0, 1200.0, 1500.0))]
    runs.append(_run("failed", 9.0, p99=9000.0, verdict="FAIL"))
    trends = trends_frame(history_frame(runs))
    p99 = trends[trends["metric"] == "p99_commit_ms"].iloc[0]
    assert (p99["runs"], p99["oldest"], p99["latest"]) == (4, 1000.0, 9000.0)
    assert p99["baseline"] == 1200.0  # the FAIL run is no baseline
    assert p99["change_pct"] == 800.0
    assert list(trends["metric"]) == ["achieved_rate_per_s", "p99_commit_ms"]  # HEADLINE order


def test_the_baseline_is_the_median_of_the_newest_seven_eligible_runs() -> None:
    runs = [_run(f"ok{i}", float(i), p99=float(i)) for i in range(10)]
    runs += [
        _run("fail", 20.0, p99=1e6, verdict="FAIL"),
        _run("mutant", 21.0, p99=1e6, switches=("mempool_drop",)),
        _run("default", 22.0, p99=1e6, size="default"),
        _run("remote", 23.0, p99=1e6, target="alpha=http://x:1"),
        _run("nan", 24.0, p99=math.nan),
    ]
    frame = figures_frame(runs, lambda r: r.summary)
    found = baseline_of(frame, "p99_commit_ms", size="smoke", target="simnet")
    assert found is not None
    assert found.run_ids == tuple(f"ok{i}" for i in range(9, 2, -1))
    assert len(found.values) == BASELINE_WINDOW and found.median == 6.0
    before = baseline_of(frame, "p99_commit_ms", size="smoke", target="simnet", before_s=3.0)
    assert before is not None and before.values == (2.0, 1.0, 0.0)
    excluded = baseline_of(
        frame, "p99_commit_ms", size="smoke", target="simnet", exclude_run_id="ok9", window=1
    )
    assert excluded is not None and excluded.run_ids == ("ok8",)
    assert baseline_of(frame, "nope", size="smoke", target="simnet") is None
    assert baseline_of(frame, "p99_commit_ms", size="full", target="simnet") is None
    assert baseline_of(figures_frame([], dict), "x", size="smoke", target="simnet") is None


def test_comparison_puts_runs_side_by_side_with_last_over_first() -> None:
    a = _run("a", 1.0, p99=1000.0)
    b = dataclasses.replace(_run("b", 2.0, p99=1500.0), summary={"p99_commit_ms": 1500.0, "x": 1.0})
    c = _run("c", 3.0, p99=3000.0)
    frame = comparison_frame([a, b, c])
    assert list(frame.columns) == ["a", "b", "c", "last/first"]
    assert frame.loc["p99_commit_ms", "last/first"] == 3.0
    assert pd.isna(frame.loc["x", "a"]) and frame.loc["x", "b"] == 1.0
    assert pd.isna(frame.loc["err_rate", "last/first"])
    assert list(comparison_frame([a, a]).columns) == ["a", "a#2", "last/first"]
