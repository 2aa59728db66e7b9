"""Delta's market reads as typed values (SCENARIOS.md §6 "Delta"; shapes in simnet's
`/openapi.json`), declared like every chain answer (`_wire_model.py`). Amounts are ints in base
units; prices are DX base units per whole unit (10^6 is 1.0); PnL, equity and funding are
signed (`SignedAmount`). A field that breaks the shape raises `ProtocolViolation` naming the
read and the field."""

from __future__ import annotations

from typing import Literal

from botruntime.chain._wire_model import (
    Amount,
    Count,
    Flag,
    JsonObject,
    SignedAmount,
    Text,
    WireModel,
    list_from_wire,
)

__all__ = [
    "Feeders",
    "FundingEvent",
    "InsuranceFund",
    "LiquidatableAccount",
    "Liquidation",
    "LpShares",
    "MarginAccount",
    "Market",
    "MarketStatus",
    "MempoolEntry",
    "MempoolView",
    "OraclePrice",
    "PerpsPosition",
    "Pool",
    "Quote",
    "Twap",
    "positions_from_wire",
]

MarketStatus = Literal["open", "halted", "stale"]


class Pool(WireModel):
    id: Count
    denom_a: Text
    denom_b: Text
    reserve_a: Amount
    reserve_b: Amount
    total_shares: Amount
    locked_shares: Amount
    price_a_in_b: Amount
    price_b_in_a: Amount

    def reserve(self, denom: str) -> int:
        """The reserve of `denom` in this pool (ValueError if the pool does not trade it)."""
        if denom in (self.denom_a, self.denom_b):
            return self.reserve_a if denom == self.denom_a else self.reserve_b
        raise ValueError(f"pool {self.id} trades {self.denom_a} and {self.denom_b}, not {denom}")


class LpShares(WireModel):
    """An address's LP shares of one pool, and the pool's total (locked minimum included)."""

    pool: Count
    address: Text
    shares: Amount
    total_shares: Amount
    height: Count


class Quote(WireModel):
    pool: Count
    denom_in: Text
    amount_in: Amount
    denom_out: Text
    amount_out: Amount
    fee_bps: Count
    height: Count


class MempoolEntry(WireModel):
    """A pending tx as `GET /mempool` shows it; `tx` (its body) only when the node's view is
    full: simnet redacts bodies until inclusion (SCENARIOS.md §1.6, `mempool_view_full`)."""

    hash: Text
    sender: Text
    nonce: Count
    fee: Amount
    size: Count
    status: Text
    tx: JsonObject | None = None


class MempoolView(WireModel):
    view: Literal["redacted", "full"]
    txs: tuple[MempoolEntry, ...]
    next_cursor: Text | None = None


class Twap(WireModel):
    pool: Count
    window: Count
    blocks: Count  # blocks the average covers (fewer than `window` on a young pool)
    price_a_in_b: Amount
    price_b_in_a: Amount
    height: Count


class FundingEvent(WireModel):
    height: Count
    market: Text
    rate_ppm: Count  # > 0: longs paid shorts
    mark: Amount
    index: Amount
    paid: Amount
    received: Amount
    dust: Amount


class Market(WireModel):
    market: Text
    pair: Text
    mark: Amount
    index: Amount
    open_interest_long: Amount
    open_interest_short: Amount
    last_funding: FundingEvent | None = None
    funding_every_blocks: Count
    status: MarketStatus
    price_age: Count


class PerpsPosition(WireModel):
    market: Text
    side: Literal["long", "short"]
    size: Amount
    entry_price: Amount
    mark: Amount
    leverage: Count
    unrealised_pnl: SignedAmount

    @property
    def signed_size(self) -> int:
        return self.size if self.side == "long" else -self.size


def positions_from_wire(
    value: object, where: str = "GET /perps/positions/{a}"
) -> list[PerpsPosition]:
    """`{"positions": [...]}`, the answer of `GET /perps/positions/{a}`."""
    return list_from_wire(PerpsPosition, value, "positions", where)


class MarginAccount(WireModel):
    address: Text
    collateral: SignedAmount
    unrealised_pnl: SignedAmount
    equity: SignedAmount
    initial_margin: Amount
    maintenance_margin: Amount
    margin_ratio_bps: Count | None = None  # equity / maintenance; below 10,000: liquidatable
    withdrawable: Amount
    realised_pnl: SignedAmount
    funding: SignedAmount
    liquidatable: Flag
    positions: tuple[PerpsPosition, ...]


class LiquidatableAccount(WireModel):
    address: Text
    equity: SignedAmount
    maintenance_margin: Amount
    below_since: Count | None = None


class Liquidation(WireModel):
    height: Count
    account: Text
    keeper: Text | None = None  # None: the protocol's own end-block liquidation
    notional: Amount
    fee: Amount
    keeper_fee: Amount
    deficit: Amount
    insurance_cover: Amount
    adl_haircut: Amount


class InsuranceFund(WireModel):
    balance: SignedAmount
    uncovered_deficit: Amount
    adl_haircuts: Amount
    recent_liquidations: tuple[Liquidation, ...]


class OraclePrice(WireModel):
    pair: Text
    median: Amount
    twap: Amount
    age: Count  # blocks since the median was last published
    updated_height: Count
    sources: Count
    move_bps: Count
    status: MarketStatus


class Feeders(WireModel):
    feeders: tuple[Text, ...]
    min_feeders: Count
