"""`get_health`: a monitor's probe of the bot's Alpha node, measured as lat.query{health}."""

import random

import pytest

from botruntime.behaviors import BEHAVIORS
from botruntime.bots.bot import Bot
from botruntime.chain.alpha import HttpAlphaClient
from botruntime.chain.testing import MockTransport, Request, answer
from botruntime.chain.transport import Answer
from botruntime.fleet import Chains, ChainSide, FleetContext, Intent, Peers
from botruntime.fleet._commits import CommitWatcher
from botruntime.metrics import Recorder
from botruntime.wallet import AX

pytestmark = pytest.mark.anyio


async def test_get_health_asks_the_bots_node_and_records_a_query() -> None:
    def node(request: Request) -> Answer:
        return answer({"ok": True})

    transport = MockTransport(node)
    client = HttpAlphaClient(transport=transport, chain_id="alpha-simnet-1")
    side = ChainSide("alpha", [client], CommitWatcher(client), fee=2000, native=AX)
    ctx = FleetContext(run_id="r", recorder=Recorder(), sides={"alpha": side}, peers=Peers("s", 2))
    bot = Bot("s", 0, "general_user")
    rec = Intent(ctx, "get_health", "alpha", 0.0)
    await BEHAVIORS["get_health"].fn(bot, Chains(ctx, bot), random.Random(1), rec)
    assert [(r.method, r.path, r.client_id) for r in transport.requests] == [
        ("GET", "/health", "r-bot0")
    ]
    delta = ctx.recorder.flush(0)
    assert any("health" in str(h.key) for h in delta.histograms)
