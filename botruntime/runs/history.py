"""Run history and comparison as pandas DataFrames: the one table of past runs.

Where history lives, and why here: `testbots history` (botruntime) and the Dagster asset
`run_history` (testbots_dagster) must show the same rows, and botruntime may not import
testbots_dagster (lint-imports), while testbots_dagster builds on botruntime. So the table is
owned here, on the side both can import: `history_frame` turns run rows (a `RunReport`, or a
results-store row with the same fields) into the history table, and nothing else builds one.
Its rows are the reports every run writes under `$TESTBOTS_HOME/runs/<run_id>/report.json`
(`testbots run` and each Dagster run alike), read by `read_reports`. The results store, which
only Dagster writes, takes in the reports it lacks (`ResultsStore.append_reports`) before
`run_history` is built from it with this same function, so both show the same runs, columns
and order. The baseline rule behind the trends and the regression report is `baseline_of`
(`_baseline.py`), also over pandas.

pandas is imported by the functions, not with this module: `testbots --help` stays instant.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final, Protocol

from botruntime.runs._baseline import BASELINE_WINDOW, baseline_of
from botruntime.runs.headline import HEADLINE, headline
from botruntime.runs.report import ReportError, RunReport

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "FIGURES",
    "HISTORY_COLUMNS",
    "HistoryRow",
    "comparison_frame",
    "history_frame",
    "read_reports",
    "trends_frame",
]

FIGURES: Final = tuple(m.label for m in HEADLINE)
# the history table's columns, in order; the figures are floats (NaN: the run had no samples)
HISTORY_COLUMNS: Final = (
    "started",
    "scenario",
    "size",
    "target",
    "verdict",
    "switches",
    *FIGURES,
    "exit_code",
    "run_id",
    "git_sha",
)
TREND_COLUMNS: Final = (
    "scenario",
    "size",
    "target",
    "metric",
    "runs",
    "oldest",
    "latest",
    "median",
    "baseline",
    "change_pct",
)


class HistoryRow(Protocol):
    """What the history table reads of a run: a `RunReport` or a results-store row."""

    @property
    def run_id(self) -> str: ...
    @property
    def scenario_id(self) -> str: ...
    @property
    def size(self) -> str: ...
    @property
    def target(self) -> str: ...
    @property
    def verdict(self) -> str: ...
    @property
    def switches(self) -> Sequence[str]: ...
    @property
    def started_at_s(self) -> float: ...
    @property
    def exit_code(self) -> int: ...
    @property
    def git_sha(self) -> str | None: ...
    @property
    def summary(self) -> Mapping[str, float]: ...


def history_frame(runs: Iterable[HistoryRow]) -> pd.DataFrame:
    """The history table: one row per run, newest first (ties by run id), `HISTORY_COLUMNS`."""
    import pandas as pd

    ordered = sorted(runs, key=lambda r: (-r.started_at_s, r.run_id))
    records = [
        {
            "started": datetime.fromtimestamp(r.started_at_s, UTC).strftime("%Y-%m-%d %H:%M:%S"),
            "scenario": r.scenario_id,
            "size": r.size,
            "target": r.target,
            "verdict": r.verdict,
            "switches": ", ".join(r.switches) or "none",
            **headline(r.summary),
            "exit_code": int(r.exit_code),
            "run_id": r.run_id,
            "git_sha": (r.git_sha or "")[:12],
        }
        for r in ordered
    ]
    frame = pd.DataFrame.from_records(records, columns=list(HISTORY_COLUMNS))
    frame[list(FIGURES)] = frame[list(FIGURES)].astype("float64")
    frame["exit_code"] = frame["exit_code"].astype("int64")
    return frame


def read_reports(runs_dir: Path, scenario_id: str | None = None) -> list[RunReport]:
    """Every readable `*/report.json` under `runs_dir` (of `scenario_id` if given), newest
    first; a folder without a finished report (a run still going, or broken) is left out."""
    found: list[RunReport] = []
    for path in runs_dir.glob("*/report.json"):
        try:
            report = RunReport.read(path)
        except (ReportError, OSError):
            continue
        if scenario_id is None or report.scenario_id == scenario_id:
            found.append(report)
    found.sort(key=lambda r: (-r.started_at_s, r.run_id))
    return found


def trends_frame(history: pd.DataFrame, window: int = BASELINE_WINDOW) -> pd.DataFrame:
    """Per scenario, size, target and headline figure, over a `history_frame`: how many runs
    reported it, its oldest and latest value, the median over all of them, the baseline
    (`baseline_of`: the median of the last `window` passing runs without switches), and the
    latest against the oldest in percent."""
    import pandas as pd

    candidates = history.assign(
        mutant=history["switches"] != "none",
        started_at_s=pd.to_datetime(history["started"], utc=True).map(lambda t: t.timestamp()),
    )
    rows: list[dict[str, object]] = []
    for (scenario, size, target), group in candidates.groupby(
        ["scenario", "size", "target"], sort=True
    ):
        oldest_first = group.iloc[::-1]
        for metric in FIGURES:
            values = oldest_first[metric].dropna()
            if values.empty:
                continue
            oldest, latest = float(values.iloc[0]), float(values.iloc[-1])
            base = baseline_of(group, metric, size=str(size), target=str(target), window=window)
            rows.append(
                {
                    "scenario": scenario,
                    "size": size,
                    "target": target,
                    "metric": metric,
                    "runs": len(values),
                    "oldest": oldest,
                    "latest": latest,
                    "median": float(values.median()),
                    "baseline": base.median if base else None,
                    "change_pct": round(100.0 * (latest - oldest) / abs(oldest), 2)
                    if oldest
                    else None,
                }
            )
    frame = pd.DataFrame.from_records(rows, columns=list(TREND_COLUMNS))
    frame["runs"] = frame["runs"].astype("int64")
    for column in ("oldest", "latest", "median", "baseline", "change_pct"):
        frame[column] = frame[column].astype("float64")
    return frame


def comparison_frame(reports: Sequence[RunReport]) -> pd.DataFrame:
    """Runs side by side: one row per summary figure any of them has, one column per run (in
    the order given, NaN where a run lacks the figure), and with two runs or more `last/first`,
    the last run's value over the first's (NaN where it is not defined)."""
    import numpy as np
    import pandas as pd

    columns = _unique_names([r.run_id for r in reports])
    frame = pd.DataFrame(
        {
            name: pd.Series(r.summary, dtype="float64")
            for name, r in zip(columns, reports, strict=True)
        }
    ).sort_index()
    frame.index.name = "figure"
    if len(reports) >= 2:
        first, last = frame[columns[0]], frame[columns[-1]]
        frame["last/first"] = (last / first.where(first != 0)).replace([np.inf, -np.inf], np.nan)
    return frame


def _unique_names(names: Sequence[str]) -> list[str]:
    """Run ids as column names; the same run given twice gets `#2`, `#3`…"""
    seen: dict[str, int] = {}
    out: list[str] = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return out
