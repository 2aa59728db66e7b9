"""Delta's markets and the event stream over HTTP against a real simnet process: every DEX,
perps and oracle message signed and committed (or refused with its code), the reads that show
the result, and `GET /events/stream` in order, resumable, and lossy only under its switch."""

from __future__ import annotations

import copy
from typing import Any

import anyio
import httpx
import orjson
import pytest

from botruntime.chain.tx import Msg, TxBody, sign_tx
from botruntime.identity import Identity
from simnet.delta import DeltaParams, feeder_identity, swap_out

pytestmark = pytest.mark.anyio

FEE = 10_000
FUNDS = 10**12
PARAMS = DeltaParams()
PRICE = 1_000_000


def setup(simnet: Any) -> tuple[list[Identity], list[Identity]]:
    traders = [Identity.derive("delta-it", i) for i in range(3)]
    feeders = [feeder_identity(simnet.seed, i) for i in range(PARAMS.feeders)]
    genesis = [(t.delta_address, {"DX": FUNDS, "bAX": FUNDS}) for t in traders]
    simnet.reset(genesis + [(f.delta_address, {"DX": FUNDS}) for f in feeders])
    simnet.step(1)  # pauses the clock: blocks from here on come from step()
    return traders, feeders


async def send(client: httpx.AsyncClient, who: Identity, msg: Msg) -> str:
    account = (await client.get(f"/accounts/{who.delta_address}")).json()
    nonce = account["nonce"] + sum(
        1
        for t in (await client.get("/mempool", params={"sender": who.delta_address})).json()["txs"]
    )
    body = TxBody("delta-simnet-1", who.delta_address, nonce, FEE, (msg,), "tb:it:0:1", 0)
    tx = copy.deepcopy(sign_tx(who, body).to_wire())
    answer = await client.post("/txs", json={"tx": tx, "mode": "sync"})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["hash"])


async def outcome(client: httpx.AsyncClient, tx_hash: str) -> str:
    answer = (await client.get(f"/txs/{tx_hash}")).json()
    return str(answer.get("code", answer["status"]))


async def feed(client: httpx.AsyncClient, feeders: list[Identity], price: int) -> None:
    for feeder in feeders:
        await send(
            client, feeder, {"type": "oracle.submit_price", "pair": "bAX/DX", "price": str(price)}
        )


async def test_every_delta_message_over_http(simnet: Any) -> None:
    (lp, trader, keeper), feeders = setup(simnet)
    async with httpx.AsyncClient(base_url=simnet.delta_url(0), timeout=10) as client:
        create = {"type": "dex.create_pool", "denom_a": "DX", "denom_b": "bAX"}
        x = y = 10**10
        created = await send(client, lp, {**create, "amount_a": str(x), "amount_b": str(y)})
        await feed(client, feeders, PRICE)
        deposit = await send(client, trader, {"type": "perps.deposit", "amount": str(10**9)})
        simnet.step(1)
        assert [await outcome(client, h) for h in (created, deposit)] == ["committed"] * 2
        quote = (
            await client.get(
                "/dex/pools/1/quote", params={"denom_in": "DX", "amount_in": "10000000"}
            )
        ).json()
        assert int(quote["amount_out"]) == swap_out(10**7, x, y, PARAMS.swap_fee_bps, False)
        swap = {"type": "dex.swap", "pool": 1, "denom_in": "DX", "amount_in": str(10**7)}
        swapped = await send(
            client, trader, {**swap, "min_out": quote["amount_out"], "deadline_height": 0}
        )
        too_greedy = {**swap, "amount_in": str(2 * 10**7), "min_out": str(2 * 10**7)}
        greedy = await send(client, keeper, {**too_greedy, "deadline_height": 0})
        add = {"type": "dex.add_liquidity", "pool": 1, "max_a": str(10**8), "max_b": str(10**8)}
        added = await send(client, lp, {**add, "min_shares": "1"})  # keeper's next nonce is stuck
        await feed(client, feeders, PRICE)
        opened = await send(
            client,
            trader,
            {
                "type": "perps.open",
                "market": "bAX-PERP",
                "side": "short",
                "size": str(10**9),
                "leverage": 3,
                "limit_price": "0",
                "reduce_only": False,
            },
        )
        simnet.step(1)
        assert await outcome(client, swapped) == "committed"
        assert await outcome(client, greedy) == "slippage_exceeded"
        assert await outcome(client, added) == "committed"
        assert await outcome(client, opened) == "committed"
        shares = (await client.get("/dex/pools/1")).json()
        assert int(shares["reserve_a"]) > x
        removed = await send(
            client,
            lp,
            {
                "type": "dex.remove_liquidity",
                "pool": 1,
                "shares": "1000",
                "min_a": "0",
                "min_b": "0",
            },
        )
        margin = await send(
            client, trader, {"type": "perps.add_margin", "market": "bAX-PERP", "amount": "5000000"}
        )
        liquidate = await send(
            client, keeper, {"type": "perps.liquidate", "account": trader.delta_address}
        )
        await feed(client, feeders, PRICE)
        simnet.step(1)
        assert await outcome(client, removed) == "committed"
        assert await outcome(client, margin) == "committed"
        assert await outcome(client, liquidate) == "not_liquidatable"
        account = (await client.get(f"/perps/accounts/{trader.delta_address}")).json()
        assert account["collateral"] == str(10**9 + 5 * 10**6)
        assert account["positions"][0]["side"] == "short"
        closed = await send(client, trader, {"type": "perps.close", "market": "bAX-PERP"})
        await feed(client, feeders, PRICE)
        simnet.step(1)
        assert await outcome(client, closed) == "committed"
        account = (await client.get(f"/perps/accounts/{trader.delta_address}")).json()
        withdraw = await send(
            client, trader, {"type": "perps.withdraw", "amount": account["withdrawable"]}
        )
        simnet.step(1)
        assert await outcome(client, withdraw) == "committed"
        price = (await client.get("/oracle/prices/bAX/DX")).json()
        assert price["median"] == str(PRICE) and price["sources"] == PARAMS.feeders
        market = (await client.get("/perps/markets/bAX-PERP")).json()
        assert market["open_interest_long"] == market["open_interest_short"] == "0"
        assert (await client.get("/perps/insurance_fund")).json()["balance"] == str(
            PARAMS.insurance_genesis
        )
        assert len((await client.get("/oracle/feeders")).json()["feeders"]) == PARAMS.feeders
        twap = (await client.get("/dex/pools/1/twap", params={"window": "3"})).json()
        assert twap["blocks"] == 3
    verdicts = simnet.control("GET", "/simnet/invariants?full=1")
    delta = [v for v in verdicts if v["chain"] == "delta"]
    assert {v["route"] for v in delta} >= {
        "dex/min-out",
        "perps/margin-accounting",
        "oracle/median",
    }
    assert [v for v in delta if not v["ok"]] == []


