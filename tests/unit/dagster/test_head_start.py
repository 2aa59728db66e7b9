"""`HeadStart` hands the cluster started ahead to its own run once, and only to a run that
wants what was started (an embedded coordinator, its default workers, no /metrics)."""

from concurrent.futures import Future
from pathlib import Path

import pytest

from botruntime.runs.runner import Stack
from testbots_dagster._head_start import COORDINATOR_ENV, EMBEDDED_WORKERS, HeadStart
from testbots_dagster.resources import CoordinatorResource


def _started() -> "Future[Stack]":
    cluster: Future[Stack] = Future()
    cluster.set_result(Stack())
    return cluster


def test_its_run_gets_the_cluster_once() -> None:
    cluster = _started()
    head = HeadStart("run-1", cluster)
    assert head.cluster_for("run-1", EMBEDDED_WORKERS, None) is cluster
    assert (
        head.cluster_for("run-1", EMBEDDED_WORKERS, None) is None
    )  # a second setup starts its own


@pytest.mark.parametrize(
    ("run_id", "workers", "metrics_listen"),
    [("run-2", EMBEDDED_WORKERS, None), ("run-1", 3, None), ("run-1", 1, "127.0.0.1:9464")],
)
def test_a_run_wanting_something_else_starts_its_own(
    run_id: str, workers: int, metrics_listen: str | None
) -> None:
    cluster = _started()
    head = HeadStart("run-1", cluster)
    assert head.cluster_for(run_id, workers, metrics_listen) is None
    assert head.cluster_for("run-1", EMBEDDED_WORKERS, None) is cluster  # still its run's


def test_the_default_workers_are_the_coordinator_resources() -> None:
    assert CoordinatorResource().workers == EMBEDDED_WORKERS
    assert HeadStart().cluster_for("", EMBEDDED_WORKERS, None) is None


def test_nothing_starts_ahead_for_an_external_coordinator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(COORDINATOR_ENV, "127.0.0.1:7470")
    with HeadStart.begin("run-1", tmp_path) as head:
        assert head.cluster_for("run-1", EMBEDDED_WORKERS, None) is None
    assert not (tmp_path / "runs").exists()
