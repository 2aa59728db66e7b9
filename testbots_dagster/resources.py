"""The infrastructure a scenario run needs; the scenario itself comes in run config.

- `TargetResource`: where the run goes: the embedded simnet (started and stopped per run, the
  default) or the node URLs of a real network.
- `ResultsStoreResource`: the append-only results store; SQLite under TESTBOTS_HOME unless a
  URL is given (`definitions.py` passes `EnvVar("TESTBOTS_RESULTS_URL")` when that is set, so a
  Postgres password is read at run time and never lands in the run's config).
- `CoordinatorResource`: who drives the bots: `embedded` (default) starts a coordinator and
  `workers` worker processes for the run and stops them after it; `external` hands the run to
  a running `testbots coordinator` and its workers (deploy/), its token an `EnvVar`.
"""

# No `from __future__ import annotations`: Dagster reads these annotations at class creation.

from pathlib import Path
from typing import TYPE_CHECKING, Literal

import dagster as dg
from pydantic import Field, PrivateAttr

from testbots_dagster._head_start import EMBEDDED_WORKERS
from testbots_dagster.results_store import ResultsStore, default_url

if TYPE_CHECKING:
    from botruntime.runs import CoordinatorAddress

__all__ = [
    "CoordinatorResource",
    "ResultsStoreResource",
    "TargetResource",
    "testbots_home",
]


def testbots_home(explicit: str = "") -> Path:
    """TESTBOTS_HOME: `explicit`, else as botruntime reads it (one rule for both)."""
    from botruntime.runs import testbots_home as home

    return home(Path(explicit) if explicit else None).resolve()


class TargetResource(dg.ConfigurableResource):
    """The network under test."""

    target: str = Field(
        default="simnet",
        description='"simnet": an embedded simnet started for the run and stopped after it; '
        "or a real network as alpha=URL,…,delta=URL,… (its chain ids must match the "
        "scenario's target; simnet switches are refused there)",
    )
    allow_adversarial: bool = Field(
        default=False,
        description="the real network above accepts adversarial scenarios (attacks, fuzzing): "
        "set it only for a network you own (DESIGN §8); simnet needs no flag. It flags this "
        "resource's target only, never a target a run's config names instead",
    )

    def for_run(self, override: str = "") -> tuple[str, bool]:
        """The target a run goes to (a run config's `override`, else this resource's) and
        whether it is flagged for adversarial load: the flag is this resource's network's, so
        a run config naming another network runs unflagged (and an adversarial scenario is
        refused there)."""
        target = override or self.target
        return target, self.allow_adversarial and target == self.target


class CoordinatorResource(dg.ConfigurableResource):
    """The coordinator a scenario run is handed to."""

    mode: Literal["embedded", "external"] = Field(
        default="embedded",
        description="embedded: a coordinator and `workers` worker processes started for the "
        "run and stopped after it; external: a running `testbots coordinator` (deploy/)",
    )
    workers: int = Field(
        default=EMBEDDED_WORKERS,
        ge=1,
        description="embedded: worker processes to start; external: live workers to wait for",
    )
    address: str = Field(default="", description="external: the coordinator's HOST:PORT")
    metrics_listen: str = Field(
        default="",
        description="embedded: HOST:PORT where the run's coordinator serves Prometheus "
        "/metrics while the run goes (empty: off); an external coordinator serves its own "
        "(`testbots coordinator --metrics-listen`)",
    )
    token: str = Field(
        default="",
        description="external: the cluster token; give it as an env var (token: {env: "
        "TESTBOTS_TOKEN}) so it never lands in the run config",
    )

    def external(self) -> "CoordinatorAddress | None":
        """The coordinator to use, or None for an embedded one; a bad setting fails the run."""
        from botruntime.runs import CoordinatorAddress

        if self.mode == "embedded":
            return None
        if not self.address or not self.token:
            raise dg.Failure(
                description="the coordinator resource is external but lacks its "
                + " and ".join(
                    n for n, v in (("address", self.address), ("token", self.token)) if not v
                )
                + ": set address: HOST:PORT and token: {env: TESTBOTS_TOKEN}",
                allow_retries=False,
            )
        return CoordinatorAddress(self.address, self.token)

    def run_metrics_listen(self) -> str | None:
        """Where the run's embedded coordinator serves /metrics, or None (off)."""
        if not self.metrics_listen:
            return None
        if self.mode != "embedded":
            raise dg.Failure(
                description=f"the coordinator resource is external and sets metrics_listen "
                f"{self.metrics_listen!r}: an external coordinator serves /metrics on its own "
                "`--metrics-listen`; leave metrics_listen empty",
                allow_retries=False,
            )
        return self.metrics_listen


class ResultsStoreResource(dg.ConfigurableResource):
    """The results store, opened for the length of a run (or a sensor tick)."""

    url: str = Field(
        default="",
        description="SQLAlchemy URL of a shared store (e.g. postgresql+psycopg2://…); "
        "empty: the SQLite file $TESTBOTS_HOME/results.sqlite",
    )
    home: str = Field(default="", description="TESTBOTS_HOME; empty: $TESTBOTS_HOME or ./.testbots")
    _store: ResultsStore | None = PrivateAttr(default=None)

    def resolved_url(self) -> str:
        return self.url or default_url(testbots_home(self.home))

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._store = ResultsStore(self.resolved_url())

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    @property
    def runs_dir(self) -> Path:
        """Where every run on this machine writes its report (`testbots run` and Dagster)."""
        return testbots_home(self.home) / "runs"

    @property
    def store(self) -> ResultsStore:
        if self._store is None:  # used outside a run: open on first use
            self._store = ResultsStore(self.resolved_url())
        return self._store
