"""Every finished run, kept for good: the history, baselines and regression report read it.

A plain class over SQLAlchemy Core, with no Dagster in it (the Dagster resource wraps it), so a
script or a test reads results without an instance. By default a SQLite file,
`$TESTBOTS_HOME/results.sqlite`; any SQLAlchemy URL (e.g. `postgresql+psycopg2://…`) for a
store shared by a team.

Layout (one row per run in `runs`, its parts in three child tables keyed by `run_id`):

    runs        what was asked and the headline: scenario id + YAML hash, size, target, seed,
                git SHA, switches (JSON list; `mutant` is true when any was on), verdict,
                exit code, times, summary / errors_by_code / notes (JSON)
    criteria    one row per gate or criterion: kind, status, expr, explanation, value, kills
    intervals   one row per second of the run (the charts' series)
    histograms  one row per metric key: the encoded HDR histogram (text)

Append-only: there is no update or delete; a second write of a run id is `RunAlreadyStored`
and changes nothing. A run's rows are written in one transaction, so a crash or an error half
way leaves no trace of that run: a reader sees a run whole or not at all. JSON columns are
strict JSON (Postgres refuses NaN): a non-finite number, such as the percentile of a metric
with no samples, reads back as null.

ResultsStoreError
├── RunAlreadyStored    the run id is in the store already (.run_id)
├── RunNotFound         no run with this id (.run_id)
└── StoreUnavailable    the database could not be opened, read or written (.url, password hidden)
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from botruntime.runs import CriterionOutcome, IntervalPoint, RunReport

__all__ = [
    "BASELINE_WINDOW",
    "Baseline",
    "ResultsStore",
    "ResultsStoreError",
    "RunAlreadyStored",
    "RunNotFound",
    "StoreUnavailable",
    "StoredRun",
    "default_url",
]

BASELINE_WINDOW: Final = 7  # SCENARIOS.md §1.4: rolling median of the last 7 PASS runs
_SQLITE_BUSY_TIMEOUT_S: Final = 30.0  # the UI reads while a run writes


class ResultsStoreError(RuntimeError):
    """Something about the results store; catch a branch below to act on it."""


class RunAlreadyStored(ResultsStoreError):
    def __init__(self, run_id: str) -> None:
        super().__init__(
            f"run {run_id!r} is already in the results store, which is append-only: "
            "give the new run its own run_id"
        )
        self.run_id = run_id


class RunNotFound(ResultsStoreError):
    def __init__(self, run_id: str) -> None:
        super().__init__(f"no run {run_id!r} in the results store (list them with history())")
        self.run_id = run_id


class StoreUnavailable(ResultsStoreError):
    def __init__(self, message: str, *, url: str) -> None:
        super().__init__(f"results store {url}: {message}")
        self.url = url


def default_url(home: Path) -> str:
    """The default store: one SQLite file under TESTBOTS_HOME."""
    return f"sqlite:///{(home / 'results.sqlite').resolve()}"


_meta = sa.MetaData()

_runs = sa.Table(
    "runs",
    _meta,
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

_criteria = sa.Table(
    "criteria",
    _meta,
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

_INTERVAL_FIELDS: Final = tuple(f.name for f in fields(IntervalPoint))
_intervals = sa.Table(
    "intervals",
    _meta,
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

_histograms = sa.Table(
    "histograms",
    _meta,
    sa.Column("run_id", sa.ForeignKey("runs.run_id"), primary_key=True),
    sa.Column("metric", sa.String(400), primary_key=True),
    sa.Column("encoded", sa.Text, nullable=False),
)


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


class ResultsStore:
    """Append-only store of run reports; one engine, safe to share within a process."""

    def __init__(self, url: str) -> None:
        try:
            parsed = make_url(url)
        except SQLAlchemyError as exc:
            raise StoreUnavailable(f"not a database URL ({exc})", url=url) from None
        self.url = parsed.render_as_string(hide_password=True)
        self._engine = _engine_for(parsed)
        try:
            _meta.create_all(self._engine)
        except SQLAlchemyError as exc:
            self._engine.dispose()
            raise StoreUnavailable(
                f"cannot open or create the tables ({exc})", url=self.url
            ) from exc

    @classmethod
    def at_home(cls, home: Path) -> Self:
        return cls(default_url(home))

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- writing -----------------------------------------------------------------------------

    def append(self, report: RunReport) -> None:
        """Store one run, all of its rows in one transaction; refuse a run id seen before."""
        try:
            with self._engine.begin() as conn:
                if _exists(conn, report.run_id):
                    raise RunAlreadyStored(report.run_id)
                _insert(conn, report)
        except IntegrityError as exc:  # a concurrent writer won the race for this run id
            with self._engine.connect() as conn:
                if _exists(conn, report.run_id):
                    raise RunAlreadyStored(report.run_id) from None
            raise StoreUnavailable(
                f"write of run {report.run_id!r} refused ({exc})", url=self.url
            ) from exc
        except SQLAlchemyError as exc:
            raise StoreUnavailable(
                f"write of run {report.run_id!r} failed ({exc})", url=self.url
            ) from exc

    # -- reading -----------------------------------------------------------------------------

    def get(self, run_id: str) -> RunReport:
        """The whole report of one run, as it was appended."""
        with self._reading() as conn:
            row = conn.execute(sa.select(_runs).where(_runs.c.run_id == run_id)).mappings().first()
            if row is None:
                raise RunNotFound(run_id)
            criteria = conn.execute(
                sa.select(_criteria)
                .where(_criteria.c.run_id == run_id)
                .order_by(_criteria.c.position)
            ).mappings()
            intervals = conn.execute(
                sa.select(_intervals)
                .where(_intervals.c.run_id == run_id)
                .order_by(_intervals.c.position)
            ).mappings()
            histograms = conn.execute(
                sa.select(_histograms.c.metric, _histograms.c.encoded).where(
                    _histograms.c.run_id == run_id
                )
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
                    )
                    for c in criteria
                ),
                summary=dict(row["summary"]),
                errors_by_code=dict(row["errors_by_code"]),
                series=tuple(
                    IntervalPoint(**{k: p[k] for k in _INTERVAL_FIELDS}) for p in intervals
                ),
                histograms={metric: encoded for metric, encoded in histograms},
                notes=tuple(row["notes"]),
                version=row["report_version"],
            )

    def has(self, run_id: str) -> bool:
        with self._reading() as conn:
            return _exists(conn, run_id)

    def history(
        self,
        scenario_id: str | None = None,
        *,
        size: str | None = None,
        target: str | None = None,
        verdict: str | None = None,
        mutant: bool | None = None,
        limit: int | None = 200,
    ) -> list[StoredRun]:
        """Runs, newest first, filtered by whichever of scenario, size, target, verdict is given."""
        query = sa.select(*_STORED_RUN_COLUMNS).order_by(
            _runs.c.started_at_s.desc(), _runs.c.run_id
        )
        for column, wanted in (
            (_runs.c.scenario_id, scenario_id),
            (_runs.c.size, size),
            (_runs.c.target, target),
            (_runs.c.verdict, verdict),
            (_runs.c.mutant, mutant),
        ):
            if wanted is not None:
                query = query.where(column == wanted)
        if limit is not None:
            query = query.limit(limit)
        with self._reading() as conn:
            return [_stored_run(row) for row in conn.execute(query).mappings()]

    def count(self) -> int:
        """How many runs the store holds; append-only, so it only ever grows."""
        with self._reading() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(_runs)).scalar_one())

    def scenarios(self) -> list[str]:
        with self._reading() as conn:
            rows = conn.execute(sa.select(_runs.c.scenario_id).distinct().order_by("scenario_id"))
            return [scenario_id for (scenario_id,) in rows]

    def baseline(
        self,
        scenario_id: str,
        *,
        size: str,
        target: str,
        metric: str,
        before_s: float | None = None,
        exclude_run_id: str | None = None,
        window: int = BASELINE_WINDOW,
    ) -> Baseline | None:
        """Median of `summary[metric]` over the last `window` PASS runs without switches.

        Only runs started before `before_s` count (the run being judged is not its own
        baseline). None when no such run reported the metric.
        """
        query = (
            sa.select(_runs.c.run_id, _runs.c.summary)
            .where(
                _runs.c.scenario_id == scenario_id,
                _runs.c.size == size,
                _runs.c.target == target,
                _runs.c.verdict == "PASS",
                _runs.c.mutant.is_(False),
            )
            .order_by(_runs.c.started_at_s.desc(), _runs.c.run_id)
        )
        if before_s is not None:
            query = query.where(_runs.c.started_at_s < before_s)
        if exclude_run_id is not None:
            query = query.where(_runs.c.run_id != exclude_run_id)
        picked: list[tuple[str, float]] = []
        with self._reading() as conn:
            for run_id, summary in conn.execute(query):
                value = summary.get(metric)
                if isinstance(value, int | float) and math.isfinite(value):
                    picked.append((run_id, float(value)))
                    if len(picked) == window:
                        break
        if not picked:
            return None
        values = tuple(v for _, v in picked)
        return Baseline(metric, statistics.median(values), tuple(r for r, _ in picked), values)

    def _reading(self) -> _Reading:
        return _Reading(self._engine, self.url)


class _Reading:
    """A read connection whose database errors become StoreUnavailable."""

    def __init__(self, engine: Engine, url: str) -> None:
        self._engine, self._url = engine, url
        self._conn: Connection | None = None

    def __enter__(self) -> Connection:
        try:
            self._conn = self._engine.connect()
        except SQLAlchemyError as exc:
            raise StoreUnavailable(f"cannot connect ({exc})", url=self._url) from exc
        return self._conn

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._conn is not None
        self._conn.close()
        if isinstance(exc, SQLAlchemyError):
            raise StoreUnavailable(f"read failed ({exc})", url=self._url) from exc


_STORED_RUN_COLUMNS: Final = tuple(_runs.c[name] for name in (f.name for f in fields(StoredRun)))


def _stored_run(row: sa.RowMapping) -> StoredRun:
    values = dict(row)
    values["switches"] = tuple(values["switches"])
    values["summary"] = dict(values["summary"])
    return StoredRun(**values)


def _json_dumps(value: Any) -> str:
    """Strict JSON (Postgres refuses NaN): a non-finite number (no samples) is stored as null."""
    return json.dumps(_finite_or_none(value), allow_nan=False, sort_keys=True)


def _finite_or_none(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite_or_none(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite_or_none(v) for v in value]
    return value


def _engine_for(url: URL) -> Engine:
    if not url.drivername.startswith("sqlite"):
        return sa.create_engine(url, pool_pre_ping=True, json_serializer=_json_dumps)
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        url, connect_args={"timeout": _SQLITE_BUSY_TIMEOUT_S}, json_serializer=_json_dumps
    )

    @sa.event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


def _exists(conn: Connection, run_id: str) -> bool:
    found = conn.execute(sa.select(_runs.c.run_id).where(_runs.c.run_id == run_id)).first()
    return found is not None


def _insert(conn: Connection, report: RunReport) -> None:
    conn.execute(
        _runs.insert().values(
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
        _criteria,
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
        _intervals,
        (
            {"run_id": report.run_id, "position": i, **{k: getattr(p, k) for k in _INTERVAL_FIELDS}}
            for i, p in enumerate(report.series)
        ),
    )
    _insert_many(
        conn,
        _histograms,
        (
            {"run_id": report.run_id, "metric": metric, "encoded": encoded}
            for metric, encoded in sorted(report.histograms.items())
        ),
    )


def _insert_many(conn: Connection, table: sa.Table, rows: Iterable[dict[str, Any]]) -> None:
    batch = list(rows)
    if batch:  # executemany with no rows is an error on some drivers
        conn.execute(table.insert(), batch)
