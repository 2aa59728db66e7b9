"""Connection churn (SCENARIOS.md R5): churners open a new connection for every request and
say `Connection: close`; pooled clients do the same work over the fleet's keep-alive pool; a
prober checks the node's keep-alive hygiene on connections of its own.

Reads are measured as `lat.query{action=<role>}`, under the reader's role rather than the
endpoint, so a scenario can compare cohorts (churn against pooled) and stages (a pooled role
alone before the churn against one beside it) with plain label filters.

The prober counts `chain.keepalive{check, outcome}`: `check` is `idle_timeout` (a connection
left idle is closed within the node's `keepalive_idle_s` plus `IDLE_SLACK_S`) or
`request_cap` (a connection ends after at most `max_requests_per_connection` requests), and
`outcome` is `honoured` or `ignored`. Both limits are what the node itself publishes in
`GET /params`, so the probe holds a node to its own word.
"""

from __future__ import annotations

from random import Random
from typing import TYPE_CHECKING, Final

from botruntime.behaviors._table import behavior
from botruntime.behaviors.legitimate.transfers import pay_peer
from botruntime.bots.bot import Bot
from botruntime.wallet import AX

if TYPE_CHECKING:  # the fleet imports the behaviours: at run time they only receive these
    from botruntime.chain.alpha import AlphaClient
    from botruntime.fleet import Chains, Intent

__all__ = [
    "IDLE_SLACK_S",
    "churn_read",
    "churn_send_ax",
    "pooled_read",
    "probe_idle_timeout",
    "probe_request_cap",
]

IDLE_SLACK_S: Final = 2.0  # the node's timer, its loop and ours: a close this late still counts


async def _read(bot: Bot, client: AlphaClient, rng: Random, rec: Intent) -> None:
    """A wallet's read: the bot's balances or the chain's head, half each."""
    if rng.random() < 0.5:
        await rec.query(bot.role, client.balances(bot.alpha_address))
    else:
        await rec.query(bot.role, client.latest_block())


@behavior("churn_read", group="anti-pattern", chain="alpha")
async def churn_read(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Read balances or the head on a new connection that closes after the answer."""
    await _read(bot, chains.alpha_per_request, rng, rec)


@behavior("churn_send_ax", group="anti-pattern", chain="alpha", sends_tx=True)
async def churn_send_ax(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Pay another bot 1-100 AX, broadcast on a new connection that closes after the answer."""
    await pay_peer(bot, chains, rng, rec, "alpha", AX, keep_alive=False)


@behavior("pooled_read", group="legitimate", chain="alpha")
async def pooled_read(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Read balances or the head over the node's keep-alive pool."""
    await _read(bot, chains.alpha, rng, rec)


@behavior("probe_idle_timeout", group="legitimate", chain="alpha")
async def probe_idle_timeout(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Leave a connection idle: the node closes it within its published idle timeout."""
    client = chains.alpha
    params = await rec.query("params", client.params())
    if params is None:
        return
    idle_s = params.integer("keepalive_idle_s")
    closed_after = await rec.query(
        "idle_timeout", client.idle_closed_after_s(wait_s=idle_s + IDLE_SLACK_S)
    )
    honoured = closed_after is not None
    rec.count(
        "chain.keepalive", check="idle_timeout", outcome="honoured" if honoured else "ignored"
    )


@behavior("probe_request_cap", group="legitimate", chain="alpha")
async def probe_request_cap(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Ask on one connection until the node ends it: at most its published request cap."""
    client = chains.alpha
    params = await rec.query("params", client.params())
    if params is None:
        return
    cap = params.integer("max_requests_per_connection")
    served = await rec.query("request_cap", client.requests_until_close(limit=cap + 1))
    honoured = served is not None and served <= cap
    rec.count("chain.keepalive", check="request_cap", outcome="honoured" if honoured else "ignored")
