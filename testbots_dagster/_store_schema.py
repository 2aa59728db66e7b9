"""The results store's tables, and how a RunReport becomes their rows and comes back from them.

The layout is described in `testbots_dagster.results_store`, the module that opens the store.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from botruntime.runs import CriterionOutcome, Evidence, IntervalPoint, RunReport

__all__ = [
    "criteria",
    "evidence",
    "exists",
    "histograms",
    "insert_report",
    "intervals",
    "meta",
    "report_from_rows",
    "runs",
]

meta = sa.MetaData()

runs = sa.Table(
    "runs",
    meta,
    sa.Column("run_id", sa.String(200), primary_key=True),
    sa.Column("scenario_id", sa.String(200), nullable=False, index=True),
    sa.Column("scenario_hash", sa.String(128), nullable=False),
    sa.Column("size", sa.String(32), nullable=False),
    sa.Column("target", sa.Text, nullable=False),
    sa.Column("seed", sa.Text, nullable=False),
    sa.Column("git_sha", sa.String(64), nullable=True),
    sa.Column("switches", sa.JSON, nullable=False),
    sa.Column("mutant", sa.Boolean, nullable=False),
    sa.Column("verdict", sa.String(16), nullable=False),
    sa.Column("exit_code", sa.Integer, nullable=False),
    sa.Column("started_at_s", sa.Float, nullable=False),
    sa.Column("ended_at_s", sa.Float, nullable=False),
    sa.Column("summary", sa.JSON, nullable=False),
    sa.Column("errors_by_code", sa.JSON, nullable=False),
    sa.Column("notes", sa.JSON, nullable=False),
    sa.Column("report_version", sa.Integer, nullable=False),
    sa.Index("ix_runs_baseline", "scenario_id", "size", "target", "verdict", "started_at_s"),
)

criteria = sa.Table(
    "criteria",
    meta,
    sa.Column("run_id", sa.ForeignKey("runs.run_id"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("criterion_id", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("expr", sa.Text, nullable=False),
    sa.Column("explanation", sa.Text, nullable=False),
    sa.Column("value", sa.Float, nullable=True),
    sa.Column("kills", sa.JSON, nullable=False),
)

# the evidence of each failed criterion (report version 2): a table of its own, so a store
# made before it only gains a table
evidence = sa.Table(
    "evidence",
    meta,
    sa.Column("run_id", sa.ForeignKey("runs.run_id"), primary_key=True),
    sa.Column("criterion", sa.Integer, primary_key=True),  # criteria.position
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("series", sa.Text, nullable=False),
    sa.Column("value", sa.Float, nullable=True),
    sa.Column("examples", sa.JSON, nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
)

_INTERVAL_FIELDS: Final = tuple(f.name for f in fields(IntervalPoint))
intervals = sa.Table(
    "intervals",
    meta,
    sa.Column("run_id", sa.ForeignKey("runs.run_id"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("t_s", sa.Float, nullable=False),
    sa.Column("offered_per_s", sa.Float, nullable=False),
    sa.Column("achieved_per_s", sa.Float, nullable=False),
    sa.Column("committed_per_s", sa.Float, nullable=False),
    sa.Column("errors", sa.Integer, nullable=False),
    sa.Column("dropped", sa.Integer, nullable=False),
    sa.Column("p50_submit_ms", sa.Float, nullable=True),
    sa.Column("p99_submit_ms", sa.Float, nullable=True),
    sa.Column("p99_commit_ms", sa.Float, nullable=True),
)

histograms = sa.Table(
    "histograms",
    meta,
    sa.Column("run_id", sa.ForeignKey("runs.run_id"), primary_key=True),
    sa.Column("metric", sa.String(400), primary_key=True),
    sa.Column("encoded", sa.Text, nullable=False),
)


def report_from_rows(
    row: sa.RowMapping,
    criteria_rows: Iterable[sa.RowMapping],
    interval_rows: Iterable[sa.RowMapping],
    histogram_rows: Iterable[Any],  # (metric, encoded) pairs
    evidence_rows: Iterable[sa.RowMapping] = (),
) -> RunReport:
    """The report `insert_report` stored, from its `runs` row and its child rows in order."""
    found: dict[int, list[Evidence]] = {}
    for e in evidence_rows:
        found.setdefault(e["criterion"], []).append(
            Evidence(e["series"], e["value"], tuple(e["examples"]), e["detail"])
        )
    return RunReport(
        run_id=row["run_id"],
        scenario_id=row["scenario_id"],
        scenario_hash=row["scenario_hash"],
        size=row["size"],
        target=row["target"],
        seed=row["seed"],
        switches=tuple(row["switches"]),
        git_sha=row["git_sha"],
        started_at_s=row["started_at_s"],
        ended_at_s=row["ended_at_s"],
        verdict=row["verdict"],
        exit_code=row["exit_code"],
        criteria=tuple(
            CriterionOutcome(
                id=c["criterion_id"],
                kind=c["kind"],
                status=c["status"],
                expr=c["expr"],
                explanation=c["explanation"],
                value=c["value"],
                kills=tuple(c["kills"]),
                evidence=tuple(found.get(c["position"], ())),
            )
            for c in criteria_rows
        ),
        summary=dict(row["summary"]),
        errors_by_code=dict(row["errors_by_code"]),
        series=tuple(IntervalPoint(**{k: p[k] for k in _INTERVAL_FIELDS}) for p in interval_rows),
        histograms={metric: encoded for metric, encoded in histogram_rows},
        notes=tuple(row["notes"]),
        version=row["report_version"],
    )


def exists(conn: Connection, run_id: str) -> bool:
    found = conn.execute(sa.select(runs.c.run_id).where(runs.c.run_id == run_id)).first()
    return found is not None


def insert_report(conn: Connection, report: RunReport) -> None:
    conn.execute(
        runs.insert().values(
            run_id=report.run_id,
            scenario_id=report.scenario_id,
            scenario_hash=report.scenario_hash,
            size=report.size,
            target=report.target,
            seed=report.seed,
            git_sha=report.git_sha,
            switches=list(report.switches),
            mutant=bool(report.switches),
            verdict=report.verdict,
            exit_code=report.exit_code,
            started_at_s=report.started_at_s,
            ended_at_s=report.ended_at_s,
            summary=dict(report.summary),
            errors_by_code=dict(report.errors_by_code),
            notes=list(report.notes),
            report_version=report.version,
        )
    )
    _insert_many(
        conn,
        criteria,
        (
            {
                "run_id": report.run_id,
                "position": i,
                "criterion_id": c.id,
                "kind": c.kind,
                "status": c.status,
                "expr": c.expr,
                "explanation": c.explanation,
                "value": c.value,
                "kills": list(c.kills),
            }
            for i, c in enumerate(report.criteria)
        ),
    )
    _insert_many(
        conn,
        evidence,
        (
            {
                "run_id": report.run_id,
                "criterion": i,
                "position": j,
                "series": e.series,
                "value": e.value,
                "examples": list(e.examples),
                "detail": e.detail,
            }
            for i, c in enumerate(report.criteria)
            for j, e in enumerate(c.evidence)
        ),
    )
    _insert_many(
        conn,
        intervals,
        (
            {"run_id": report.run_id, "position": i, **{k: getattr(p, k) for k in _INTERVAL_FIELDS}}
            for i, p in enumerate(report.series)
        ),
    )
    _insert_many(
        conn,
        histograms,
        (
            {"run_id": report.run_id, "metric": metric, "encoded": encoded}
            for metric, encoded in sorted(report.histograms.items())
        ),
    )


def _insert_many(conn: Connection, table: sa.Table, rows: Iterable[dict[str, Any]]) -> None:
    batch = list(rows)
    if batch:  # executemany with no rows is an error on some drivers
        conn.execute(table.insert(), batch)
