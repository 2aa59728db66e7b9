"""The governance behaviours against a scripted Alpha node: proposals of this run only, votes
by stake, changed votes, and the two audits (tally, parameter change)."""

from __future__ import annotations

from typing import Any

import pytest
from alpha_node import FEE, VALIDATORS, Fleetlet

from botruntime.behaviors.legitimate import governance
from botruntime.wallet import AX, SAX

pytestmark = pytest.mark.anyio

WHOLE = AX.unit


def _proposal(pid: int, status: str, *, run: str = "run-1", **extra: Any) -> dict[str, Any]:
    return {
        "id": pid,
        "proposer": VALIDATORS[0],
        "title": f"tb:{run}:0:{pid} text",
        "param": "",
        "value": "0",
        "status": status,
        "submit_height": 3,
        "deposit_end": 13,
        "voting_start": 3,
        "voting_end": 13,
        "total_deposit": "10000000",
        "executed_height": 0,
        **extra,
    }


async def test_a_voter_without_stake_bonds_most_of_its_ax_first(fleetlet: Fleetlet) -> None:
    fleetlet.node.proposals = [_proposal(1, "voting_period")]
    await fleetlet.act(governance.vote)
    (msg,) = fleetlet.node.sent
    assert msg["type"] == "staking.delegate"
    assert int(str(msg["amount"])) == int((10_000 * WHOLE - FEE) * 0.8)
    await fleetlet.act(governance.vote, seed=2)
    assert fleetlet.node.sent[-1]["type"] == "gov.vote"


async def test_votes_go_to_this_runs_open_proposals_only(fleetlet: Fleetlet) -> None:
    fleetlet.bot.wallet.credit(SAX, WHOLE)
    fleetlet.node.proposals = [
        _proposal(1, "voting_period", run="other-run"),
        _proposal(2, "voting_period"),
        _proposal(3, "deposit_period"),
    ]
    for seed in range(20):
        await fleetlet.act(governance.vote, seed=seed)
    votes = fleetlet.node.sent
    assert len(votes) == 20 and {v["proposal_id"] for v in votes} == {2}
    assert {v["option"] for v in votes} <= set(governance.OPTIONS)


async def test_a_late_vote_the_chain_takes_is_counted_and_a_refused_one_is_not(
    fleetlet: Fleetlet,
) -> None:
    fleetlet.bot.wallet.credit(SAX, WHOLE)
    fleetlet.node.proposals = [_proposal(1, "passed"), _proposal(2, "voting_period")]
    for seed in range(30):
        await fleetlet.act(governance.vote, seed=seed)
    late = [v for v in fleetlet.node.sent if v["proposal_id"] == 1]
    assert 0 < len(late) < 10
    assert fleetlet.count("chain.late_votes_accepted") == len(late)  # this node takes them
    fleetlet.node.rejects["gov.vote"] = "voting_closed"
    for seed in range(30):
        await fleetlet.act(governance.vote, seed=seed)
    assert fleetlet.count("chain.late_votes_accepted") == len(late)


async def test_change_vote_picks_another_option(fleetlet: Fleetlet) -> None:
    fleetlet.bot.wallet.credit(SAX, WHOLE)
    fleetlet.node.proposals = [_proposal(4, "voting_period")]
    fleetlet.node.votes[4] = [
        {"voter": fleetlet.bot.alpha_address, "options": {"yes": 1_000_000}},
        {"voter": VALIDATORS[1], "options": {"no": 1_000_000}},
    ]
    for seed in range(15):
        await fleetlet.act(governance.change_vote, seed=seed)
    assert {v["option"] for v in fleetlet.node.sent} <= {"no", "abstain", "no_with_veto"}
    assert len(fleetlet.node.sent) == 15


async def test_proposals_alternate_fee_raise_and_text(fleetlet: Fleetlet) -> None:
    await fleetlet.act(governance.submit_proposal)
    (raise_fee,) = fleetlet.node.sent
    assert raise_fee["type"] == "gov.submit_proposal"
    assert (raise_fee["param"], raise_fee["value"]) == ("min_fee_base", "550")
    assert raise_fee["deposit"] == "10000000"  # the full deposit: voting opens at once
    assert str(raise_fee["title"]).startswith("tb:run-1:0:")
    fleetlet.node.proposals = [_proposal(1, "voting_period")]
    await fleetlet.act(governance.submit_proposal)
    text = fleetlet.node.sent[-1]
    assert (text["param"], text["deposit"]) == ("", "2000000")
    assert fleetlet.bot.wallet.balance(AX) == 10_000 * WHOLE - 12 * WHOLE - 2 * FEE


