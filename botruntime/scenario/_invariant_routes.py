"""The invariant routes of SCENARIOS.md §7: what an `inv[...]` pattern in a criterion selects.

simnet checks these routes (`/simnet/invariants`); botruntime never imports simnet (DESIGN §2),
so tests/unit/test_invariant_route_tables.py ties this table to the routes simnet reports.
Adding an invariant to simnet means adding its route here and a criterion that checks it.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

__all__ = ["INVARIANT_ROUTES"]

# route -> what holds (SCENARIOS.md §7, in the catalogue's order)
INVARIANT_ROUTES: Final = MappingProxyType(
    {
        # both chains
        "bank/total-supply": "per denom, the sum of balances equals the supply",
        "bank/nonnegative-balance": "no negative balance; integer base units only",
        "auth/nonce-monotonic": "an account's nonce counts its committed txs, contiguously",
        "auth/unique-tx": "no two committed txs share (chain, signer, nonce) or hash",
        "fees/conservation": "fees charged in a block equal the fee collector's inflow",
        "blocks/chain-link": "contiguous heights, hash links, monotonic time, block limits",
        "mempool/bounds": "size, bytes, per-sender and future window within caps; TTL kept",
        "api/admission-bound": "a node's front-end holds at most its admission queue; the rest 503",
        "state/determinism": "export then import gives the same app hash",
        # Alpha
        "staking/bonded-pool": "pool balances equal bonded tokens and unbonding entries",
        "staking/delegator-shares": "delegation shares per validator sum to its shares",
        "staking/positive-power": "power never negative; active set sorted, jailed outside",
        "staking/sax-backing": "sAX supply times its rate never exceeds bonded and unbonding AX",
        "staking/unbonding-once": "each unbonding entry completes once, not before its height",
        "distribution/nonnegative-outstanding": "outstanding rewards never negative",
        "distribution/can-withdraw": "every delegator can withdraw its rewards",
        "distribution/module-account": "module balance equals outstanding rewards + community pool",
        "gov/module-account": "gov balance equals the deposits of open proposals",
        "gov/tally": "a closed tally equals final votes times power, immutable after close",
        "faucet/quota": "faucet quotas never exceeded (simnet only)",
        "campaign/payout-bound": "payouts within budget, one per eligible address per epoch",
        # Delta
        "dex/pool-reserves": "recorded reserves equal the dex module's balances, per pool",
        "dex/share-value": "the value of an LP share never decreases",
        "dex/lp-shares": "LP balances sum to total shares; minimum liquidity locked",
        "dex/min-out": "every swap paid at least min_out; add/remove kept their bounds",
        "perps/margin-accounting": "module balance equals collateral, insurance and unsettled PnL",
        "perps/open-interest": "long size equals short size per market",
        "perps/funding-zero-sum": "payments of each funding event sum to zero",
        "perps/liquidation-lag": "no account below maintenance for more than 3 blocks",
        "perps/insurance-nonnegative": "the insurance fund never negative",
        "perps/deficit-accounted": "uncovered deficit equals the auto-deleveraging haircuts",
        "oracle/freshness": "an open market's price is fresh, otherwise the market is halted",
        "oracle/deviation": "the per-block move stays within the guard unless halted",
        "oracle/median": "the published price is the median of the block's submissions",
        # cross-chain
        "bridge/escrow-backing": "Alpha escrow equals Delta's bAX supply plus what is in flight",
        "bridge/once": "each transfer locked once, minted or refunded at most once",
    }
)
