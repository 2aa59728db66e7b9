"""What the run's crews earned, read from the chain (A5's sandwich profit, A6's attacker PnL).

A crew's behaviours keep their own counts of what they tried; what the attack took is judged
from chain state only: at the end of the run every crew bot's Delta balances are read from the
chain and compared with what the genesis gave it (the plan's funding), bAX valued in DX at the
oracle's bAX/DX median, plus the equity of its perps margin account (collateral and
unrealised PnL at the chain's mark: A6's hedges keep money there). The fees the crew paid are
in its DX balance, so the figure is net of them. `adv.crew_profit_dx` is the sum over every
crew of the run (negative: the crew lost).
"""

from __future__ import annotations

from typing import Final

from botruntime.chain.delta import HttpDeltaClient
from botruntime.chain.errors import ChainError
from botruntime.identity import Identity
from botruntime.plan import RunPlan
from botruntime.wallet import BAX, DX

__all__ = ["CREW_PROFIT", "crew_profit_dx"]

CREW_PROFIT: Final = "adv.crew_profit_dx"
_PAIR: Final = "bAX/DX"
_PRICE_SCALE: Final = 1_000_000  # the oracle's prices: DX base units per whole bAX


async def crew_profit_dx(plan: RunPlan) -> float | None:
    """The crews' value change in DX base units; None without crews or when unreadable."""
    if not plan.crews or not plan.target.delta:
        return None
    try:
        async with HttpDeltaClient(plan.target.delta[0], client_id="testbots-crew-audit") as delta:
            price = (await delta.price(_PAIR)).median
            total = 0
            for crew in plan.crews:
                for index in crew.bots:
                    address = Identity.derive(plan.seed, index).delta_address
                    held = (await delta.account(address)).balances
                    gained = {
                        denom: held.get(denom.value, 0) - plan.funding.get(denom, 0)
                        for denom in (DX, BAX)
                    }
                    margin = (await delta.perps_account(address)).equity
                    total += gained[DX] + gained[BAX] * price // _PRICE_SCALE + margin
    except ChainError:
        return None
    return float(total)
