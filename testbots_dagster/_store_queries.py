"""The results store's questions over many runs: history (filtered, newest first) and baselines.

Each builds its query over the `runs` table and turns the rows into the frozen answers
`ResultsStore.history` and `ResultsStore.baseline` return (re-exported there).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Final

import sqlalchemy as sa

from testbots_dagster._store_schema import runs

__all__ = [
    "StoredRun",
    "baseline_query",
    "history_query",
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


def baseline_query(scenario_id: str, *, size: str, target: str) -> sa.Select[Any]:
    """(run_id, verdict, switches, size, target, started_at_s, summary) of a scenario's runs at
    one size and target, newest first: the candidates `botruntime.runs`' rule picks from."""
    return (
        sa.select(
            runs.c.run_id,
            runs.c.verdict,
            runs.c.switches,
            runs.c.size,
            runs.c.target,
            runs.c.started_at_s,
            runs.c.summary,
        )
        .where(runs.c.scenario_id == scenario_id, runs.c.size == size, runs.c.target == target)
        .order_by(runs.c.started_at_s.desc(), runs.c.run_id)
    )
