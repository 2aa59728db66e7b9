"""The funder seed, the cluster token and every private key stay out of what a run leaves:
its files, the processes' logs, the results store, Dagster's storage and metadata.

One Dagster run of transfer_baseline against a real network (a simnet given by URL, funded
from a funder account) on an external coordinator and two workers, all with known secrets;
then every byte the run wrote under the test's folder and every line it printed is searched
for each secret in every form a program would print it (hex, base64, repr of bytes).
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dagster as dg
import pytest

from botruntime.identity import Identity, derive_seed
from botruntime.scenario import load_scenario
from testbots_dagster.definitions import build_definitions
from testbots_dagster.results_store import ResultsStore

if TYPE_CHECKING:
    from conftest import Cluster

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[3]
FUNDER_SEED = bytes(range(100, 132))
FUNDER = Identity.from_seed(FUNDER_SEED)


def _forms(secret: bytes) -> dict[str, bytes]:
    """How a secret could be written: hex (both cases), base64, and Python's bytes repr."""
    return {
        "hex": secret.hex().encode(),
        "HEX": secret.hex().upper().encode(),
        "base64": base64.b64encode(secret).rstrip(b"="),
        "repr": repr(secret)[2:-1].encode(),
    }


def _secrets(token: str, run_seed: str, bots: int) -> dict[str, bytes]:
    found = {"cluster token": token.encode()}
    for name, secret in (("funder seed", FUNDER_SEED),):
        found |= {f"{name} ({form})": text for form, text in _forms(secret).items()}
    for index in range(bots):  # each bot's private key (its ed25519 seed)
        found[f"bot {index} seed"] = derive_seed(run_seed, index).hex().encode()
    return found


def _every_file(folder: Path) -> Iterator[Path]:
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            yield path


def test_no_secret_in_any_file_log_row_or_metadata(
    cluster: Cluster,
    simnet: Any,
    tmp_path: Path,
    instance: dg.DagsterInstance,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # every log line of this process, whatever its level
    cluster.start_scenario_workers(2)
    simnet.reset([(FUNDER.alpha_address, {"AX": 10**15, "DX": 10**15})])
    target = f"alpha={simnet.alpha_url(0)},alpha={simnet.alpha_url(1)},delta={simnet.delta_url(0)}"
    home = tmp_path / "testbots"
    monkeypatch.setenv("TESTBOTS_HOME", str(home))
    monkeypatch.setenv("TESTBOTS_TOKEN", cluster.token)
    monkeypatch.setenv("TESTBOTS_FUNDER_SEED", FUNDER_SEED.hex())
    monkeypatch.delenv("TESTBOTS_RESULTS_URL", raising=False)
    job = build_definitions(REPO / "scenarios").resolve_job_def("scenario_transfer_baseline")
    config = {
        "ops": {"scenarios__transfer_baseline": {"config": {"size": "smoke"}}},
        "resources": {
            "target": {"config": {"target": target}},
            "coordinator": {
                "config": {
                    "mode": "external",
                    "address": cluster.address,
                    "token": {"env": "TESTBOTS_TOKEN"},
                    "workers": 2,
                }
            },
        },
    }
    result = job.execute_in_process(instance=instance, run_config=config, raise_on_error=False)
    printed = capfd.readouterr()
    with ResultsStore.at_home(home) as store:
        report = store.get(result.run_id)
    assert report.verdict == "PASS", printed.out[-3000:] + printed.err[-3000:]
    assert report.summary["intents"] > 0

    scenario = load_scenario(REPO / "scenarios" / "transfer_baseline.yaml").scenario
    secrets = _secrets(cluster.token, str(report.seed), scenario.size("smoke").bots)
    written = {path: path.read_bytes() for path in _every_file(tmp_path)}
    assert len(written) > 10 and any(p.name == "report.json" for p in written)
    assert any(p.suffix in {".db", ".sqlite"} for p in written)  # the store's and Dagster's rows
    texts = {**{str(p): data for p, data in written.items()}}
    texts["printed"] = (printed.out + printed.err).encode()
    texts["logged"] = "\n".join(r.getMessage() for r in caplog.records).encode()
    assert len(caplog.records) > 10
    materialized = instance.get_latest_materialization_event(
        dg.AssetKey(["scenarios", "transfer_baseline"])
    )
    assert materialized is not None
    texts["metadata"] = repr(materialized).encode()
    leaks = [
        f"{name} in {where}"
        for where, data in texts.items()
        for name, secret in secrets.items()
        if secret in data
    ]
    assert leaks == []
