"""The Delta chain (token DX, bridged bAX, DEX, perps, oracle; addresses `dx1…`).

Behaviours type against `DeltaClient` (a protocol); `HttpDeltaClient` speaks PROTOCOL.md over a
`Transport`, sharing its core with Alpha (`botruntime.chain._core`). Each market message is
one method that signs and broadcasts it (the nonce is the caller's, as for `send`); each read
returns a typed model (`botruntime.chain._delta_models`); `events` follows the event stream.

    async with HttpDeltaClient("http://127.0.0.1:26650") as delta:
        quote = await delta.quote(1, denom_in=DX, amount_in=10**6)
        await delta.swap(alice, pool=1, denom_in=DX, amount_in=10**6,
                         min_out=quote.amount_out, nonce=0, fee=10_000)
"""

from __future__ import annotations

from typing import ClassVar, Final, Protocol, Unpack
from urllib.parse import quote as _escape

from botruntime.chain import _delta_msgs as m
from botruntime.chain._api import BroadcastMode, TxArgs
from botruntime.chain._bridge import BridgeApi, HttpBridgeClient, outbound_msg
from botruntime.chain._delta_models import (
    Feeders,
    FundingEvent,
    InsuranceFund,
    LiquidatableAccount,
    LpShares,
    MarginAccount,
    Market,
    MempoolView,
    OraclePrice,
    PerpsPosition,
    Pool,
    Quote,
    Twap,
    positions_from_wire,
)
from botruntime.chain._wire_model import list_from_wire
from botruntime.chain.models import SubmitResult
from botruntime.chain.tx import Denom, Msg
from botruntime.identity import ALPHA_HRP, DELTA_HRP, Identity

__all__ = ["BAX", "DX", "BroadcastMode", "DeltaClient", "HttpDeltaClient"]

DX: Final = Denom.DX.value
BAX: Final = Denom.BAX.value


class DeltaClient(BridgeApi, Protocol):
    """Everything a behaviour may ask of Delta: the core calls, the bridge, the markets, the
    events."""

    async def bridge_burn(
        self, signer: Identity, to: str, amount: int, withhold: bool = False, **tx: Unpack[TxArgs]
    ) -> SubmitResult: ...

    async def create_pool(
        self,
        signer: Identity,
        *,
        denom_a: str,
        denom_b: str,
        amount_a: int,
        amount_b: int,
        **tx: Unpack[TxArgs],
    ) -> SubmitResult: ...
    async def swap(
        self,
        signer: Identity,
        *,
        pool: int,
        denom_in: str,
        amount_in: int,
        min_out: int,
        deadline_height: int = 0,
        **tx: Unpack[TxArgs],
    ) -> SubmitResult: ...
    async def add_liquidity(
        self,
        signer: Identity,
        *,
        pool: int,
        max_a: int,
        max_b: int,
        min_shares: int,
        **tx: Unpack[TxArgs],
    ) -> SubmitResult: ...
    async def remove_liquidity(
        self,
        signer: Identity,
        *,
        pool: int,
        shares: int,
        min_a: int,
        min_b: int,
        **tx: Unpack[TxArgs],
    ) -> SubmitResult: ...
    async def deposit(
        self, signer: Identity, *, amount: int, **tx: Unpack[TxArgs]
    ) -> SubmitResult: ...
    async def withdraw(
        self, signer: Identity, *, amount: int, **tx: Unpack[TxArgs]
    ) -> SubmitResult: ...
    async def add_margin(
        self, signer: Identity, *, market: str, amount: int, **tx: Unpack[TxArgs]
    ) -> SubmitResult: ...
    async def open_position(
        self,
        signer: Identity,
        *,
        market: str,
        side: m.Side,
        size: int,
        leverage: int,
        limit_price: int = 0,
        reduce_only: bool = False,
        **tx: Unpack[TxArgs],
    ) -> SubmitResult: ...
    async def close_position(
        self, signer: Identity, *, market: str, **tx: Unpack[TxArgs]
    ) -> SubmitResult: ...
    async def liquidate(
        self, signer: Identity, *, account: str, **tx: Unpack[TxArgs]
    ) -> SubmitResult: ...
    async def submit_price(
        self, signer: Identity, *, pair: str, price: int, **tx: Unpack[TxArgs]
    ) -> SubmitResult: ...
    async def pools(self) -> list[Pool]: ...
    async def pool(self, pool_id: int) -> Pool: ...
    async def quote(self, pool_id: int, *, denom_in: str, amount_in: int) -> Quote: ...
    async def twap(self, pool_id: int, *, window: int = 10) -> Twap: ...
    async def lp_shares(self, pool_id: int, address: str) -> LpShares: ...
    async def mempool_view(self, *, limit: int = 100) -> MempoolView: ...
    async def markets(self) -> list[Market]: ...
    async def market(self, market: str) -> Market: ...
    async def funding(self, market: str) -> list[FundingEvent]: ...
    async def perps_account(self, address: str) -> MarginAccount: ...
    async def positions(self, address: str) -> list[PerpsPosition]: ...
    async def liquidatable(self, *, limit: int = 1_000) -> list[LiquidatableAccount]: ...
    async def insurance_fund(self) -> InsuranceFund: ...
    async def prices(self) -> list[OraclePrice]: ...
    async def price(self, pair: str) -> OraclePrice: ...
    async def feeders(self) -> Feeders: ...


