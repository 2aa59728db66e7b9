"""The embedded stack: the processes a run starts for itself on loopback, stopped by PID.

botruntime never imports simnet (DESIGN §2): it starts `python -m simnet` and reads the start-up
line of PROTOCOL.md; an embedded cluster is `testbots coordinator` and `testbots worker`
processes. Each child writes to files, not pipes, and runs in its own session, so it does not
depend on the process that started it: a `ChildHandle` (pid, start time, log) lets any process
(the next Dagster op, a failure hook) stop it later. A handle never stops a process that merely
reuses its PID: the start time must match too.

LocalStackError
├── ChildStartFailed      a child exited or printed no ready line in time (.stderr_tail)
│   └── SimnetStartFailed
└── SimnetStartupLine     the start-up line is not the JSON of PROTOCOL.md
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from types import TracebackType
from typing import Self

import psutil

__all__ = [
    "ChildHandle",
    "ChildStartFailed",
    "LocalStackError",
    "SimnetEndpoints",
    "SimnetProcess",
    "SimnetStartFailed",
    "SimnetStartupLine",
    "simnet_args",
    "simnet_version",
    "spawn",
    "start_simnet",
    "stop_child",
    "wait_for_line",
]

_POLL_S = 0.05


class LocalStackError(RuntimeError):
    """The embedded stack could not be brought up."""


class ChildStartFailed(LocalStackError):
    def __init__(self, message: str, *, stderr_tail: str) -> None:
        super().__init__(f"{message}\n--- its log (last lines) ---\n{stderr_tail}")
        self.stderr_tail = stderr_tail


class SimnetStartFailed(ChildStartFailed):
    pass


class SimnetStartupLine(LocalStackError):
    pass


@dataclass(frozen=True, slots=True)
class ChildHandle:
    """A child process as any other process can find it again (plain values: picklable)."""

    name: str
    pid: int
    create_time: float  # as psutil reports it: guards against a reused PID
    log_path: str  # stderr (and stdout unless `out_path`)
    out_path: str = ""

    def alive(self) -> bool:
        return self._process() is not None

    def _process(self) -> psutil.Process | None:
        try:
            proc = psutil.Process(self.pid)
            if abs(proc.create_time() - self.create_time) > 0.01:
                return None
            return proc if proc.status() != psutil.STATUS_ZOMBIE else None
        except psutil.Error:
            return None

    def tail(self, lines: int = 40) -> str:
        try:
            text = Path(self.log_path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def spawn(
    name: str,
    args: Sequence[str],
    log_path: Path,
    *,
    out_path: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> ChildHandle:
    """Start `args` in a session of its own, stderr (and stdout) to files."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log, (out_path or log_path).open("ab") as out:
        popen = subprocess.Popen(
            list(args),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=log,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            start_new_session=True,
        )
    try:
        created = psutil.Process(popen.pid).create_time()
    except psutil.Error:
        created = 0.0
    # the child is reaped by whoever stops it (psutil.wait), not by this Popen object
    popen.returncode = 0
    return ChildHandle(name, popen.pid, created, str(log_path), str(out_path or ""))


def wait_for_line(
    handle: ChildHandle, pattern: str, *, timeout_s: float, in_out: bool = False
) -> re.Match[str]:
    """The first match of `pattern` in the child's log (or stdout file); raises ChildStartFailed
    with the log's tail when the child exits or the time runs out first."""
    path = Path(handle.out_path if in_out and handle.out_path else handle.log_path)
    regex = re.compile(pattern, re.MULTILINE)
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            found = regex.search(path.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            found = None
        if found is not None:
            return found
        if not handle.alive():
            raise ChildStartFailed(f"{handle.name} exited", stderr_tail=handle.tail())
        if time.monotonic() > deadline:
            stop_child(handle)
            raise ChildStartFailed(
                f"{handle.name} gave no ready line in {timeout_s:.0f} s", stderr_tail=handle.tail()
            )
        time.sleep(_POLL_S)


def stop_child(handle: ChildHandle, timeout_s: float = 10.0) -> None:
    """SIGTERM (a clean shutdown), then SIGKILL if it does not go in time; idempotent."""
    proc = handle._process()
    if proc is None:
        _reap(handle.pid)
        return
    try:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=timeout_s)
    except psutil.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout_s)
    except psutil.NoSuchProcess:
        pass
    _reap(handle.pid)


