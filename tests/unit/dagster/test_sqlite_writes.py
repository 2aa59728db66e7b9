"""`fewer_syncs`: WAL databases under DAGSTER_HOME commit without a sync and are held open for
the block (no checkpoint on every close); anything else keeps its settings; the rows are all
there after the block."""

import sqlite3
from contextlib import closing
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from testbots_dagster._sqlite_writes import fewer_syncs

_NORMAL, _FULL = 1, 2


def _engine(path: Path) -> sa.Engine:
    return sa.create_engine(f"sqlite:///{path}", poolclass=NullPool)  # as Dagster's storage does


def _wal_db(path: Path) -> Path:
    with closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE events (n INTEGER)")
    return path


def _synchronous(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return int(connection.exec_driver_sql("PRAGMA synchronous").scalar_one())


def _write(engine: sa.Engine, n: int) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql(f"INSERT INTO events VALUES ({n})")


def test_a_wal_database_under_home_commits_without_sync_and_stays_open(tmp_path: Path) -> None:
    db = _wal_db(tmp_path / "run.db")
    engine = _engine(db)
    with fewer_syncs(tmp_path) as holder:
        assert _synchronous(engine) == _NORMAL
        for n in range(5):
            _write(engine, n)
        assert holder.held == (db.resolve(),)
        # Dagster's connections closed, but the database is still open: no checkpoint yet
        assert db.with_name("run.db-wal").stat().st_size > 0
    assert not db.with_name("run.db-wal").exists()  # the last close checkpointed it
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT count(*) FROM events").fetchone() == (5,)
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert _synchronous(engine) == _FULL  # the block is over: the listener is gone


def test_a_new_database_under_home_is_wal_from_the_start(tmp_path: Path) -> None:
    db = tmp_path / "history" / "new.db"
    db.parent.mkdir()
    engine = _engine(db)
    with fewer_syncs(tmp_path) as holder:
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE events (n INTEGER)")
        assert holder.held == (db.resolve(),)
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_other_databases_keep_their_settings(tmp_path: Path) -> None:
    home, elsewhere = tmp_path / "dagster", tmp_path / "testbots"
    home.mkdir()
    elsewhere.mkdir()
    outside = _engine(_wal_db(elsewhere / "results.db"))
    rollback = home / "rollback.db"
    with closing(sqlite3.connect(rollback)) as connection, connection:
        connection.execute("CREATE TABLE events (n INTEGER)")  # journal mode DELETE, not new
    inside_rollback = _engine(rollback)
    with fewer_syncs(home) as holder:
        assert _synchronous(outside) == _FULL
        assert _synchronous(inside_rollback) == _FULL
        _write(inside_rollback, 1)
        assert holder.held == ()
    with sqlite3.connect(rollback) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("delete",)
