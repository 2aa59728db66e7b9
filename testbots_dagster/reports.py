"""Assets downstream of every scenario: the run history and the regression report.

Both read the results store (which also holds runs made with `testbots run`, outside Dagster)
and depend on every scenario asset, so the lineage graph shows where they come from.
`capacity` (C_tx from `capacity_ramp`, in `capacity.py`) is refreshed with them.
"""

# No `from __future__ import annotations`: Dagster resolves the asset functions' annotations.

from collections.abc import Sequence
from datetime import UTC, datetime

import dagster as dg

from testbots_dagster._headline import compare, headline
from testbots_dagster.resources import ResultsStoreResource
from testbots_dagster.results_store import Baseline, ResultsStore, StoredRun

__all__ = ["HISTORY_ROWS", "REPORTS_GROUP", "build_reports"]

REPORTS_GROUP = "reports"
HISTORY_ROWS = 500

_HISTORY_COLUMNS = (
    dg.TableColumn("started", "string"),
    dg.TableColumn("scenario", "string"),
    dg.TableColumn("size", "string"),
    dg.TableColumn("target", "string"),
    dg.TableColumn("verdict", "string"),
    dg.TableColumn("switches", "string"),
    dg.TableColumn("achieved_rate_per_s", "float"),
    dg.TableColumn("p99_commit_ms", "float"),
    dg.TableColumn("error_rate", "float"),
    dg.TableColumn("run_id", "string"),
    dg.TableColumn("git_sha", "string"),
)
_REGRESSION_COLUMNS = (
    dg.TableColumn("scenario", "string"),
    dg.TableColumn("size", "string"),
    dg.TableColumn("target", "string"),
    dg.TableColumn("run_id", "string"),
    dg.TableColumn("metric", "string"),
    dg.TableColumn("latest", "float"),
    dg.TableColumn("baseline", "float"),
    dg.TableColumn("delta_pct", "float"),
    dg.TableColumn("baseline_runs", "int"),
    dg.TableColumn("status", "string"),
)


def build_reports(scenario_keys: Sequence[dg.AssetKey]) -> list[dg.AssetsDefinition]:
    @dg.asset(
        deps=list(scenario_keys),
        group_name=REPORTS_GROUP,
        kinds={"python"},
        description="Every run in the results store, newest first (Dagster and `testbots run`).",
    )
    def run_history(results: ResultsStoreResource) -> dg.MaterializeResult:
        runs = results.store.history(limit=HISTORY_ROWS)
        verdicts = [r.verdict for r in runs]
        return dg.MaterializeResult(
            metadata={
                "runs": dg.MetadataValue.table(
                    [_history_row(r) for r in runs], schema=dg.TableSchema(list(_HISTORY_COLUMNS))
                ),
                "runs_shown": len(runs),
                "pass": verdicts.count("PASS"),
                "fail": verdicts.count("FAIL"),
                "inconclusive": verdicts.count("INCONCLUSIVE"),
            }
        )

    @dg.asset(
        deps=list(scenario_keys),
        group_name=REPORTS_GROUP,
        kinds={"python"},
        description="The latest run of each scenario, size and target against the median of "
        "its last 7 passing runs.",
    )
    def regression_report(results: ResultsStoreResource) -> dg.MaterializeResult:
        rows = regression_rows(results.store)
        worse = [r for r in rows if r["status"] == "worse"]
        return dg.MaterializeResult(
            metadata={
                "comparisons": dg.MetadataValue.table(
                    [dg.TableRecord(r) for r in rows],
                    schema=dg.TableSchema(list(_REGRESSION_COLUMNS)),
                ),
                "regressions": len(worse),
                "regressed": dg.MetadataValue.md(
                    "\n".join(f"- {r['scenario']} {r['metric']}" for r in worse) or "none"
                ),
            }
        )

    return [run_history, regression_report]


def regression_rows(store: ResultsStore) -> list[dict[str, str | float | int | None]]:
    """One row per headline metric of the latest non-mutant run of each scenario/size/target."""
    latest: dict[tuple[str, str, str], StoredRun] = {}
    for run in store.history(mutant=False, limit=None):  # newest first: keep the first seen
        latest.setdefault((run.scenario_id, run.size, run.target), run)
    rows: list[dict[str, str | float | int | None]] = []
    for (scenario_id, size, target), run in sorted(latest.items()):
        report = store.get(run.run_id)

        def baseline_of(metric: str, run: StoredRun = run) -> Baseline | None:
            return store.baseline(
                run.scenario_id,
                size=run.size,
                target=run.target,
                metric=metric,
                before_s=run.started_at_s,
                exclude_run_id=run.run_id,
            )

        for c in compare(report, baseline_of):
            rows.append(
                {
                    "scenario": scenario_id,
                    "size": size,
                    "target": target,
                    "run_id": run.run_id,
                    "metric": c.metric.label,
                    "latest": c.current,
                    "baseline": c.baseline.median if c.baseline else None,
                    "delta_pct": round(c.delta_pct, 2) if c.delta_pct is not None else None,
                    "baseline_runs": len(c.baseline.run_ids) if c.baseline else 0,
                    "status": c.status,
                }
            )
    return rows


def _history_row(run: StoredRun) -> dg.TableRecord:
    started = datetime.fromtimestamp(run.started_at_s, UTC).strftime("%Y-%m-%d %H:%M:%S")
    values = headline(run.summary)
    return dg.TableRecord(
        {
            "started": started,
            "scenario": run.scenario_id,
            "size": run.size,
            "target": run.target,
            "verdict": run.verdict,
            "switches": ", ".join(run.switches) or "none",
            "achieved_rate_per_s": values.get("achieved_rate_per_s"),
            "p99_commit_ms": values.get("p99_commit_ms"),
            "error_rate": values.get("error_rate"),
            "run_id": run.run_id,
            "git_sha": (run.git_sha or "")[:12],
        }
    )
