"""SCENARIOS.md §7 state/determinism over HTTP: a mix of Alpha and bridge txs on one simnet
process, `GET /simnet/export`, `POST /simnet/import` into a second, fresh process; the same
state hash, every invariant holding, and the same tx afterwards doing the same on both (a
withheld transfer claimed, an unbonding maturing, a proposal closing)."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from botruntime.chain.alpha import HttpAlphaClient
from botruntime.chain.delta import HttpDeltaClient
from botruntime.chain.tx import Msg, bank_send
from botruntime.identity import Identity

pytestmark = pytest.mark.anyio

FEE = 8_000
AMOUNT = 4 * 10**6
RunningSimnet = Any  # tests/integration/conftest.py


@dataclass
class Second:
    control: httpx.Client  # on the control plane's base URL
    delta_url: str


@pytest.fixture(scope="module")
def second_simnet() -> Iterator[Second]:
    """Another simnet process (another seed), its clock paused."""
    command = [sys.executable, "-m", "simnet", "--port-base", "0", "--seed", "elsewhere"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    try:
        ready, _, _ = select.select([process.stdout], [], [], 30.0)
        line = process.stdout.readline() if ready else b""
        assert line, f"the second simnet printed no start-up line (exit {process.poll()})"
        endpoints = json.loads(line)
        with httpx.Client(base_url=endpoints["control"], timeout=30.0) as control:
            control.post("/simnet/clock", json={"pause": True}).raise_for_status()
            yield Second(control, endpoints["delta"][0])
    finally:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
        process.stdout.close()


class Nonces:
    def __init__(self) -> None:
        self.next: dict[str, int] = {}

    def __call__(self, who: Identity, hrp: str = "ax") -> dict[str, Any]:
        nonce = self.next.get(who.address(hrp), 0)
        self.next[who.address(hrp)] = nonce + 1
        return {"nonce": nonce, "fee": FEE, "mode": "commit"}


async def run_the_mix(simnet: RunningSimnet, alice: Identity, bob: Identity) -> None:
    """Stakes, rewards, a campaign payout, then state left in flight: an unbonding entry, a
    redelegation in its cooldown, a proposal in its voting period, a withheld transfer."""
    tx = Nonces()
    async with HttpAlphaClient(simnet.alpha_url(0), chain_id=simnet.alpha_chain_id) as alpha:
        a, b, *_ = [v.operator for v in await alpha.validators()]
        await alpha.delegate(alice, a, AMOUNT, **tx(alice))
        await alpha.delegate(bob, b, AMOUNT, **tx(bob))
        await alpha.withdraw_rewards(alice, a, **tx(alice))
        await alpha.bridge_lock(alice, alice.delta_address, AMOUNT, **tx(alice))
        for _ in range(2):
            await alpha.submit(alice, [bank_send(bob.alpha_address, AMOUNT)], **tx(alice))
        epoch = (await alpha.campaign()).next_epoch_end
        simnet.step(epoch - (await alpha.status()).height + 1)  # epoch 0 pays alice
        simnet.control("POST", "/simnet/clock", {"pause": False})
        gov = await alpha.gov_params()
        await alpha.submit_proposal(bob, "text", gov.integer("min_deposit"), **tx(bob))
        await alpha.vote(alice, 1, {"yes": 600_000, "no": 400_000}, **tx(alice))
        await alpha.redelegate(alice, a, b, AMOUNT // 4, **tx(alice))
        await alpha.undelegate(alice, a, AMOUNT // 4, **tx(alice))
        await alpha.bridge_lock(bob, bob.delta_address, AMOUNT, True, **tx(bob))
        delay = (await alpha.bridge_params()).integer("relay_delay_blocks")
        simnet.step(delay)  # pauses the clock; the key set has signed the withheld transfer


def module_state(export: dict[str, Any]) -> dict[str, Any]:
    """What an export holds apart from blocks (whose times come from each process's clock)."""
    return {
        name: {"ledger": chain["ledger"], "modules": chain["modules"]}
        for name, chain in export["chains"].items()
    }


async def test_an_alpha_and_bridge_state_survives_export_and_import_into_a_fresh_simnet(
    simnet: RunningSimnet, second_simnet: Second
) -> None:
    alice, bob = simnet.genesis_identities(2)
    await run_the_mix(simnet, alice, bob)
    exported = simnet.control("GET", "/simnet/export")
    alpha_modules = exported["chains"]["alpha"]["modules"]
    assert alpha_modules["staking"]["unbonding"] and alpha_modules["staking"]["redelegations"]
    assert [p["address"] for p in alpha_modules["campaign"]["payouts"]] == [alice.alpha_address]
    assert [t["status"] for t in alpha_modules["bridge"]["transfers"]] == ["completed", "pending"]
    assert alpha_modules["gov"]["proposals"][0]["status"] == "voting_period"

    control = second_simnet.control
    imported = control.post("/simnet/import", json=exported).json()
    again = control.get("/simnet/export").json()
    verdicts = control.get("/simnet/invariants", params={"full": "1"}).json()
    assert imported["state_hash"] == exported["state_hash"] == again["state_hash"]
    assert [v for v in verdicts if not v["ok"]] == []

    # one signed claim of the withheld transfer, then blocks until the unbonding and the vote
    # end, on both processes: both must reach the same ledger and module state
    async with HttpDeltaClient(simnet.delta_url(0), chain_id=simnet.delta_chain_id) as delta:
        transfer = await delta.bridge_transfer("ax-2")
        nonce = (await delta.account(bob.delta_address)).nonce
        assert transfer.claimable and transfer.attestation is not None
        claim: Msg = {
            "type": "bridge.claim",
            "transfer_id": transfer.id,
            "recipient": transfer.recipient,
            "amount": str(transfer.amount),
            "attestation": transfer.attestation,
        }
        signed = delta.sign(bob, [claim], nonce=nonce, fee=FEE).to_wire()
    params = alpha_modules["params"]
    blocks = max(int(params["unbonding_blocks"]), int(params["voting_blocks"])) + 1
    after = []
    async with httpx.AsyncClient(timeout=30.0) as http:
        for control_url, delta_url in (
            (simnet.control_url, simnet.delta_url(0)),
            (str(control.base_url).rstrip("/"), second_simnet.delta_url),
        ):
            answer = await http.post(f"{delta_url}/txs", json={"tx": signed, "mode": "sync"})
            assert answer.status_code == 200, answer.text
            step = {"pause": True, "step": blocks}
            (await http.post(f"{control_url}/simnet/clock", json=step)).raise_for_status()
            after.append((await http.get(f"{control_url}/simnet/export")).json())
    first, second = after
    assert module_state(first) == module_state(second)
    modules = first["chains"]["alpha"]["modules"]
    assert modules["staking"]["unbonding"] == [] and len(modules["staking"]["matured"]) == 1
    assert [t["status"] for t in modules["bridge"]["transfers"]] == ["completed", "completed"]
    assert modules["gov"]["proposals"][0]["status"] != "voting_period"
    verdicts = control.get("/simnet/invariants", params={"full": "1"}).json()
    assert [v for v in verdicts if not v["ok"]] == []
