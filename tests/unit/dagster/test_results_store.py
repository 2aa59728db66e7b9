"""ResultsStore on a real SQLite file and on the session's throwaway PostgreSQL: append-only,
one transaction per run, baselines."""

import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from math import nan
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from botruntime.runs import Evidence, RunReport
from testbots_dagster.results_store import (
    ResultsStore,
    RunAlreadyStored,
    RunNotFound,
    StoreUnavailable,
    default_url,
)

MakeReport = Callable[..., RunReport]


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ResultsStore]:
    url = default_url(tmp_path / "home")
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
    with ResultsStore(url) as s:
        yield s


def _rows(store: ResultsStore, table: str, run_id: str) -> int:
    """Rows of `run_id` in `table`, read by SQL on the store's own database."""
    query = sa.text(f"SELECT count(*) FROM {table} WHERE run_id = :run_id")
    with store._engine.connect() as conn:
        return int(conn.execute(query, {"run_id": run_id}).scalar_one())


def _count(db: Path, table: str, run_id: str) -> int:
    with sqlite3.connect(db) as conn:
        (n,) = conn.execute(f"SELECT count(*) FROM {table} WHERE run_id = ?", (run_id,)).fetchone()
    return int(n)


def test_default_store_is_a_sqlite_file_under_testbots_home(tmp_path: Path) -> None:
    home = tmp_path / "not-yet-there"
    with ResultsStore.at_home(home) as s:
        assert s.url == default_url(home)
    assert (home / "results.sqlite").is_file()


def test_a_run_reads_back_exactly_as_appended(store: ResultsStore, make_report: MakeReport) -> None:
    report = make_report(switches=("mempool_drop",), git_sha=None)
    store.append(report)
    assert store.get(report.run_id) == report
    assert store.has(report.run_id)


def test_a_failed_criterions_evidence_reads_back_even_from_a_store_made_before_it(
    tmp_path: Path, make_report: MakeReport
) -> None:
    home = tmp_path / "home"
    with ResultsStore.at_home(home):
        pass
    with sqlite3.connect(home / "results.sqlite") as conn:  # a store from before the table
        conn.execute("DROP TABLE evidence")
    base = make_report(verdict="FAIL", exit_code=1)
    lost = Evidence("n.lost{action=send_ax}", 2.0, ("ab" * 32, "cd" * 32))
    ledger = Evidence("ledger.mismatch", detail="bot 3 on alpha: expected 5, chain has 6")
    report = replace(
        base,
        criteria=tuple(
            replace(c, status="fail", evidence=(lost, ledger)) if c.id == "C4_complete" else c
            for c in base.criteria
        ),
    )
    with ResultsStore.at_home(home) as store:
        store.append(report)
        assert store.get(report.run_id) == report
    assert _count(home / "results.sqlite", "evidence", report.run_id) == 2


def test_second_write_of_a_run_is_refused_and_changes_nothing(
    store: ResultsStore, make_report: MakeReport
) -> None:
    first = make_report()
    store.append(first)
    changed = make_report(run_id=first.run_id, verdict="FAIL", series=())
    with pytest.raises(RunAlreadyStored) as caught:
        store.append(changed)
    assert caught.value.run_id == first.run_id
    assert store.get(first.run_id) == first
    assert _rows(store, "intervals", first.run_id) == 10


