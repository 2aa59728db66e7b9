"""Governance on Alpha (L4 governance_cycle): proposers, depositors and stake-weighted voters.

Proposals of this run carry its id in their title (`tb:<run>:<bot> …`), so a run only ever
deposits into, votes on and audits its own. A voter's power is its bonded stake, so a voter
with nothing delegated bonds most of its AX first. Two reads check the chain against what
the bots can recompute themselves from public queries: `audit_tally` (a closed proposal's tally
equals each voter's last vote times its stake, SCENARIOS.md L4 C1) and `check_params` (a
passed parameter change shows in `GET /params` from its execution height, C3).
"""

from __future__ import annotations

from random import Random
from typing import TYPE_CHECKING, Final

from botruntime.behaviors._table import behavior
from botruntime.behaviors.legitimate.staking import delegate_some
from botruntime.bots.bot import Bot
from botruntime.chain import tx as msgs
from botruntime.chain.alpha_models import Proposal
from botruntime.wallet import AX, SAX

if TYPE_CHECKING:  # the fleet imports the behaviours: at run time they only receive these
    from botruntime.fleet import Chains, Intent

__all__ = [
    "audit_tally",
    "change_vote",
    "check_params",
    "deposit",
    "propose_underfunded",
    "run_tally",
    "submit_proposal",
    "vote",
]

OPTIONS: Final = ("yes", "no", "abstain", "no_with_veto")
PPM: Final = 1_000_000
# SCENARIOS.md L4: yes 55 / no 25 / abstain 10 / veto 10
_OPTION_WEIGHTS: Final = (55, 25, 10, 10)
# the parameter a param-change proposal raises by 10 % (L4: "raise the minimum fee 10 %")
FEE_PARAM: Final = "min_fee_base"
# a voter with no stake bonds this share of its spendable AX before it votes
_VOTER_STAKE: Final = 0.8
# one vote in this many goes to a closed proposal of the run: the chain must refuse it
_LATE_ONE_IN: Final = 10


def _title_prefix(rec: Intent) -> str:
    return f"tb:{rec.run_id}:"


async def _ours(chains: Chains, rec: Intent) -> list[Proposal] | None:
    """This run's proposals (their title names the run), or None when the read failed."""
    found = await rec.query("proposals", chains.alpha.proposals())
    if found is None:
        return None
    prefix = _title_prefix(rec)
    return [p for p in found if p.title.startswith(prefix)]


def run_tally(votes: dict[str, dict[str, int]], power: dict[str, int]) -> dict[str, int]:
    """Each voter's last vote (option -> ppm weight) times its power, per option: the tally
    a closed proposal must show (simnet's `gov/tally`, computed from public reads)."""
    out = dict.fromkeys(OPTIONS, 0)
    for voter, weights in votes.items():
        for option, ppm in weights.items():
            out[option] = out.get(option, 0) + power.get(voter, 0) * ppm // PPM
    return out


