"""The HTTP chain clients over a scripted node (`botruntime.chain.testing`): the edge's
mapping, retries of the same signed tx, models, signing, and whose client id each request
carries. (Socket behaviour lives in test_transport.py.)"""

from random import Random
from typing import Any

import orjson
import pytest

from botruntime.chain.alpha import HttpAlphaClient
from botruntime.chain.delta import HttpDeltaClient
from botruntime.chain.errors import (
    BadNonce,
    DuplicateTx,
    NotCommitted,
    ProtocolViolation,
    Unreachable,
)
from botruntime.chain.retry import Attempt, RetryPolicy
from botruntime.chain.testing import (
    Handler,
    MockTransport,
    Request,
    answer,
    error_answer,
    replies,
)
from botruntime.chain.transport import Answer, TransportConfig
from botruntime.chain.tx import decode_tx, verify_tx
from botruntime.identity import Identity, WrongHrp

pytestmark = pytest.mark.anyio

ALICE = Identity.derive("unit", 0)
BOB = Identity.derive("unit", 1)

FAST_RETRY = RetryPolicy(max_attempts=4, base_s=0.0, cap_s=0.0, max_elapsed_s=5)


def alpha(handler: Handler, **kw: object) -> tuple[HttpAlphaClient, MockTransport]:
    transport = MockTransport(handler)
    client = HttpAlphaClient(
        transport=transport,
        chain_id="alpha-simnet-1",
        retry_policy=FAST_RETRY,
        rng=Random(1),
        **kw,  # type: ignore[arg-type]
    )
    return client, transport


def submitted(hash_: str) -> Answer:
    return answer({"hash": hash_, "code": "ok", "status": "pending"}, height=12)


def echo_hash(request: Request) -> Answer:
    """A node that accepts any tx: its hash, recomputed from the signed body."""
    assert request.body is not None
    return submitted(decode_tx(orjson.loads(request.body)["tx"]).hash)


def sent_tx(request: Request) -> Any:
    """The JSON body a POST /txs carried: {"tx": ..., "mode": ...}."""
    assert request.body is not None
    return orjson.loads(request.body)


async def test_account_parses_amounts_and_passes_min_height() -> None:
    wire = {
        "address": ALICE.alpha_address,
        "nonce": 3,
        "pubkey": None,
        "balances": {"AX": "1000000", "sAX": "5"},
    }
    client, transport = alpha(replies(answer(wire, height=33)))
    account = await client.account(ALICE.alpha_address, min_height=30)
    assert account.nonce == 3 and account.pubkey is None
    assert account.balances == {"AX": 1_000_000, "sAX": 5}
    assert account.balance("DX") == 0
    (request,) = transport.requests
    assert (request.method, request.path, request.body, request.min_height) == (
        "GET",
        f"/accounts/{ALICE.alpha_address}",
        None,
        30,
    )
    assert client.seen_height == 33


async def test_an_address_of_the_other_chain_is_refused_before_any_request() -> None:
    client, transport = alpha(replies())
    with pytest.raises(WrongHrp):
        await client.account(ALICE.delta_address)
    assert transport.requests == []


async def test_send_signs_a_valid_bank_send_and_parses_the_result() -> None:
    client, transport = alpha(echo_hash)
    result = await client.send(ALICE, to=BOB.alpha_address, amount=10**6, nonce=4, fee=2000)
    request = transport.requests[0]
    assert (request.method, request.path) == ("POST", "/txs")
    sent = orjson.loads(request.body or b"")
    assert sent["mode"] == "sync"
    tx = decode_tx(sent["tx"], hrp="ax")
    verify_tx(tx, "ax")
    assert tx.body.chain_id == "alpha-simnet-1" and tx.body.nonce == 4 and tx.body.fee == 2000
    assert tx.body.msgs[0] == {
        "type": "bank.send",
        "to": BOB.alpha_address,
        "denom": "AX",
        "amount": "1000000",
    }
    assert (result.hash, result.code, result.status, result.height) == (
        tx.hash,
        "ok",
        "pending",
        None,
    )


async def test_the_chain_id_is_read_from_status_once_when_not_given() -> None:
    status = answer(
        {
            "chain_id": "alpha-simnet-9",
            "node_id": "alpha-0",
            "height": 5,
            "time": "2025-01-01T00:00:00Z",
            "catching_up": False,
            "block_time_ms": 1000,
        }
    )
    transport = MockTransport(replies(status, submitted("A"), submitted("B")))
    client = HttpAlphaClient(transport=transport, retry_policy=FAST_RETRY)
    with pytest.raises(RuntimeError, match="resolve_chain_id"):
        client.sign_send(ALICE, to=BOB.alpha_address, amount=1, nonce=0, fee=1)
    for nonce in (0, 1):
        await client.send(ALICE, to=BOB.alpha_address, amount=1, nonce=nonce, fee=1)
    assert [r.path for r in transport.requests] == ["/status", "/txs", "/txs"]
    assert sent_tx(transport.requests[1])["tx"]["body"]["chain_id"] == "alpha-simnet-9"


