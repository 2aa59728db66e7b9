"""The Delta client's wire shapes without a server: the message each typed call signs, the
read models against the examples of simnet's own OpenAPI document, and the event stream's
resume after a dropped connection (an `httpx.MockTransport` plays the node: the stream is
httpx's, not a `Transport`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest

from botruntime.chain import delta_models as models
from botruntime.chain._wire_model import list_from_wire
from botruntime.chain.delta import HttpDeltaClient
from botruntime.chain.errors import ProtocolViolation
from botruntime.chain.events import BlockEvent, EventStream, TxEvent
from botruntime.chain.testing import MockTransport, answer
from botruntime.chain.tx import decode_tx
from botruntime.identity import Identity
from simnet.delta._openapi import delta_msg_schemas, delta_paths

pytestmark = pytest.mark.anyio

ALICE = Identity.derive("unit-delta", 0)
PATHS = delta_paths()
MSG_EXAMPLES = {k: s["examples"][0] for k, s in delta_msg_schemas().items()}


def example(path: str) -> Any:
    return PATHS[path]["get"]["responses"]["200"]["content"]["application/json"]["example"]


def client(reply: object) -> tuple[HttpDeltaClient, MockTransport]:
    transport = MockTransport(lambda request: answer(reply, height=5))
    return HttpDeltaClient(transport=transport, chain_id="delta-simnet-1"), transport


async def test_each_typed_call_signs_the_documented_message() -> None:
    delta, sent = client({"hash": "AB", "code": "ok", "status": "pending"})
    ex = MSG_EXAMPLES
    tx = {"nonce": 0, "fee": 10_000}
    pool = ex["dex.create_pool"]
    await delta.create_pool(
        ALICE,
        denom_a=pool["denom_a"],
        denom_b=pool["denom_b"],
        amount_a=int(pool["amount_a"]),
        amount_b=int(pool["amount_b"]),
        **tx,
    )
    swap = dict(_fields(ex, "dex.swap"))
    await delta.swap(
        ALICE,
        pool=swap["pool"],
        denom_in=swap["denom_in"],
        amount_in=int(swap["amount_in"]),
        min_out=int(swap["min_out"]),
        deadline_height=swap["deadline_height"],
        **tx,
    )
    add, remove = dict(_fields(ex, "dex.add_liquidity")), dict(_fields(ex, "dex.remove_liquidity"))
    await delta.add_liquidity(
        ALICE, pool=1, max_a=int(add["max_a"]), max_b=int(add["max_b"]),
        min_shares=int(add["min_shares"]), **tx,
    )  # fmt: skip
    await delta.remove_liquidity(
        ALICE, pool=1, shares=int(remove["shares"]), min_a=int(remove["min_a"]),
        min_b=int(remove["min_b"]), **tx,
    )  # fmt: skip
    await delta.deposit(ALICE, amount=int(ex["perps.deposit"]["amount"]), **tx)
    await delta.withdraw(ALICE, amount=int(ex["perps.withdraw"]["amount"]), **tx)
    margin = ex["perps.add_margin"]
    await delta.add_margin(ALICE, market=margin["market"], amount=int(margin["amount"]), **tx)
    opened = ex["perps.open"]
    await delta.open_position(
        ALICE, market=opened["market"], side=opened["side"], size=int(opened["size"]),
        leverage=opened["leverage"], **tx,
    )  # fmt: skip
    await delta.close_position(ALICE, market=ex["perps.close"]["market"], **tx)
    await delta.liquidate(ALICE, account=ex["perps.liquidate"]["account"], **tx)
    price = ex["oracle.submit_price"]
    await delta.submit_price(ALICE, pair=price["pair"], price=int(price["price"]), **tx)
    signed = [
        decode_tx(orjson.loads(r.body or b"")["tx"], "dx").body.msgs[0] for r in sent.requests
    ]
    assert [r.path for r in sent.requests] == ["/txs"] * len(MSG_EXAMPLES)
    assert {str(m["type"]): m for m in signed} == MSG_EXAMPLES


def _fields(ex: dict[str, Any], kind: str) -> Iterator[tuple[str, Any]]:
    return ((k, v) for k, v in ex[kind].items() if k != "type")


@pytest.mark.parametrize(
    ("path", "parse"),
    [
        ("/dex/pools/{pool}", models.Pool.from_wire),
        ("/dex/pools/{pool}/quote", models.Quote.from_wire),
        ("/dex/pools/{pool}/twap", models.Twap.from_wire),
        ("/dex/pools/{pool}/shares/{address}", models.LpShares.from_wire),
        ("/perps/markets/{market}", models.Market.from_wire),
        ("/perps/accounts/{address}", models.MarginAccount.from_wire),
        ("/perps/positions/{address}", models.positions_from_wire),
        (
            "/perps/liquidatable",
            lambda wire: list_from_wire(models.LiquidatableAccount, wire, "accounts", "test"),
        ),
        ("/perps/insurance_fund", models.InsuranceFund.from_wire),
        ("/oracle/prices/{base}/{quote}", models.OraclePrice.from_wire),
        ("/oracle/feeders", models.Feeders.from_wire),
    ],
)
def test_models_read_the_documented_examples(path: str, parse: Any) -> None:
    parsed = parse(example(path))
    assert parsed  # a model, or a non-empty list of them


def test_a_signed_loss_and_a_bad_field_are_read_as_they_are() -> None:
    account = models.MarginAccount.from_wire(example("/perps/accounts/{address}"))
    wire = example("/perps/accounts/{address}")
    assert account.unrealised_pnl == int(wire["unrealised_pnl"]) < 0
    assert account.positions[0].signed_size == -int(wire["positions"][0]["size"])
    with pytest.raises(ProtocolViolation, match="reserve_a"):
        models.Pool.from_wire({**example("/dex/pools/{pool}"), "reserve_a": "-1"})


async def test_reads_ask_the_documented_paths() -> None:
    delta, sent = client(example("/dex/pools/{pool}/quote"))
    quote = await delta.quote(1, denom_in="DX", amount_in=10**7)
    assert sent.requests[-1].path == "/dex/pools/1/quote?denom_in=DX&amount_in=10000000"
    assert quote.amount_out == int(example("/dex/pools/{pool}/quote")["amount_out"])


def _sse(kind: str, data: dict[str, object], event_id: int | None = None) -> bytes:
    head = b"" if event_id is None else b"id: %d\n" % event_id
    return head + f"event: {kind}\ndata: ".encode() + orjson.dumps(data) + b"\n\n"


def _block(h: int) -> bytes:
    return _sse("block", {"height": h, "hash": "H", "prev_hash": "P", "time": "t", "txs": 1}, h)


def _tx(h: int) -> bytes:
    return _sse("tx", {"hash": f"T{h}", "height": h, "index": 0, "sender": "dx1", "code": "ok"})


async def test_the_stream_resumes_after_a_drop_with_no_gap_and_no_duplicate() -> None:
    asked: list[str | None] = []

    async def first() -> Any:
        yield b": open\n\n" + _tx(1) + _block(1) + _tx(2)
        raise httpx.ReadError("connection dropped")

    async def second() -> Any:
        yield _tx(2) + _block(2) + _tx(3) + _block(3)

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.params.get("from_height"))
        body = first() if len(asked) == 1 else second()
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    seen: list[object] = []
    stream = EventStream(
        "http://node", from_height=1, retry_s=0.0, transport=httpx.MockTransport(handler)
    )
    async with stream:
        async for event in stream:
            seen.append(event)
            if isinstance(event, BlockEvent) and event.height == 3:
                break
    kinds = [(type(e).__name__, e.height) for e in seen if isinstance(e, BlockEvent | TxEvent)]
    assert kinds == [
        ("TxEvent", 1), ("BlockEvent", 1), ("TxEvent", 2),
        ("BlockEvent", 2), ("TxEvent", 3), ("BlockEvent", 3),
    ]  # fmt: skip
    assert asked == ["1", "2"] and stream.connections == 2 and stream.next_height == 4
