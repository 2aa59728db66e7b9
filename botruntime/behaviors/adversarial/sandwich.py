"""Sandwichers (A5 `sandwich_mev`): a crew of a watcher, a front-runner and a back-runner.

The watcher reads what its node's mempool shows (`GET /mempool`). Under simnet's default,
redacted view a pending tx shows its hash, sender, nonce, fee and size but not its body, so
there is nothing to aim at (`adv.pending_opaque`). When bodies are public (`mempool_view_full`)
it finds other users' pending swaps, simulates the pool (constant product, the fee from a quote
of the victim's own swap), and sizes the largest front-run that still lets the victim's
`min_out` hold; if bracketing it pays after both legs' fees, it tells its crew over the bus
(`chains.crew`, botruntime.fleet's crews): the front-runner buys in the victim's direction at
twice the victim's fee (ahead of it in the block), the back-runner sells what the front-run
buys at three quarters of it (right after it). Each leg bounds its output by the simulation
(a front-run that lands after its victim, or a sale with no victim before it, fails and costs
only its fee), as a searcher's bundle reverts when its simulation does not hold. The crews of
a run split the victims by pool, then by hash, so two crews never bracket in the same pool
(unless there are more crews than pools) and never the same swap.

What the attack earned is never taken from this bookkeeping: the runner reads the crew bots'
balances from the chain at the end (`adv.crew_profit_dx`, botruntime.runs). The counters here
say what the crew tried: `adv.sandwich_candidates`, `adv.sandwich_unprofitable`,
`adv.front_runs` / `adv.back_runs` (sent), `adv.runner_idle` (nothing to do); the first three
are labelled with the crew's number (`crew=0`..), so a run shows which crews acted.
"""

from __future__ import annotations

from random import Random
from typing import TYPE_CHECKING, Final

from botruntime.behaviors._table import behavior
from botruntime.behaviors.legitimate.dex import affordable, delta_of, value_dx
from botruntime.bots.bot import Bot
from botruntime.chain.delta_models import MempoolEntry, Pool
from botruntime.chain.delta_msgs import dex_swap
from botruntime.wallet import Denom

if TYPE_CHECKING:  # the fleet imports the behaviours: at run time they only receive these
    from botruntime.fleet import Chains, CrewView, Intent

__all__ = ["back_run", "front_run", "watch_mempool"]

_BPS: Final = 10_000
_MAX_OF_DEPTH: Final = 0.10  # a front-run takes at most 10 % of the pool
# leave the victim 40 % of its room above min_out (other swaps of the block move it too)
_ROOM_LEFT: Final = 0.4
# each leg bounds its own output, as a searcher's bundle reverts when its simulation fails:
# a front-run that comes after the victim (a whale moves its pool by percents), or a back-run
# with no victim before it, fails and costs only its fee. 1 % of slack lets a front-run land
# behind another crew's in the same block.
_FRONT_SLACK_BPS: Final = 100
_MIN_PROFIT_DX: Final = 1_000_000  # 1 DX: below it the bracket is not worth its fees


def swap_out(amount: int, reserve_in: int, reserve_out: int, fee_bps: int) -> int:
    """The searcher's model of the pool: constant product, fee kept in the pool."""
    kept = amount * (_BPS - fee_bps)
    return kept * reserve_out // (reserve_in * _BPS + kept)


def front_run_size(
    victim_in: int, min_out: int, reserve_in: int, reserve_out: int, fee_bps: int, cap: int
) -> int:
    """The largest front-run (<= cap) after which the victim still gets its min_out plus
    `_ROOM_LEFT` of the room it had."""
    now = swap_out(victim_in, reserve_in, reserve_out, fee_bps)
    min_out += int(max(0, now - min_out) * _ROOM_LEFT)
    lo, hi = 0, cap
    while lo < hi:
        mid = (lo + hi + 1) // 2
        bought = swap_out(mid, reserve_in, reserve_out, fee_bps)
        after = swap_out(victim_in, reserve_in + mid, reserve_out - bought, fee_bps)
        if after >= min_out:
            lo = mid
        else:
            hi = mid - 1
    return lo


def bracket_profit(
    front: int, victim_in: int, reserve_in: int, reserve_out: int, fee_bps: int
) -> tuple[int, int]:
    """(what the front-run buys, what the back-run's sale returns minus the front-run's
    cost), in the victim's input denom: the bracket's gross profit."""
    bought = swap_out(front, reserve_in, reserve_out, fee_bps)
    x, y = reserve_in + front, reserve_out - bought
    victim_out = swap_out(victim_in, x, y, fee_bps)
    x, y = x + victim_in, y - victim_out
    back = swap_out(bought, y, x, fee_bps)
    return bought, back - front


def _swap_of(entry: MempoolEntry) -> dict[str, object] | None:
    body = entry.tx.get("body") if entry.tx is not None else None
    msgs = body.get("msgs") if isinstance(body, dict) else None
    if isinstance(msgs, list) and msgs and isinstance(msgs[0], dict):
        if msgs[0].get("type") == "dex.swap":
            return dict(msgs[0])
    return None


def _ours(chains: Chains, crew: CrewView) -> set[str]:
    """Every crew bot's Delta address (crews never aim at each other)."""
    block = crew.crew.bots
    return {chains.peers.address(i, "delta") for i in block}