async def test_deposit_tops_up_a_proposal_in_its_deposit_period(fleetlet: Fleetlet) -> None:
    fleetlet.node.proposals = [_proposal(1, "voting_period"), _proposal(2, "deposit_period")]
    await fleetlet.act(governance.deposit)
    (msg,) = fleetlet.node.sent
    assert msg["type"] == "gov.deposit" and msg["proposal_id"] == 2
    assert WHOLE <= int(str(msg["amount"])) <= 5 * WHOLE
    (held,) = fleetlet.ctx.alpha_book.deposits
    assert (held.proposal_id, held.amount) == (2, int(str(msg["amount"])))


def test_the_run_tally_is_the_last_vote_times_stake() -> None:
    tally = governance.run_tally(
        {"a": {"yes": 1_000_000}, "b": {"yes": 700_000, "no": 300_000}, "c": {"abstain": 10**6}},
        {"a": 10, "b": 100, "c": 7},
    )
    assert tally == {"yes": 80, "no": 30, "abstain": 7, "no_with_veto": 0}


@pytest.mark.parametrize(("chain_yes", "mismatches"), [("70", 0), ("140", 1)])
async def test_audit_tally_recomputes_a_closed_tally_from_votes_and_stake(
    fleetlet: Fleetlet, chain_yes: str, mismatches: int
) -> None:
    node = fleetlet.node
    node.proposals = [_proposal(5, "passed"), _proposal(6, "voting_period")]
    node.votes[5] = [
        {"voter": "ax-alice", "options": {"yes": 1_000_000}},
        {"voter": "ax-bob", "options": {"no": 1_000_000}},
    ]
    node.validator_delegations = {
        VALIDATORS[0]: [{"delegator": "ax-alice", "shares": "50", "tokens": "50"}],
        VALIDATORS[1]: [
            {"delegator": "ax-alice", "shares": "20", "tokens": "20"},
            {"delegator": "ax-bob", "shares": "30", "tokens": "30"},
        ],
    }
    tally = {"yes": chain_yes, "no": "30", "abstain": "0", "no_with_veto": "0"}
    node.tallies[5] = {"proposal_id": 5, "final": True, "tally": tally}
    await fleetlet.act(governance.audit_tally)
    assert fleetlet.count("chain.tallies_checked") == 1
    assert fleetlet.count("chain.tally_mismatch", proposal="5") == mismatches


@pytest.mark.parametrize(("in_force", "seen", "missing"), [(605, 1, 0), (550, 0, 1)])
async def test_check_params_reads_the_latest_passed_change_from_its_height(
    fleetlet: Fleetlet, in_force: int, seen: int, missing: int
) -> None:
    fee = "min_fee_base"
    fleetlet.node.proposals = [
        _proposal(1, "passed", param=fee, value="550", executed_height=20),
        _proposal(2, "passed", param=fee, value="605", executed_height=40),
        _proposal(3, "rejected", param=fee, value="999"),
    ]
    fleetlet.node.params = {"min_fee_base": in_force}
    await fleetlet.act(governance.check_params)
    (asked,) = [r for r in fleetlet.transport.requests if r.path == "/params"]
    assert asked.min_height == 40
    assert fleetlet.count("chain.param_changes_seen") == seen
    assert fleetlet.count("chain.param_changes_missing", proposal="2") == missing


async def test_an_underfunded_proposal_the_chain_takes_is_counted(fleetlet: Fleetlet) -> None:
    fleetlet.node.rejects["gov.submit_proposal"] = "invalid_amount"
    await fleetlet.act(governance.propose_underfunded)
    assert fleetlet.node.sent[-1]["deposit"] == "1999999"  # the minimum initial less one unit
    assert fleetlet.count("chain.underfunded_proposals_accepted") == 0
    assert fleetlet.bot.wallet.balance(AX) == 10_000 * WHOLE  # refused: nothing spent
    del fleetlet.node.rejects["gov.submit_proposal"]
    await fleetlet.act(governance.propose_underfunded)
    assert fleetlet.count("chain.underfunded_proposals_accepted") == 1