class HttpDeltaClient(HttpBridgeClient):
    """Delta over HTTP: `dx` addresses, fees and default sends in DX."""

    hrp: ClassVar[str] = DELTA_HRP
    native_denom: ClassVar[str] = DX

    async def bridge_burn(
        self, signer: Identity, to: str, amount: int, withhold: bool = False, **tx: Unpack[TxArgs]
    ) -> SubmitResult:
        """Burn bAX for `to` (an ax address) on Alpha, where a claim releases AX from escrow."""
        msg = outbound_msg("bridge.burn", to, ALPHA_HRP, amount, withhold)
        return await self.submit(signer, [msg], **tx)

    # ---- messages: one signed tx each -----------------------------------------------------

    async def _one(self, signer: Identity, msg: Msg, tx: TxArgs) -> SubmitResult:
        return await self.submit(signer, [msg], **tx)

    async def create_pool(
        self,
        signer: Identity,
        *,
        denom_a: str,
        denom_b: str,
        amount_a: int,
        amount_b: int,
        **tx: Unpack[TxArgs],
    ) -> SubmitResult:
        return await self._one(signer, m.dex_create_pool(denom_a, denom_b, amount_a, amount_b), tx)

    async def swap(
        self,
        signer: Identity,
        *,
        pool: int,
        denom_in: str,
        amount_in: int,
        min_out: int,
        deadline_height: int = 0,
        **tx: Unpack[TxArgs],
    ) -> SubmitResult:
        msg = m.dex_swap(pool, denom_in, amount_in, min_out, deadline_height)
        return await self._one(signer, msg, tx)

    async def add_liquidity(
        self,
        signer: Identity,
        *,
        pool: int,
        max_a: int,
        max_b: int,
        min_shares: int,
        **tx: Unpack[TxArgs],
    ) -> SubmitResult:
        return await self._one(signer, m.dex_add_liquidity(pool, max_a, max_b, min_shares), tx)

    async def remove_liquidity(
        self,
        signer: Identity,
        *,
        pool: int,
        shares: int,
        min_a: int,
        min_b: int,
        **tx: Unpack[TxArgs],
    ) -> SubmitResult:
        return await self._one(signer, m.dex_remove_liquidity(pool, shares, min_a, min_b), tx)

    async def deposit(self, signer: Identity, *, amount: int, **tx: Unpack[TxArgs]) -> SubmitResult:
        return await self._one(signer, m.perps_deposit(amount), tx)

    async def withdraw(
        self, signer: Identity, *, amount: int, **tx: Unpack[TxArgs]
    ) -> SubmitResult:
        return await self._one(signer, m.perps_withdraw(amount), tx)

    async def add_margin(
        self, signer: Identity, *, market: str, amount: int, **tx: Unpack[TxArgs]
    ) -> SubmitResult:
        return await self._one(signer, m.perps_add_margin(market, amount), tx)

    async def open_position(
        self,
        signer: Identity,
        *,
        market: str,
        side: m.Side,
        size: int,
        leverage: int,
        limit_price: int = 0,
        reduce_only: bool = False,
        **tx: Unpack[TxArgs],
    ) -> SubmitResult:
        msg = m.perps_open(market, side, size, leverage, limit_price, reduce_only)
        return await self._one(signer, msg, tx)

    async def close_position(
        self, signer: Identity, *, market: str, **tx: Unpack[TxArgs]
    ) -> SubmitResult:
        return await self._one(signer, m.perps_close(market), tx)

    async def liquidate(
        self, signer: Identity, *, account: str, **tx: Unpack[TxArgs]
    ) -> SubmitResult:
        return await self._one(signer, m.perps_liquidate(self._address(account)), tx)

    async def submit_price(
        self, signer: Identity, *, pair: str, price: int, **tx: Unpack[TxArgs]
    ) -> SubmitResult:
        return await self._one(signer, m.oracle_submit_price(pair, price), tx)

    # ---- reads ----------------------------------------------------------------------------

    async def _get(self, path: str, operation: str) -> object:
        return await self._exchange("GET", path, operation=operation)

    async def pools(self) -> list[Pool]:
        wire = await self._get("/dex/pools", "dex_pools")
        return list_from_wire(Pool, wire, "pools", "GET /dex/pools")

    async def pool(self, pool_id: int) -> Pool:
        wire = await self._get(f"/dex/pools/{pool_id}", "dex_pool")
        return Pool.from_wire(wire, "GET /dex/pools/{id}")

    async def quote(self, pool_id: int, *, denom_in: str, amount_in: int) -> Quote:
        path = f"/dex/pools/{pool_id}/quote?denom_in={_escape(denom_in)}&amount_in={amount_in}"
        return Quote.from_wire(await self._get(path, "dex_quote"), "GET /dex/pools/{id}/quote")

    async def twap(self, pool_id: int, *, window: int = 10) -> Twap:
        wire = await self._get(f"/dex/pools/{pool_id}/twap?window={window}", "dex_twap")
        return Twap.from_wire(wire, "GET /dex/pools/{id}/twap")

    async def lp_shares(self, pool_id: int, address: str) -> LpShares:
        path = f"/dex/pools/{pool_id}/shares/{self._address(address)}"
        return LpShares.from_wire(
            await self._get(path, "dex_shares"), "GET /dex/pools/{id}/shares/{a}"
        )

    async def mempool_view(self, *, limit: int = 100) -> MempoolView:
        """This node's pending txs with their fees and sizes, oldest first, and their bodies
        when the view is full (`mempool()` reads the same page as the core's redacted rows)."""
        wire = await self._get(f"/mempool?limit={limit}", "mempool")
        return MempoolView.from_wire(wire, "GET /mempool")

    async def markets(self) -> list[Market]:
        wire = await self._get("/perps/markets", "perps_markets")
        return list_from_wire(Market, wire, "markets", "GET /perps/markets")

    async def market(self, market: str) -> Market:
        wire = await self._get(f"/perps/markets/{_escape(market)}", "perps_market")
        return Market.from_wire(wire, "GET /perps/markets/{m}")

    async def funding(self, market: str) -> list[FundingEvent]:
        wire = await self._get(f"/perps/markets/{_escape(market)}/funding", "perps_funding")
        return list_from_wire(FundingEvent, wire, "events", "GET /perps/markets/{m}/funding")

    async def perps_account(self, address: str) -> MarginAccount:
        path = f"/perps/accounts/{self._address(address)}"
        wire = await self._get(path, "perps_account")
        return MarginAccount.from_wire(wire, "GET /perps/accounts/{a}")

    async def positions(self, address: str) -> list[PerpsPosition]:
        path = f"/perps/positions/{self._address(address)}"
        return positions_from_wire(await self._get(path, "perps_positions"))

    async def liquidatable(self, *, limit: int = 1_000) -> list[LiquidatableAccount]:
        wire = await self._get(f"/perps/liquidatable?limit={limit}", "perps_liquidatable")
        return list_from_wire(LiquidatableAccount, wire, "accounts", "GET /perps/liquidatable")

    async def insurance_fund(self) -> InsuranceFund:
        wire = await self._get("/perps/insurance_fund", "perps_insurance")
        return InsuranceFund.from_wire(wire, "GET /perps/insurance_fund")

    async def prices(self) -> list[OraclePrice]:
        wire = await self._get("/oracle/prices", "oracle_prices")
        return list_from_wire(OraclePrice, wire, "prices", "GET /oracle/prices")

    async def price(self, pair: str) -> OraclePrice:
        wire = await self._get(f"/oracle/prices/{pair}", "oracle_price")
        return OraclePrice.from_wire(wire, "GET /oracle/prices/{pair}")

    async def feeders(self) -> Feeders:
        wire = await self._get("/oracle/feeders", "oracle_feeders")
        return Feeders.from_wire(wire, "GET /oracle/feeders")


def _conforms(client: HttpDeltaClient) -> DeltaClient:
    """mypy checks here that the HTTP client implements the whole protocol."""
    return client
