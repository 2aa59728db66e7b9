"""What the stages of a run hand each other: plain values that survive a process boundary.

Dagster runs each op in its own process (DESIGN §7), so `setup` returns a `RunSetup`,
`distribute` a `RunHandle`, `execute` an `Execution`, and `report` reads only those and the
files they name: any op can be re-run from the values of the ones before it. None of them
holds a secret: an external coordinator's token comes from the resource each time, an
embedded one's from a file in the run's folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from botruntime.fleet import FleetOutcome
from botruntime.plan import RunPlan
from botruntime.runs._source import InvariantReading
from botruntime.runs._stack import Stack

__all__ = ["Execution", "RunHandle", "RunSetup", "TargetStatus"]


@dataclass(frozen=True, slots=True)
class TargetStatus:
    """What the target said about itself at setup (each chain's /status)."""

    alpha_chain_id: str | None = None
    delta_chain_id: str | None = None
    block_time_s: float | None = None
    version: str | None = None  # the node software's version, where /status gives it


@dataclass(frozen=True, slots=True)
class RunSetup:
    plan: RunPlan  # pickles as its source: a process that receives it compiles it once
    home: Path
    status: TargetStatus
    invariants_start: tuple[InvariantReading, ...] | None
    stack: Stack  # what this run started (stopped by `teardown`)
    workers: int  # embedded: worker processes; external: live workers to wait for; 0: here
    external: str  # an external coordinator's HOST:PORT, or ""
    started_at_s: float  # wall clock

    @property
    def run_id(self) -> str:
        return self.plan.run_id

    @property
    def run_dir(self) -> Path:
        return self.home / "runs" / self.plan.run_id

    @property
    def in_process(self) -> bool:
        return self.workers == 0


@dataclass(frozen=True, slots=True)
class RunHandle:
    """A distributed run: where it runs and when its plan starts."""

    run_id: str
    address: str  # the coordinator's HOST:PORT; "" when the bots run in the executing process
    start_at_unix_s: float


@dataclass(frozen=True, slots=True)
class Execution:
    """What a finished run leaves for its report; the metrics are in `metrics_file`."""

    metrics_file: Path
    outcome: FleetOutcome
    notes: tuple[str, ...]
    invalid_reasons: tuple[str, ...]  # the experiment broke: the verdict is INCONCLUSIVE
    elapsed_s: float  # plan offset 0 to the end of the run
    invariants_end: tuple[InvariantReading, ...] | None
    reachable: bool  # the invariant source (or each chain's /status) answered at the end
    stopped_early: bool
    lost_beyond_policy: int  # workers lost that on_worker_loss does not cover (gate G3)
    # what the run's crews earned, from chain balances at the end (`_crew_value.py`)
    crew_profit_dx: float | None = None
