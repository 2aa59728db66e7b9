"""The AlphaBook: what Alpha's modules owe the bots is credited once, and only when due."""

from __future__ import annotations

from typing import Any

import pytest

from botruntime.bots.bot import Bot
from botruntime.chain.alpha import HttpAlphaClient
from botruntime.chain.testing import MockTransport, Request, answer, error_answer
from botruntime.chain.transport import Answer
from botruntime.chain.tx import delegate, gov_deposit, submit_proposal, undelegate
from botruntime.fleet._alpha_book import AlphaBook
from botruntime.wallet import AX, SAX

pytestmark = pytest.mark.anyio

V = Bot("validators", 0, "validator").alpha_address


class Chain:
    """The reads `settle` makes, from plain state; the height climbs one block per read."""

    def __init__(self) -> None:
        self.height = 20
        self.withdrawn: dict[str, int] = {}
        self.proposals: list[dict[str, Any]] = []
        self.payouts: list[dict[str, Any]] | None = []

    def __call__(self, request: Request) -> Answer:
        path = request.path
        if path == "/staking/params":
            return answer({"unbonding_blocks": 5})
        if path == "/blocks/latest":
            self.height += 1
            block = {"height": self.height, "time": "2026-01-01T00:00:00.000000Z"}
            return answer({**block, "hash": "H", "prev_hash": "P", "txs": []})
        if path.endswith("/rewards"):
            address = path.split("/")[2]
            paid = str(self.withdrawn.get(address, 0))
            return answer({"delegator": address, "rewards": [], "total": "0", "withdrawn": paid})
        if path == "/gov/proposals":
            return answer({"proposals": self.proposals})
        if path == "/campaign/payouts":
            if self.payouts is None:
                return error_answer(404, "not_found")
            return answer({"payouts": self.payouts})
        raise AssertionError(f"unexpected {path}")


def _proposal(pid: int, proposer: str, submit_height: int, status: str) -> dict[str, Any]:
    return {
        "id": pid,
        "proposer": proposer,
        "title": "t",
        "param": "",
        "value": "0",
        "status": status,
        "submit_height": submit_height,
        "deposit_end": 0,
        "voting_start": 0,
        "voting_end": 0,
        "total_deposit": "0",
        "executed_height": 0,
    }


async def _settle(book: AlphaBook, chain: Chain, bots: list[Bot], wait_s: float = 5.0) -> list[str]:
    client = HttpAlphaClient(transport=MockTransport(chain), chain_id="alpha-simnet-1")
    owners = {bot.alpha_address: bot for bot in bots}
    return await book.settle(lambda bot: client, owners, block_time_s=0.001, wait_s=wait_s)


def test_a_delegation_credits_its_sax_at_once() -> None:
    book, bot = AlphaBook(), Bot("seed", 0, "staker")
    book.committed(bot, delegate(V, 7), height=3)
    assert bot.wallet.balance(SAX) == 7
    assert book.stakers == {0: bot}


async def test_an_unbonding_is_credited_once_the_chain_passed_its_completion() -> None:
    book, bot, chain = AlphaBook(), Bot("seed", 0, "staker"), Chain()
    book.committed(bot, undelegate(V, 9), height=30)  # completes at 35; the chain is at 20
    assert bot.wallet.balance(AX) == 0  # nothing before maturity
    problems = await _settle(book, chain, [bot])
    assert (problems, bot.wallet.balance(AX), chain.height) == ([], 9, 35)
    await _settle(book, chain, [bot])
    assert bot.wallet.balance(AX) == 9  # once


async def test_an_unbonding_the_chain_does_not_reach_in_time_is_not_credited() -> None:
    book, bot, chain = AlphaBook(), Bot("seed", 0, "staker"), Chain()
    book.committed(bot, undelegate(V, 9), height=10_000)
    problems = await _settle(book, chain, [bot], wait_s=0.0)
    assert bot.wallet.balance(AX) == 0
    assert len(problems) == 1 and "completes at 10005" in problems[0]


async def test_rewards_paid_are_credited_by_what_the_chains_total_gained() -> None:
    book, bot, chain = AlphaBook(), Bot("seed", 0, "staker"), Chain()
    book.committed(bot, delegate(V, 1), height=3)
    chain.withdrawn[bot.alpha_address] = 40
    await _settle(book, chain, [bot])
    chain.withdrawn[bot.alpha_address] = 45
    await _settle(book, chain, [bot])
    assert bot.wallet.balance(AX) == 45


async def test_deposits_come_back_unless_the_proposal_was_vetoed() -> None:
    book, chain = AlphaBook(), Chain()
    alice, bob = Bot("seed", 0, "proposer"), Bot("seed", 1, "voter")
    book.committed(alice, submit_proposal("t", 10, "min_fee_base", 550), height=4)
    book.committed(alice, submit_proposal("u", 3), height=6)
    book.committed(bob, gov_deposit(2, 5), height=7)
    book.committed(bob, gov_deposit(1, 2), height=8)
    chain.proposals = [
        _proposal(1, alice.alpha_address, 4, "passed"),
        _proposal(2, alice.alpha_address, 6, "vetoed"),
    ]
    assert await _settle(book, chain, [alice, bob]) == []
    assert (alice.wallet.balance(AX), bob.wallet.balance(AX)) == (10, 2)


async def test_campaign_payouts_are_credited_once_and_absent_on_other_networks() -> None:
    book, chain = AlphaBook(), Chain()
    bot, stranger = Bot("seed", 0, "staker"), Bot("seed", 9, "staker")
    row = {"epoch": 1, "cluster": "c", "amount": "10", "height": 60}
    chain.payouts = [{**row, "address": bot.alpha_address}, {**row, "address": "ax1other"}]
    await _settle(book, chain, [bot])
    await _settle(book, chain, [bot])
    assert bot.wallet.balance(AX) == 10
    chain.payouts = None
    assert await _settle(book, chain, [stranger]) == []
    assert stranger.wallet.balance(AX) == 0


def test_claimable_rewards_may_only_grow_between_stake_moves() -> None:
    book, bot = AlphaBook(), Bot("seed", 0, "staker")
    assert book.rewards_read(bot, 10) and book.rewards_read(bot, 12)
    assert not book.rewards_read(bot, 11)
    book.committed(bot, delegate(V, 1), height=3)  # its rewards were paid out
    assert book.rewards_read(bot, 0)
