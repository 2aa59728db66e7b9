"""CoordinatorResource.metrics_listen: where an embedded run's coordinator serves /metrics; an
external coordinator serves its own, so the setting there is refused, naming the fix."""

import dagster as dg
import pytest

from testbots_dagster.resources import CoordinatorResource


def test_an_embedded_coordinator_serves_metrics_where_the_resource_says() -> None:
    assert CoordinatorResource().run_metrics_listen() is None  # off by default
    embedded = CoordinatorResource(metrics_listen="127.0.0.1:9464")
    assert embedded.run_metrics_listen() == "127.0.0.1:9464"


def test_an_external_coordinator_refuses_the_setting() -> None:
    external = CoordinatorResource(
        mode="external", address="h:7470", token="t" * 16, metrics_listen="127.0.0.1:9464"
    )
    with pytest.raises(dg.Failure, match="its own `--metrics-listen`"):
        external.run_metrics_listen()
