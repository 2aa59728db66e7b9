"""Every Alpha and bridge message type as a signed tx over HTTP against a real simnet process,
the module reads, `adnet validators`, and the invariants afterwards."""

from __future__ import annotations

import copy
from typing import Any

import anyio
import httpx
import pytest

from botruntime.chain.tx import JsonValue, Msg, TxBody, bank_send, sign_tx
from botruntime.identity import Identity
from simnet.adnet import main as adnet

pytestmark = pytest.mark.anyio

FEE = 8_000
AMOUNT = 4 * 10**6


class Signer:
    """One identity's txs on one chain, nonces counted locally."""

    def __init__(self, who: Identity, chain_id: str) -> None:
        self.who = who
        self.chain_id = chain_id
        self.nonce = 0

    def tx(self, msg: Msg) -> dict[str, Any]:
        hrp = "ax" if self.chain_id.startswith("alpha") else "dx"
        body = TxBody(self.chain_id, self.who.address(hrp), self.nonce, FEE, (msg,), "tb:it:0:1")
        self.nonce += 1
        return copy.deepcopy(sign_tx(self.who, body).to_wire())


async def commit(node: httpx.AsyncClient, signer: Signer, msg: Msg) -> dict[str, Any]:
    answer = await node.post("/txs", json={"tx": signer.tx(msg), "mode": "commit"})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    assert body["status"] == "committed", body
    return body


async def refused(node: httpx.AsyncClient, signer: Signer, msg: Msg) -> str:
    answer = await node.post("/txs", json={"tx": signer.tx(msg), "mode": "sync"})
    assert answer.status_code >= 400, answer.text
    signer.nonce -= 1  # a refused tx used no nonce
    return str(answer.json()["code"])


