"""Funding the bots before the timed window (SCENARIOS.md §1.2: no funding in the window).

On simnet the bots are written into a fresh genesis (`POST /simnet/reset`): no transactions.
On a real network a funder account pays them with `bank.multisend`, in batches, each batch
committed before the next, and never more in total than the scenario's `max_spend_total`
(DESIGN §8): a load tool must not drain a treasury because a size was mistyped.

The funder's key comes from `TESTBOTS_FUNDER_SEED` (64 hex characters, the ed25519 seed), read
when a run starts; it is never logged or written into results.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import httpx

from botruntime.chain.alpha import HttpAlphaClient
from botruntime.chain.delta import HttpDeltaClient
from botruntime.chain.errors import ChainError
from botruntime.identity import Identity
from botruntime.runs._errors import RunConfigError, RunError
from botruntime.wallet import Denom

__all__ = ["FUNDER_ENV", "fund_from_funder", "fund_on_simnet", "funder_from_env"]

FUNDER_ENV = "TESTBOTS_FUNDER_SEED"
_BATCH = 100  # outputs per multisend: a few KiB, well under the 16 KiB tx limit
_FEE_PER_OUTPUT = 200


async def fund_on_simnet(
    control: str,
    seed: str,
    bots: Sequence[Identity],
    balances: Mapping[Denom, int],
    others: Sequence[tuple[Identity, Mapping[Denom, int]]] = (),
) -> None:
    """A fresh genesis holding every bot's `balances`, and `others` (the market maker)."""
    wire = {d.value: str(v) for d, v in balances.items()}
    accounts = [{"address": bot.alpha_address, "balances": wire} for bot in bots]
    for who, held in others:
        accounts.append(
            {"address": who.alpha_address, "balances": {d.value: str(v) for d, v in held.items()}}
        )
    async with httpx.AsyncClient(timeout=60.0) as http:
        answer = await http.post(
            f"{control}/simnet/reset", json={"seed": seed, "genesis_accounts": accounts}
        )
    if answer.status_code != 200:
        raise RunError(f"simnet refused the genesis funding: {answer.text[:500]}")


def funder_from_env() -> Identity:
    text = os.environ.get(FUNDER_ENV, "")
    try:
        seed = bytes.fromhex(text)
    except ValueError:
        seed = b""
    if len(seed) != 32:
        raise RunConfigError(
            f"a real network funds its bots from a funder account: set {FUNDER_ENV} to the "
            "funder's 32-byte ed25519 seed in hex (64 characters)"
        )
    return Identity.from_seed(seed)


def check_spend_cap(
    bots: int, balances: Mapping[Denom, int], cap_total: Mapping[Denom, int]
) -> None:
    for denom, amount in balances.items():
        total = bots * amount
        cap = cap_total.get(denom)
        if cap is None or total > cap:
            raise RunConfigError(
                f"funding {bots} bots with {amount} {denom.value} each is {total}, above the "
                f"scenario's limits.max_spend_total {denom.value}: {cap}; lower the size's bots "
                "or limits.max_spend_per_bot, or raise max_spend_total on purpose"
            )


async def fund_from_funder(
    funder: Identity,
    alpha_url: str | None,
    delta_url: str | None,
    bots: Sequence[Identity],
    balances: Mapping[Denom, int],
    cap_total: Mapping[Denom, int],
) -> int:
    """Pay every bot its balances from the funder; the number of multisends committed."""
    check_spend_cap(len(bots), balances, cap_total)
    sent = 0
    for chain, url in (("alpha", alpha_url), ("delta", delta_url)):
        denoms = [d for d in balances if (d.fee_denom is Denom.AX) == (chain == "alpha")]
        if not denoms:
            continue
        if url is None:
            raise RunConfigError(f"the bots need {denoms[0].value}: give {chain}=URL in --target")
        cls = HttpAlphaClient if chain == "alpha" else HttpDeltaClient
        async with cls(url, client_id="testbots-funder") as client:
            address = funder.address(client.hrp)
            nonce = (await client.account(address)).nonce
            params = await client.params()
            base = params.integer("min_fee_base") + params.integer("min_fee_per_byte") * 400
            for start in range(0, len(bots), _BATCH):
                batch = bots[start : start + _BATCH]
                outputs = [
                    (bot.address(client.hrp), d.value, balances[d]) for bot in batch for d in denoms
                ]
                fee = 2 * (base + _FEE_PER_OUTPUT * len(outputs))
                try:
                    await client.multisend(
                        funder, outputs, nonce=nonce, fee=fee, memo="tb:funding", mode="commit"
                    )
                except ChainError as exc:
                    raise RunError(
                        f"funding batch {start // _BATCH} on {chain} failed ({exc}); the funder "
                        f"{address} must hold enough for every bot plus fees"
                    ) from exc
                nonce += 1
                sent += 1
    return sent
