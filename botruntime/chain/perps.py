"""Delta's perpetual futures and price oracle as behaviours use them: the messages a bot signs
(pure builders, sent through `Intent.transact` or the `DeltaClient` methods) and the typed
reads (`DeltaClient.perps_account`, `.market`, `.liquidatable`, `.insurance_fund`, `.price`).

    from botruntime.chain.perps import perps_open
    await rec.transact(bot, [perps_open("bAX-PERP", "long", size, 3, 0, False)], ...)
"""

from __future__ import annotations

from botruntime.chain.delta_models import (
    Feeders,
    FundingEvent,
    InsuranceFund,
    LiquidatableAccount,
    Liquidation,
    MarginAccount,
    Market,
    MarketStatus,
    OraclePrice,
    PerpsPosition,
)
from botruntime.chain.delta_msgs import (
    Side,
    oracle_submit_price,
    perps_add_margin,
    perps_close,
    perps_deposit,
    perps_liquidate,
    perps_open,
    perps_withdraw,
)

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
    "Side",
    "oracle_submit_price",
    "perps_add_margin",
    "perps_close",
    "perps_deposit",
    "perps_liquidate",
    "perps_open",
    "perps_withdraw",
]
