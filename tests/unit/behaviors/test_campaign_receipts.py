"""What the fleet credits from the chain beyond bank payments: faucet credits and the sAX a
delegation mints (from the blocks), and the campaign's payouts (when the run reconciles)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_alpha_node import FakeAlpha, stage

from botruntime.bots.bot import Bot
from botruntime.fleet import Fleet
from botruntime.metrics import Recorder
from botruntime.plan import PlanSource, Target, compile_plan
from botruntime.wallet import AX, SAX

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _fleet(node: FakeAlpha) -> Fleet:
    text = (ROOT / "scenarios" / "sybil_farming.yaml").read_text()
    plan = compile_plan(PlanSource(text, "smoke", "1", Target(is_simnet=True), "run-1"))
    fleet = Fleet(plan.part(range(0, 2)), Recorder())
    st = stage(node)
    fleet.ctx = st.ctx
    fleet.bots = [Bot(plan.seed, i, "general_user") for i in (0, 1)]
    for bot in fleet.bots:
        st.ctx.owners[bot.alpha_address] = bot
    return fleet


def test_a_faucet_credit_and_a_delegations_sax_reach_the_shadow_ledger() -> None:
    fleet = _fleet(FakeAlpha())
    bot = fleet.bots[0]
    on_tx = fleet._receipts("alpha", "alpha-simnet-1")
    faucet = {"faucet": {"address": bot.alpha_address, "denom": "AX", "amount": "7"}}
    on_tx("F" * 64, faucet, "ok", 3, ())
    delegate = {
        "body": {
            "sender": bot.alpha_address,
            "memo": "tb:run-1:0:1",
            "msgs": [{"type": "staking.delegate", "validator": "ax1v", "amount": "5"}],
        }
    }
    on_tx("D" * 64, delegate, "ok", 4, ())
    on_tx("E" * 64, delegate, "insufficient_funds", 5, ())  # failed: minted nothing
    assert bot.wallet.balances() == {AX: 7, SAX: 5}


async def test_campaign_payouts_since_the_run_began_are_credited_once_reconciling() -> None:
    node = FakeAlpha()
    fleet = _fleet(node)
    bot, other = fleet.bots
    assert fleet.ctx is not None
    fleet.ctx.sides["alpha"].watcher.start_height = 10
    node.payouts = [
        {"epoch": 0, "address": bot.alpha_address, "cluster": "c", "amount": "9", "height": 60},
        {"epoch": 0, "address": other.alpha_address, "cluster": "c", "amount": "9", "height": 5},
    ]
    assert await fleet._settle_alpha() == []
    assert bot.wallet.balances() == {AX: 9} and other.wallet.balances() == {}
