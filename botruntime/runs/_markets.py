"""Markets a run sets up before its timed window (SCENARIOS.md §1.4 G5: pools seeded).

A scenario's `markets.pools` are created by the run's market maker, one `dex.create_pool` each,
committed before the next, so that no seeding tx lands in the timed window (§1.2). On simnet
the market maker is an account of the genesis, derived from the run seed, holding exactly
what its pools take plus the fees (`maker_funding`); on a real network the funder creates them.
A run whose pools cannot be created fails its setup: it never reaches a verdict without them.
"""

from __future__ import annotations

from collections.abc import Mapping

from botruntime.chain.delta import HttpDeltaClient
from botruntime.chain.errors import ChainError
from botruntime.identity import Identity
from botruntime.runs._errors import RunConfigError, RunError
from botruntime.scenario import Markets
from botruntime.wallet import DX, Denom

__all__ = ["maker_funding", "market_maker", "seed_markets"]

# a create_pool tx is ~560 canonical bytes: a fee for 1,000 bytes at twice the minimum
_FEE_BYTES = 1_000
# what the market maker holds for each seeding tx's fee: 10 DX, far above simnet's minimum
FEE_RESERVE = 10_000_000


def market_maker(run_seed: str) -> Identity:
    """The account that creates the run's pools on simnet (not one of the run's bots)."""
    return Identity.derive(f"{run_seed}/market-maker", 0)


def maker_funding(markets: Markets, fee_per_tx: int = FEE_RESERVE) -> dict[Denom, int]:
    """What the market maker needs at genesis: every pool's deposit plus a fee per pool."""
    needed: dict[Denom, int] = {}
    for pool in markets.pools:
        for denom, amount in ((pool.denom_a, pool.amount_a), (pool.denom_b, pool.amount_b)):
            needed[denom] = needed.get(denom, 0) + amount
    if markets.pools:
        needed[DX] = needed.get(DX, 0) + fee_per_tx * len(markets.pools)
    return needed


async def seed_markets(
    markets: Markets, delta_urls: tuple[str, ...], maker: Identity
) -> tuple[int, ...]:
    """Create the pools in order and wait for each block; the ids the chain gave them."""
    if not markets.pools:
        return ()
    if not delta_urls:
        raise RunConfigError("the scenario seeds DEX pools: give delta=URL in --target")
    async with HttpDeltaClient(delta_urls[0], client_id="testbots-market-maker") as delta:
        params = await delta.params()
        fee = 2 * (params.integer("min_fee_base") + params.integer("min_fee_per_byte") * _FEE_BYTES)
        nonce = (await delta.account(maker.delta_address)).nonce
        before = {pool.id for pool in await delta.pools()}
        for index, pool in enumerate(markets.pools):
            try:
                await delta.create_pool(
                    maker,
                    denom_a=pool.denom_a.value,
                    denom_b=pool.denom_b.value,
                    amount_a=pool.amount_a,
                    amount_b=pool.amount_b,
                    nonce=nonce,
                    fee=fee,
                    memo="tb:markets",
                    mode="commit",
                )
            except ChainError as exc:
                raise RunError(
                    f"creating markets.pools[{index}] failed ({exc}); the market maker "
                    f"{maker.delta_address} must hold {_needs(markets)} plus fees"
                ) from exc
            nonce += 1
        created = tuple(sorted(p.id for p in await delta.pools() if p.id not in before))
    if len(created) != len(markets.pools):
        raise RunError(
            f"{len(markets.pools)} pools were created but the chain lists {len(created)} new "
            "ones: a create_pool failed at execution (GET /dex/pools)"
        )
    return created


def _needs(markets: Markets) -> str:
    totals: Mapping[Denom, int] = maker_funding(markets, 0)
    return ", ".join(f"{amount} {denom.value}" for denom, amount in totals.items())
