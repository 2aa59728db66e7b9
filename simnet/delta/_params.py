"""Delta's market parameters: SCENARIOS.md §1.6 rows "dex", "perps" and "oracle".

Prices are integers: DX base units per whole bAX, so `PRICE_SCALE` (10^6) is a price of 1.0.
Rates are basis points (bps, 1/10,000) or parts per million (ppm), never floats.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Final

from botruntime.chain.tx import Denom

__all__ = ["BPS", "PPM", "PRICE_SCALE", "DeltaParams"]

PRICE_SCALE: Final = 1_000_000
BPS: Final = 10_000
PPM: Final = 1_000_000


@dataclass(frozen=True, slots=True)
class DeltaParams:
    # dex: constant product, fee 0.3 %, 1,000 units of liquidity locked at creation
    swap_fee_bps: int = 30
    min_liquidity: int = 1_000
    twap_history_blocks: int = 1_000
    # oracle: >= 3 feeders, median per block, mark = 10-block TWAP, guards halt the market
    feeders: int = 5
    min_feeders: int = 3
    twap_blocks: int = 10
    max_move_bps: int = 500
    max_age_blocks: int = 5
    initial_price: int = PRICE_SCALE
    pairs: tuple[str, ...] = ("bAX/DX",)
    # perps: 10 % initial (10x), 5 % maintenance, 1 % liquidation fee (half to insurance)
    markets: tuple[tuple[str, str], ...] = (("bAX-PERP", "bAX/DX"),)
    collateral_denom: str = Denom.DX.value
    initial_margin_bps: int = 1_000
    maintenance_margin_bps: int = 500
    liquidation_fee_bps: int = 100
    funding_every_blocks: int = 10
    funding_clamp_ppm: int = 500  # ±0.05 % per funding event
    max_liquidations_per_block: int = 1_000
    liquidation_lag_blocks: int = 3
    # the protocol's counterparty (house) and the insurance fund, minted at genesis
    house_collateral: int = 10**12
    insurance_genesis: int = 10**9
    history_kept: int = field(default=100)

    @property
    def max_leverage(self) -> int:
        return BPS // self.initial_margin_bps

    def to_wire(self) -> dict[str, object]:
        wire = asdict(self)
        wire["max_leverage"] = self.max_leverage
        return wire
