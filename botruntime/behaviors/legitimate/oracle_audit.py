"""The oracle auditor of A6 `oracle_manipulation`: holds the chain's oracle and liquidations
against the reference price only the harness knows (the calm walk its honest feeders follow).

Once per block it reads, from the chain:

- the published bAX/DX median and its height: while the market is open, its distance from
  the reference of that block is `adv.oracle_deviation_bps` (summed; with
  `adv.oracle_blocks_open` the mean), and a block more than `OFF_REFERENCE_BPS` away is
  `adv.oracle_off_reference`; a block the market spent halted or stale is
  `adv.oracle_blocks_halted` (guards working, excluded from the comparison);
- the accounts the chain lists below maintenance (`/perps/liquidatable`): each one is
  re-valued at the reference price from its positions and collateral; one that is above
  maintenance there is `adv.unfair_liquidatable`, and once the chain's own liquidation record
  (`/perps/insurance_fund`, recent liquidations) shows it liquidated, `adv.unfair_liquidations`.

The auditor remembers the last block it read and the accounts it flagged (`bot.state`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from random import Random
from typing import TYPE_CHECKING, Final

from botruntime.behaviors._table import behavior
from botruntime.behaviors.legitimate._price_paths import calm_walk
from botruntime.behaviors.legitimate.oracle import PAIR
from botruntime.behaviors.legitimate.perps import delta_of
from botruntime.bots.bot import Bot
from botruntime.chain.delta_models import MarginAccount

if TYPE_CHECKING:  # the fleet imports the behaviours: at run time they only receive these
    from botruntime.fleet import Chains, Intent

__all__ = ["MAINTENANCE_BPS", "OFF_REFERENCE_BPS", "healthy_at", "oracle_audit"]

OFF_REFERENCE_BPS: Final = 200  # A6 C1: |oracle - reference| / reference <= 2 %
MAINTENANCE_BPS: Final = 500  # simnet's maintenance margin (SCENARIOS.md §1.6)
_BPS: Final = 10_000
_PRICE_SCALE: Final = 1_000_000


@dataclass(slots=True)
class _Audit:
    last_height: int = -1
    flagged: dict[str, int] = field(default_factory=dict)  # address -> height it was listed
    counted: set[tuple[int, str]] = field(default_factory=set)  # liquidations counted


def healthy_at(account: MarginAccount, price: int) -> bool:
    """Whether `account` is at or above maintenance when every position is marked at `price`
    (the chain's own rules: PnL rounded down, maintenance rounded up)."""
    equity, maintenance = account.collateral, 0
    for position in account.positions:
        equity += position.signed_size * (price - position.entry_price) // _PRICE_SCALE
        notional = position.size * price // _PRICE_SCALE
        maintenance += -(-notional * MAINTENANCE_BPS // _BPS)
    return equity >= maintenance


@behavior("oracle_audit", group="legitimate", chain="delta")
async def oracle_audit(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Compare this block's oracle price and liquidation candidates with the reference."""
    state = bot.state if isinstance(bot.state, _Audit) else _Audit()
    bot.state = state
    delta = delta_of(chains)
    price = await rec.query("oracle_price", delta.price(PAIR))
    if price is None or price.updated_height == state.last_height:
        return
    state.last_height = price.updated_height
    start = chains.side("delta").watcher.start_height or 0
    reference = calm_walk(bot.run_seed, max(0, price.updated_height - start))
    if price.status == "open":
        deviation = abs(price.median - reference) * _BPS // reference
        rec.count("adv.oracle_blocks_open")
        rec.count("adv.oracle_deviation_bps", by=deviation)
        if deviation > OFF_REFERENCE_BPS:
            rec.count("adv.oracle_off_reference")
    else:
        rec.count("adv.oracle_blocks_halted")
    listed = await rec.query("perps_liquidatable", delta.liquidatable(limit=100)) or []
    for candidate in listed:
        if candidate.address in state.flagged:
            continue
        account = await rec.query("perps_account", delta.perps_account(candidate.address))
        if account is not None and account.positions and healthy_at(account, reference):
            state.flagged[candidate.address] = price.updated_height
            rec.count("adv.unfair_liquidatable")
    if state.flagged:
        await _confirm(rec, chains, state)


async def _confirm(rec: Intent, chains: Chains, state: _Audit) -> None:
    """Count each flagged account the chain's record shows liquidated since it was listed."""
    fund = await rec.query("insurance_fund", delta_of(chains).insurance_fund())
    if fund is None:
        return
    for liquidation in fund.recent_liquidations:
        since = state.flagged.get(liquidation.account)
        key = (liquidation.height, liquidation.account)
        if since is not None and liquidation.height >= since and key not in state.counted:
            state.counted.add(key)
            del state.flagged[liquidation.account]  # judged again if listed again
            rec.count("adv.unfair_liquidations")
