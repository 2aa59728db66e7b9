"""Delta's market reads as typed values (SCENARIOS.md §6 "Delta"; shapes in simnet's
`/openapi.json`). Amounts are ints in base units; prices are DX base units per whole unit
(10^6 is 1.0). A field that breaks the shape raises `ProtocolViolation` naming the read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, cast

from botruntime.chain.models import Wire, _bad, _int, _object, _opt_int, _str
from botruntime.chain.tx import TxError, decode_amount

__all__ = [
    "Feeders",
    "FundingEvent",
    "InsuranceFund",
    "LiquidatableAccount",
    "Liquidation",
    "MarginAccount",
    "Market",
    "MarketStatus",
    "OraclePrice",
    "PerpsPosition",
    "Pool",
    "Quote",
    "Twap",
    "list_from_wire",
    "positions_from_wire",
]

MarketStatus = Literal["open", "halted", "stale"]
_STATUSES = frozenset({"open", "halted", "stale"})


def _amount(d: Wire, key: str, where: str) -> int:
    try:
        return decode_amount(d.get(key), key)
    except TxError:
        raise _bad(where, key, "a decimal amount string", d.get(key)) from None


def _signed(d: Wire, key: str, where: str) -> int:
    """A signed decimal string (PnL, equity, funding): an amount with an optional '-'."""
    value = d.get(key)
    if isinstance(value, str) and value.startswith("-") and value != "-0":
        return -_amount({key: value[1:]}, key, where)
    return _amount(d, key, where)


def _bool(d: Wire, key: str, where: str) -> bool:
    value = d.get(key)
    if not isinstance(value, bool):
        raise _bad(where, key, "true or false", value)
    return value


def _status(d: Wire, key: str, where: str) -> MarketStatus:
    value = d.get(key)
    if value not in _STATUSES:
        raise _bad(where, key, f"one of {sorted(_STATUSES)}", value)
    return cast(MarketStatus, value)


def _items(d: Wire, key: str, where: str) -> list[Wire]:
    value = d.get(key)
    if not isinstance(value, list):
        raise _bad(where, key, "a list", value)
    return [_object(item, f"{where} {key}[]") for item in value]


@dataclass(frozen=True, slots=True)
class Pool:
    id: int
    denom_a: str
    denom_b: str
    reserve_a: int
    reserve_b: int
    total_shares: int
    locked_shares: int
    price_a_in_b: int
    price_b_in_a: int

    def reserve(self, denom: str) -> int:
        """The reserve of `denom` in this pool (ValueError if the pool does not trade it)."""
        if denom in (self.denom_a, self.denom_b):
            return self.reserve_a if denom == self.denom_a else self.reserve_b
        raise ValueError(f"pool {self.id} trades {self.denom_a} and {self.denom_b}, not {denom}")

    @classmethod
    def from_wire(cls, value: object, where: str = "GET /dex/pools/{id}") -> Pool:
        d = _object(value, where)
        return cls(
            _int(d, "id", where),
            _str(d, "denom_a", where),
            _str(d, "denom_b", where),
            *(
                _amount(d, k, where)
                for k in (
                    "reserve_a",
                    "reserve_b",
                    "total_shares",
                    "locked_shares",
                    "price_a_in_b",
                    "price_b_in_a",
                )
            ),
        )


@dataclass(frozen=True, slots=True)
class Quote:
    pool: int
    denom_in: str
    amount_in: int
    denom_out: str
    amount_out: int
    fee_bps: int
    height: int

    @classmethod
    def from_wire(cls, value: object) -> Quote:
        w = "GET /dex/pools/{id}/quote"
        d = _object(value, w)
        return cls(
            _int(d, "pool", w),
            _str(d, "denom_in", w),
            _amount(d, "amount_in", w),
            _str(d, "denom_out", w),
            _amount(d, "amount_out", w),
            _int(d, "fee_bps", w),
            _int(d, "height", w),
        )


@dataclass(frozen=True, slots=True)
class Twap:
    pool: int
    window: int
    blocks: int  # blocks the average covers (fewer than `window` on a young pool)
    price_a_in_b: int
    price_b_in_a: int
    height: int

    @classmethod
    def from_wire(cls, value: object) -> Twap:
        w = "GET /dex/pools/{id}/twap"
        d = _object(value, w)
        return cls(
            _int(d, "pool", w),
            _int(d, "window", w),
            _int(d, "blocks", w),
            _amount(d, "price_a_in_b", w),
            _amount(d, "price_b_in_a", w),
            _int(d, "height", w),
        )


@dataclass(frozen=True, slots=True)
class FundingEvent:
    height: int
    market: str
    rate_ppm: int  # > 0: longs paid shorts
    mark: int
    index: int
    paid: int
    received: int
    dust: int

    @classmethod
    def from_wire(
        cls, value: object, where: str = "GET /perps/markets/{m}/funding"
    ) -> FundingEvent:
        d = _object(value, where)
        return cls(
            _int(d, "height", where),
            _str(d, "market", where),
            _int(d, "rate_ppm", where),
            *(_amount(d, k, where) for k in ("mark", "index", "paid", "received", "dust")),
        )


@dataclass(frozen=True, slots=True)
class Market:
    market: str
    pair: str
    mark: int
    index: int
    open_interest_long: int
    open_interest_short: int
    last_funding: FundingEvent | None
    funding_every_blocks: int
    status: MarketStatus
    price_age: int

    @classmethod
    def from_wire(cls, value: object, where: str = "GET /perps/markets/{m}") -> Market:
        d = _object(value, where)
        last = d.get("last_funding")
        return cls(
            _str(d, "market", where),
            _str(d, "pair", where),
            _amount(d, "mark", where),
            _amount(d, "index", where),
            _amount(d, "open_interest_long", where),
            _amount(d, "open_interest_short", where),
            None if last is None else FundingEvent.from_wire(last, where),
            _int(d, "funding_every_blocks", where),
            _status(d, "status", where),
            _int(d, "price_age", where),
        )


@dataclass(frozen=True, slots=True)
class PerpsPosition:
    market: str
    side: Literal["long", "short"]
    size: int
    entry_price: int
    mark: int
    leverage: int
    unrealised_pnl: int

    @property
    def signed_size(self) -> int:
        return self.size if self.side == "long" else -self.size

    @classmethod
    def from_wire(cls, value: object, where: str) -> PerpsPosition:
        d = _object(value, where)
        side = d.get("side")
        if side not in ("long", "short"):
            raise _bad(where, "side", "'long' or 'short'", side)
        return cls(
            _str(d, "market", where),
            side,
            _amount(d, "size", where),
            _amount(d, "entry_price", where),
            _amount(d, "mark", where),
            _int(d, "leverage", where),
            _signed(d, "unrealised_pnl", where),
        )


def positions_from_wire(
    value: object, where: str = "GET /perps/positions/{a}"
) -> list[PerpsPosition]:
    d = _object(value, where)
    return [PerpsPosition.from_wire(p, where) for p in _items(d, "positions", where)]


@dataclass(frozen=True, slots=True)
class MarginAccount:
    address: str
    collateral: int
    unrealised_pnl: int
    equity: int
    initial_margin: int
    maintenance_margin: int
    margin_ratio_bps: int | None  # equity / maintenance; below 10,000 it is liquidatable
    withdrawable: int
    realised_pnl: int
    funding: int
    liquidatable: bool
    positions: tuple[PerpsPosition, ...]

    @classmethod
    def from_wire(cls, value: object) -> MarginAccount:
        w = "GET /perps/accounts/{a}"
        d = _object(value, w)
        return cls(
            _str(d, "address", w),
            _signed(d, "collateral", w),
            _signed(d, "unrealised_pnl", w),
            _signed(d, "equity", w),
            _amount(d, "initial_margin", w),
            _amount(d, "maintenance_margin", w),
            _opt_int(d, "margin_ratio_bps", w),
            _amount(d, "withdrawable", w),
            _signed(d, "realised_pnl", w),
            _signed(d, "funding", w),
            _bool(d, "liquidatable", w),
            tuple(positions_from_wire(d, w)),
        )


@dataclass(frozen=True, slots=True)
class LiquidatableAccount:
    address: str
    equity: int
    maintenance_margin: int
    below_since: int | None

    @classmethod
    def list_from_wire(cls, value: object) -> list[LiquidatableAccount]:
        w = "GET /perps/liquidatable"
        return [
            cls(
                _str(a, "address", w),
                _signed(a, "equity", w),
                _amount(a, "maintenance_margin", w),
                _opt_int(a, "below_since", w),
            )
            for a in _items(_object(value, w), "accounts", w)
        ]


@dataclass(frozen=True, slots=True)
class Liquidation:
    height: int
    account: str
    keeper: str | None  # None: the protocol's own end-block liquidation
    notional: int
    fee: int
    keeper_fee: int
    deficit: int
    insurance_cover: int
    adl_haircut: int

    @classmethod
    def from_wire(cls, value: object, where: str) -> Liquidation:
        d = _object(value, where)
        keeper = d.get("keeper")
        if keeper is not None and not isinstance(keeper, str):
            raise _bad(where, "keeper", "an address or null", keeper)
        keys = ("notional", "fee", "keeper_fee", "deficit", "insurance_cover", "adl_haircut")
        return cls(
            _int(d, "height", where),
            _str(d, "account", where),
            keeper,
            *(_amount(d, k, where) for k in keys),
        )


@dataclass(frozen=True, slots=True)
class InsuranceFund:
    balance: int
    uncovered_deficit: int
    adl_haircuts: int
    recent_liquidations: tuple[Liquidation, ...]

    @classmethod
    def from_wire(cls, value: object) -> InsuranceFund:
        w = "GET /perps/insurance_fund"
        d = _object(value, w)
        return cls(
            _signed(d, "balance", w),
            _amount(d, "uncovered_deficit", w),
            _amount(d, "adl_haircuts", w),
            tuple(Liquidation.from_wire(x, w) for x in _items(d, "recent_liquidations", w)),
        )


@dataclass(frozen=True, slots=True)
class OraclePrice:
    pair: str
    median: int
    twap: int
    age: int  # blocks since the median was last published
    updated_height: int
    sources: int
    move_bps: int
    status: MarketStatus

    @classmethod
    def from_wire(cls, value: object, where: str = "GET /oracle/prices/{pair}") -> OraclePrice:
        d = _object(value, where)
        return cls(
            _str(d, "pair", where),
            _amount(d, "median", where),
            _amount(d, "twap", where),
            _int(d, "age", where),
            _int(d, "updated_height", where),
            _int(d, "sources", where),
            _int(d, "move_bps", where),
            _status(d, "status", where),
        )


@dataclass(frozen=True, slots=True)
class Feeders:
    feeders: tuple[str, ...]
    min_feeders: int

    @classmethod
    def from_wire(cls, value: object) -> Feeders:
        w = "GET /oracle/feeders"
        d = _object(value, w)
        feeders = d.get("feeders")
        if not isinstance(feeders, list) or not all(isinstance(f, str) for f in feeders):
            raise _bad(w, "feeders", "a list of addresses", feeders)
        return cls(tuple(cast(list[str], feeders)), _int(d, "min_feeders", w))


def list_from_wire(value: object, key: str, where: str) -> list[Wire]:
    """The items of a `{key: [...]}` answer (pools, markets, prices)."""
    return _items(_object(value, where), key, where)
