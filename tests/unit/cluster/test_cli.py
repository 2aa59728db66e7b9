"""The cluster commands' safe defaults: loopback, a token required, read at call time."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from botruntime.cli import main
from botruntime.cluster import DEFAULT_LISTEN


def test_the_coordinator_listens_on_loopback_unless_told_otherwise() -> None:
    command = main.get_command(main.make_context("testbots", ["coordinator"]), "coordinator")
    assert command is not None
    listen = next(p for p in command.params if p.name == "listen")
    assert listen.default == DEFAULT_LISTEN and DEFAULT_LISTEN.startswith("127.0.0.1:")


@pytest.mark.parametrize(
    "args",
    [
        ["coordinator", "--listen=127.0.0.1:0"],
        ["worker", "--coordinator=127.0.0.1:1"],
        ["status"],
        ["stop", "some-run"],
    ],
)
def test_every_cluster_command_refuses_to_run_without_a_token(args: list[str]) -> None:
    result = CliRunner().invoke(main, args, env={"TESTBOTS_TOKEN": None})
    assert result.exit_code == 2
    assert "TESTBOTS_TOKEN" in result.output


def test_the_token_is_read_from_the_environment_when_the_command_runs() -> None:
    # a short token from the environment is seen (and refused) at call time
    result = CliRunner().invoke(main, ["status"], env={"TESTBOTS_TOKEN": "short"})
    assert result.exit_code == 2 and "16 characters" in result.output
