"""Alpha governance: proposals, deposits, stake-weighted (and split) votes, tally, param changes.

A proposal opens with at least `min_deposit x min_initial_deposit_ratio` (rounded up) and
enters voting once its deposits reach `min_deposit`; a proposal that does not within the
deposit period expires and its deposits burn. A vote is one option (`yes`, `no`, `abstain`,
`no_with_veto`) or a split such as `yes:700000,no:300000` (weights in ppm summing to 10^6); a
voter's last vote counts, weighted by its bonded stake at the end of voting. At voting end:
no quorum or no majority rejects (deposits refunded), a veto share above the limit burns the
deposits, otherwise the proposal passes and its parameter change takes effect at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from botruntime.chain.tx import Denom, JsonValue, Msg
from simnet._chain import Chain
from simnet._entry import Entry
from simnet._errors import Rejected
from simnet._module import Check, Module
from simnet.alpha._params import PPM, AlphaParams
from simnet.alpha._staking import Staking
from simnet.alpha._wire import integer, state_of, versioned

__all__ = ["GOV", "OPTIONS", "Gov", "Proposal", "parse_option"]

GOV: Final = "gov"
AX: Final = Denom.AX.value
OPTIONS: Final = ("yes", "no", "abstain", "no_with_veto")
Weights = tuple[tuple[str, int], ...]  # (option, ppm)


@dataclass(slots=True)
class Proposal:
    id: int
    proposer: str
    title: str
    param: str  # "" for a text proposal
    value: int
    submit_height: int
    deposit_end: int
    status: str = "deposit_period"  # voting_period, passed, rejected, vetoed, expired
    voting_start: int = 0
    voting_end: int = 0
    deposits: dict[str, int] = field(default_factory=dict)
    votes: list[tuple[str, Weights]] = field(default_factory=list)  # in order; last one counts
    power_at_end: dict[str, int] = field(default_factory=dict)
    tally: dict[str, int] = field(default_factory=dict)
    executed_height: int = 0

    @property
    def total_deposit(self) -> int:
        return sum(self.deposits.values())

    @property
    def open(self) -> bool:
        return self.status in ("deposit_period", "voting_period")

    def final_votes(self) -> dict[str, Weights]:
        return {voter: weights for voter, weights in self.votes}


def parse_option(text: str) -> Weights:
    """`yes` or `yes:700000,no:300000`; raise Rejected naming the fix."""
    if text in OPTIONS:
        return ((text, PPM),)
    weights: dict[str, int] = {}
    for part in text.split(","):
        option, _, ppm = part.partition(":")
        if option not in OPTIONS or option in weights or not (ppm.isascii() and ppm.isdigit()):
            break
        weights[option] = int(ppm)
    else:
        if sum(weights.values()) == PPM and all(w > 0 for w in weights.values()):
            return tuple(sorted(weights.items()))
    raise Rejected(
        "malformed",
        f"body.msgs[0].option: {text!r} is one of {list(OPTIONS)} or a split like "
        f"'yes:700000,no:300000' whose ppm weights sum to {PPM}",
        {"path": "body.msgs[0].option"},
    )


def tally_of(votes: Sequence[tuple[str, Weights]], power: Mapping[str, int]) -> dict[str, int]:
    out = dict.fromkeys(OPTIONS, 0)
    for voter, weights in votes:
        for option, ppm in weights:
            out[option] += power.get(voter, 0) * ppm // PPM
    return out


class Gov(Module):
    name = "gov"
    msg_types = frozenset({"gov.submit_proposal", "gov.deposit", "gov.vote"})

    def __init__(
        self,
        chain: Chain,
        params: AlphaParams,
        staking: Staking,
        apply_param: Callable[[str, int], None],
        check_param: Callable[[str, int], None],
    ) -> None:
        self.chain = chain
        self.params = params
        self.staking = staking
        self.apply_param = apply_param
        self.check_param = check_param
        self.proposals: dict[int, Proposal] = {}
        self.closed_tallies: dict[int, dict[str, int]] = {}  # as recorded at close

    # ---- messages ------------------------------------------------------------------------------

    def check(self, entry: Entry, msg: Msg, height: int) -> None:
        self._plan(entry, msg, height, entry.fee)

    def _plan(self, entry: Entry, msg: Msg, height: int, reserved: int) -> None:
        kind = msg["type"]
        sender = entry.sender
        if kind == "gov.submit_proposal":
            deposit = int(str(msg["deposit"]))
            least = self.params.initial_deposit()
            if deposit < least:
                raise Rejected(
                    "invalid_amount",
                    f"body.msgs[0].deposit: a proposal opens with at least {least} AX "
                    f"(min_deposit {self.params.min_deposit} x "
                    f"{self.params.min_initial_deposit_ppm} ppm)",
                    {"path": "body.msgs[0].deposit", "min_initial_deposit": str(least)},
                )
            param, value = str(msg["param"]), str(msg["value"])
            if param:
                if not (value.isascii() and value.isdigit() and len(value) < 30):
                    raise Rejected(
                        "invalid_amount",
                        f"body.msgs[0].value: {value!r} is a non-negative integer",
                        {"path": "body.msgs[0].value"},
                    )
                self.check_param(param, int(value))
            self._funds(sender, deposit, reserved)
            return
        proposal = self._proposal(msg, height)
        if kind == "gov.deposit":
            amount = int(str(msg["amount"]))
            if amount == 0:
                raise Rejected("invalid_amount", "body.msgs[0].amount: a deposit is > 0")
            self._funds(sender, amount, reserved)
        elif proposal.status != "voting_period":
            raise Rejected(
                "voting_closed",
                f"proposal {proposal.id} is in its deposit period until height "
                f"{proposal.deposit_end}; votes open when deposits reach "
                f"{self.params.min_deposit}",
                {"status": proposal.status},
            )
        else:
            parse_option(str(msg["option"]))

    def _proposal(self, msg: Msg, height: int) -> Proposal:
        pid = int(msg["proposal_id"])  # type: ignore[arg-type]
        proposal = self.proposals.get(pid)
        if proposal is None:
            raise Rejected(
                "not_found", f"body.msgs[0].proposal_id: no proposal {pid}", {"proposal_id": pid}
            )
        if not proposal.open:
            raise Rejected(
                "voting_closed",
                f"proposal {pid} closed ({proposal.status}); GET /gov/proposals/{pid}/tally",
                {"status": proposal.status},
            )
        return proposal

    def _funds(self, sender: str, amount: int, reserved: int) -> None:
        available = self.chain.ledger.balance(sender, AX) - reserved
        if amount > available:
            raise Rejected(
                "insufficient_funds",
                f"{sender} needs {amount} AX but has {max(available, 0)} after the fee",
                {"denom": AX, "needed": str(amount), "available": str(max(available, 0))},
            )

    def execute(self, entry: Entry, msg: Msg, height: int, reserved: int) -> None:
        self._plan(entry, msg, height, reserved)
        kind, sender = msg["type"], entry.sender
        if kind == "gov.submit_proposal":
            pid = len(self.proposals) + 1
            value = str(msg["value"])
            proposal = Proposal(
                pid,
                sender,
                str(msg["title"]),
                str(msg["param"]),
                int(value) if msg["param"] else 0,
                height,
                height + self.params.deposit_blocks,
            )
            self.proposals[pid] = proposal
            self._deposit(proposal, sender, int(str(msg["deposit"])), height)
        elif kind == "gov.deposit":
            proposal = self.proposals[int(msg["proposal_id"])]  # type: ignore[arg-type]
            self._deposit(proposal, sender, int(str(msg["amount"])), height)
        else:
            proposal = self.proposals[int(msg["proposal_id"])]  # type: ignore[arg-type]
            weights = parse_option(str(msg["option"]))
            if not self.chain.vulns.on("gov_revote_double_count"):
                proposal.votes = [(v, w) for v, w in proposal.votes if v != sender]
            proposal.votes.append((sender, weights))

    def _deposit(self, proposal: Proposal, sender: str, amount: int, height: int) -> None:
        self.chain.ledger.add(sender, AX, -amount)
        self.chain.ledger.add_module(GOV, AX, amount)
        proposal.deposits[sender] = proposal.deposits.get(sender, 0) + amount
        if (
            proposal.status == "deposit_period"
            and proposal.total_deposit >= self.params.min_deposit
        ):
            proposal.status = "voting_period"
            proposal.voting_start = height
            proposal.voting_end = height + self.params.voting_blocks

    # ---- end of periods ------------------------------------------------------------------------

    def end_block(self, height: int, taken: Sequence[Entry]) -> None:
        for proposal in self.proposals.values():
            if proposal.status == "deposit_period" and height >= proposal.deposit_end:
                proposal.status = "expired"
                self._settle_deposits(proposal, burn=True)
            elif proposal.status == "voting_period" and height >= proposal.voting_end:
                self._close(proposal, height)

    def _close(self, proposal: Proposal, height: int) -> None:
        voters = {voter for voter, _ in proposal.votes}
        proposal.power_at_end = {v: self.staking.stake_of(v) for v in sorted(voters)}
        counted = (
            proposal.votes
            if self.chain.vulns.on("gov_revote_double_count")
            else list(proposal.final_votes().items())
        )
        tally = tally_of(counted, proposal.power_at_end)
        proposal.tally = tally
        self.closed_tallies[proposal.id] = dict(tally)
        voted = sum(tally.values())
        bonded = self.staking.bonded_tokens()
        p = self.params
        if voted * PPM < p.quorum_ppm * bonded or voted == 0:
            proposal.status = "rejected"
        elif tally["no_with_veto"] * PPM > p.veto_ppm * voted:
            proposal.status = "vetoed"
        elif tally["yes"] * PPM > p.threshold_ppm * (voted - tally["abstain"]):
            proposal.status = "passed"
        else:
            proposal.status = "rejected"
        self._settle_deposits(proposal, burn=proposal.status == "vetoed")
        if proposal.status == "passed" and proposal.param:
            self.apply_param(proposal.param, proposal.value)
            proposal.executed_height = height

    def _settle_deposits(self, proposal: Proposal, burn: bool) -> None:
        ledger = self.chain.ledger
        for depositor, amount in sorted(proposal.deposits.items()):
            ledger.add_module(GOV, AX, -amount)
            if burn:
                ledger.supply[AX] -= amount
            else:
                ledger.add(depositor, AX, amount)

    # ---- export / import -----------------------------------------------------------------------

    def to_wire(self) -> JsonValue:
        return versioned(
            {
                "proposals": [_proposal_state(p) for p in self.proposals.values()],
                "closed_tallies": [[pid, _amounts(t)] for pid, t in self.closed_tallies.items()],
            }
        )

    def load_wire(self, wire: JsonValue) -> None:
        data = state_of(wire, self.name)
        proposals = [_proposal_from(w) for w in data["proposals"]]
        self.proposals = {p.id: p for p in proposals}
        self.closed_tallies = {
            integer(pid, "closed_tallies"): _amounts_from(t) for pid, t in data["closed_tallies"]
        }

    # ---- invariants ----------------------------------------------------------------------------

    def invariants(self) -> Mapping[str, Check]:
        return {"gov/module-account": self._module_account, "gov/tally": self._tally}

    def _module_account(self) -> str | None:
        held = self.chain.ledger.modules.get(GOV, {}).get(AX, 0)
        owed = sum(p.total_deposit for p in self.proposals.values() if p.open)
        return None if held == owed else f"gov holds {held} AX; open proposals' deposits {owed}"

    def _tally(self) -> str | None:
        for pid, recorded in self.closed_tallies.items():
            proposal = self.proposals[pid]
            final = list(proposal.final_votes().items())
            expected = tally_of(final, proposal.power_at_end)
            if recorded != expected or proposal.tally != recorded:
                return (
                    f"proposal {pid}: tally {proposal.tally} != last vote per voter x power "
                    f"at voting end {expected}"
                )
        return None


def _amounts(values: Mapping[str, int]) -> dict[str, JsonValue]:
    return {key: str(amount) for key, amount in values.items()}


def _amounts_from(wire: Mapping[str, object]) -> dict[str, int]:
    return {str(key): integer(amount, "gov amounts") for key, amount in wire.items()}


def _proposal_state(p: Proposal) -> dict[str, JsonValue]:
    return {
        "id": p.id,
        "proposer": p.proposer,
        "title": p.title,
        "param": p.param,
        "value": str(p.value),
        "heights": [p.submit_height, p.deposit_end, p.voting_start, p.voting_end],
        "executed_height": p.executed_height,
        "status": p.status,
        "deposits": _amounts(p.deposits),
        "votes": [[voter, [[o, ppm] for o, ppm in weights]] for voter, weights in p.votes],
        "power_at_end": _amounts(p.power_at_end),
        "tally": _amounts(p.tally),
    }


def _proposal_from(w: Mapping[str, Any]) -> Proposal:
    submit, deposit_end, voting_start, voting_end = (integer(h, "heights") for h in w["heights"])
    return Proposal(
        integer(w["id"], "id"),
        str(w["proposer"]),
        str(w["title"]),
        str(w["param"]),
        integer(w["value"], "value"),
        submit,
        deposit_end,
        str(w["status"]),
        voting_start,
        voting_end,
        _amounts_from(w["deposits"]),
        [
            (str(voter), tuple((str(o), integer(ppm, "votes")) for o, ppm in weights))
            for voter, weights in w["votes"]
        ],
        _amounts_from(w["power_at_end"]),
        _amounts_from(w["tally"]),
        integer(w["executed_height"], "executed_height"),
    )
