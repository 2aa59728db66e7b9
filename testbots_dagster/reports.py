"""Assets downstream of every scenario: the run history and the regression report.

Both read the results store, as pandas DataFrames, and depend on every scenario asset, so the
lineage graph shows where they come from. Each first appends the reports of runs made with
`testbots run` (under `$TESTBOTS_HOME/runs`) that the store lacks; `run_history` tables the store's
`history_frame`: the same rows, columns and order `testbots history` prints (one owner,
`botruntime.runs.history`). `capacity` (C_tx from `capacity_ramp`, in `capacity.py`) is
refreshed with them.
"""

# No `from __future__ import annotations`: Dagster resolves the asset functions' annotations.

from collections.abc import Sequence
from typing import Any

import dagster as dg
import pandas as pd

from botruntime.runs import baseline_of, figures_frame
from botruntime.runs.history import trends_frame
from testbots_dagster._headline import HEADLINE, Comparison
from testbots_dagster.resources import ResultsStoreResource
from testbots_dagster.results_store import ResultsStore

__all__ = ["HISTORY_ROWS", "REPORTS_GROUP", "build_reports", "regression_rows", "table"]

REPORTS_GROUP = "reports"
HISTORY_ROWS = 500

_COLUMN_TYPES = {"f": "float", "i": "int", "u": "int", "b": "bool"}


def table(frame: pd.DataFrame) -> dg.TableMetadataValue:
    """A DataFrame as a Dagster table, its schema from the column dtypes (NaN shows empty)."""
    schema = dg.TableSchema(
        [
            dg.TableColumn(str(name), _COLUMN_TYPES.get(dtype.kind, "string"))
            for name, dtype in frame.dtypes.items()
        ]
    )
    records = [
        dg.TableRecord({str(k): _plain(v) for k, v in row.items()})
        for row in frame.to_dict(orient="records")
    ]
    return dg.MetadataValue.table(records, schema=schema)


def _plain(value: Any) -> str | int | float | bool | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if hasattr(value, "item"):  # a numpy scalar
        value = value.item()
    if isinstance(value, bool | int | float | str):
        return value
    return str(value)


def build_reports(scenario_keys: Sequence[dg.AssetKey]) -> list[dg.AssetsDefinition]:
    @dg.asset(
        deps=list(scenario_keys),
        group_name=REPORTS_GROUP,
        kinds={"python", "pandas"},
        description="Every run in the results store, newest first (Dagster and `testbots run`),"
        " and per scenario the trend of each headline figure.",
    )
    def run_history(
        context: dg.AssetExecutionContext, results: ResultsStoreResource
    ) -> dg.MaterializeResult:
        added = results.store.append_reports(results.runs_dir)
        if added:
            context.log.info(f"stored {len(added)} run(s) made outside Dagster: {added}")
        history = results.store.history_frame(limit=HISTORY_ROWS)
        verdicts = history["verdict"].value_counts()
        return dg.MaterializeResult(
            metadata={
                "runs": table(history),
                "trends": table(trends_frame(history)),
                "runs_shown": len(history),
                "pass": int(verdicts.get("PASS", 0)),
                "fail": int(verdicts.get("FAIL", 0)),
                "inconclusive": int(verdicts.get("INCONCLUSIVE", 0)),
            }
        )

    @dg.asset(
        deps=list(scenario_keys),
        group_name=REPORTS_GROUP,
        kinds={"python", "pandas"},
        description="The latest run of each scenario, size and target against the median of "
        "its last 7 passing runs.",
    )
    def regression_report(results: ResultsStoreResource) -> dg.MaterializeResult:
        results.store.append_reports(results.runs_dir)
        rows = regression_rows(results.store)
        worse = rows[rows["status"] == "worse"]
        return dg.MaterializeResult(
            metadata={
                "comparisons": table(rows),
                "regressions": len(worse),
                "regressed": dg.MetadataValue.md(
                    "\n".join(f"- {r.scenario} {r.metric}" for r in worse.itertuples()) or "none"
                ),
            }
        )

    return [run_history, regression_report]


_REGRESSION_COLUMNS = (
    "scenario",
    "size",
    "target",
    "run_id",
    "metric",
    "latest",
    "baseline",
    "delta_pct",
    "baseline_runs",
    "status",
)


def regression_rows(store: ResultsStore) -> pd.DataFrame:
    """One row per regression metric of the latest non-mutant run of each scenario, size and
    target, against its baseline (`baseline_of` over the same scenario's stored runs)."""
    runs = store.history(mutant=False, limit=None)  # newest first
    figures = figures_frame(runs, lambda r: r.summary)
    figures["scenario"] = [r.scenario_id for r in runs]
    rows: list[dict[str, object]] = []
    if not figures.empty:
        latest = figures.groupby(["scenario", "size", "target"], sort=True).head(1)
        for run in latest.sort_values(["scenario", "size", "target"]).itertuples(index=False):
            same = figures[figures["scenario"] == run.scenario]
            for m in HEADLINE:
                current = getattr(run, m.key, None) if m.key in figures.columns else None
                if not m.regression or current is None or pd.isna(current):
                    continue
                base = baseline_of(
                    same,
                    m.key,
                    size=str(run.size),
                    target=str(run.target),
                    before_s=float(run.started_at_s),
                    exclude_run_id=str(run.run_id),
                )
                c = Comparison(m, float(current), base)
                rows.append(
                    {
                        "scenario": run.scenario,
                        "size": run.size,
                        "target": run.target,
                        "run_id": run.run_id,
                        "metric": m.label,
                        "latest": c.current,
                        "baseline": base.median if base else None,
                        "delta_pct": round(c.delta_pct, 2) if c.delta_pct is not None else None,
                        "baseline_runs": len(base.run_ids) if base else 0,
                        "status": c.status,
                    }
                )
    frame = pd.DataFrame.from_records(rows, columns=list(_REGRESSION_COLUMNS))
    frame["baseline_runs"] = frame["baseline_runs"].astype("int64")
    for column in ("latest", "baseline", "delta_pct"):
        frame[column] = frame[column].astype("float64")
    return frame
