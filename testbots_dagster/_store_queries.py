"""The results store's questions over many runs: history (filtered, newest first) and baselines.

Each builds its query over the `runs` table and turns the rows into the frozen answers
`ResultsStore.history` and `ResultsStore.baseline` return (re-exported there).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any, Final

import sqlalchemy as sa

from testbots_dagster._store_schema import runs

__all__ = [
    "Baseline",
    "StoredRun",
    "baseline_query",
    "history_query",
    "pick_baseline",
    "stored_run",
]


@dataclass(frozen=True, slots=True)
class StoredRun:
    """One run's row: what history tables show (no series, histograms or criteria)."""

    run_id: str
    scenario_id: str
    scenario_hash: str
    size: str
    target: str
    seed: str
    git_sha: str | None
    switches: tuple[str, ...]
    verdict: str
    exit_code: int
    started_at_s: float
    ended_at_s: float
    summary: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class Baseline:
    """The median of one metric over earlier PASS runs of a scenario at one size and target."""

    metric: str
    median: float
    run_ids: tuple[str, ...]  # newest first
    values: tuple[float, ...]


_STORED_RUN_COLUMNS: Final = tuple(runs.c[name] for name in (f.name for f in fields(StoredRun)))


def history_query(
    scenario_id: str | None,
    *,
    size: str | None,
    target: str | None,
    verdict: str | None,
    mutant: bool | None,
    limit: int | None,
) -> sa.Select[Any]:
    """Runs, newest first, filtered by whichever of scenario, size, target, verdict is given."""
    query = sa.select(*_STORED_RUN_COLUMNS).order_by(runs.c.started_at_s.desc(), runs.c.run_id)
    for column, wanted in (
        (runs.c.scenario_id, scenario_id),
        (runs.c.size, size),
        (runs.c.target, target),
        (runs.c.verdict, verdict),
        (runs.c.mutant, mutant),
    ):
        if wanted is not None:
            query = query.where(column == wanted)
    if limit is not None:
        query = query.limit(limit)
    return query


def stored_run(row: sa.RowMapping) -> StoredRun:
    values = dict(row)
    values["switches"] = tuple(values["switches"])
    values["summary"] = dict(values["summary"])
    return StoredRun(**values)


def baseline_query(
    scenario_id: str,
    *,
    size: str,
    target: str,
    before_s: float | None,
    exclude_run_id: str | None,
) -> sa.Select[Any]:
    """(run_id, summary) of PASS runs without switches, newest first, started before `before_s`."""
    query = (
        sa.select(runs.c.run_id, runs.c.summary)
        .where(
            runs.c.scenario_id == scenario_id,
            runs.c.size == size,
            runs.c.target == target,
            runs.c.verdict == "PASS",
            runs.c.mutant.is_(False),
        )
        .order_by(runs.c.started_at_s.desc(), runs.c.run_id)
    )
    if before_s is not None:
        query = query.where(runs.c.started_at_s < before_s)
    if exclude_run_id is not None:
        query = query.where(runs.c.run_id != exclude_run_id)
    return query


def pick_baseline(rows: Iterable[Any], metric: str, window: int) -> Baseline | None:
    """Median of `summary[metric]` over the first `window` rows that report it; None if none."""
    picked: list[tuple[str, float]] = []
    for run_id, summary in rows:
        value = summary.get(metric)
        if isinstance(value, int | float) and math.isfinite(value):
            picked.append((run_id, float(value)))
            if len(picked) == window:
                break
    if not picked:
        return None
    values = tuple(v for _, v in picked)
    return Baseline(metric, statistics.median(values), tuple(r for r, _ in picked), values)