async def test_a_lost_answer_is_retried_with_the_same_signed_tx() -> None:
    attempts: list[Attempt] = []
    client, transport = alpha(
        replies(
            error_answer(503, "unavailable", retry_after="0"), Unreachable("reset"), submitted("H")
        ),
        on_attempt=attempts.append,
    )
    tx = client.sign_send(ALICE, to=BOB.alpha_address, amount=5, nonce=0, fee=10)
    result = await client.broadcast(tx)
    assert result.hash == "H"
    bodies = [r.body for r in transport.requests]
    assert len(bodies) == 3 and len(set(bodies)) == 1  # the same bytes, never re-signed
    assert [(a.operation, a.number, a.error is None) for a in attempts] == [
        ("broadcast", 1, False),
        ("broadcast", 2, False),
        ("broadcast", 3, True),
    ]


async def test_duplicate_after_a_lost_answer_means_the_tx_landed() -> None:
    client, _ = alpha(replies(Unreachable("timeout"), error_answer(409, "duplicate_tx")))
    tx = client.sign_send(ALICE, to=BOB.alpha_address, amount=5, nonce=0, fee=10)
    result = await client.broadcast(tx)
    assert (result.hash, result.code, result.status) == (tx.hash, "duplicate_tx", "pending")


async def test_a_plain_replay_raises_duplicate_tx() -> None:
    client, transport = alpha(replies(error_answer(409, "duplicate_tx")))
    tx = client.sign_send(ALICE, to=BOB.alpha_address, amount=5, nonce=0, fee=10)
    with pytest.raises(DuplicateTx):
        await client.broadcast(tx)
    assert len(transport.requests) == 1


async def test_bad_nonce_is_raised_at_once_with_the_expected_nonce() -> None:
    client, transport = alpha(replies(error_answer(400, "bad_nonce", {"expected": 9})))
    with pytest.raises(BadNonce) as caught:
        await client.send(ALICE, to=BOB.alpha_address, amount=5, nonce=2, fee=10)
    assert caught.value.expected == 9
    assert len(transport.requests) == 1


@pytest.mark.parametrize(
    "reply",
    [
        Answer(200, {}, b"<html>"),
        Answer(500, {}, b'{"code":"malformed","message":"boom"}'),
        answer({"hash": "H", "code": "ok", "status": "landed"}),
    ],
    ids=["not-json", "500", "bad-status"],
)
async def test_answers_outside_the_protocol_raise_violation_unretried(reply: Answer) -> None:
    client, transport = alpha(lambda r: reply)
    tx = client.sign_send(ALICE, to=BOB.alpha_address, amount=5, nonce=0, fee=10)
    with pytest.raises(ProtocolViolation):
        await client.broadcast(tx)
    assert len(transport.requests) == 1


async def test_faucet_is_never_retried() -> None:
    client, transport = alpha(replies(error_answer(503, "unavailable"), answer({"hash": "F"})))
    with pytest.raises(Unreachable):
        await client.faucet(ALICE.alpha_address, 10**6)
    assert len(transport.requests) == 1
    assert transport.requests[0].json() == {
        "address": ALICE.alpha_address,
        "denom": "AX",
        "amount": "1000000",
    }


async def test_wait_for_tx_polls_until_committed() -> None:
    states = [
        answer({"hash": "H", "status": "unknown"}),
        answer({"hash": "H", "status": "pending"}),
        answer({"hash": "H", "status": "committed", "height": 7, "code": "ok"}),
    ]
    client, transport = alpha(replies(*states))
    status = await client.wait_for_tx("H", timeout_s=5, poll_s=0.001)
    assert (status.status, status.height, status.final) == ("committed", 7, True)
    assert [r.path for r in transport.requests] == ["/txs/H"] * 3


async def test_wait_for_tx_gives_up_at_its_deadline() -> None:
    client, _ = alpha(lambda r: answer({"hash": "H", "status": "pending"}))
    with pytest.raises(NotCommitted) as caught:
        await client.wait_for_tx("H", timeout_s=0.05, poll_s=0.01)
    assert caught.value.last == "pending" and caught.value.tx_hash == "H"


