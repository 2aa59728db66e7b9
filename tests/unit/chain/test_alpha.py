"""The HTTP chain clients over a scripted fake transport: the edge's mapping, retries of the
same signed tx, models, signing. (Socket behaviour lives in test_transport.py.)"""

from collections.abc import Callable, Mapping
from random import Random
from types import TracebackType
from typing import Self

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
from botruntime.chain.transport import Answer, Method, TransportConfig
from botruntime.chain.tx import decode_tx, verify_tx
from botruntime.identity import Identity, WrongHrp

pytestmark = pytest.mark.anyio

ALICE = Identity.derive("unit", 0)
BOB = Identity.derive("unit", 1)
Reply = Answer | Exception
Handler = Callable[[Method, str, bytes | None], Reply]


def ok(payload: object, height: int = 10, status: int = 200) -> Answer:
    return Answer(status, {"X-Height": str(height)}, orjson.dumps(payload))


def err(status: int, code: str, details: object = None, retry_after: str | None = None) -> Answer:
    headers = {"X-Height": "10"} | ({"Retry-After": retry_after} if retry_after else {})
    payload = {"code": code, "codespace": "", "message": code, "details": details or {}}
    return Answer(status, headers, orjson.dumps(payload))


class FakeTransport:
    """Answers from a handler; records every request as (method, path, body, min_height)."""

    def __init__(self, handler: Handler) -> None:
        self.config = TransportConfig("http://fake")
        self.handler = handler
        self.sent: list[tuple[str, str, bytes | None, int | None]] = []
        self.timeouts: list[float | None] = []
        self.closed = False

    async def request(
        self,
        method: Method,
        path: str,
        *,
        json: object = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        min_height: int | None = None,
        timeout_s: float | None = None,
    ) -> Answer:
        body = content if content is not None else None if json is None else orjson.dumps(json)
        self.sent.append((method, path, body, min_height))
        self.timeouts.append(timeout_s)
        reply = self.handler(method, path, body)
        if isinstance(reply, Exception):
            raise reply
        return reply

    async def close(self) -> None:
        self.closed = True

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


def sequence(*replies: Reply) -> Handler:
    queue = list(replies)
    return lambda method, path, body: queue.pop(0)


FAST_RETRY = RetryPolicy(max_attempts=4, base_s=0.0, cap_s=0.0, max_elapsed_s=5)


def alpha(handler: Handler, **kw: object) -> tuple[HttpAlphaClient, FakeTransport]:
    transport = FakeTransport(handler)
    client = HttpAlphaClient(
        transport=transport,
        chain_id="alpha-simnet-1",
        retry_policy=FAST_RETRY,
        rng=Random(1),
        **kw,  # type: ignore[arg-type]
    )
    return client, transport


def submitted(hash_: str) -> Answer:
    return ok({"hash": hash_, "code": "ok", "status": "pending"}, height=12)


async def test_account_parses_amounts_and_passes_min_height() -> None:
    wire = {
        "address": ALICE.alpha_address,
        "nonce": 3,
        "pubkey": None,
        "balances": {"AX": "1000000", "sAX": "5"},
    }
    client, transport = alpha(sequence(ok(wire, height=33)))
    account = await client.account(ALICE.alpha_address, min_height=30)
    assert account.nonce == 3 and account.pubkey is None
    assert account.balances == {"AX": 1_000_000, "sAX": 5}
    assert account.balance("DX") == 0
    assert transport.sent == [("GET", f"/accounts/{ALICE.alpha_address}", None, 30)]
    assert client.seen_height == 33


async def test_an_address_of_the_other_chain_is_refused_before_any_request() -> None:
    client, transport = alpha(sequence())
    with pytest.raises(WrongHrp):
        await client.account(ALICE.delta_address)
    assert transport.sent == []


async def test_send_signs_a_valid_bank_send_and_parses_the_result() -> None:
    client, transport = alpha(lambda m, p, b: submitted(decode_tx(orjson.loads(b)["tx"]).hash))
    result = await client.send(ALICE, to=BOB.alpha_address, amount=10**6, nonce=4, fee=2000)
    method, path, body, _ = transport.sent[0]
    assert (method, path) == ("POST", "/txs")
    sent = orjson.loads(body)
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
    status = ok(
        {
            "chain_id": "alpha-simnet-9",
            "node_id": "alpha-0",
            "height": 5,
            "time": "2025-01-01T00:00:00Z",
            "catching_up": False,
            "block_time_ms": 1000,
        }
    )
    replies = [status, submitted("A"), submitted("B")]
    transport = FakeTransport(lambda m, p, b: replies.pop(0))
    client = HttpAlphaClient(transport=transport, retry_policy=FAST_RETRY)
    with pytest.raises(RuntimeError, match="resolve_chain_id"):
        client.sign_send(ALICE, to=BOB.alpha_address, amount=1, nonce=0, fee=1)
    for nonce in (0, 1):
        await client.send(ALICE, to=BOB.alpha_address, amount=1, nonce=nonce, fee=1)
    assert [p for _, p, _, _ in transport.sent] == ["/status", "/txs", "/txs"]
    assert orjson.loads(transport.sent[1][2] or b"")["tx"]["body"]["chain_id"] == "alpha-simnet-9"


async def test_a_lost_answer_is_retried_with_the_same_signed_tx() -> None:
    attempts: list[Attempt] = []
    client, transport = alpha(
        sequence(err(503, "unavailable", retry_after="0"), Unreachable("reset"), submitted("H")),
        on_attempt=attempts.append,
    )
    tx = client.sign_send(ALICE, to=BOB.alpha_address, amount=5, nonce=0, fee=10)
    result = await client.broadcast(tx)
    assert result.hash == "H"
    bodies = [body for _, _, body, _ in transport.sent]
    assert len(bodies) == 3 and len(set(bodies)) == 1  # the same bytes, never re-signed
    assert [(a.operation, a.number, a.error is None) for a in attempts] == [
        ("broadcast", 1, False),
        ("broadcast", 2, False),
        ("broadcast", 3, True),
    ]