def test_a_failure_mid_write_leaves_nothing_of_the_run(
    store: ResultsStore, make_report: MakeReport
) -> None:
    report = make_report()
    engine: sa.Engine = store._engine

    def fail_on_histograms(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("INSERT INTO histograms"):
            raise RuntimeError("disk pulled out")

    sa.event.listen(engine, "before_cursor_execute", fail_on_histograms)
    try:
        with pytest.raises(RuntimeError, match="disk pulled out"):
            store.append(report)
    finally:
        sa.event.remove(engine, "before_cursor_execute", fail_on_histograms)
    for table in ("runs", "criteria", "intervals", "histograms"):
        assert _rows(store, table, report.run_id) == 0, table
    with pytest.raises(RunNotFound):
        store.get(report.run_id)
    store.append(report)  # the run id was not burnt by the failed write
    assert store.get(report.run_id) == report


def test_history_is_newest_first_and_filters(store: ResultsStore, make_report: MakeReport) -> None:
    runs = [
        make_report(),
        make_report(size="default"),
        make_report(verdict="FAIL", exit_code=1),
        make_report(target="http://10.0.0.1:26657"),
        make_report(scenario_id="replay_attack"),
    ]
    for r in runs:
        store.append(r)
    assert [r.run_id for r in store.history("transfer_baseline")] == [
        r.run_id for r in reversed(runs[:4])
    ]
    assert [
        r.run_id for r in store.history("transfer_baseline", size="smoke", target="simnet")
    ] == [
        runs[2].run_id,
        runs[0].run_id,
    ]
    assert [r.run_id for r in store.history(verdict="FAIL")] == [runs[2].run_id]
    assert store.history(limit=2)[0].scenario_id == "replay_attack"
    assert store.scenarios() == ["replay_attack", "transfer_baseline"]
    assert store.count() == 5


def test_baseline_is_the_median_of_the_last_seven_passing_runs(
    store: ResultsStore, make_report: MakeReport
) -> None:
    def with_p99(p99: float, **kw: Any) -> Any:
        r = make_report(**kw)
        return make_report(run_id=r.run_id, summary={**r.summary, "p99_commit_ms": p99}, **kw)

    oldest = [with_p99(9000.0), with_p99(9000.0)]  # pushed out of the window of 7
    window = [with_p99(v) for v in (100.0, 300.0, 200.0, 700.0, 400.0, 600.0, 500.0)]
    noise = [
        with_p99(1.0, verdict="FAIL", exit_code=1),
        with_p99(1.0, size="default"),
        with_p99(1.0, target="http://other:1"),
        with_p99(1.0, switches=("mempool_drop",)),
        with_p99(1.0, scenario_id="replay_attack"),
    ]
    for r in [*oldest, *window, *noise]:
        store.append(r)
    base = store.baseline(
        "transfer_baseline", size="smoke", target="simnet", metric="p99_commit_ms"
    )
    assert base is not None
    assert base.median == 400.0
    assert base.run_ids == tuple(r.run_id for r in reversed(window))

    later = with_p99(50.0)
    store.append(later)
    judged = store.baseline(
        "transfer_baseline",
        size="smoke",
        target="simnet",
        metric="p99_commit_ms",
        before_s=later.started_at_s,
        exclude_run_id=later.run_id,
    )
    assert judged == base  # the run being judged is never part of its own baseline
    none = store.baseline("transfer_baseline", size="full", target="simnet", metric="p99_commit_ms")
    assert none is None
    missing = store.baseline("transfer_baseline", size="smoke", target="simnet", metric="nope")
    assert missing is None
    # several metrics from one read: each the same as asked alone
    metrics = ("p99_commit_ms", "achieved_rate", "nope")
    judging = {"size": "smoke", "target": "simnet", "before_s": later.started_at_s}
    found = store.baselines("transfer_baseline", metrics=metrics, **judging)
    assert found == {m: store.baseline("transfer_baseline", metric=m, **judging) for m in metrics}
    assert found["p99_commit_ms"] == base and found["achieved_rate"] is not None


def test_a_percentile_without_samples_reads_back_as_null_and_is_no_baseline(
    store: ResultsStore, make_report: MakeReport
) -> None:
    report = make_report()
    report = make_report(run_id=report.run_id, summary={**report.summary, "p99_commit_ms": nan})
    store.append(report)
    assert store.get(report.run_id).summary["p99_commit_ms"] is None
    assert (
        store.baseline("transfer_baseline", size="smoke", target="simnet", metric="p99_commit_ms")
        is None
    )


def test_a_bad_url_is_a_typed_error_naming_it() -> None:
    with pytest.raises(StoreUnavailable, match="not a database URL"):
        ResultsStore("definitely not a url")


def test_the_store_loads_without_dagster() -> None:
    probe = "import sys, testbots_dagster.results_store; print('dagster' in sys.modules)"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    )
    assert loaded.stdout.strip() == "False"
