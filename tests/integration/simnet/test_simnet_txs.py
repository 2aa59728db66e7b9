"""Signed transactions against a real simnet process: commits, every refusal code, replays."""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx
import pytest

from botruntime.chain.tx import TxBody, bank_send, canonical_json, sign_tx
from botruntime.identity import Identity

pytestmark = pytest.mark.anyio

FEE = 5_000
AMOUNT = 10**6


def signed(
    who: Identity,
    nonce: int,
    to: str,
    *,
    chain_id: str = "alpha-simnet-1",
    amount: int = AMOUNT,
    denom: str = "AX",
    fee: int = FEE,
    memo: str = "tb:it:0:1",
    timeout_height: int = 0,
    client_tx_id: str | None = None,
) -> dict[str, Any]:
    sender = who.alpha_address if chain_id.startswith("alpha") else who.delta_address
    body = TxBody(
        chain_id,
        sender,
        nonce,
        fee,
        (bank_send(to, amount, denom),),
        memo,
        timeout_height,
        client_tx_id,
    )
    return copy.deepcopy(sign_tx(who, body).to_wire())


def resigned(who: Identity, wire: dict[str, Any]) -> dict[str, Any]:
    """The same wire tx with its (edited) body signed again: only the edit is wrong."""
    wire["signature"] = __import__("base64").b64encode(who.sign(canonical_json(wire["body"])))
    wire["signature"] = wire["signature"].decode()
    return wire


async def post_tx(client: httpx.AsyncClient, tx: Any, mode: str = "sync") -> httpx.Response:
    return await client.post("/txs", json={"tx": tx, "mode": mode})


async def test_a_signed_transfer_commits_and_moves_funds(simnet: Any) -> None:
    alice, bob = simnet.genesis_identities(2)
    async with httpx.AsyncClient(base_url=simnet.alpha_url(1), timeout=10) as node:
        answer = await post_tx(node, signed(alice, 0, bob.alpha_address), mode="commit")
        assert answer.status_code == 200, answer.text
        result = answer.json()
        assert result["code"] == "ok" and result["status"] == "committed"
        height = result["height"]
        bob_now = (await node.get(f"/accounts/{bob.alpha_address}")).json()
        alice_now = await node.get(f"/accounts/{alice.alpha_address}")
        block = (await node.get(f"/blocks/{height}")).json()
        status = (await node.get(f"/txs/{result['hash']}")).json()
    assert int(alice_now.headers["x-height"]) >= height
    assert bob_now["balances"]["AX"] == str(10**12 + AMOUNT)
    assert alice_now.json()["nonce"] == 1
    assert alice_now.json()["balances"]["AX"] == str(10**12 - AMOUNT - FEE)
    assert result["hash"] in block["txs"]
    assert status == {"hash": result["hash"], "status": "committed", "height": height}
    verdicts = simnet.control("GET", "/simnet/invariants?full=1")
    assert [v for v in verdicts if not v["ok"]] == []


def _cases(simnet: Any, alice: Identity, bob: Identity) -> dict[str, Any]:
    """code -> (url path, request json or raw bytes, headers): each crafted to get that code."""
    to = bob.alpha_address
    extra_field = signed(alice, 0, to)
    extra_field["body"]["gas"] = 1
    bad_amount = signed(alice, 0, to)
    bad_amount["body"]["msgs"][0]["amount"] = "0100"
    bad_address = signed(alice, 0, to)
    bad_address["body"]["msgs"][0]["to"] = to[:-1] + ("q" if to[-1] != "q" else "p")
    forged = signed(alice, 0, to)
    forged["body"]["msgs"][0]["amount"] = str(AMOUNT + 1)
    return {
        "malformed": b"{not json",
        "unknown_field": {"tx": extra_field},
        "invalid_amount": {"tx": bad_amount},
        "invalid_address": {"tx": bad_address},
        "unknown_denom": {"tx": signed(alice, 0, to, denom="DX")},
        "wrong_chain": {
            "tx": signed(alice, 0, bob.delta_address, chain_id="delta-simnet-1", denom="DX")
        },
        "bad_signature": {"tx": forged},
        "bad_nonce": {"tx": signed(alice, 17, to)},
        "insufficient_funds": {"tx": signed(alice, 0, to, amount=10**13)},
        "insufficient_fee": {"tx": signed(alice, 0, to, fee=10)},
        "tx_too_large": {"tx": signed(alice, 0, to, memo="x" * 300)},
        "below_dust_limit": {"tx": signed(alice, 0, to, amount=999)},
        "deadline_exceeded": {"tx": signed(alice, 0, to, timeout_height=1)},
    }


async def test_every_refusal_has_its_code_and_a_valid_tx_has_none(simnet: Any) -> None:
    alice, bob = simnet.genesis_identities(2)
    simnet.step(2)  # height 2: timeout_height 1 has passed
    cases = _cases(simnet, alice, bob)
    async with httpx.AsyncClient(base_url=simnet.alpha_url(0), timeout=10) as node:
        # simulate says what submit would (asked first: it admits nothing)
        for path in ("/txs/simulate", "/txs"):
            for code, request in cases.items():
                if isinstance(request, bytes):
                    answer = await node.post(path, content=request)
                else:
                    answer = await node.post(path, json=request)
                body = answer.json()
                assert (code, set(body)) == (code, {"code", "codespace", "message", "details"})
                assert body["code"] == code, (path, code, body)
                assert 400 <= answer.status_code < 500
        valid = await post_tx(node, signed(alice, 0, bob.alpha_address))
        assert valid.status_code == 200 and valid.json()["status"] == "pending"
    assert simnet.control("GET", "/simnet/invariants")[0]["ok"]