async def read_events(
    url: str, params: dict[str, str], until: int, seconds: float = 10
) -> list[tuple[str, dict[str, Any]]]:
    """Parse the stream until a block event at `until` (or a pending_tx when until < 0)."""
    events: list[tuple[str, dict[str, Any]]] = []
    async with httpx.AsyncClient(base_url=url, timeout=seconds) as client:
        with anyio.fail_after(seconds):
            async with client.stream("GET", "/events/stream", params=params) as answer:
                assert answer.headers["content-type"].startswith("text/event-stream")
                kind = ""
                async for line in answer.aiter_lines():
                    if line.startswith("event: "):
                        kind = line[7:]
                    elif line.startswith("data: "):
                        data = orjson.loads(line[6:])
                        events.append((kind, data))
                        if kind == "pending_tx" and until < 0:
                            return events
                        if kind == "block" and data["height"] >= until:
                            return events
    return events


async def test_the_stream_resumes_from_a_height_with_no_gap(simnet: Any) -> None:
    traders, _ = setup(simnet)
    async with httpx.AsyncClient(base_url=simnet.delta_url(0), timeout=10) as client:
        await send(client, traders[0], {"type": "perps.deposit", "amount": "1000000"})
    heights = simnet.step(6)
    tip = heights["delta"]
    events = await read_events(simnet.delta_url(1), {"types": "block,tx", "from_height": "1"}, tip)
    blocks = [d["height"] for k, d in events if k == "block"]
    assert blocks == list(range(1, tip + 1))
    txs = [d for k, d in events if k == "tx"]
    assert txs and txs[0]["sender"] == traders[0].delta_address
    middle = tip // 2
    again = await read_events(
        simnet.delta_url(0), {"types": "block", "from_height": str(middle)}, tip
    )
    assert [d["height"] for _, d in again] == list(range(middle, tip + 1))


async def test_pending_txs_are_streamed_redacted(simnet: Any) -> None:
    traders, _ = setup(simnet)
    url = simnet.delta_url(0)
    hashes: list[str] = []

    async def later() -> None:
        await anyio.sleep(0.3)
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            hashes.append(
                await send(client, traders[0], {"type": "perps.deposit", "amount": "1000000"})
            )

    async with anyio.create_task_group() as tg:
        tg.start_soon(later, name="submit-later")
        events = await read_events(url, {"types": "pending_tx"}, -1)
    ((kind, data),) = events
    assert kind == "pending_tx" and data["hash"] == hashes[0]
    assert "tx" not in data and data["sender"] == traders[0].delta_address


@pytest.mark.parametrize("on", [False, True])
async def test_stream_lossy_skips_a_consumer_that_is_behind(simnet: Any, on: bool) -> None:
    setup(simnet)
    if on:
        simnet.vuln("stream_lossy")
    tip = simnet.step(5)["delta"]
    events = await read_events(simnet.delta_url(0), {"types": "block", "from_height": "1"}, tip)
    blocks = [d["height"] for _, d in events]
    assert blocks == ([tip] if on else list(range(1, tip + 1)))
