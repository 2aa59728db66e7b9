"""A connection to PostgreSQL dropped while a run is written: the whole run or none, and the
writer says which.

Three ways to lose the connection, on the session's throwaway server: the backend terminated
mid-write from a second connection (`pg_terminate_backend`), the reply to COMMIT lost on the
way back (a TCP proxy swallows it and hangs up), and the proxy stopped for good mid-write.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from botruntime.runs import CriterionOutcome, IntervalPoint, RunReport
from testbots_dagster.results_store import ResultsStore, RunNotFound, StoreUnavailable

TABLES = ("runs", "criteria", "evidence", "intervals", "histograms")


def _report() -> RunReport:
    return RunReport(
        run_id="dropped-mid-write",
        scenario_id="transfer_baseline",
        scenario_hash="d" * 64,
        size="smoke",
        target="simnet",
        seed="1001",
        switches=(),
        git_sha=None,
        started_at_s=1_700_000_000.0,
        ended_at_s=1_700_000_015.0,
        verdict="PASS",
        exit_code=0,
        criteria=(CriterionOutcome("C4_completeness", "hard", "pass", "n.lost == 0", "0 lost"),),
        summary={"achieved_rate": 20.0},
        series=tuple(IntervalPoint(float(t), 20, 20, 20, 0, 0, 5, 9, 900) for t in range(10)),
        histograms={"lat.commit": "HISTF..."},
    )


def _rows(url: str, run_id: str) -> dict[str, int]:
    """Rows of the run in each table, read on a connection of its own."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                t: int(
                    conn.execute(
                        sa.text(f"SELECT count(*) FROM {t} WHERE run_id = :r"), {"r": run_id}
                    ).scalar_one()
                )
                for t in TABLES
            }
    finally:
        engine.dispose()


def _on_statement(store: ResultsStore, prefix: str, action: Any) -> None:
    """Call action(dbapi_connection) once, just before the first statement starting with prefix."""

    def hook(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith(prefix):
            sa.event.remove(store._engine, "before_cursor_execute", hook)
            action(conn.connection.dbapi_connection)

    sa.event.listen(store._engine, "before_cursor_execute", hook)


class Proxy:
    """A TCP proxy to the server that can swallow the reply to the next COMMIT, or stop."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        self._swallow_armed = False
        self._swallowing: set[int] = set()
        threading.Thread(target=self._accept, daemon=True).start()

    def lose_next_commit_reply(self) -> None:
        self._swallow_armed = True

    def stop(self) -> None:
        """Listen no more and cut every connection: the database is gone for the client."""
        _close(self._listener)  # shutdown first: close alone leaves a blocked accept() listening
        with self._lock:
            for s in self._open:
                _close(s)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(self._target)
            with self._lock:
                self._open += [client, server]
            pair = id(client)
            threading.Thread(target=self._up, args=(client, server, pair), daemon=True).start()
            threading.Thread(target=self._down, args=(server, client, pair), daemon=True).start()

    def _up(self, client: socket.socket, server: socket.socket, pair: int) -> None:
        while chunk := _recv(client):
            # a simple-protocol Query message carrying COMMIT (how psycopg2 commits)
            if self._swallow_armed and chunk.startswith(b"Q") and b"COMMIT" in chunk:
                self._swallow_armed = False
                self._swallowing.add(pair)
            try:
                server.sendall(chunk)
            except OSError:
                break
        _close(server)

    def _down(self, server: socket.socket, client: socket.socket, pair: int) -> None:
        while chunk := _recv(server):
            if pair in self._swallowing:  # the server committed; the client never hears it
                break
            try:
                client.sendall(chunk)
            except OSError:
                break
        _close(client)
        _close(server)


def _recv(s: socket.socket) -> bytes:
    try:
        return s.recv(65536)
    except OSError:
        return b""


def _close(s: socket.socket) -> None:
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    s.close()


@pytest.fixture
def proxy(postgres_url: str) -> Iterator[Proxy]:
    url = make_url(postgres_url)
    assert url.host is not None and url.port is not None
    p = Proxy(url.host, url.port)
    yield p
    p.stop()


def _via(proxy: Proxy, postgres_url: str) -> str:
    return make_url(postgres_url).set(port=proxy.port).render_as_string(hide_password=False)


def test_a_backend_terminated_mid_write_leaves_none_of_the_run_and_says_so(
    postgres_url: str,
) -> None:
    report = _report()
    seen_mid_write: list[bool] = []
    with ResultsStore(postgres_url) as store, ResultsStore(postgres_url) as other:

        def terminate(dbapi_conn: Any) -> None:
            seen_mid_write.append(other.has(report.run_id))  # the runs row is in, uncommitted
            with other._engine.connect() as conn:
                killed = conn.execute(
                    sa.text("SELECT pg_terminate_backend(:pid)"),
                    {"pid": dbapi_conn.info.backend_pid},
                ).scalar_one()
            assert killed is True

        _on_statement(store, "INSERT INTO intervals", terminate)
        with pytest.raises(StoreUnavailable, match="nothing of it is stored") as caught:
            store.append(report)
        assert caught.value.stored is False
        assert seen_mid_write == [False]  # a reader never saw the open write
        assert _rows(postgres_url, report.run_id) == dict.fromkeys(TABLES, 0)
        with pytest.raises(RunNotFound):
            store.get(report.run_id)
        store.append(report)  # the same store, on a new connection, writes it whole
        assert other.get(report.run_id) == report


def test_a_commit_whose_reply_is_lost_is_found_stored_whole(
    postgres_url: str, proxy: Proxy
) -> None:
    report = _report()
    with ResultsStore(_via(proxy, postgres_url)) as store:
        proxy.lose_next_commit_reply()
        store.append(report)  # the connection dropped after COMMIT: append found the run stored
    assert _rows(postgres_url, report.run_id) == {
        "runs": 1,
        "criteria": 1,
        "evidence": 0,
        "intervals": 10,
        "histograms": 1,
    }
    with ResultsStore(postgres_url) as direct:
        assert direct.get(report.run_id) == report


def test_a_database_gone_mid_write_is_a_write_whose_outcome_is_unknown(
    postgres_url: str, proxy: Proxy
) -> None:
    report = _report()
    with ResultsStore(_via(proxy, postgres_url)) as store:
        _on_statement(store, "INSERT INTO intervals", lambda _conn: proxy.stop())
        with pytest.raises(
            StoreUnavailable, match="cannot be asked whether it is stored"
        ) as caught:
            store.append(report)
        assert caught.value.stored is None
    # the server rolled the cut transaction back: none of it is there
    assert _rows(postgres_url, report.run_id) == dict.fromkeys(TABLES, 0)