async def test_staking_distribution_and_validator_messages(simnet: Any) -> None:
    (alice,) = simnet.genesis_identities(1)
    me = Signer(alice, simnet.alpha_chain_id)
    operator = Signer(Identity.derive(f"simnet/{simnet.seed}/validators", 0), me.chain_id)
    async with httpx.AsyncClient(base_url=simnet.alpha_url(0), timeout=30) as node:
        validators = (await node.get("/validators")).json()["validators"]
        a, b = validators[0]["operator"], validators[1]["operator"]
        await commit(node, me, {"type": "staking.delegate", "validator": a, "amount": str(AMOUNT)})
        msg: Msg = {
            "type": "staking.redelegate",
            "src_validator": a,
            "dst_validator": b,
            "amount": str(AMOUNT // 2),
        }
        await commit(node, me, msg)
        transitive = {**msg, "src_validator": b, "dst_validator": a}
        assert await refused(node, me, transitive) == "height_not_reached"
        rewards = (await node.get(f"/delegators/{alice.alpha_address}/rewards")).json()
        await commit(node, me, {"type": "distribution.withdraw_rewards", "validator": a})
        undelegate = {"type": "staking.undelegate", "validator": a, "amount": str(AMOUNT // 2)}
        await commit(node, me, undelegate)
        unbonding = (await node.get(f"/delegators/{alice.alpha_address}/unbonding")).json()
        pool = (await node.get("/staking/pool")).json()
        params = (await node.get("/staking/params")).json()
        current = (await node.get(f"/validators/{operator.who.alpha_address}")).json()
        rate = current["commission_ppm"] + 1_000
        await commit(node, operator, {"type": "validator.edit", "commission_ppm": rate})
        await commit(node, operator, {"type": "distribution.withdraw_commission"})
        edited = (await node.get(f"/validators/{operator.who.alpha_address}")).json()
        account = (await node.get(f"/accounts/{alice.alpha_address}")).json()
    (entry,) = unbonding["unbonding"]
    assert entry["completion_height"] - entry["creation_height"] == params["unbonding_blocks"]
    assert int(rewards["total"]) >= 0 and int(pool["not_bonded_tokens"]) == AMOUNT // 2
    assert account["balances"]["sAX"] == str(AMOUNT // 2)
    assert edited["commission_ppm"] == rate
    verdicts = simnet.control("GET", "/simnet/invariants?full=1")
    assert [v for v in verdicts if not v["ok"]] == []


async def test_governance_messages_and_reads(simnet: Any) -> None:
    alice, bob = simnet.genesis_identities(2)
    me, other = Signer(alice, simnet.alpha_chain_id), Signer(bob, simnet.alpha_chain_id)
    async with httpx.AsyncClient(base_url=simnet.alpha_url(1), timeout=30) as node:
        gov = (await node.get("/gov/params")).json()
        least = int(gov["min_initial_deposit"])
        proposal: Msg = {
            "type": "gov.submit_proposal",
            "title": "text",
            "param": "",
            "value": "",
            "deposit": str(least - 1),
        }
        assert await refused(node, me, proposal) == "invalid_amount"
        await commit(node, me, {**proposal, "deposit": str(least)})
        top_up = int(gov["min_deposit"]) - least
        await commit(node, other, {"type": "gov.deposit", "proposal_id": 1, "amount": str(top_up)})
        await commit(node, me, {"type": "gov.vote", "proposal_id": 1, "option": "yes"})
        split = "no:400000,yes:600000"
        await commit(node, other, {"type": "gov.vote", "proposal_id": 1, "option": split})
        shown = (await node.get("/gov/proposals/1")).json()
        votes = (await node.get("/gov/proposals/1/votes")).json()["votes"]
        tally = (await node.get("/gov/proposals/1/tally")).json()
    assert shown["status"] == "voting_period"
    assert shown["voting_end"] - shown["voting_start"] == gov["voting_blocks"]
    assert {v["voter"] for v in votes} == {alice.alpha_address, bob.alpha_address}
    assert tally["final"] is False


async def test_bridge_roundtrip_and_a_replayed_claim(simnet: Any) -> None:
    (alice,) = simnet.genesis_identities(1)
    on_alpha = Signer(alice, simnet.alpha_chain_id)
    on_delta = Signer(alice, simnet.delta_chain_id)
    async with (
        httpx.AsyncClient(base_url=simnet.alpha_url(0), timeout=30) as alpha,
        httpx.AsyncClient(base_url=simnet.delta_url(0), timeout=30) as delta,
    ):
        lock: Msg = {
            "type": "bridge.lock",
            "to": alice.delta_address,
            "amount": str(AMOUNT),
            "withhold": False,
        }
        await commit(alpha, on_alpha, lock)
        transfer = await _until_completed(delta, "ax-1")
        claim: dict[str, JsonValue] = {
            "type": "bridge.claim",
            "transfer_id": "ax-1",
            "recipient": alice.delta_address,
            "amount": str(AMOUNT),
            "attestation": transfer["attestation"],
        }
        assert await refused(delta, on_delta, claim) == "already_claimed"
        burn: Msg = {
            "type": "bridge.burn",
            "to": alice.alpha_address,
            "amount": str(AMOUNT),
            "withhold": False,
        }
        await commit(delta, on_delta, burn)
        await _until_completed(alpha, "dx-2")
        escrow = (await alpha.get("/bridge/escrow")).json()
        supply = (await delta.get("/supply/bAX")).json()
    assert escrow["escrow"] == "0" and supply["amount"] == "0"
    verdicts = simnet.control("GET", "/simnet/invariants/bridge/once")
    assert verdicts and all(v["ok"] for v in verdicts)


async def _until_completed(node: httpx.AsyncClient, tid: str) -> dict[str, Any]:
    for _ in range(100):
        transfer: dict[str, Any] = (await node.get(f"/bridge/transfers/{tid}")).json()
        if transfer.get("status") == "completed":
            return transfer
        await anyio.sleep(0.1)
    raise AssertionError(f"transfer {tid} did not complete: {transfer}")


async def test_campaign_reads_and_adnet_validators(
    simnet: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    (alice,) = simnet.genesis_identities(1)
    me = Signer(alice, simnet.alpha_chain_id)
    async with httpx.AsyncClient(base_url=simnet.alpha_url(0), timeout=30) as node:
        await commit(node, me, bank_send(alice.alpha_address, 10**6))
        campaign = (await node.get("/campaign")).json()
        eligibility = (await node.get(f"/campaign/eligibility/{alice.alpha_address}")).json()
    assert campaign["remaining"] == campaign["budget"]
    assert eligibility["txs"] == 1 and eligibility["eligible"] is False
    code = adnet(["--url", simnet.control_url, "validators", "--json"])
    shown = capsys.readouterr().out
    assert code == 0 and shown.count('"operator"') == 4
