"""`schemathesis run URL/openapi.json --checks all`, as a user runs it, against an Alpha and a
Delta node of a real simnet: every check, every phase (examples, coverage, fuzzing, stateful),
and the run is clean. No server error; no request the document calls valid refused with 400;
no request it calls invalid accepted; every answer, the event stream's events included, fits
its documented schema; a method a path does not serve gets 405 with `Allow`.

The run reads the repository's `schemathesis.toml`: its hooks give the fuzzer the two wire
rules no JSON Schema states (a bech32 checksum, integers written without a fraction). Left
out: the control-plane writes (tag `control`: reset, import, faults, node actions, clock,
vuln), which change the network on purpose (a fuzzed fault or `kill` would take away the node
under test). The per-client rate limit is switched off (`no_rate_limit`): every request of
the fuzzer comes from one client, and 429s would stand in for the answers under test. On
Delta a pool and a margin account exist first, so the market reads have something to find.
MAX_EXAMPLES cases per operation and a fixed seed bound the two runs, which go side by side
(75 s on 2 cores at a load of 8).
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Final

import httpx
import pytest

from botruntime.chain.tx import Msg, TxBody, sign_tx
from botruntime.identity import Identity

pytestmark = pytest.mark.slow

REPO: Final = Path(__file__).resolve().parents[3]
SCHEMATHESIS: Final = Path(sys.executable).parent / "schemathesis"
MAX_EXAMPLES: Final = 5
SEED: Final = 18
RUN_TIMEOUT_S: Final = 300


def _commit(simnet: Any, who: Identity, msgs: list[Msg]) -> None:
    """Sign and send each msg in its own tx (nonces 0, 1, ..), then make a block."""
    with httpx.Client(base_url=simnet.delta_url(0), timeout=10) as client:
        hashes = []
        for nonce, msg in enumerate(msgs):
            body = TxBody(simnet.delta_chain_id, who.delta_address, nonce, 10_000, (msg,), "", 0)
            tx = copy.deepcopy(sign_tx(who, body).to_wire())
            answer = client.post("/txs", json={"tx": tx, "mode": "sync"})
            assert answer.status_code == 200, answer.text
            hashes.append(answer.json()["hash"])
        simnet.step(1)
        assert [client.get(f"/txs/{h}").json()["status"] for h in hashes] == ["committed"] * 2


def _markets(simnet: Any) -> None:
    trader = Identity.derive("fuzz", 0)
    simnet.reset([(trader.delta_address, {"DX": 10**12, "bAX": 10**12})])
    simnet.step(1)
    amount = str(10**10)
    pool = {"type": "dex.create_pool", "denom_a": "DX", "denom_b": "bAX", "amount_a": amount}
    _commit(
        simnet,
        trader,
        [{**pool, "amount_b": amount}, {"type": "perps.deposit", "amount": str(10**9)}],
    )


def _fuzz(url: str, out: Path) -> subprocess.Popen[bytes]:
    """`schemathesis run` on one node, as a user types it (from the repository root)."""
    command = [str(SCHEMATHESIS), "run", f"{url}/openapi.json", "--checks", "all"]
    command += ["--phases", "examples,coverage,fuzzing,stateful", "--exclude-tag", "control"]
    command += ["--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED), "--no-color"]
    command += ["--report", "json", "--report-json-path", str(out / "report.json")]
    with (out / "output.txt").open("wb") as output:
        return subprocess.Popen(command, cwd=REPO, stdout=output, stderr=subprocess.STDOUT)


def _fuzzed_operations(url: str) -> int:
    document = httpx.get(f"{url}/openapi.json", timeout=10).json()
    return sum(
        1
        for ops in document["paths"].values()
        for op in ops.values()
        if "control" not in op.get("tags", [])
    )


def test_schemathesis_with_every_check_finds_nothing_on_either_chain(
    simnet: Any, tmp_path: Path
) -> None:
    _markets(simnet)
    simnet.control("POST", "/simnet/clock", {"block_time": 0.2, "pause": False})
    assert simnet.vuln("no_rate_limit") == ["no_rate_limit"]
    urls = {"alpha": simnet.alpha_url(1), "delta": simnet.delta_url(1)}
    runs = {}
    for chain, url in urls.items():  # both at once: a run mostly waits on its requests
        (tmp_path / chain).mkdir()
        runs[chain] = _fuzz(url, tmp_path / chain)
    try:
        codes = {chain: run.wait(timeout=RUN_TIMEOUT_S) for chain, run in runs.items()}
    finally:
        for run in runs.values():
            if run.poll() is None:
                run.kill()
                run.wait()
    for chain, url in urls.items():
        output = (tmp_path / chain / "output.txt").read_text()[-20_000:]
        assert codes[chain] == 0, f"{chain}:\n{output}"
        summary = json.loads((tmp_path / chain / "report.json").read_text())
        assert summary["failures"] == [] and summary["errors"] == [], output
        fuzzed = _fuzzed_operations(url)
        operations = summary["operations"]
        assert operations["selected"] == operations["tested"] == fuzzed, (chain, operations)
        phases = {name: phase["status"] for name, phase in summary["phases"].items()}
        assert set(phases.values()) == {"success"}, (chain, phases)
        assert summary["test_cases"]["generated"] >= 10 * fuzzed, summary["test_cases"]
