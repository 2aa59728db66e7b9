"""The `fleetlet` fixture: one bot on a scripted Alpha node (`alpha_node.AlphaNode`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from alpha_node import FEE, RUN_SEED, AlphaNode, Fleetlet

from botruntime.bots.bot import Bot
from botruntime.chain.alpha import HttpAlphaClient
from botruntime.chain.testing import MockTransport
from botruntime.chain.tx import JsonValue
from botruntime.fleet import ChainSide, FleetContext, Peers
from botruntime.fleet._commits import CommitWatcher, Events
from botruntime.metrics import Recorder
from botruntime.wallet import AX


@pytest.fixture
async def fleetlet() -> AsyncIterator[Fleetlet]:
    """A bot holding 10,000 AX on a fresh `AlphaNode`, with a commit watcher following the
    node's blocks for the length of the test. Like the fleet's own observer, the watcher
    hands the bot's committed messages to the context's `AlphaBook`."""
    node = AlphaNode()
    transport = MockTransport(node)
    client = HttpAlphaClient(transport=transport, chain_id="alpha-simnet-1")
    bot = Bot(RUN_SEED, 0, "staker")
    bot.wallet.credit(AX, 10_000 * AX.unit)

    def on_tx(
        tx_hash: str, wire: dict[str, JsonValue], code: str, height: int, events: Events
    ) -> None:
        body = wire["body"]
        assert isinstance(body, dict) and isinstance(body["msgs"], list)
        for msg in body["msgs"]:
            assert isinstance(msg, dict)
            if code == "ok" and body["sender"] == bot.alpha_address:
                ctx.alpha_book.committed(bot, msg, height)

    watcher = CommitWatcher(client, poll_s=0.001, on_tx=on_tx)
    side = ChainSide("alpha", [client], watcher, fee=FEE, native=AX)
    ctx = FleetContext(
        run_id="run-1", recorder=Recorder(), sides={"alpha": side}, peers=Peers(RUN_SEED, 4)
    )
    ctx.owners[bot.alpha_address] = bot
    await watcher.start()
    task = asyncio.create_task(watcher.run(), name="test-commit-watcher")
    try:
        yield Fleetlet(node, transport, ctx, bot)
    finally:
        task.cancel()
