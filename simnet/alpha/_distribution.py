"""Alpha distribution: a block reward every block, commission, and each delegator's share.

Every block `block_reward` AX is minted into the `distribution` module account. The community
tax (rounded up) and whatever the split by stake leaves over go to the community pool; each
validator's part pays its commission (rounded down) and the rest raises the validator's
cumulative reward per share (`acc`, scaled by 10^18, rounded down). A delegation is owed
`shares x (acc - acc at its last settlement) / 10^18`, rounded down, so the sum owed never
exceeds what was set aside for the validator's delegators (`outstanding`). A delegation is
settled (its rewards paid out) before its shares change, as in the Cosmos F1 scheme.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from botruntime.chain.tx import Denom, JsonValue, Msg
from simnet._chain import Chain
from simnet._entry import Entry
from simnet._errors import Rejected
from simnet._module import Check, Module
from simnet.alpha._params import PPM, AlphaParams, ceil_div
from simnet.alpha._staking import Staking
from simnet.alpha._wire import integer, state_of, versioned

__all__ = ["DISTRIBUTION", "Distribution"]

DISTRIBUTION: Final = "distribution"
SCALE: Final = 10**18
AX: Final = Denom.AX.value


class Distribution(Module):
    name = "distribution"
    msg_types = frozenset({"distribution.withdraw_rewards", "distribution.withdraw_commission"})

    def __init__(self, chain: Chain, params: AlphaParams, staking: Staking) -> None:
        self.chain = chain
        self.params = params
        self.staking = staking
        staking.distribution = self
        self.acc: dict[str, int] = {}  # validator -> reward per share x SCALE
        self.debt: dict[tuple[str, str], int] = {}  # (delegator, validator) -> acc when settled
        self.outstanding: dict[str, int] = {}  # validator -> set aside for its delegators
        self.commission: dict[str, int] = {}  # validator -> accrued, not withdrawn
        self.community_pool = 0
        self.withdrawn = 0  # every reward and commission paid out
        self.paid: dict[str, int] = {}  # address -> every reward and commission paid to it
        self.accrued = 0  # every reward minted

    # ---- reads ---------------------------------------------------------------------------------

    def pending(self, delegator: str, operator: str) -> int:
        shares = self.staking.delegations.get((delegator, operator), 0)
        gained = self.acc.get(operator, 0) - self.debt.get((delegator, operator), 0)
        return shares * gained // SCALE

    # ---- per block -----------------------------------------------------------------------------

    def begin_block(self, height: int) -> None:
        reward = self.params.block_reward
        if reward <= 0:
            return
        self.chain.ledger.mint_module(DISTRIBUTION, AX, reward)
        self.accrued += reward
        tax = ceil_div(reward * self.params.community_tax_ppm, PPM)
        rest = reward - tax
        total = self.staking.bonded_tokens()
        handed = 0
        for operator, validator in sorted(self.staking.validators.items()):
            if total == 0 or validator.shares == 0:
                continue
            part = rest * validator.tokens // total
            commission = part * validator.commission_ppm // PPM
            delegators = part - commission
            self.commission[operator] = self.commission.get(operator, 0) + commission
            self.outstanding[operator] = self.outstanding.get(operator, 0) + delegators
            self.acc[operator] = self.acc.get(operator, 0) + delegators * SCALE // validator.shares
            handed += part
        self.community_pool += tax + rest - handed  # the split's remainder: the protocol's

    # ---- messages ------------------------------------------------------------------------------

    def check(self, entry: Entry, msg: Msg, height: int) -> None:
        self._plan(entry, msg)

    def _plan(self, entry: Entry, msg: Msg) -> str:
        sender = entry.sender
        if msg["type"] == "distribution.withdraw_commission":
            if sender not in self.staking.validators:
                raise Rejected(
                    "bad_signature",
                    f"{sender} operates no validator; only an operator withdraws commission",
                    {"path": "body.sender"},
                )
            return sender
        operator = str(msg["validator"])
        if (sender, operator) not in self.staking.delegations:
            raise Rejected(
                "invalid_address",
                f"body.msgs[0].validator: {sender} has no delegation to {operator}",
                {"path": "body.msgs[0].validator"},
            )
        return operator

    def execute(self, entry: Entry, msg: Msg, height: int, reserved: int) -> None:
        operator = self._plan(entry, msg)
        if msg["type"] == "distribution.withdraw_commission":
            amount = self.commission.pop(operator, 0)
            self._pay(entry.sender, amount)
        else:
            self.settle(entry.sender, operator)

    def settle(self, delegator: str, operator: str) -> None:
        """Pay what the delegation is owed and start it afresh at the current `acc`."""
        owed = self.pending(delegator, operator)
        self.debt[(delegator, operator)] = self.acc.get(operator, 0)
        if owed:
            self.outstanding[operator] -= owed
            self._pay(delegator, owed)

    def _pay(self, to: str, amount: int) -> None:
        if amount:
            self.chain.ledger.add_module(DISTRIBUTION, AX, -amount)
            self.chain.ledger.add(to, AX, amount)
            self.withdrawn += amount
            self.paid[to] = self.paid.get(to, 0) + amount

    def end_block(self, height: int, taken: Sequence[Entry]) -> None:
        delegations = self.staking.delegations
        for key in [k for k in self.debt if k not in delegations]:
            del self.debt[key]  # the delegation is gone and was settled when it went

    # ---- export / import -----------------------------------------------------------------------

    def to_wire(self) -> JsonValue:
        return versioned(
            {
                "acc": _amounts(self.acc),
                "debt": [[d, v, str(a)] for (d, v), a in self.debt.items()],
                "outstanding": _amounts(self.outstanding),
                "commission": _amounts(self.commission),
                "community_pool": str(self.community_pool),
                "withdrawn": str(self.withdrawn),
                "accrued": str(self.accrued),
                "paid": _amounts(self.paid),
            }
        )

    def load_wire(self, wire: JsonValue) -> None:
        data = state_of(wire, self.name)
        self.acc = _amounts_from(data["acc"], "acc")
        self.debt = {(str(d), str(v)): integer(a, "debt") for d, v, a in data["debt"]}
        self.outstanding = _amounts_from(data["outstanding"], "outstanding")
        self.commission = _amounts_from(data["commission"], "commission")
        self.community_pool = integer(data["community_pool"], "community_pool")
        self.withdrawn = integer(data["withdrawn"], "withdrawn")
        self.accrued = integer(data["accrued"], "accrued")
        self.paid = _amounts_from(data.get("paid", {}), "paid")

    # ---- invariants ----------------------------------------------------------------------------

    def invariants(self) -> Mapping[str, Check]:
        return {
            "distribution/nonnegative-outstanding": self._nonnegative,
            "distribution/can-withdraw": self._can_withdraw,
            "distribution/module-account": self._module_account,
        }

    def _nonnegative(self) -> str | None:
        for operator, amount in (*self.outstanding.items(), *self.commission.items()):
            if amount < 0:
                return f"{operator} has {amount} outstanding"
        return None if self.community_pool >= 0 else "the community pool is negative"

    def _can_withdraw(self) -> str | None:
        owed: dict[str, int] = {}
        for delegator, operator in self.staking.delegations:
            owed[operator] = owed.get(operator, 0) + self.pending(delegator, operator)
        for operator, amount in owed.items():
            if amount > self.outstanding.get(operator, 0):
                return f"{operator}: delegators are owed {amount}, outstanding is less"
        return None

    def _module_account(self) -> str | None:
        held = self.chain.ledger.modules.get(DISTRIBUTION, {}).get(AX, 0)
        books = sum(self.outstanding.values()) + sum(self.commission.values()) + self.community_pool
        if held != books:
            return f"distribution holds {held} AX; outstanding + commission + pool = {books}"
        return None


def _amounts(values: dict[str, int]) -> dict[str, JsonValue]:
    return {operator: str(amount) for operator, amount in values.items()}


def _amounts_from(wire: dict[str, object], where: str) -> dict[str, int]:
    return {str(operator): integer(amount, where) for operator, amount in wire.items()}
