"""Receipt polling as a hurried dApp backend writes it (SCENARIOS.md R4 `polling_storm`).

The backend pays, then asks its one node for the tx every 50 ms and for the balance every
100 ms until the tx is in a block, on a timer that does not wait for answers (setInterval);
all of its users are one client (the role's `client_id: shared`). A 429 changes nothing: the
poller neither honours `Retry-After` nor slows down. The network must answer the excess with
429 + `Retry-After` and keep its write path; the cost shows as reads per tx
(`lat.query{endpoint=poll_tx|poll_balance}` per intent).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable
from random import Random
from typing import TYPE_CHECKING, Final, TypeVar

from botruntime.behaviors._table import behavior
from botruntime.behaviors.legitimate.transfers import peer_payment
from botruntime.bots.bot import Bot
from botruntime.chain.errors import RateLimited
from botruntime.chain.models import SubmitResult
from botruntime.chain.retry import NO_RETRY
from botruntime.wallet import AX

if TYPE_CHECKING:  # the fleet imports the behaviours: at run time they only receive these
    from botruntime.fleet import Chains, Intent

__all__ = ["BALANCE_EVERY", "POLL_TX_S", "poll_receipt"]

T = TypeVar("T")

POLL_TX_S: Final = 0.05
BALANCE_EVERY: Final = 2  # ticks: the balance every 100 ms
GIVE_UP_S: Final = 30.0  # even a naive loop ends: a tx never seen is the run's n.lost
MAX_OUT: Final = 10  # polls of one payment in flight at most: keeps a stalled node's pile finite
BACKEND_NODE: Final = 0  # the backend's one RPC endpoint


@behavior("poll_receipt", group="anti-pattern", chain="alpha", sends_tx=True)
async def poll_receipt(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Pay another bot 1-100 AX, then poll the tx every 50 ms and the balance every 100 ms,
    429s or not, until the tx is in a block."""
    # no retry policy either: the timer is the poller's only retry, Retry-After or not
    node = chains.side("alpha").client_for(bot, node=BACKEND_NODE).with_retry(NO_RETRY)
    payment = peer_payment(bot, chains, rng, "alpha", AX)
    if payment is None:
        await rec.query("poll_balance", node.balances(bot.alpha_address))
        return
    msgs, amount = payment
    answer = await rec.fire(bot, msgs, spend=AX, amount=amount)
    if not isinstance(answer, SubmitResult):
        return  # refused or unanswered: recorded by fire
    found = asyncio.Event()

    async def poll_tx() -> None:
        status = await rec.query("poll_tx", _throttle_noted(node.get_tx(answer.hash), rec))
        if status is not None and status.final:
            found.set()

    async def poll_balance() -> None:
        await rec.query("poll_balance", _throttle_noted(node.balances(bot.alpha_address), rec))

    start = time.perf_counter()
    out: set[asyncio.Task[None]] = set()
    async with asyncio.TaskGroup() as tg:  # polls still out when the tx is found finish
        tick = 0
        while not found.is_set() and time.perf_counter() - start < GIVE_UP_S:
            for poll in (poll_tx, poll_balance) if tick % BALANCE_EVERY == 0 else (poll_tx,):
                if len(out) < MAX_OUT:
                    task = tg.create_task(poll(), name=f"{poll.__name__}-{bot.index}")
                    out.add(task)
                    task.add_done_callback(out.discard)
            tick += 1
            wait_s = start + tick * POLL_TX_S - time.perf_counter()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(0.0, wait_s)):
                    await found.wait()


async def _throttle_noted(call: Awaitable[T], rec: Intent) -> T:
    """`call`, counting a 429 that does not say when to come back: a quota must carry
    `Retry-After` (`chain.throttled_without_retry_after`)."""
    try:
        return await call
    except RateLimited as exc:
        if exc.retry_after_s is None:
            rec.count("chain.throttled_without_retry_after")
        raise
