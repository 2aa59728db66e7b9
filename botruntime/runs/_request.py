"""What a run is asked to do, and what it reports while it runs."""

from __future__ import annotations

import os
import time
import uuid
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from botruntime.runs._executors import CoordinatorAddress

if TYPE_CHECKING:
    from botruntime.runs._stack import Stack

__all__ = ["Progress", "RunRequest", "new_run_id", "testbots_home"]


def testbots_home(home: Path | None = None) -> Path:
    """`TESTBOTS_HOME`, read when a run starts (default ./.testbots)."""
    return home or Path(os.environ.get("TESTBOTS_HOME", ".testbots"))


@dataclass(frozen=True, slots=True)
class RunRequest:
    scenario: str  # id under scenarios/ or a YAML path
    size: str = "default"  # smoke | default | full
    target: str = "simnet"  # "simnet", or alpha=URL,…,delta=URL,… of a real network
    # a real network's owner accepts adversarial scenarios on it (DESIGN §8)
    allow_adversarial: bool = False
    seed: str | None = None
    switches: tuple[str, ...] = ()  # simnet vulnerable modes
    run_id: str | None = None
    home: Path | None = None
    scenarios_dir: Path | None = None
    # worker processes behind a local coordinator (DESIGN §5); 0 = one fleet in this process.
    # With `coordinator`, the live workers the run waits for on that coordinator.
    workers: int = 1
    # a running coordinator to hand the run to, with its own workers; None = one started here
    coordinator: CoordinatorAddress | None = None
    # HOST:PORT where the run's embedded coordinator serves Prometheus /metrics; None = off
    metrics_listen: str | None = None
    # the run's embedded coordinator and `workers` workers, already starting (started by
    # `start_cluster` for this run's folder, e.g. by `make run` while Dagster loads): setup
    # adopts them instead of starting its own; None = setup starts them
    cluster: Future[Stack] | None = None


@dataclass(frozen=True, slots=True)
class Progress:
    elapsed_s: float
    total_s: float
    offered_per_s: float
    achieved_per_s: float
    committed_per_s: float
    p99_ms: float | None
    errors: int
    dropped: int  # arrivals the generator reached too late to send (its own fault)
    blocked: int = 0  # arrivals that found every bot of their role waiting on the network


def new_run_id(scenario_id: str) -> str:
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    return f"{scenario_id}-{stamp}-{uuid.uuid4().hex[:6]}"
