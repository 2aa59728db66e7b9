"""The Kubernetes manifests in deploy/ call the CLI with flags it has, on ports that match."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from botruntime.cli import main
from botruntime.cluster import SERVICE_NAME, WORKER_SERVICE

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"


def _documents() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted(DEPLOY.glob("*.yaml")):
        docs += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return docs


def _deployment(component: str) -> dict[str, Any]:
    (found,) = [
        d
        for d in _documents()
        if d["kind"] == "Deployment"
        and d["metadata"]["labels"]["app.kubernetes.io/component"] == component
    ]
    return found


def _parse(container: dict[str, Any]) -> click.Context:
    """Run the container's command line through the real CLI parser (no command is run)."""
    program, name, *flags = [*container["command"], *container.get("args", [])]
    assert program == "testbots"
    with main.make_context("testbots", [name], resilient_parsing=True) as group_ctx:
        command = main.get_command(group_ctx, name)
    assert command is not None, f"testbots has no command {name!r}"
    return command.make_context(name, list(flags))


def _flag(ctx: click.Context, name: str) -> Any:
    return ctx.params[name]


@pytest.mark.parametrize("component", ["coordinator", "worker"])
def test_every_container_command_parses_and_takes_the_token_from_a_secret(component: str) -> None:
    (container,) = _deployment(component)["spec"]["template"]["spec"]["containers"]
    ctx = _parse(container)
    assert ctx.command.name == component
    env = {e["name"]: e for e in container["env"]}
    assert env["TESTBOTS_TOKEN"]["valueFrom"]["secretKeyRef"]["key"] == "token"
    assert "--token" not in " ".join(container.get("args", []))  # never a secret in args


def test_coordinator_probes_and_service_match_its_listen_port() -> None:
    deployment = _deployment("coordinator")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    port = int(_flag(_parse(container), "listen").rpartition(":")[2])
    assert container["readinessProbe"]["grpc"] == {"port": port, "service": SERVICE_NAME}
    assert container["livenessProbe"]["grpc"]["port"] == port
    (service,) = [d for d in _documents() if d["kind"] == "Service"]
    grpc_port = next(p for p in service["spec"]["ports"] if p["name"] == "grpc")
    assert grpc_port["port"] == port
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]


def test_workers_dial_the_coordinator_service_and_probe_their_health_port() -> None:
    deployment = _deployment("worker")
    assert deployment["spec"]["replicas"] >= 1  # the fleet size
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    ctx = _parse(container)
    (service,) = [d for d in _documents() if d["kind"] == "Service"]
    host, _, port = _flag(ctx, "address").rpartition(":")
    grpc_port = next(p for p in service["spec"]["ports"] if p["name"] == "grpc")
    assert (host, int(port)) == (service["metadata"]["name"], grpc_port["port"])
    health_port = int(_flag(ctx, "health_listen").rpartition(":")[2])
    assert container["readinessProbe"]["grpc"] == {"port": health_port, "service": WORKER_SERVICE}
    assert container["livenessProbe"]["grpc"]["port"] == health_port


def test_a_renamed_flag_would_fail_this_test() -> None:
    with pytest.raises(click.NoSuchOption):
        _parse({"command": ["testbots", "worker"], "args": ["--coordinator=x:1", "--capacty=5"]})
