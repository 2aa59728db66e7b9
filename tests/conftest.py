"""The `postgres` fixture: a throwaway PostgreSQL server for the whole session.

Debian's `postgresql` package (`make postgres` installs it): `initdb` into a temporary
directory, the server on a free loopback port, trust authentication, no fsync (the data is
thrown away), killed by PID at the end of the session. initdb and the server refuse to run as
root, so under root they run as `nobody`. A test asks for `postgres_url`: a database of its own
on that server, dropped after the test (`new_postgres_database()` makes more).
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

START_TIMEOUT_S = 60.0
UNPRIVILEGED = "nobody"


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str = "postgres"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg2://{self.user}@{self.host}:{self.port}/{database}"

    def connect(self, database: str = "postgres") -> Any:
        """A plain psycopg2 connection in autocommit mode (CREATE DATABASE, terminate...)."""
        import psycopg2

        conn = psycopg2.connect(
            host=self.host, port=self.port, user=self.user, dbname=database, connect_timeout=10
        )
        conn.autocommit = True
        return conn

    def create_database(self) -> str:
        """A new empty database; its URL."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        self._admin(f"CREATE DATABASE {name}")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        self._admin(f"DROP DATABASE {url.rsplit('/', 1)[1]} WITH (FORCE)")

    def _admin(self, statement: str) -> None:
        conn = self.connect()
        try:
            with conn.cursor() as cur:
                cur.execute(statement)
        finally:
            conn.close()


def _bindir() -> Path:
    """Where Debian's server binaries are (newest major version), or a failure saying how."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_major)
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent
    pytest.fail("PostgreSQL is not installed: run `make postgres` (Debian's postgresql package)")


def _major(path: str) -> int:
    version = Path(path).parent.parent.name
    return int(version) if version.isdigit() else 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_unprivileged() -> dict[str, Any]:
    return (
        {"user": UNPRIVILEGED, "group": "nogroup", "extra_groups": []} if os.getuid() == 0 else {}
    )


def _wait_ready(server: PostgresServer, process: subprocess.Popen[bytes], log: Path) -> None:
    import psycopg2

    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if process.poll() is not None:
            pytest.fail(f"postgres exited with {process.returncode}:\n{log.read_text()[-2000:]}")
        try:
            server.connect().close()
            return
        except psycopg2.OperationalError:
            if time.monotonic() > deadline:
                pytest.fail(
                    f"postgres not ready in {START_TIMEOUT_S} s:\n{log.read_text()[-2000:]}"
                )
            time.sleep(0.1)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    bindir = _bindir()
    root = Path(tempfile.mkdtemp(prefix="testbots-pg-"))
    os.chmod(root, 0o700)
    if os.getuid() == 0:
        shutil.chown(root, UNPRIVILEGED, "nogroup")
    data, log = root / "data", root / "server.log"
    subprocess.run(
        [bindir / "initdb", "-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"],
        check=True,
        capture_output=True,
        cwd=root,
        **_as_unprivileged(),
    )
    server = PostgresServer("127.0.0.1", _free_port())
    with open(log, "wb") as log_file:
        process = subprocess.Popen(
            [bindir / "postgres", "-D", data, "-p", str(server.port), "-k", root,
             "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
             "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            cwd=root,
            **_as_unprivileged(),
        )  # fmt: skip
    try:
        _wait_ready(server, process, log)
        yield server
    finally:
        os.kill(process.pid, signal.SIGINT)  # fast shutdown
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def new_postgres_database(postgres: PostgresServer) -> Iterator[Callable[[], str]]:
    """Makes fresh databases on the session's server (their URLs), dropped after the test."""
    made: list[str] = []

    def make() -> str:
        made.append(postgres.create_database())
        return made[-1]

    yield make
    for url in made:
        postgres.drop_database(url)


@pytest.fixture
def postgres_url(new_postgres_database: Callable[[], str]) -> str:
    """A fresh database of this test's own on the session's server, dropped afterwards."""
    return new_postgres_database()


def promtool_problems(exposition: str) -> str:
    """What `promtool check metrics` (Debian's `prometheus` package: `make promtool`) finds
    wrong with a Prometheus text exposition: its names, units, labels and help; "" when clean."""
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is not installed: run `make promtool` (Debian's prometheus package)")
    checked = subprocess.run(
        [promtool, "check", "metrics"],
        input=exposition,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if checked.returncode == 0:
        return ""
    return f"exit {checked.returncode}: {checked.stdout}{checked.stderr}".strip()


@pytest.fixture(scope="session")
def promtool() -> Callable[[str], str]:
    """`promtool(text)`: the problems `promtool check metrics` finds in `text` ("" if none)."""
    return promtool_problems
