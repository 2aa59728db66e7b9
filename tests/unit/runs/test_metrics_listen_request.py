"""`--metrics-listen` serves the run's own coordinator: a run that starts none, or a bad
address, is refused before anything starts, with the fix."""

import asyncio
from pathlib import Path

import pytest

from botruntime.runs import CoordinatorAddress, RunConfigError
from botruntime.runs.runner import RunRequest, setup


@pytest.mark.parametrize(
    ("request_args", "fix"),
    [
        ({"metrics_listen": "9464"}, "is not HOST:PORT, e.g. 127.0.0.1:9464"),
        ({"metrics_listen": "127.0.0.1:9464", "workers": 0}, "give --workers 1 or more"),
        (
            {
                "metrics_listen": "127.0.0.1:9464",
                "coordinator": CoordinatorAddress("h:7470", "t" * 16),
            },
            "scrape that coordinator's own --metrics-listen",
        ),
    ],
)
def test_a_run_without_its_own_coordinator_is_refused(
    tmp_path: Path, request_args: dict[str, object], fix: str
) -> None:
    request = RunRequest("transfer_baseline", size="smoke", home=tmp_path, **request_args)  # type: ignore[arg-type]
    with pytest.raises(RunConfigError, match=fix):
        asyncio.run(setup(request))
    assert not (tmp_path / "runs").exists()  # nothing was started or written
