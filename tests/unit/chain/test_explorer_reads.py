"""The explorer reads of the core clients over a scripted node: address history with an
opaque cursor, the mempool view, the supply, min-height block reads, and a view with its own
retry policy."""

from random import Random
from urllib.parse import parse_qs, urlsplit

import pytest

from botruntime.chain.alpha import HttpAlphaClient
from botruntime.chain.delta import HttpDeltaClient
from botruntime.chain.errors import HeightNotReached, ProtocolViolation
from botruntime.chain.retry import RetryPolicy
from botruntime.chain.testing import MockTransport, Request, answer, error_answer, replies
from botruntime.chain.transport import Answer
from botruntime.identity import Identity

pytestmark = pytest.mark.anyio

ALICE = Identity.derive("unit", 0)
FAST_RETRY = RetryPolicy(max_attempts=4, base_s=0.0, cap_s=0.0, max_elapsed_s=5)


def alpha(transport: MockTransport) -> HttpAlphaClient:
    return HttpAlphaClient(
        transport=transport, chain_id="alpha-simnet-1", retry_policy=FAST_RETRY, rng=Random(1)
    )


def query(request: Request) -> dict[str, list[str]]:
    return parse_qs(urlsplit(request.path).query)


async def test_an_address_history_pages_with_the_cursor_it_was_given() -> None:
    pages = [
        {"txs": [{"hash": "A", "height": 3, "index": 0}], "next_cursor": "WzMsMF0"},
        {"txs": [{"hash": "B", "height": 4, "index": 1}], "next_cursor": None},
    ]
    transport = MockTransport(replies(*(answer(page) for page in pages)))
    client = alpha(transport)
    first = await client.txs_of(ALICE.alpha_address, limit=1, min_height=3)
    second = await client.txs_of(ALICE.alpha_address, cursor=first.next_cursor, limit=1)
    assert [t.hash for t in first.txs] == ["A"] and first.txs[0].key == (3, 0)
    assert [t.hash for t in second.txs] == ["B"] and second.next_cursor is None
    asked = [query(r) for r in transport.requests]
    assert asked == [
        {"address": [ALICE.alpha_address], "limit": ["1"]},
        {"address": [ALICE.alpha_address], "cursor": ["WzMsMF0"], "limit": ["1"]},
    ]
    assert [urlsplit(r.path).path for r in transport.requests] == ["/txs", "/txs"]
    assert [r.min_height for r in transport.requests] == [3, None]


async def test_a_history_item_without_a_height_breaks_the_protocol() -> None:
    client = alpha(MockTransport(replies(answer({"txs": [{"hash": "A", "index": 0}]}))))
    with pytest.raises(ProtocolViolation, match="height"):
        await client.txs_of(ALICE.alpha_address)


async def test_the_mempool_view_and_the_supply_become_models() -> None:
    mempool = {
        "view": "redacted",
        "txs": [{"hash": "P", "sender": "ax1x", "nonce": 2, "status": "pending", "fee": "9"}],
        "next_cursor": "Wzdd",
    }
    transport = MockTransport(
        replies(answer(mempool), answer({"supply": {"DX": "10", "bAX": "0"}}))
    )
    client = HttpDeltaClient(transport=transport, chain_id="delta-simnet-1")
    page = await client.mempool(limit=50)
    supply = await client.supply()
    assert (page.view, page.next_cursor, [(t.hash, t.nonce) for t in page.txs]) == (
        "redacted",
        "Wzdd",
        [("P", 2)],
    )
    assert supply == {"DX": 10, "bAX": 0}
    assert [r.path for r in transport.requests] == ["/mempool?limit=50", "/supply"]


async def test_block_reads_carry_the_min_height_asked() -> None:
    block = {"height": 7, "time": "t", "hash": "H7", "prev_hash": "H6", "txs": ["A"]}
    txs = {"height": 7, "txs": [{"hash": "A", "index": 0, "tx": {}, "code": "ok"}]}
    transport = MockTransport(replies(answer(block), answer(block), answer(txs)))
    client = alpha(transport)
    latest = await client.latest_block(min_height=7)
    again = await client.block(7, min_height=7)
    listed = await client.block_txs(7, min_height=7)
    assert latest == again and latest.txs == ("A",) and len(listed) == 1
    assert [(r.path, r.min_height) for r in transport.requests] == [
        ("/blocks/latest", 7),
        ("/blocks/7", 7),
        ("/blocks/7/txs", 7),
    ]


async def test_a_view_with_its_own_policy_does_not_wait_for_a_node_behind() -> None:
    def behind(request: Request) -> Answer:
        return error_answer(409, "height_not_reached", {"height": 4, "min_height": 7})

    transport = MockTransport(behind)
    client = alpha(transport)
    impatient = client.with_retry(RetryPolicy(max_attempts=1))
    with pytest.raises(HeightNotReached):
        await impatient.latest_block(min_height=7)
    assert len(transport.requests) == 1
    with pytest.raises(HeightNotReached):
        await client.latest_block(min_height=7)  # the client it came from still retries
    assert len(transport.requests) == 1 + FAST_RETRY.max_attempts
    await impatient.close()
    assert not transport.closed
