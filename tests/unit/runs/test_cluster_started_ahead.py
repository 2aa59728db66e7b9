"""A coordinator and workers started ahead for a run (`make run` starts them while Dagster
loads) are an embedded cluster without /metrics: a run asking for anything else is refused
before anything starts, naming what it asked for."""

import asyncio
from concurrent.futures import Future
from pathlib import Path

import pytest

from botruntime.runs import CoordinatorAddress, RunConfigError
from botruntime.runs.runner import RunRequest, Stack, setup


@pytest.mark.parametrize(
    ("request_args", "named"),
    [
        ({"workers": 0}, "its bots in this process"),
        ({"coordinator": CoordinatorAddress("h:7470", "t" * 16)}, "the coordinator at h:7470"),
        ({"metrics_listen": "127.0.0.1:9464"}, "/metrics on 127.0.0.1:9464"),
    ],
)
def test_a_run_that_cannot_adopt_the_cluster_is_refused(
    tmp_path: Path, request_args: dict[str, object], named: str
) -> None:
    cluster: Future[Stack] = Future()
    cluster.set_result(Stack())
    request = RunRequest(
        "transfer_baseline", size="smoke", home=tmp_path, cluster=cluster, **request_args
    )  # type: ignore[arg-type]
    with pytest.raises(RunConfigError, match=f"it wants {named}"):
        asyncio.run(setup(request))
    assert not (tmp_path / "runs").exists()  # nothing was started or written
