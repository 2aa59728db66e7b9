"""Merchants (A2 `double_spend_race`): shops that take payments and check they stay paid.

A merchant reads its own history (`GET /txs?address=`): each payment there is one it saw
committed, at a height. It remembers them and looks a few up again in their block on every
visit (`GET /blocks/{h}/txs`): a payment seen committed at h that is no longer in block h is a
reorganised (or rewritten) chain, `adv.finality_violations` (C3). A merchant signs nothing.

Counters (action `merchant_watch`): `adv.merchant_payments` (payments seen committed),
`adv.finality_checks` (payments looked up again in their block), `adv.finality_violations`.
"""

from __future__ import annotations

from collections import deque
from random import Random
from typing import TYPE_CHECKING, Final

from botruntime.behaviors._table import behavior
from botruntime.bots.bot import Bot

if TYPE_CHECKING:  # the fleet imports the behaviours: its types are for annotations only
    from botruntime.fleet import Chains, Intent

__all__ = ["MERCHANT_ROLE", "merchant_watch", "merchants"]

MERCHANT_ROLE: Final = "merchant"  # the role whose bots customers pay

_PAGE: Final = 100
_RECHECKS_PER_VISIT: Final = 2
_REMEMBERED: Final = 4096  # payments a merchant keeps to look up again


def merchants(chains: Chains, at_least: int) -> range:
    """The run's merchants (bots of `MERCHANT_ROLE`); ValueError when fewer than `at_least`."""
    found = chains.bots_of(MERCHANT_ROLE)
    if len(found) < at_least:
        raise ValueError(
            f"this behaviour pays {at_least} distinct merchant(s); the run has {len(found)} "
            f"bots of role {MERCHANT_ROLE!r}: give that role more bots"
        )
    return found


class _Till:
    """What one merchant saw committed: hash -> height, and which to look up next."""

    __slots__ = ("cursor", "heights", "queue")

    def __init__(self) -> None:
        self.cursor: str | None = None
        self.heights: dict[str, int] = {}
        self.queue: deque[str] = deque()

    def saw(self, tx_hash: str, height: int) -> bool:
        if tx_hash in self.heights:
            return False
        if len(self.queue) >= _REMEMBERED:
            del self.heights[self.queue.popleft()]
        self.heights[tx_hash] = height
        self.queue.append(tx_hash)
        return True

    def next_to_check(self) -> tuple[str, int] | None:
        """The payment looked up least recently (rotated to the back)."""
        if not self.queue:
            return None
        tx_hash = self.queue.popleft()
        self.queue.append(tx_hash)
        return tx_hash, self.heights[tx_hash]


@behavior("merchant_watch", group="legitimate", chain="alpha")
async def merchant_watch(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Read new payments from the history, then look older ones up again in their blocks."""
    till = bot.state if isinstance(bot.state, _Till) else _Till()
    bot.state = till
    client = chains.side("alpha").client_for(bot)
    page = await rec.query(
        "txs_of", client.txs_of(bot.alpha_address, cursor=till.cursor, limit=_PAGE)
    )
    if page is not None:
        for tx in page.txs:
            if till.saw(tx.hash, tx.height):
                rec.count("adv.merchant_payments", tx=tx.hash)
        if page.next_cursor is not None:
            till.cursor = page.next_cursor
    for _ in range(min(_RECHECKS_PER_VISIT, len(till.queue))):
        found = till.next_to_check()
        assert found is not None
        tx_hash, height = found
        txs = await rec.query("block_txs", client.block_txs(height))
        if txs is None:
            continue
        rec.count("adv.finality_checks", tx=tx_hash)
        if not any(isinstance(t, dict) and t.get("hash") == tx_hash for t in txs):
            rec.count("adv.finality_violations", tx=tx_hash, height=str(height))
