"""Fewer disk syncs for the Dagster run's event log on the SQLite instance under DAGSTER_HOME.

Dagster's SQLite storage opens a new connection for every event it writes (about 55 a run) and
closes it after: closing the last connection to a WAL database checkpoints it (the WAL copied
into the database, both synced, the WAL deleted and its folder synced), and each commit syncs
the WAL as well: about five fsyncs per event, 1-20 ms each on a shared disk. Dagster has no
setting to batch or keep them. For the length of a `make run` (`fewer_syncs`):

- every connection to a WAL database under DAGSTER_HOME runs `PRAGMA synchronous=NORMAL`:
  a commit is written to the WAL and synced only at checkpoints. The trade: an operating-system
  crash or power cut can lose the last events committed before it (the tail of the run being
  written); the database is never corrupted, and a crash of the process itself loses nothing.
  A database in any other journal mode keeps its FULL syncs (there NORMAL could corrupt);
  a new one (the run's own event log) is made WAL when first opened, before Dagster creates
  its tables, where Dagster would make it WAL just after.
- one extra connection stays open to each such database, so Dagster's connections are never
  the last and never checkpoint on close; when the block ends they are closed, which
  checkpoints each database once (SQLite also checkpoints every 1,000 pages of WAL meanwhile).

The databases stay WAL, readable by the UI while the run writes, and hold the same rows.
Nothing else is touched: other SQLite files (the results store) and other processes (the UI,
a run launched from it) keep their settings.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

__all__ = ["fewer_syncs"]


@contextlib.contextmanager
def fewer_syncs(dagster_home: Path) -> Iterator[_Holder]:
    """For the block: SQLite connections to WAL databases under `dagster_home` commit without
    a sync, and each such database is held open until the block ends."""
    holder = _Holder(dagster_home.resolve())
    event.listen(Engine, "connect", holder.on_connect)
    try:
        yield holder
    finally:
        event.remove(Engine, "connect", holder.on_connect)
        holder.close()


class _Holder:
    """The listener and the connections it holds open, one per database file."""

    def __init__(self, home: Path) -> None:
        self._home = home
        self._held: dict[Path, sqlite3.Connection] = {}
        self._paths: dict[str, Path | None] = {}  # file as SQLite names it -> resolved, if ours
        self._lock = threading.Lock()

    @property
    def held(self) -> tuple[Path, ...]:
        """The database files held open so far."""
        with self._lock:
            return tuple(self._held)

    def on_connect(self, dbapi_connection: Any, _record: Any) -> None:
        if not isinstance(dbapi_connection, sqlite3.Connection):
            return
        path = self._under_home(_main_file(dbapi_connection))
        if path is None:
            return
        with self._lock:
            held = path in self._held
        if held:  # WAL for good: no connection can leave WAL while another has it open
            dbapi_connection.execute("PRAGMA synchronous=NORMAL")
            return
        if not _is_wal(dbapi_connection):
            if _pages(dbapi_connection) != 0:
                return  # not WAL and not new: left as it is
            # a new database: Dagster turns each of its databases WAL right after creating its
            # tables; WAL from the start spares the syncs of creating them (~90 a run)
            dbapi_connection.execute("PRAGMA journal_mode=WAL").fetchone()
            if not _is_wal(dbapi_connection):
                return
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")
        with self._lock:
            if path not in self._held:
                self._held[path] = _opened(path)

    def _under_home(self, file: str) -> Path | None:
        if file not in self._paths:
            path = Path(file).resolve() if file else None  # "" for an in-memory database
            self._paths[file] = path if path and path.is_relative_to(self._home) else None
        return self._paths[file]

    def close(self) -> None:
        with self._lock:
            held, self._held = self._held, {}
        for connection in held.values():
            with contextlib.suppress(sqlite3.Error):
                connection.close()  # the last one out checkpoints the database


def _main_file(connection: sqlite3.Connection) -> str:
    for _seq, name, file in connection.execute("PRAGMA database_list").fetchall():
        if name == "main":
            return str(file)
    return ""


def _is_wal(connection: sqlite3.Connection) -> bool:
    mode = connection.execute("PRAGMA journal_mode").fetchone()
    return mode is not None and str(mode[0]).lower() == "wal"


def _pages(connection: sqlite3.Connection) -> int:
    row = connection.execute("PRAGMA page_count").fetchone()
    return int(row[0]) if row else 0


def _opened(path: Path) -> sqlite3.Connection:
    """A connection that has read the database, so it holds the WAL open (an unread one does
    not count as open for the checkpoint-on-close rule)."""
    connection = sqlite3.connect(path, check_same_thread=False)
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    return connection