@behavior("submit_proposal", group="legitimate", chain="alpha", sends_tx=True)
async def submit_proposal(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Open a proposal. The run's proposals alternate, first a 10 % raise of the minimum fee
    with the full deposit (voting opens at once), then a text proposal with the least initial
    deposit, which the voters' deposits must top up within the deposit period."""
    gov = await rec.query("gov_params", chains.alpha.gov_params())
    ours = await _ours(chains, rec)
    if gov is None or ours is None:
        return
    title = f"{_title_prefix(rec)}{bot.index}:{int(rec.intended_ts * 1000)}"
    if len(ours) % 2 == 0:
        params = await rec.query("params", chains.alpha.params())
        if params is None:
            return
        old = params.integer(FEE_PARAM)
        amount = gov.integer("min_deposit")
        msg = msgs.submit_proposal(f"{title} raise {FEE_PARAM}", amount, FEE_PARAM, old + old // 10)
    else:
        amount = gov.integer("min_initial_deposit")
        msg = msgs.submit_proposal(f"{title} text", amount)
    if amount > bot.wallet.spendable(AX) - chains.side("alpha").fee:
        return
    await rec.transact(bot, [msg], spend=AX, amount=amount)


@behavior("propose_underfunded", group="legitimate", chain="alpha", sends_tx=True)
async def propose_underfunded(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Open a text proposal with one base unit less than the minimum initial deposit: the
    chain must refuse it (anti-spam); `chain.underfunded_proposals_accepted` counts it if not."""
    gov = await rec.query("gov_params", chains.alpha.gov_params())
    if gov is None:
        return
    amount = gov.integer("min_initial_deposit") - 1
    if not 0 < amount <= bot.wallet.spendable(AX) - chains.side("alpha").fee:
        return
    title = f"{_title_prefix(rec)}{bot.index}:{int(rec.intended_ts * 1000)} underfunded"
    landed = await rec.transact(bot, [msgs.submit_proposal(title, amount)], spend=AX, amount=amount)
    if landed is not None and landed.ok:
        rec.count("chain.underfunded_proposals_accepted")


@behavior("deposit", group="legitimate", chain="alpha", sends_tx=True)
async def deposit(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Top up a proposal of this run still in its deposit period with 1-5 AX."""
    ours = await _ours(chains, rec)
    waiting = [p for p in ours or () if p.status == "deposit_period"]
    amount = rng.randint(1, 5) * AX.unit
    if not waiting or amount > bot.wallet.spendable(AX) - chains.side("alpha").fee:
        return
    proposal = rng.choice(waiting)
    await rec.transact(bot, [msgs.gov_deposit(proposal.id, amount)], spend=AX, amount=amount)


async def _voter_ready(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> bool:
    """A voter's power is its stake: one with none bonds most of its AX first (this action)."""
    if bot.wallet.balance(SAX) > 0:
        return True
    await delegate_some(bot, chains, rng, rec, fraction=_VOTER_STAKE)
    return False


@behavior("vote", group="legitimate", chain="alpha", sends_tx=True)
async def vote(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Vote yes 55 / no 25 / abstain 10 / veto 10 on a proposal of this run in its voting
    period; one vote in ten goes to a closed one, which the chain must refuse."""
    if not await _voter_ready(bot, chains, rng, rec):
        return
    ours = await _ours(chains, rec)
    if not ours:
        return
    late = rng.randrange(_LATE_ONE_IN) == 0
    open_now = [p for p in ours if p.status == "voting_period"]
    closed = [p for p in ours if not p.open]
    candidates = closed if late and closed else open_now
    if not candidates:
        return
    proposal = rng.choice(candidates)
    option = rng.choices(OPTIONS, _OPTION_WEIGHTS)[0]
    landed = await rec.transact(bot, [msgs.gov_vote(proposal.id, option)], spend=AX, amount=0)
    if landed is not None and landed.ok and not proposal.open:
        rec.count("chain.late_votes_accepted")


@behavior("change_vote", group="legitimate", chain="alpha", sends_tx=True)
async def change_vote(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Change the bot's vote on a proposal of this run still in voting to another option,
    drawn with the same weights as a vote (or cast a first one): only the last vote counts."""
    if not await _voter_ready(bot, chains, rng, rec):
        return
    ours = await _ours(chains, rec)
    open_now = [p for p in ours or () if p.status == "voting_period"]
    if not open_now:
        return
    proposal = rng.choice(open_now)
    votes = await rec.query("votes", chains.alpha.votes(proposal.id))
    if votes is None:
        return
    mine = next((v.options for v in votes if v.voter == bot.alpha_address), {})
    others = [(o, w) for o, w in zip(OPTIONS, _OPTION_WEIGHTS, strict=True) if o not in mine]
    option = rng.choices([o for o, _ in others], [w for _, w in others])[0]
    await rec.transact(bot, [msgs.gov_vote(proposal.id, option)], spend=AX, amount=0)


@behavior("audit_tally", group="legitimate", chain="alpha")
async def audit_tally(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Recompute a closed proposal's tally from its votes and each voter's stake read from
    the validators' delegations; count `chain.tally_mismatch` when the chain's differs."""
    ours = await _ours(chains, rec)
    closed = [p for p in ours or () if not p.open and p.status != "expired"]
    if not closed:
        return
    proposal = rng.choice(closed)
    tally = await rec.query("tally", chains.alpha.tally(proposal.id))
    votes = await rec.query("votes", chains.alpha.votes(proposal.id))
    validators = await rec.query("validators", chains.alpha.validators())
    if tally is None or votes is None or validators is None or not tally.final:
        return
    power: dict[str, int] = {}
    for validator in validators:
        held = await rec.query(
            "validator_delegations", chains.alpha.validator_delegations(validator.operator)
        )
        if held is None:
            return
        for delegation in held:
            power[delegation.delegator] = power.get(delegation.delegator, 0) + delegation.tokens
    expected = run_tally({v.voter: dict(v.options) for v in votes}, power)
    rec.count("chain.tallies_checked")
    if {o: tally.tally.get(o, 0) for o in OPTIONS} != expected:
        rec.count("chain.tally_mismatch", proposal=str(proposal.id))


@behavior("check_params", group="legitimate", chain="alpha")
async def check_params(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """A passed parameter change of this run shows in `GET /params` from its execution height;
    count `chain.param_changes_seen`, or `chain.param_changes_missing` when it does not."""
    ours = await _ours(chains, rec)
    passed = [p for p in ours or () if p.status == "passed" and p.param]
    if not passed:
        return
    proposal = max(passed, key=lambda p: p.executed_height)  # the latest one is in force
    params = await rec.query("params", chains.alpha.params(min_height=proposal.executed_height))
    if params is None:
        return
    if params.integer(proposal.param) == proposal.value:
        rec.count("chain.param_changes_seen")
    else:
        rec.count("chain.param_changes_missing", proposal=str(proposal.id))
