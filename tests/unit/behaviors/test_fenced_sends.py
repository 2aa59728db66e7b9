"""A fleet whose process may not act (a cluster worker's lapsed lease) signs and sends nothing."""

from __future__ import annotations

import pytest
from alpha_node import Fleetlet

from botruntime.chain.tx import bank_send
from botruntime.fleet import Intent
from botruntime.wallet import AX

pytestmark = pytest.mark.anyio


async def test_a_fenced_fleet_neither_signs_nor_submits_and_counts_why(
    fleetlet: Fleetlet,
) -> None:
    allowed = [False]
    fleetlet.ctx.may_send = lambda: allowed[0]
    intent = Intent(fleetlet.ctx, "act", "alpha", 0.0)
    bot = fleetlet.bot
    before = (bot.wallet.spendable(AX), bot.next_nonce("alpha"), len(fleetlet.node.sent))
    to = fleetlet.bot.alpha_address
    landed = await intent.transact(bot, [bank_send(to, 5)], spend=AX, amount=5)
    answer = await intent.submit(_never_awaited(), tx="replay")
    assert landed is None and answer is None
    after = (bot.wallet.spendable(AX), bot.next_nonce("alpha"), len(fleetlet.node.sent))
    assert after == before  # no hold, no nonce spent, nothing reached the node
    assert fleetlet.count("n.reject", code="fenced", expected="no") == 2
    allowed[0] = True
    landed = await intent.transact(bot, [bank_send(to, 5)], spend=AX, amount=5)
    assert landed is not None and len(fleetlet.node.sent) == before[2] + 1


async def _never_awaited() -> str:
    raise AssertionError("a fenced submit must not run the call")
