"""AdnetClient against a stand-in `adnet` executable: a real subprocess per call."""

import os
import sys
import textwrap
from pathlib import Path

import pytest

from botruntime.chain.adnet import (
    AdnetBadOutput,
    AdnetClient,
    AdnetFailed,
    AdnetNotInstalled,
    AdnetTimeout,
    AdnetUsage,
)

pytestmark = pytest.mark.anyio

# Behaves like adnet's contract: --json output, exit 0 ok / 1 error / 2 usage.
FAKE_ADNET = textwrap.dedent(
    """
    import json, os, sys, time
    args = sys.argv[1:]
    if args[-1:] != ["--json"]:
        print("usage: adnet ... --json", file=sys.stderr); sys.exit(2)
    args = args[:-1]
    if args[:1] == ["fail"]:
        print(json.dumps({"error": "node alpha-9 does not exist"})); sys.exit(1)
    if args[:1] == ["usage"]:
        print("Error: no such command", file=sys.stderr); sys.exit(2)
    if args[:1] == ["hang"]:
        with open(args[1], "w") as f: f.write(str(os.getpid()))
        time.sleep(60)
    if args[:1] == ["garbage"]:
        print("not json"); sys.exit(0)
    print(json.dumps({"args": args, "env": os.environ.get("ADNET_URL")}))
    """
)


def args(result: object) -> object:
    assert isinstance(result, dict)
    return result["args"]


@pytest.fixture
def adnet(tmp_path: Path) -> AdnetClient:
    script = tmp_path / "fake_adnet.py"
    script.write_text(FAKE_ADNET)
    return AdnetClient((sys.executable, str(script)), timeout_s=10, env={"ADNET_URL": "http://x"})


async def test_commands_build_their_argv_and_decode_json(adnet: AdnetClient) -> None:
    assert await adnet.status(chain="delta", node="delta-1") == {
        "args": ["status", "--chain", "delta", "--node", "delta-1"],
        "env": "http://x",
    }
    assert args(await adnet.node("pause", "alpha-2")) == ["node", "pause", "alpha-2"]
    assert args(await adnet.partition("alpha-1", "alpha-2")) == [
        "network",
        "partition",
        "alpha-1",
        "alpha-2",
    ]
    assert args(await adnet.logs("alpha-0", since="5m")) == ["logs", "alpha-0", "--since", "5m"]
    assert args(await adnet.validators()) == ["validators"]


async def test_faults_name_only_what_changes(adnet: AdnetClient) -> None:
    assert args(await adnet.faults(latency_ms=300, error_rate=0.2)) == [
        "faults",
        "--node",
        "all",
        "--chain",
        "both",
        "--latency-ms",
        "300",
        "--error-rate",
        "0.2",
    ]
    assert args(await adnet.faults(node="v2", chain="alpha", refuse=True)) == [
        "faults",
        "--node",
        "v2",
        "--chain",
        "alpha",
        "--refuse",
    ]
    assert args(await adnet.faults(refuse=False, status=503))[-3:] == [
        "--status",
        "503",
        "--accept",
    ]
    assert args(await adnet.faults(refuse=True, for_s=2))[-3:] == ["--refuse", "--for-s", "2"]
    assert args(await adnet.clear_faults()) == ["faults", "--clear"]
    with pytest.raises(ValueError, match="name a fault"):
        await adnet.faults(node="v1")


async def test_exit_1_is_a_failure_carrying_adnets_message(adnet: AdnetClient) -> None:
    with pytest.raises(AdnetFailed, match="alpha-9 does not exist") as caught:
        await adnet.run("fail")
    assert caught.value.exit_code == 1
    assert caught.value.error == {"error": "node alpha-9 does not exist"}


async def test_exit_2_is_a_usage_error_with_stderr(adnet: AdnetClient) -> None:
    with pytest.raises(AdnetUsage, match="no such command") as caught:
        await adnet.run("usage")
    assert caught.value.exit_code == 2


async def test_non_json_output_on_success_is_bad_output(adnet: AdnetClient) -> None:
    with pytest.raises(AdnetBadOutput, match="not json"):
        await adnet.run("garbage")


async def test_a_hung_command_is_killed_at_its_timeout(adnet: AdnetClient, tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    with pytest.raises(AdnetTimeout, match="killed"):
        await adnet.run("hang", str(pid_file), timeout_s=1.0)
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):  # killed and reaped: no process left behind
        os.kill(pid, 0)


async def test_a_missing_executable_says_how_to_install(tmp_path: Path) -> None:
    client = AdnetClient((str(tmp_path / "no-such-adnet"),))
    with pytest.raises(AdnetNotInstalled, match="pip install"):
        await client.nodes()


def test_client_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="command"):
        AdnetClient(())
    with pytest.raises(ValueError, match="timeout_s"):
        AdnetClient(timeout_s=0)
