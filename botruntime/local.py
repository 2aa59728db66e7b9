"""The embedded stack: simnet served by a child process on loopback, for runs with no network given.

botruntime never imports simnet (DESIGN §2): it starts `python -m simnet` and reads the start-up
line of PROTOCOL.md. The child is always stopped by PID when the stack closes, so a run never
leaves a network behind.

LocalStackError
├── SimnetStartFailed     the child exited or printed no start-up line in time (.stderr_tail)
└── SimnetStartupLine     the start-up line is not the JSON of PROTOCOL.md
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Self

__all__ = [
    "LocalStackError",
    "SimnetEndpoints",
    "SimnetProcess",
    "SimnetStartFailed",
    "SimnetStartupLine",
]


class LocalStackError(RuntimeError):
    """The embedded stack could not be brought up."""


class SimnetStartFailed(LocalStackError):
    def __init__(self, message: str, *, stderr_tail: str) -> None:
        super().__init__(f"{message}\n--- simnet stderr (last lines) ---\n{stderr_tail}")
        self.stderr_tail = stderr_tail


class SimnetStartupLine(LocalStackError):
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
        self.args = [
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
        self._log_path = log_path
        self._start_timeout_s = start_timeout_s
        self._proc: subprocess.Popen[str] | None = None
        self._stderr_tail: deque[str] = deque(maxlen=40)
        self._threads: list[threading.Thread] = []
        self._log: IO[str] | None = None
        self.endpoints: SimnetEndpoints | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def start(self) -> SimnetEndpoints:
        self._proc = subprocess.Popen(
            self.args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self._proc.stdout is not None and self._proc.stderr is not None
        log = self._log = self._log_path.open("a", encoding="utf-8") if self._log_path else None
        self._pump(self._proc.stderr, log, keep_tail=True)
        first_line: list[str] = []
        ready = threading.Event()

        def read_start_line(stream: IO[str]) -> None:
            first_line.append(stream.readline())
            ready.set()
            for line in stream:  # keep draining so the child never blocks on a full pipe
                if log:
                    log.write(line)

        reader = threading.Thread(
            target=read_start_line, args=(self._proc.stdout,), name="simnet-stdout", daemon=True
        )
        reader.start()
        self._threads.append(reader)
        deadline = time.monotonic() + self._start_timeout_s
        while not ready.wait(0.05):
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                why = "exited" if self._proc.returncode is not None else "gave no start-up line"
                raise SimnetStartFailed(
                    f"simnet {why} ({' '.join(self.args)})", stderr_tail=self.stderr_tail
                )
        if not first_line or not first_line[0].strip():
            try:
                code: int | None = self._proc.wait(timeout=5.0)
            except subprocess.TimeoutExpired:
                code = None
            self.stop()
            why = f"exited with code {code}" if code is not None else "closed its stdout"
            raise SimnetStartFailed(
                f"simnet {why} before its start-up line ({' '.join(self.args)})",
                stderr_tail=self.stderr_tail,
            )
        self.endpoints = SimnetEndpoints.parse(first_line[0])
        return self.endpoints

    @property
    def stderr_tail(self) -> str:
        return "".join(self._stderr_tail)

    def _pump(self, stream: IO[str], log: IO[str] | None, *, keep_tail: bool) -> None:
        def drain() -> None:
            for line in stream:
                if keep_tail:
                    self._stderr_tail.append(line)
                if log:
                    log.write(line)
                    log.flush()

        thread = threading.Thread(target=drain, name="simnet-stderr", daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self, timeout_s: float = 10.0) -> None:
        """SIGTERM (clean shutdown), then SIGKILL if it does not go in time."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=timeout_s)
        for thread in self._threads:
            thread.join(timeout=1.0)
        if proc is not None:
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()
        if self._log is not None:
            self._log.close()
            self._log = None

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
