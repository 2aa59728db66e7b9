"""Delta's market reads (SCENARIOS.md §6 "Delta"): pools, quotes, TWAP, perps and the oracle.

Handlers look the modules up on every request, because `POST /simnet/reset` and import build
new ones. They answer from the latest state; `X-Height` (added by the gate) names it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from botruntime.chain.tx import JsonValue, decode_amount
from botruntime.identity import AddressError, parse_address
from simnet._errors import Rejected
from simnet._http import json_response, path_int, query_int
from simnet._module import Module
from simnet.delta._dex import Dex
from simnet.delta._margin import MarginAccount, pnl
from simnet.delta._oracle import Oracle
from simnet.delta._perps import Perps

__all__ = ["DeltaApi"]

if TYPE_CHECKING:
    from simnet._chain import Chain

_M = TypeVar("_M", bound=Module)


class HasChains(Protocol):
    """The network as the API sees it: a reset replaces its chains, so look them up late."""

    chains: dict[str, Chain]


@dataclass(slots=True)
class DeltaApi:
    network: HasChains

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/dex/pools", self.pools),
            Route("/dex/pools/{pool}", self.pool),
            Route("/dex/pools/{pool}/quote", self.quote),
            Route("/dex/pools/{pool}/twap", self.twap),
            Route("/dex/pools/{pool}/shares/{address}", self.shares),
            Route("/perps/params", self.perps_params),
            Route("/perps/markets", self.markets),
            Route("/perps/markets/{market}", self.market),
            Route("/perps/markets/{market}/funding", self.funding),
            Route("/perps/accounts/{address}", self.account),
            Route("/perps/positions/{address}", self.positions),
            Route("/perps/liquidatable", self.liquidatable),
            Route("/perps/insurance_fund", self.insurance_fund),
            Route("/oracle/prices", self.prices),
            Route("/oracle/prices/{base}/{quote}", self.price),  # the pair bAX/DX
            Route("/oracle/feeders", self.feeders),
        ]

    def _module(self, name: str, kind: type[_M]) -> _M:
        module = self.network.chains["delta"].modules.get(name)
        assert isinstance(module, kind), f"delta runs no {name} module"
        return module

    @property
    def dex(self) -> Dex:
        return self._module("dex", Dex)

    @property
    def perps(self) -> Perps:
        return self._module("perps", Perps)

    @property
    def oracle(self) -> Oracle:
        return self._module("oracle", Oracle)

    # ---- dex -----------------------------------------------------------------------------------

    async def pools(self, request: Request) -> Response:
        pools: list[JsonValue] = [p.to_wire() for p in self.dex.pools.values()]
        return json_response({"pools": pools})

    async def pool(self, request: Request) -> Response:
        return json_response(self.dex.pool(path_int(request, "pool")).to_wire())

    async def quote(self, request: Request) -> Response:
        dex = self.dex
        pool = dex.pool(path_int(request, "pool"))
        denom_in = request.query_params.get("denom_in", "")
        try:
            amount_in = decode_amount(request.query_params.get("amount_in"), "?amount_in=")
        except ValueError as exc:
            raise Rejected("invalid_amount", str(exc)) from None
        _, _, denom_out = pool.reserves(denom_in)
        amount_out = dex.quote(pool, denom_in, amount_in)
        return json_response(
            {
                "pool": pool.id,
                "denom_in": denom_in,
                "amount_in": str(amount_in),
                "denom_out": denom_out,
                "amount_out": str(amount_out),
                "fee_bps": dex.params.swap_fee_bps,
                "height": dex.height,
            }
        )

    async def twap(self, request: Request) -> Response:
        dex = self.dex
        pool = dex.pool(path_int(request, "pool"))
        window = query_int(request, "window", 10, dex.params.twap_history_blocks) or 1
        price_a, price_b, blocks = dex.twap(pool, window)
        return json_response(
            {
                "pool": pool.id,
                "window": window,
                "blocks": blocks,
                "price_a_in_b": str(price_a),
                "price_b_in_a": str(price_b),
                "height": dex.height,
            }
        )

    async def shares(self, request: Request) -> Response:
        """An LP's shares of the pool (a real chain shows them as a share-denom balance)."""
        pool = self.dex.pool(path_int(request, "pool"))
        address = self._address(request)
        held = pool.lp.get(address, 0)
        return json_response(
            {
                "pool": pool.id,
                "address": address,
                "shares": str(held),
                "total_shares": str(pool.shares),
                "height": self.dex.height,
            }
        )

    # ---- perps ---------------------------------------------------------------------------------

    async def perps_params(self, request: Request) -> Response:
        return json_response(self.perps.params.to_wire())

    def _market_wire(self, market: str) -> dict[str, JsonValue]:
        perps = self.perps
        feed = perps.feed(market)
        long, short = perps.open_interest(market)
        last = perps.funding_events[-1].to_wire() if perps.funding_events else None
        return {
            "market": market,
            "pair": feed.pair,
            "mark": str(feed.mark),
            "index": str(feed.price),
            "open_interest_long": str(long),
            "open_interest_short": str(short),
            "last_funding": last,
            "funding_every_blocks": perps.params.funding_every_blocks,
            "status": self.oracle.status(feed),
            "price_age": self.oracle.age(feed),
        }

    async def markets(self, request: Request) -> Response:
        markets: list[JsonValue] = [self._market_wire(m) for m in self.perps.markets]
        return json_response({"markets": markets})

    async def market(self, request: Request) -> Response:
        return json_response(self._market_wire(request.path_params["market"]))

    async def funding(self, request: Request) -> Response:
        market = request.path_params["market"]
        perps = self.perps
        perps.feed(market)
        events: list[JsonValue] = [e.to_wire() for e in perps.funding_events if e.market == market]
        return json_response({"market": market, "events": events})

    def _address(self, request: Request) -> str:
        address = str(request.path_params["address"])
        try:
            parse_address(address, self.network.chains["delta"].spec.hrp)
        except AddressError as exc:
            raise Rejected(
                "invalid_address", f"{address!r} is not a Delta address: {exc}"
            ) from None
        return address

    async def account(self, request: Request) -> Response:
        address = self._address(request)
        perps = self.perps
        account = perps.accounts.get(address, MarginAccount())
        equity, maintenance = perps.equity(account), perps.maintenance(account)
        ratio = None if not maintenance else equity * 10_000 // maintenance
        return json_response(
            {
                "address": address,
                "collateral": str(account.collateral),
                "unrealised_pnl": str(perps.unrealised(account)),
                "equity": str(equity),
                "initial_margin": str(perps.initial(account)),
                "maintenance_margin": str(maintenance),
                "margin_ratio_bps": ratio,  # equity / maintenance; below 10,000 liquidatable
                "withdrawable": str(max(perps.withdrawable(account), 0)),
                "realised_pnl": str(account.realised),
                "funding": str(account.funding),
                "liquidatable": perps.liquidatable(account),
                "positions": self._positions(account),
            }
        )

    def _positions(self, account: MarginAccount) -> list[JsonValue]:
        perps = self.perps
        out: list[JsonValue] = []
        for market, p in sorted(account.positions.items()):
            mark = perps.mark(market)
            out.append(
                {
                    "market": market,
                    "side": "long" if p.size > 0 else "short",
                    "size": str(abs(p.size)),
                    "entry_price": str(p.entry),
                    "mark": str(mark),
                    "leverage": p.leverage,
                    "unrealised_pnl": str(pnl(p.size, p.entry, mark)),
                }
            )
        return out

    async def positions(self, request: Request) -> Response:
        address = self._address(request)
        account = self.perps.accounts.get(address, MarginAccount())
        return json_response({"address": address, "positions": self._positions(account)})

    async def liquidatable(self, request: Request) -> Response:
        perps = self.perps
        limit = query_int(request, "limit", 1_000, 1_000) or 1_000
        found: list[JsonValue] = []
        for address, account in sorted(perps.accounts.items()):
            if len(found) >= limit:
                break
            if perps.liquidatable(account):
                found.append(
                    {
                        "address": address,
                        "equity": str(perps.equity(account)),
                        "maintenance_margin": str(perps.maintenance(account)),
                        "below_since": account.below_since,
                    }
                )
        return json_response({"accounts": found, "height": perps.height})

    async def insurance_fund(self, request: Request) -> Response:
        perps = self.perps
        return json_response(
            {
                "balance": str(perps.insurance),
                "uncovered_deficit": str(perps.deficit),
                "adl_haircuts": str(perps.haircuts),
                "recent_liquidations": list(perps.liquidations),
            }
        )

    # ---- oracle --------------------------------------------------------------------------------

    def _price_wire(self, pair: str) -> dict[str, JsonValue]:
        oracle = self.oracle
        feed = oracle.feed(pair)
        return {
            "pair": pair,
            "median": str(feed.price),
            "twap": str(feed.mark),
            "age": oracle.age(feed),
            "updated_height": feed.updated,
            "sources": len(feed.accepted),
            "move_bps": feed.move_bps,
            "status": oracle.status(feed),
        }

    async def prices(self, request: Request) -> Response:
        prices: list[JsonValue] = [self._price_wire(p) for p in sorted(self.oracle.feeds)]
        return json_response({"prices": prices})

    async def price(self, request: Request) -> Response:
        pair = f"{request.path_params['base']}/{request.path_params['quote']}"
        return json_response(self._price_wire(pair))

    async def feeders(self, request: Request) -> Response:
        oracle = self.oracle
        feeders: list[JsonValue] = list(oracle.feeders)
        return json_response({"feeders": feeders, "min_feeders": oracle.params.min_feeders})
