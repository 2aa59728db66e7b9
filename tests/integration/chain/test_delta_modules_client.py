"""The typed Delta client against simnet served in a subprocess (the `simnet` fixture): every
DEX, perps and oracle call signs a tx that commits (or fails with its code), every read comes
back as its model with figures recomputed from the rules, and the event stream gives each
block and tx once, resuming from a height."""

from __future__ import annotations

from typing import Any

import pytest

from botruntime.chain.delta import BAX, DX, HttpDeltaClient
from botruntime.chain.events import BlockEvent, TxEvent
from botruntime.identity import Identity
from simnet.delta import DeltaParams, feeder_identity, median, swap_out

pytestmark = pytest.mark.anyio

PARAMS = DeltaParams()
FEE = 10_000
FUNDS = 10**12
MARKET, PAIR = PARAMS.markets[0]
RunningSimnet = Any  # tests/integration/conftest.py


class Nonces:
    def __init__(self) -> None:
        self.next: dict[str, int] = {}

    def __call__(self, who: Identity) -> dict[str, int]:
        nonce = self.next.get(who.delta_address, 0)
        self.next[who.delta_address] = nonce + 1
        return {"nonce": nonce, "fee": FEE}


async def _committed(delta: HttpDeltaClient, simnet: RunningSimnet, *hashes: str) -> list[str]:
    """Make one block; each tx's status, or its failure code."""
    simnet.step(1)
    outcomes = [await delta.wait_for_tx(h, timeout_s=10) for h in hashes]
    return [(s.code or s.status) if s.status == "failed" else s.status for s in outcomes]


async def test_every_delta_call_and_read(simnet: RunningSimnet) -> None:
    lp, trader, keeper = (Identity.derive("delta-client", i) for i in range(3))
    feeders = [feeder_identity(simnet.seed, i) for i in range(PARAMS.feeders)]
    simnet.reset(
        [(w.delta_address, {DX: FUNDS, BAX: FUNDS}) for w in (lp, trader, keeper)]
        + [(f.delta_address, {DX: FUNDS}) for f in feeders]
    )
    simnet.step(1)
    tx = Nonces()
    prices = [
        PARAMS.initial_price + i * PARAMS.initial_price // 1_000 for i in range(PARAMS.feeders)
    ]
    x = y = 10**10
    async with HttpDeltaClient(simnet.delta_url(0)) as delta:
        created = await delta.create_pool(
            lp, denom_a=DX, denom_b=BAX, amount_a=x, amount_b=y, **tx(lp)
        )
        deposit = await delta.deposit(trader, amount=10**9, **tx(trader))
        fed = [
            await delta.submit_price(f, pair=PAIR, price=p, **tx(f))
            for f, p in zip(feeders, prices, strict=True)
        ]
        hashes = [created.hash, deposit.hash, *(r.hash for r in fed)]
        assert await _committed(delta, simnet, *hashes) == ["committed"] * len(hashes)

        [pool] = await delta.pools()
        assert (pool.reserve_a, pool.reserve_b, pool.locked_shares) == (x, y, PARAMS.min_liquidity)
        assert pool == await delta.pool(pool.id)
        quote = await delta.quote(pool.id, denom_in=DX, amount_in=10**7)
        assert quote.amount_out == swap_out(10**7, x, y, PARAMS.swap_fee_bps, False)
        price = await delta.price(PAIR)
        assert price.median == median(prices) and price.sources == len(prices)
        assert [p.pair for p in await delta.prices()] == [PAIR]
        assert set((await delta.feeders()).feeders) == {f.delta_address for f in feeders}

        swapped = await delta.swap(
            keeper, pool=pool.id, denom_in=DX, amount_in=10**7, min_out=quote.amount_out,
            **tx(keeper),
        )  # fmt: skip
        added = await delta.add_liquidity(
            lp, pool=pool.id, max_a=10**8, max_b=10**8, min_shares=1, **tx(lp)
        )
        opened = await delta.open_position(
            trader, market=MARKET, side="short", size=10**9, leverage=3, **tx(trader)
        )
        healthy = await delta.liquidate(keeper, account=trader.delta_address, **tx(keeper))
        outcomes = await _committed(
            delta, simnet, swapped.hash, added.hash, opened.hash, healthy.hash
        )
        assert outcomes == ["committed", "committed", "committed", "not_liquidatable"]

        account = await delta.perps_account(trader.delta_address)
        [position] = account.positions
        assert position.signed_size == -(10**9) and position.leverage == 3
        assert account.equity == account.collateral + account.unrealised_pnl
        assert account.initial_margin == -(-(10**9) * position.mark // 10**6 // 3)
        assert await delta.positions(trader.delta_address) == [position]
        market = await delta.market(MARKET)
        assert market.open_interest_long == market.open_interest_short == 10**9
        assert [m.market for m in await delta.markets()] == [MARKET]
        assert await delta.funding(MARKET) == []  # no funding height yet
        assert await delta.liquidatable() == []
        fund = await delta.insurance_fund()
        assert (fund.balance, fund.recent_liquidations) == (PARAMS.insurance_genesis, ())
        twap = await delta.twap(pool.id, window=PARAMS.twap_blocks)
        assert twap.blocks >= 1 and twap.price_a_in_b > 0

        shares = 1_000
        removed = await delta.remove_liquidity(
            lp, pool=pool.id, shares=shares, min_a=0, min_b=0, **tx(lp)
        )
        margin = await delta.add_margin(trader, market=MARKET, amount=5 * 10**6, **tx(trader))
        closed = await delta.close_position(trader, market=MARKET, **tx(trader))
        outcomes = await _committed(delta, simnet, removed.hash, margin.hash, closed.hash)
        assert outcomes == ["committed"] * 3
        free = (await delta.perps_account(trader.delta_address)).withdrawable
        withdrawn = await delta.withdraw(trader, amount=free, **tx(trader))
        assert await _committed(delta, simnet, withdrawn.hash) == ["committed"]
        left = await delta.perps_account(trader.delta_address)
        assert (left.collateral, left.positions) == (0, ())


async def test_the_event_stream_gives_each_block_once_and_resumes(
    simnet: RunningSimnet,
) -> None:
    trader = Identity.derive("delta-client", 0)
    simnet.reset([(trader.delta_address, {DX: FUNDS})])
    simnet.step(1)
    async with HttpDeltaClient(simnet.delta_url(1)) as delta:
        sent = await delta.deposit(trader, amount=10**6, nonce=0, fee=FEE)
        tip = simnet.step(4)["delta"]
        seen: list[BlockEvent | TxEvent] = []
        async with delta.events(types=("block", "tx"), from_height=1) as stream:
            async for event in stream:
                assert isinstance(event, BlockEvent | TxEvent)
                seen.append(event)
                if isinstance(event, BlockEvent) and event.height == tip // 2:
                    break
            resume_at = stream.next_height
        async with delta.events(types=("block",), from_height=resume_at) as stream:
            async for event in stream:
                assert isinstance(event, BlockEvent)
                seen.append(event)
                if event.height == tip:
                    break
    blocks = [e.height for e in seen if isinstance(e, BlockEvent)]
    assert blocks == list(range(1, tip + 1))
    txs = [e for e in seen if isinstance(e, TxEvent)]
    assert [(t.hash, t.sender) for t in txs] == [(sent.hash, trader.delta_address)]
