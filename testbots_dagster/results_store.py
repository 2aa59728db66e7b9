"""Every finished run, kept for good: the history, baselines and regression report read it.

`history_frame` returns the run history as a pandas DataFrame, the same table `testbots history`
prints (both are `botruntime.runs.history.history_frame`); `append_reports` brings in the runs
made with `testbots run`, whose reports are under `$TESTBOTS_HOME/runs`.

A plain class over SQLAlchemy Core, with no Dagster in it (the Dagster resource wraps it), so a
script or a test reads results without an instance. By default a SQLite file,
`$TESTBOTS_HOME/results.sqlite`; any SQLAlchemy URL (e.g. `postgresql+psycopg2://…`) for a
store shared by a team.

Layout (one row per run in `runs`, its parts in four child tables keyed by `run_id`):

    runs        what was asked and the headline: scenario id + YAML hash, size, target, seed,
                git SHA, switches (JSON list; `mutant` is true when any was on), verdict,
                exit code, times, summary / errors_by_code / notes (JSON)
    criteria    one row per gate or criterion: kind, status, expr, explanation, value, kills
    evidence    one row per series or finding a failed criterion names (value, example txs)
    intervals   one row per second of the run (the charts' series)
    histograms  one row per metric key: the encoded HDR histogram (text)

Append-only: there is no update or delete; a second write of a run id is `RunAlreadyStored`
and changes nothing. A run's rows are written in one transaction, so a crash or an error half
way leaves no trace of that run: a reader sees a run whole or not at all. When the connection
drops during a write, `append` asks the database on a new connection which it was: the whole
run was committed (the reply to COMMIT was lost; `append` returns, the run is stored) or none of
it (`StoreUnavailable` with `.stored` False); `.stored` is None when the database cannot be
asked either, and the message says so. JSON columns are
strict JSON (Postgres refuses NaN): a non-finite number, such as the percentile of a metric
with no samples, reads back as null.

ResultsStoreError
├── RunAlreadyStored    the run id is in the store already (.run_id)
├── RunNotFound         no run with this id (.run_id)
└── StoreUnavailable    the database could not be opened, read or written (.url, password hidden;
                        .stored after a failed write: False nothing of it, None unknown)
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Self

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from botruntime.runs import BASELINE_WINDOW, Baseline, RunReport, baseline_of, figures_frame
from botruntime.runs.history import history_frame, read_reports
from testbots_dagster._store_queries import (
    StoredRun,
    baseline_query,
    history_query,
    stored_run,
)
from testbots_dagster._store_schema import (
    criteria,
    evidence,
    exists,
    histograms,
    insert_report,
    intervals,
    meta,
    report_from_rows,
    runs,
)

if TYPE_CHECKING:
    import pandas as pd

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
    def __init__(self, message: str, *, url: str, stored: bool | None = None) -> None:
        super().__init__(f"results store {url}: {message}")
        self.url = url
        self.stored = stored  # after a failed write: False when none of the run is stored


def default_url(home: Path) -> str:
    """The default store: one SQLite file under TESTBOTS_HOME."""
    return f"sqlite:///{(home / 'results.sqlite').resolve()}"


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
            meta.create_all(self._engine)
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
                if exists(conn, report.run_id):
                    raise RunAlreadyStored(report.run_id)
                insert_report(conn, report)
        except IntegrityError as exc:  # a concurrent writer won the race for this run id
            with self._engine.connect() as conn:
                if exists(conn, report.run_id):
                    raise RunAlreadyStored(report.run_id) from None
            raise StoreUnavailable(
                f"write of run {report.run_id!r} refused ({exc})", url=self.url
            ) from exc
        except SQLAlchemyError as exc:
            stored = self._stored_after_failure(report.run_id)
            if stored:  # committed; only the reply to COMMIT was lost with the connection
                return
            outcome = (
                "nothing of it is stored: append it again"
                if stored is False
                else "the store cannot be asked whether it is stored: check with has() later"
            )
            raise StoreUnavailable(
                f"write of run {report.run_id!r} failed ({exc}); {outcome}",
                url=self.url,
                stored=stored,
            ) from exc

    def _stored_after_failure(self, run_id: str) -> bool | None:
        """Whether a write that failed was committed after all (its transaction is all or
        nothing), asked on a fresh connection; None when the database cannot be reached."""
        try:
            with self._engine.connect() as conn:
                return exists(conn, run_id)
        except SQLAlchemyError:
            return None

    # -- reading -----------------------------------------------------------------------------

    def get(self, run_id: str) -> RunReport:
        """The whole report of one run, as it was appended."""
        with self._reading() as conn:
            row = conn.execute(sa.select(runs).where(runs.c.run_id == run_id)).mappings().first()
            if row is None:
                raise RunNotFound(run_id)
            criteria_rows = conn.execute(
                sa.select(criteria).where(criteria.c.run_id == run_id).order_by(criteria.c.position)
            ).mappings()
            interval_rows = conn.execute(
                sa.select(intervals)
                .where(intervals.c.run_id == run_id)
                .order_by(intervals.c.position)
            ).mappings()
            histogram_rows = conn.execute(
                sa.select(histograms.c.metric, histograms.c.encoded).where(
                    histograms.c.run_id == run_id
                )
            )
            evidence_rows = conn.execute(
                sa.select(evidence)
                .where(evidence.c.run_id == run_id)
                .order_by(evidence.c.criterion, evidence.c.position)
            ).mappings()
            return report_from_rows(
                row, criteria_rows, interval_rows, histogram_rows, evidence_rows
            )

    def has(self, run_id: str) -> bool:
        with self._reading() as conn:
            return exists(conn, run_id)

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
        query = history_query(
            scenario_id, size=size, target=target, verdict=verdict, mutant=mutant, limit=limit
        )
        with self._reading() as conn:
            return [stored_run(row) for row in conn.execute(query).mappings()]

    def count(self) -> int:
        """How many runs the store holds; append-only, so it only ever grows."""
        with self._reading() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(runs)).scalar_one())

    def scenarios(self) -> list[str]:
        with self._reading() as conn:
            rows = conn.execute(sa.select(runs.c.scenario_id).distinct().order_by("scenario_id"))
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
        found = self.baselines(
            scenario_id,
            size=size,
            target=target,
            metrics=(metric,),
            before_s=before_s,
            exclude_run_id=exclude_run_id,
            window=window,
        )
        return found[metric]

    def baselines(
        self,
        scenario_id: str,
        *,
        size: str,
        target: str,
        metrics: Sequence[str],
        before_s: float | None = None,
        exclude_run_id: str | None = None,
        window: int = BASELINE_WINDOW,
    ) -> dict[str, Baseline | None]:
        """`baseline` of each of `metrics`, from one read of the scenario's runs."""
        query = baseline_query(scenario_id, size=size, target=target)
        with self._reading() as conn:
            frame = figures_frame(conn.execute(query), lambda row: row.summary)
        return {
            metric: baseline_of(
                frame,
                metric,
                size=size,
                target=target,
                before_s=before_s,
                exclude_run_id=exclude_run_id,
                window=window,
            )
            for metric in metrics
        }

    def history_frame(
        self,
        scenario_id: str | None = None,
        *,
        size: str | None = None,
        target: str | None = None,
        limit: int | None = 200,
    ) -> pd.DataFrame:
        """`history()` as the history table `testbots history` prints (`history_frame` in
        `botruntime.runs.history`): one row per run, newest first, headline figures as columns."""
        return history_frame(self.history(scenario_id, size=size, target=target, limit=limit))

    def append_reports(self, runs_dir: Path) -> list[str]:
        """Append every readable `*/report.json` under `runs_dir` the store lacks (runs made
        with `testbots run`); the ids appended, oldest first. A report another writer
        stored meanwhile is skipped, so two callers at once store each run once."""
        added: list[str] = []
        for report in read_reports(runs_dir)[::-1]:
            if self.has(report.run_id):
                continue
            try:
                self.append(report)
            except RunAlreadyStored:
                continue
            added.append(report.run_id)
        return added

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