def _reap(pid: int) -> None:
    """Collect the exit status if the child is ours, so no zombie is left behind."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


@dataclass(frozen=True, slots=True)
class SimnetEndpoints:
    """What simnet's start-up line says: one URL per node and chain, and the control plane."""

    alpha: tuple[str, ...]
    delta: tuple[str, ...]
    control: str

    @classmethod
    def parse(cls, line: str) -> SimnetEndpoints:
        try:
            raw = json.loads(line)
            alpha, delta, control = raw["alpha"], raw["delta"], raw["control"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise SimnetStartupLine(
                f'expected {{"alpha": [url…], "delta": [url…], "control": url}}, got {line!r} '
                f"({exc})"
            ) from None
        if not (alpha and delta and isinstance(control, str)):
            raise SimnetStartupLine(f"start-up line names no nodes: {line!r}")
        return cls(tuple(map(str, alpha)), tuple(map(str, delta)), control)


def simnet_version() -> str:
    """The version of the simnet `start_simnet` starts: the testbots distribution it ships in,
    which is what that simnet reports as `version` in `/status`."""
    try:
        return version("testbots")
    except PackageNotFoundError:
        return "unknown"


def simnet_args(
    *,
    seed: str,
    nodes: int,
    block_time_s: float,
    switches: Sequence[str] = (),
    extra_args: Sequence[str] = (),
) -> list[str]:
    """`python -m simnet` on free loopback ports (`--port-base 0`)."""
    return [
        sys.executable,
        "-m",
        "simnet",
        "--port-base",
        "0",
        "--nodes",
        str(nodes),
        "--block-time",
        str(block_time_s),
        "--seed",
        seed,
        *(arg for name in switches for arg in ("--vuln", name)),
        *extra_args,
    ]


def start_simnet(
    args: Sequence[str], log_path: Path, *, timeout_s: float = 30.0
) -> tuple[ChildHandle, SimnetEndpoints]:
    """Start simnet (stdout to `log_path` with suffix .out) and read its start-up line."""
    handle = spawn("simnet", args, log_path, out_path=log_path.with_suffix(".out"))
    try:
        line = wait_for_line(handle, r"^.*\n", timeout_s=timeout_s, in_out=True).group(0)
    except ChildStartFailed as exc:
        stop_child(handle)
        why = str(exc).splitlines()[0].removeprefix("simnet ")
        raise SimnetStartFailed(
            f"simnet {why} ({' '.join(args)})", stderr_tail=exc.stderr_tail
        ) from None
    try:
        return handle, SimnetEndpoints.parse(line)
    except SimnetStartupLine:
        stop_child(handle)
        raise


class SimnetProcess:
    """`python -m simnet` as a child process; a context manager that always stops it."""

    def __init__(
        self,
        *,
        seed: str = "testbots",
        nodes: int = 4,
        block_time_s: float = 1.0,
        switches: Sequence[str] = (),
        extra_args: Sequence[str] = (),
        log_path: Path | None = None,
        start_timeout_s: float = 30.0,
    ) -> None:
        self.args = simnet_args(
            seed=seed,
            nodes=nodes,
            block_time_s=block_time_s,
            switches=switches,
            extra_args=extra_args,
        )
        self._log_path = log_path
        self._start_timeout_s = start_timeout_s
        self.handle: ChildHandle | None = None
        self.endpoints: SimnetEndpoints | None = None

    @property
    def pid(self) -> int | None:
        return self.handle.pid if self.handle else None

    def start(self) -> SimnetEndpoints:
        log = self._log_path or Path(tempfile.mkdtemp(prefix="simnet-")) / "simnet.log"
        self.handle, self.endpoints = start_simnet(self.args, log, timeout_s=self._start_timeout_s)
        return self.endpoints

    @property
    def stderr_tail(self) -> str:
        return self.handle.tail() if self.handle else ""

    def stop(self, timeout_s: float = 10.0) -> None:
        if self.handle is not None:
            stop_child(self.handle, timeout_s)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