async def test_blocks_and_mempool_stats_become_models() -> None:
    block = {"height": 4, "time": "t", "hash": "B4", "prev_hash": "B3", "txs": ["H1", "H2"]}
    client, _ = alpha(
        replies(
            answer(block),
            answer(block),
            answer({"txs": [{"hash": "H1"}]}),
            answer({"pending": 3, "queued_future": 1, "policy": "redacted"}),
        )
    )
    latest = await client.latest_block()
    assert latest == await client.block(4)
    assert latest.txs == ("H1", "H2")
    assert await client.block_txs(4) == [{"hash": "H1"}]
    stats = await client.mempool_stats()
    assert stats["pending"] == 3 and dict(stats.counts) == {"pending": 3, "queued_future": 1}


async def test_delta_speaks_dx_and_pays_in_dx() -> None:
    transport = MockTransport(lambda r: submitted("D"))
    client = HttpDeltaClient(transport=transport, chain_id="delta-simnet-1")
    await client.send(ALICE, to=BOB.delta_address, amount=3, nonce=0, fee=1)
    tx = decode_tx(sent_tx(transport.requests[0])["tx"], hrp="dx")
    assert tx.body.sender == ALICE.delta_address
    assert tx.body.msgs[0]["denom"] == "DX"


async def test_a_borrowed_transport_is_left_open_an_owned_one_closed() -> None:
    client, transport = alpha(replies())
    async with client:
        pass
    assert not transport.closed
    owned = HttpAlphaClient("http://127.0.0.1:1")
    await owned.close()
    with pytest.raises(RuntimeError, match="closed"):
        await owned.transport.request("GET", "/status")


def test_exactly_one_of_base_url_and_transport() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        HttpAlphaClient()


async def test_commit_mode_can_wait_longer_than_the_transport_default() -> None:
    committed = answer({"hash": "C", "code": "ok", "status": "committed", "height": 9})
    client, transport = alpha(replies(committed))
    tx = client.sign_send(ALICE, to=BOB.alpha_address, amount=5, nonce=0, fee=10)
    result = await client.broadcast(tx, "commit", timeout_s=45.0)
    assert (result.status, result.height) == ("committed", 9)
    assert sent_tx(transport.requests[0])["mode"] == "commit"
    assert [r.timeout_s for r in transport.requests] == [45.0]


STATUS = {
    "chain_id": "alpha-simnet-3",
    "node_id": "alpha-0",
    "height": 5,
    "time": "2025-01-01T00:00:00Z",
    "catching_up": False,
    "block_time_ms": 1000,
}


def node(request: Request) -> Answer:
    """Accepts any tx, answers /status and /health."""
    if request.method == "POST":
        return echo_hash(request)
    return answer(STATUS if request.path == "/status" else {"ok": True}, height=20)


async def test_each_bot_is_its_own_client_over_the_nodes_one_transport() -> None:
    transport = MockTransport(node, TransportConfig("http://mock", client_id="worker-1"))
    shared = HttpAlphaClient(transport=transport)
    alice, bob = shared.for_client("run-bot0"), shared.for_client("run-bot1")
    assert await alice.resolve_chain_id() == "alpha-simnet-3"
    await alice.send(ALICE, to=BOB.alpha_address, amount=1, nonce=0, fee=1)
    await bob.send(BOB, to=ALICE.alpha_address, amount=1, nonce=0, fee=1)
    await shared.health()
    assert [(r.path, r.client_id) for r in transport.requests] == [
        ("/status", "run-bot0"),
        ("/txs", "run-bot0"),
        ("/txs", "run-bot1"),  # bob signs with the chain id alice's view learnt
        ("/health", "worker-1"),
    ]
    assert (alice.client_id, bob.client_id, shared.client_id) == (
        "run-bot0",
        "run-bot1",
        "worker-1",
    )
    assert alice.transport is bob.transport is transport
    assert shared.seen_height == bob.seen_height == 20  # what one view hears, all know


async def test_a_view_never_closes_the_pool_and_refuses_a_header_breaking_id() -> None:
    owner = HttpAlphaClient("http://127.0.0.1:1", client_id="worker-1", chain_id="a-1")
    view = owner.for_client("run-bot7")
    await view.close()
    with pytest.raises(Unreachable):  # the pool is open: port 1 just refuses the connection
        await owner.transport.request("GET", "/status", timeout_s=1.0)
    await owner.close()
    with pytest.raises(RuntimeError, match="closed"):
        await view.transport.request("GET", "/status")
    for bad in ("", "bot\r\nX-Evil: 1"):
        with pytest.raises(ValueError, match="printable ASCII"):
            owner.for_client(bad)