def _mine(crew: CrewView, pool_id: int, pools: int, tx_hash: str) -> bool:
    """Crews split the victims by pool first (two brackets in one pool and block spoil each
    other: the second front-run pushes the first victim past its min_out), then by hash when
    there are more crews than pools."""
    crews = max(1, crew.crew.bots.stop - crew.crew.bots.start) // crew.crew.size
    per_pool = max(1, crews // max(1, pools))
    slot = (pool_id - 1) + pools * (int(tx_hash[:8], 16) % per_pool)
    return slot % crews == crew.number


@behavior("watch_mempool", group="adversarial", chain="delta")
async def watch_mempool(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Read the node's pending txs; for a readable pending swap worth bracketing, tell the
    crew's front- and back-runner."""
    crew = chains.crew
    if crew is None:
        rec.count("adv.sandwich_no_crew")
        return
    delta = delta_of(chains)
    view = await rec.query("mempool", delta.mempool_view(limit=100))
    if view is None:
        return
    ours = _ours(chains, crew)
    for entry in view.txs:
        if entry.tx is None:
            rec.count("adv.pending_opaque")
            continue
        swap = _swap_of(entry)
        if swap is None or entry.sender in ours or not crew.first_sight(entry.hash):
            continue
        await _plan(chains, rec, crew, entry, swap)


async def _plan(
    chains: Chains, rec: Intent, crew: CrewView, entry: MempoolEntry, swap: dict[str, object]
) -> None:
    delta = delta_of(chains)
    pool_id, denom_in = int(str(swap["pool"])), str(swap["denom_in"])
    victim_in, min_out = int(str(swap["amount_in"])), int(str(swap["min_out"]))
    pools = await rec.query("dex_pools", delta.pools())
    pool = next((p for p in pools or () if p.id == pool_id), None)
    if pools is None or pool is None or not _mine(crew, pool_id, len(pools), entry.hash):
        return
    rec.count("adv.sandwich_candidates", tx=entry.hash, crew=str(crew.number))
    quote = await rec.query(
        "dex_quote", delta.quote(pool_id, denom_in=denom_in, amount_in=victim_in)
    )
    if quote is None:
        return
    fee_bps = quote.fee_bps
    reserve_in, reserve_out = pool.reserve(denom_in), pool.reserve(quote.denom_out)
    cap = int(reserve_in * _MAX_OF_DEPTH)
    front = front_run_size(victim_in, min_out, reserve_in, reserve_out, fee_bps, cap)
    bought, gross = bracket_profit(front, victim_in, reserve_in, reserve_out, fee_bps)
    fees = entry.fee * 2 + entry.fee * 3 // 4
    if front <= 0 or value_dx(pool, denom_in, gross) - fees < _MIN_PROFIT_DX:
        rec.count("adv.sandwich_unprofitable", tx=entry.hash)
        return
    bound = bought * (_BPS - _FRONT_SLACK_BPS) // _BPS
    note_front = _note(pool, denom_in, front, bound, entry.fee * 2, entry.hash, quote.height)
    # the sale must return at least what the front-run paid: else it fails (no victim ran)
    note_back = _note(
        pool, quote.denom_out, bought, front, entry.fee * 3 // 4, entry.hash, quote.height
    )
    await crew.send("front_runner", "front", note_front)
    await crew.send("back_runner", "back", note_back)


def _note(
    pool: Pool, denom_in: str, amount: int, min_out: int, fee: int, victim: str, height: int
) -> dict[str, int | str]:
    return {
        "pool": pool.id,
        "denom_in": denom_in,
        "amount": amount,
        "min_out": min_out,
        "fee": fee,
        "victim": victim,
        "deadline": height + 3,
    }


async def _run_leg(bot: Bot, chains: Chains, rec: Intent, counter: str) -> None:
    crew = chains.crew
    message = crew.take() if crew is not None else None
    if message is None:
        rec.count("adv.runner_idle")
        return
    note = message.payload
    denom_in = str(note["denom_in"])
    fee = int(str(note["fee"]))
    amount = min(int(str(note["amount"])), affordable(bot, denom_in, fee))
    if amount <= 0:
        rec.count("adv.runner_idle")
        return
    min_out = int(str(note["min_out"])) * amount // max(1, int(str(note["amount"])))
    msg = dex_swap(int(str(note["pool"])), denom_in, amount, min_out, int(str(note["deadline"])))
    assert crew is not None  # a message came from its bus
    rec.count(counter, tx=str(note["victim"]), crew=str(crew.number))
    await rec.transact(
        bot, [msg], spend=Denom(denom_in), amount=amount, amounts_on_chain=True, fee=fee
    )


@behavior("front_run", group="adversarial", chain="delta", sends_tx=True)
async def front_run(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Buy ahead of the victim the watcher named, at twice its fee (idle when told nothing)."""
    await _run_leg(bot, chains, rec, "adv.front_runs")


@behavior("back_run", group="adversarial", chain="delta", sends_tx=True)
async def back_run(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Sell right after the victim what the front-run bought, at 3/4 of the victim's fee."""
    await _run_leg(bot, chains, rec, "adv.back_runs")