async def test_replays_and_reencodings_never_commit_twice(simnet: Any) -> None:
    alice, bob = simnet.genesis_identities(2)
    tx = signed(alice, 0, bob.alpha_address)
    async with (
        httpx.AsyncClient(base_url=simnet.alpha_url(0), timeout=10) as a0,
        httpx.AsyncClient(base_url=simnet.alpha_url(2), timeout=10) as a2,
        httpx.AsyncClient(base_url=simnet.delta_url(0), timeout=10) as d0,
    ):
        first = await post_tx(a0, tx, mode="commit")
        assert first.json()["status"] == "committed"
        reordered = json.dumps({"mode": "sync", "tx": dict(reversed(list(tx.items())))}, indent=2)
        answers = {
            "same bytes, same node": await post_tx(a0, tx),
            "same bytes, other node": await post_tx(a2, tx),
            "keys reordered, spaces": await a0.post("/txs", content=reordered),
            "to delta": await post_tx(d0, tx),
        }
        balance = (await a0.get(f"/accounts/{bob.alpha_address}")).json()["balances"]["AX"]
    codes = {what: answer.json()["code"] for what, answer in answers.items()}
    assert codes == {
        "same bytes, same node": "duplicate_tx",
        "same bytes, other node": "duplicate_tx",
        "keys reordered, spaces": "duplicate_tx",
        "to delta": "wrong_chain",
    }
    assert balance == str(10**12 + AMOUNT)


async def test_future_nonces_queue_then_commit_when_the_gap_fills(simnet: Any) -> None:
    alice, bob = simnet.genesis_identities(2)
    simnet.step(1)
    async with httpx.AsyncClient(base_url=simnet.alpha_url(0), timeout=10) as node:
        later = await post_tx(node, signed(alice, 1, bob.alpha_address))
        assert later.json()["status"] == "queued_future"
        simnet.step(1)
        queued = (await node.get(f"/txs/{later.json()['hash']}")).json()
        assert queued["status"] == "queued_future"
        gap = await post_tx(node, signed(alice, 0, bob.alpha_address))
        assert gap.json()["status"] == "pending"
        simnet.step(1)
        after = (await node.get(f"/txs/{later.json()['hash']}")).json()
        account = (await node.get(f"/accounts/{alice.alpha_address}")).json()
    assert after["status"] == "committed"
    assert account["nonce"] == 2


async def test_a_future_nonce_expires_after_the_ttl(simnet: Any) -> None:
    alice, bob = simnet.genesis_identities(2)
    simnet.step(1)
    async with httpx.AsyncClient(base_url=simnet.alpha_url(0), timeout=10) as node:
        queued = await post_tx(node, signed(alice, 3, bob.alpha_address))
        tx_hash = queued.json()["hash"]
        simnet.step(20)
        still = (await node.get(f"/txs/{tx_hash}")).json()["status"]
        simnet.step(2)
        gone = (await node.get(f"/txs/{tx_hash}")).json()
    assert still == "queued_future"
    assert gone == {"hash": tx_hash, "status": "failed", "code": "deadline_exceeded"}


async def test_codes_beyond_the_tx_itself(simnet: Any) -> None:
    alice, bob = simnet.genesis_identities(2)
    simnet.step(0)  # the clock stops: no block takes the sender's pending txs away
    to = bob.alpha_address
    codes: dict[str, tuple[int, str]] = {}
    async with httpx.AsyncClient(base_url=simnet.alpha_url(0), timeout=10) as node:

        def note(what: str, answer: httpx.Response) -> None:
            codes[what] = (answer.status_code, answer.json()["code"])

        await post_tx(node, signed(alice, 0, to, client_tx_id="pay-1"))
        note("duplicate_client_id", await post_tx(node, signed(alice, 1, to, client_tx_id="pay-1")))
        for nonce in range(1, 32):
            await post_tx(node, signed(alice, nonce, to))
        note("sender_quota", await post_tx(node, signed(alice, 32, to)))
        note("tx_too_large", await node.post("/txs", content=b" " * (1024 * 1024 + 1)))
        note("height_not_reached", await node.get("/status", headers={"X-Min-Height": "999999"}))
        note("not_found", await node.get("/blocks/999999"))
        drawn = {"address": to, "denom": "AX", "amount": str(100 * 10**6)}
        assert (await node.post("/faucet", json=drawn)).status_code == 200
        note("quota_exceeded", await node.post("/faucet", json=drawn))
        served = 0
        limited = await node.get("/health", headers={"X-Client-Id": "poller"})
        while limited.status_code == 200 and served < 1_000:
            served += 1
            limited = await node.get("/health", headers={"X-Client-Id": "poller"})
        note("rate_limited", limited)
        other_client = await node.get("/health", headers={"X-Client-Id": "calm"})
        simnet.control("POST", "/simnet/faults", {"node": "v1", "chain": "alpha", "status": 503})
        unavailable = await node.get("/status")
        note("unavailable", unavailable)
    assert codes == {
        "duplicate_client_id": (409, "duplicate_client_id"),
        "sender_quota": (429, "sender_quota"),
        "tx_too_large": (413, "tx_too_large"),
        "height_not_reached": (409, "height_not_reached"),
        "not_found": (404, "not_found"),
        "quota_exceeded": (429, "quota_exceeded"),
        "rate_limited": (429, "rate_limited"),
        "unavailable": (503, "unavailable"),
    }
    assert float(limited.headers["retry-after"]) >= 1
    assert float(unavailable.headers["retry-after"]) >= 1
    assert other_client.status_code == 200
    assert 100 <= served < 1_000  # the burst, then refills at 50/s