async def test_duplicate_after_a_lost_answer_means_the_tx_landed() -> None:
    client, _ = alpha(sequence(Unreachable("timeout"), err(409, "duplicate_tx")))
    tx = client.sign_send(ALICE, to=BOB.alpha_address, amount=5, nonce=0, fee=10)
    result = await client.broadcast(tx)
    assert (result.hash, result.code, result.status) == (tx.hash, "duplicate_tx", "pending")


async def test_a_plain_replay_raises_duplicate_tx() -> None:
    client, transport = alpha(sequence(err(409, "duplicate_tx")))
    tx = client.sign_send(ALICE, to=BOB.alpha_address, amount=5, nonce=0, fee=10)
    with pytest.raises(DuplicateTx):
        await client.broadcast(tx)
    assert len(transport.sent) == 1


async def test_bad_nonce_is_raised_at_once_with_the_expected_nonce() -> None:
    client, transport = alpha(sequence(err(400, "bad_nonce", {"expected": 9})))
    with pytest.raises(BadNonce) as caught:
        await client.send(ALICE, to=BOB.alpha_address, amount=5, nonce=2, fee=10)
    assert caught.value.expected == 9
    assert len(transport.sent) == 1


@pytest.mark.parametrize(
    "reply",
    [
        Answer(200, {}, b"<html>"),
        Answer(500, {}, b'{"code":"malformed","message":"boom"}'),
        ok({"hash": "H", "code": "ok", "status": "landed"}),
    ],
    ids=["not-json", "500", "bad-status"],
)
async def test_answers_outside_the_protocol_raise_violation_unretried(reply: Answer) -> None:
    client, transport = alpha(lambda m, p, b: reply)
    tx = client.sign_send(ALICE, to=BOB.alpha_address, amount=5, nonce=0, fee=10)
    with pytest.raises(ProtocolViolation):
        await client.broadcast(tx)
    assert len(transport.sent) == 1


async def test_faucet_is_never_retried() -> None:
    client, transport = alpha(sequence(err(503, "unavailable"), ok({"hash": "F"})))
    with pytest.raises(Unreachable):
        await client.faucet(ALICE.alpha_address, 10**6)
    assert len(transport.sent) == 1
    assert orjson.loads(transport.sent[0][2] or b"") == {
        "address": ALICE.alpha_address,
        "denom": "AX",
        "amount": "1000000",
    }


async def test_wait_for_tx_polls_until_committed() -> None:
    states = [
        ok({"hash": "H", "status": "unknown"}),
        ok({"hash": "H", "status": "pending"}),
        ok({"hash": "H", "status": "committed", "height": 7, "code": "ok"}),
    ]
    client, transport = alpha(sequence(*states))
    status = await client.wait_for_tx("H", timeout_s=5, poll_s=0.001)
    assert (status.status, status.height, status.final) == ("committed", 7, True)
    assert [p for _, p, _, _ in transport.sent] == ["/txs/H"] * 3


async def test_wait_for_tx_gives_up_at_its_deadline() -> None:
    client, _ = alpha(lambda m, p, b: ok({"hash": "H", "status": "pending"}))
    with pytest.raises(NotCommitted) as caught:
        await client.wait_for_tx("H", timeout_s=0.05, poll_s=0.01)
    assert caught.value.last == "pending" and caught.value.tx_hash == "H"


async def test_blocks_and_mempool_stats_become_models() -> None:
    block = {"height": 4, "time": "t", "hash": "B4", "prev_hash": "B3", "txs": ["H1", "H2"]}
    client, _ = alpha(
        sequence(
            ok(block),
            ok(block),
            ok({"txs": [{"hash": "H1"}]}),
            ok({"pending": 3, "queued_future": 1, "policy": "redacted"}),
        )
    )
    latest = await client.latest_block()
    assert latest == await client.block(4)
    assert latest.txs == ("H1", "H2")
    assert await client.block_txs(4) == [{"hash": "H1"}]
    stats = await client.mempool_stats()
    assert stats["pending"] == 3 and dict(stats.counts) == {"pending": 3, "queued_future": 1}


async def test_delta_speaks_dx_and_pays_in_dx() -> None:
    transport = FakeTransport(lambda m, p, b: submitted("D"))
    client = HttpDeltaClient(transport=transport, chain_id="delta-simnet-1")
    await client.send(ALICE, to=BOB.delta_address, amount=3, nonce=0, fee=1)
    tx = decode_tx(orjson.loads(transport.sent[0][2] or b"")["tx"], hrp="dx")
    assert tx.body.sender == ALICE.delta_address
    assert tx.body.msgs[0]["denom"] == "DX"


async def test_a_borrowed_transport_is_left_open_an_owned_one_closed() -> None:
    client, transport = alpha(sequence())
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
    committed = ok({"hash": "C", "code": "ok", "status": "committed", "height": 9})
    client, transport = alpha(sequence(committed))
    tx = client.sign_send(ALICE, to=BOB.alpha_address, amount=5, nonce=0, fee=10)
    result = await client.broadcast(tx, "commit", timeout_s=45.0)
    assert (result.status, result.height) == ("committed", 9)
    assert orjson.loads(transport.sent[0][2] or b"")["mode"] == "commit"
    assert transport.timeouts == [45.0]
