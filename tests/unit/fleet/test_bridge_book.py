"""The fleet's bridge book credits each transfer id once, whichever way the fleet learns of it."""

from typing import Any

from botruntime.bots.bot import Bot
from botruntime.chain.bridge_models import BridgeTransfer
from botruntime.fleet._bridge import BridgeBook
from botruntime.metrics import Recorder
from botruntime.wallet import AX, BAX

BOT = Bot("book-tests", 0, "bridge_user")


def book() -> tuple[BridgeBook, Bot, Recorder]:
    bot = Bot("book-tests", 0, "bridge_user")
    recorder = Recorder()
    owners = {bot.alpha_address: bot, bot.delta_address: bot}
    return BridgeBook(recorder, owners), bot, recorder


def transfer(tid: str, status: str, direction: str = "a2d", amount: int = 5) -> BridgeTransfer:
    a2d = direction == "a2d"
    wire: dict[str, Any] = {
        "id": tid,
        "direction": direction,
        "sender": BOT.alpha_address if a2d else BOT.delta_address,
        "recipient": BOT.delta_address if a2d else BOT.alpha_address,
        "amount": str(amount),
        "source_height": 1,
        "timeout_height": 51,
        "withhold": False,
        "status": status,
        "mints": int(status == "completed"),
        "refunds": int(status == "refunded"),
        "claim_height": 0,
        "refund_height": 0,
        "source_chain": "alpha-simnet-1" if a2d else "delta-simnet-1",
        "destination_chain": "delta-simnet-1" if a2d else "alpha-simnet-1",
        "attestation": None,
    }
    return BridgeTransfer.from_wire(wire, "test")


def claim(tid: str, recipient: str, amount: int = 5) -> dict[str, Any]:
    return {
        "type": "bridge.claim",
        "transfer_id": tid,
        "recipient": recipient,
        "amount": str(amount),
    }


def test_a_claim_credits_once_and_a_second_claim_is_counted_not_credited() -> None:
    ledger, bot, recorder = book()
    assert not ledger.used
    ledger.claimed("delta", claim("ax-1", bot.delta_address))
    ledger.claimed("delta", claim("ax-1", bot.delta_address))
    ledger.claimed("alpha", claim("dx-2", bot.alpha_address, 3))
    assert (bot.wallet.balance(BAX), bot.wallet.balance(AX)) == (5, 3)
    assert recorder.counter("chain.bridge_claims", chain="delta", credit="first").value == 1
    assert recorder.counter("chain.bridge_claims", chain="delta", credit="first").value == 1
    assert ledger.used


def test_a_claim_paying_someone_else_is_not_this_fleets() -> None:
    ledger, bot, recorder = book()
    ledger.claimed("delta", claim("ax-1", Bot("book-tests", 9, "x").delta_address))
    assert bot.wallet.balances() == {}
    assert recorder.counter("chain.bridge_claims", chain="delta", credit="first").value == 0


def test_settling_credits_refunds_at_once_and_completions_only_at_the_end() -> None:
    ledger, bot, _ = book()
    read = [transfer("ax-1", "refunded"), transfer("dx-2", "refunded", "d2a", 4)]
    read += [transfer("ax-3", "completed", amount=7), transfer("ax-4", "pending")]
    assert ledger.settle(read, completed=False) == 2
    assert (bot.wallet.balance(AX), bot.wallet.balance(BAX)) == (5, 4)  # back where they came
    assert ledger.settle(read, completed=False) == 0  # once
    assert ledger.settle(read, completed=True) == 1  # ax-3, whose claim no watcher saw
    assert bot.wallet.balance(BAX) == 4 + 7


def test_a_transfer_claimed_in_a_block_is_not_credited_again_when_read() -> None:
    ledger, bot, _ = book()
    ledger.claimed("delta", claim("ax-3", bot.delta_address, 7))
    # read later as completed, or (a broken chain) refunded as well: still one credit
    assert ledger.settle([transfer("ax-3", "completed", amount=7)], completed=True) == 0
    assert ledger.settle([transfer("ax-3", "refunded", amount=7)], completed=True) == 0
    assert bot.wallet.balances() == {BAX: 7}


def test_transfers_ended_before_a_takeover_are_never_credited_again() -> None:
    ledger, bot, recorder = book()
    ledger.known([transfer("ax-1", "completed"), transfer("ax-2", "pending")])
    # its claim's block read after the resync: the first claim seen, not credited again
    ledger.claimed("delta", claim("ax-1", bot.delta_address))
    assert ledger.settle([transfer("ax-1", "completed")], completed=True) == 0
    assert ledger.settle([transfer("ax-2", "refunded")], completed=True) == 1
    assert bot.wallet.balances() == {AX: 5}
    assert recorder.counter("chain.bridge_claims", chain="delta", credit="first").value == 1
