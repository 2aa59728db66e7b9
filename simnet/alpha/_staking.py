"""Alpha staking: validators, delegations, the unbonding queue, redelegations and sAX.

Tokens sit in two module accounts: `bonded_pool` (every validator is bonded; there is no
jailing or slashing in simnet) and `not_bonded_pool` (unbonding entries until they mature).
A delegation holds shares of its validator; shares are issued rounded down and taken back
rounded up, so a validator's tokens per share never falls. sAX is the liquid staking token:
minted 1:1 on delegation (the exchange rate only falls through slashing, which simnet does
not do) and burned when unbonding starts, so undelegating needs the sAX as well as the stake.
Redelegation moves stake at once; the delegator may not redelegate away from a validator it
redelegated into until that redelegation's cooldown (the unbonding period) has passed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from botruntime.chain.tx import Denom, JsonValue, Msg
from botruntime.identity import ALPHA_HRP, AddressError, parse_address
from simnet._chain import Chain
from simnet._entry import Entry
from simnet._errors import Rejected
from simnet._module import Check, Module
from simnet.alpha._params import PPM, AlphaParams, ceil_div
from simnet.alpha._wire import from_record, integer, record, state_of, versioned

if TYPE_CHECKING:
    from simnet.alpha._distribution import Distribution

__all__ = ["BONDED_POOL", "NOT_BONDED_POOL", "Staking", "Unbonding", "Validator"]

BONDED_POOL: Final = "bonded_pool"
NOT_BONDED_POOL: Final = "not_bonded_pool"
AX: Final = Denom.AX.value
SAX: Final = Denom.SAX.value


@dataclass(slots=True)
class Validator:
    operator: str  # the operator's ax address names the validator
    moniker: str
    tokens: int = 0
    shares: int = 0
    commission_ppm: int = 0
    jailed: bool = False

    def power(self, unit: int) -> int:
        return self.tokens // unit

    def tokens_of(self, shares: int) -> int:
        return shares * self.tokens // self.shares if self.shares else 0


@dataclass(slots=True)
class Unbonding:
    id: int
    delegator: str
    validator: str
    amount: int
    creation_height: int
    completion_height: int
    released_at: list[int] = field(default_factory=list)  # heights it paid out (once!)


@dataclass(slots=True)
class Redelegation:
    delegator: str
    src: str
    dst: str
    amount: int
    creation_height: int
    completion_height: int


class Staking(Module):
    name = "staking"
    msg_types = frozenset(
        {"staking.delegate", "staking.undelegate", "staking.redelegate", "validator.edit"}
    )

    def __init__(self, chain: Chain, params: AlphaParams) -> None:
        self.chain = chain
        self.params = params
        self.validators: dict[str, Validator] = {}
        self.delegations: dict[tuple[str, str], int] = {}  # (delegator, validator) -> shares
        self.unbonding: dict[int, Unbonding] = {}  # not yet matured
        self.matured: dict[int, Unbonding] = {}
        self.redelegations: list[Redelegation] = []  # inside their cooldown
        self.distribution: Distribution | None = None  # settles rewards before shares move
        self._next_unbonding = 1

    # ---- genesis -------------------------------------------------------------------------------

    def add_genesis_validator(self, operator: str, moniker: str) -> None:
        """A bonded validator whose self-bond (and its sAX) is minted at genesis."""
        bond = self.params.self_bond
        self.validators[operator] = Validator(
            operator, moniker, bond, bond, self.params.genesis_commission_ppm
        )
        self.delegations[(operator, operator)] = bond
        self.chain.ledger.mint_module(BONDED_POOL, AX, bond)
        self.chain.ledger.mint(operator, SAX, bond)

    # ---- reads ---------------------------------------------------------------------------------

    def active_set(self) -> list[Validator]:
        """Bonded, not jailed, by power then operator: the order the chain shows."""
        unit = self.params.power_unit
        live = [v for v in self.validators.values() if not v.jailed]
        return sorted(live, key=lambda v: (-v.power(unit), v.operator))

    def bonded_tokens(self) -> int:
        return sum(v.tokens for v in self.validators.values())

    def delegations_of(self, delegator: str) -> list[tuple[Validator, int]]:
        return [
            (self.validators[v], shares)
            for (d, v), shares in sorted(self.delegations.items())
            if d == delegator
        ]

    def stake_of(self, delegator: str) -> int:
        """The tokens `delegator` has bonded: its voting power."""
        return sum(v.tokens_of(s) for v, s in self.delegations_of(delegator))

    # ---- messages ------------------------------------------------------------------------------

    def check(self, entry: Entry, msg: Msg, height: int) -> None:
        self._plan(entry, msg, height, entry.fee)

    def execute(self, entry: Entry, msg: Msg, height: int, reserved: int) -> None:
        self._plan(entry, msg, height, reserved)  # every check before any change
        kind, sender = msg["type"], entry.sender
        if kind == "staking.delegate":
            self._delegate(sender, str(msg["validator"]), _amount(msg), height)
        elif kind == "staking.undelegate":
            self._undelegate(sender, str(msg["validator"]), _amount(msg), height)
        elif kind == "staking.redelegate":
            self._redelegate(
                sender, str(msg["src_validator"]), str(msg["dst_validator"]), _amount(msg), height
            )
        else:
            self.validators[sender].commission_ppm = int(msg["commission_ppm"])  # type: ignore[arg-type]

    def _plan(self, entry: Entry, msg: Msg, height: int, reserved: int) -> None:
        """Raise Rejected unless `msg` can execute now for `entry.sender`."""
        kind, sender = msg["type"], entry.sender
        ledger = self.chain.ledger
        if kind == "validator.edit":
            self._check_edit(sender, int(msg["commission_ppm"]))  # type: ignore[arg-type]
            return
        amount = _amount(msg)
        if amount == 0:
            raise Rejected("invalid_amount", "body.msgs[0].amount: stake moves are > 0")
        if kind == "staking.delegate":
            self._validator(msg, "validator")
            available = ledger.balance(sender, AX) - reserved
            if amount > available:
                raise _short(sender, AX, amount, available)
            return
        field_name = "validator" if kind == "staking.undelegate" else "src_validator"
        validator = self._validator(msg, field_name)
        held = validator.tokens_of(self.delegations.get((sender, validator.operator), 0))
        if amount > held:
            raise Rejected(
                "insufficient_funds",
                f"{sender} has {held} AX delegated to {validator.operator}, not {amount}",
                {"denom": AX, "needed": str(amount), "available": str(held)},
            )
        if kind == "staking.undelegate":
            sax = ledger.balance(sender, SAX)
            if amount > sax:
                raise _short(sender, SAX, amount, sax)  # sAX burns when unbonding starts
            return
        dst = self._validator(msg, "dst_validator")
        if dst.operator == validator.operator:
            raise Rejected("malformed", "body.msgs[0]: src_validator and dst_validator differ")
        for red in self.redelegations:
            if red.delegator == sender and red.dst == validator.operator:
                raise Rejected(
                    "height_not_reached",
                    f"{sender} redelegated into {validator.operator} at height "
                    f"{red.creation_height}; it may redelegate away from it at height "
                    f"{red.completion_height} (cooldown = unbonding period)",
                    {"available_at": red.completion_height},
                )

    def _check_edit(self, sender: str, rate: int) -> None:
        validator = self.validators.get(sender)
        if validator is None:
            raise Rejected(
                "bad_signature",
                f"{sender} operates no validator; only an operator edits its validator",
                {"path": "body.sender"},
            )
        p = self.params
        if rate > p.max_commission_ppm or abs(rate - validator.commission_ppm) > (
            p.max_commission_change_ppm
        ):
            raise Rejected(
                "invalid_amount",
                f"body.msgs[0].commission_ppm: {rate} must be <= {p.max_commission_ppm} and "
                f"within {p.max_commission_change_ppm} of the current "
                f"{validator.commission_ppm}",
                {"path": "body.msgs[0].commission_ppm"},
            )

    def _validator(self, msg: Msg, name: str) -> Validator:
        address = str(msg[name])
        try:
            parse_address(address, ALPHA_HRP)
        except AddressError as exc:
            raise Rejected("invalid_address", f"body.msgs[0].{name}: {exc}") from None
        validator = self.validators.get(address)
        if validator is None:
            raise Rejected(
                "invalid_address",
                f"body.msgs[0].{name}: {address} is no validator; GET /validators lists them",
                {"path": f"body.msgs[0].{name}"},
            )
        return validator

    # ---- state changes -------------------------------------------------------------------------

    def _settle(self, delegator: str, operator: str) -> None:
        if self.distribution is not None:
            self.distribution.settle(delegator, operator)

    def _add_shares(self, delegator: str, validator: Validator, amount: int) -> None:
        issued = amount * validator.shares // validator.tokens if validator.tokens else amount
        validator.tokens += amount
        validator.shares += issued
        key = (delegator, validator.operator)
        self.delegations[key] = self.delegations.get(key, 0) + issued

    def _remove_shares(self, delegator: str, validator: Validator, amount: int) -> None:
        key = (delegator, validator.operator)
        taken = min(ceil_div(amount * validator.shares, validator.tokens), self.delegations[key])
        validator.tokens -= amount
        validator.shares -= taken
        left = self.delegations[key] - taken
        if left:
            self.delegations[key] = left
        else:
            del self.delegations[key]

    def _delegate(self, delegator: str, operator: str, amount: int, height: int) -> None:
        ledger = self.chain.ledger
        self._settle(delegator, operator)
        self._add_shares(delegator, self.validators[operator], amount)
        ledger.add(delegator, AX, -amount)
        ledger.add_module(BONDED_POOL, AX, amount)
        ledger.mint(delegator, SAX, amount)

    def _undelegate(self, delegator: str, operator: str, amount: int, height: int) -> None:
        ledger = self.chain.ledger
        self._settle(delegator, operator)
        self._remove_shares(delegator, self.validators[operator], amount)
        ledger.add(delegator, SAX, -amount)  # sAX burns as unbonding starts
        ledger.supply[SAX] -= amount
        ledger.add_module(BONDED_POOL, AX, -amount)
        ledger.add_module(NOT_BONDED_POOL, AX, amount)
        entry = Unbonding(
            self._next_unbonding,
            delegator,
            operator,
            amount,
            height,
            height + self.params.unbonding_blocks,
        )
        self._next_unbonding += 1
        self.unbonding[entry.id] = entry
        if self.chain.vulns.on("unbonding_double_release"):
            ledger.add(delegator, AX, amount)  # paid now, out of nothing, and again at maturity
            entry.released_at.append(height)

    def _redelegate(self, delegator: str, src: str, dst: str, amount: int, height: int) -> None:
        self._settle(delegator, src)
        self._settle(delegator, dst)
        self._remove_shares(delegator, self.validators[src], amount)
        self._add_shares(delegator, self.validators[dst], amount)
        self.redelegations.append(
            Redelegation(delegator, src, dst, amount, height, height + self.params.unbonding_blocks)
        )
        if self.chain.vulns.on("sax_unbacked_mint"):
            self.chain.ledger.mint(delegator, SAX, amount)  # no new stake behind it

    def end_block(self, height: int, taken: Sequence[Entry]) -> None:
        ledger = self.chain.ledger
        for entry in [u for u in self.unbonding.values() if u.completion_height <= height]:
            ledger.add_module(NOT_BONDED_POOL, AX, -entry.amount)
            ledger.add(entry.delegator, AX, entry.amount)
            entry.released_at.append(height)
            del self.unbonding[entry.id]
            self.matured[entry.id] = entry
        self.redelegations = [r for r in self.redelegations if r.completion_height > height]

    # ---- export / import -----------------------------------------------------------------------

    def to_wire(self) -> JsonValue:
        return versioned(
            {
                "validators": [record(v) for v in self.validators.values()],
                "delegations": [[d, v, str(s)] for (d, v), s in self.delegations.items()],
                "unbonding": [record(u) for u in self.unbonding.values()],
                "matured": [record(u) for u in self.matured.values()],
                "redelegations": [record(r) for r in self.redelegations],
                "next_unbonding": self._next_unbonding,
            }
        )

    def load_wire(self, wire: JsonValue) -> None:
        data = state_of(wire, self.name)
        validators = [from_record(Validator, w) for w in data["validators"]]
        self.validators = {v.operator: v for v in validators}
        self.delegations = {
            (str(d), str(v)): integer(s, "delegations") for d, v, s in data["delegations"]
        }
        unbonding = [from_record(Unbonding, w) for w in data["unbonding"]]
        self.unbonding = {u.id: u for u in unbonding}
        self.matured = {u.id: u for u in (from_record(Unbonding, w) for w in data["matured"])}
        self.redelegations = [from_record(Redelegation, w) for w in data["redelegations"]]
        self._next_unbonding = integer(data["next_unbonding"], "next_unbonding")

    # ---- invariants (SCENARIOS.md §7 "Alpha") --------------------------------------------------

    def invariants(self) -> Mapping[str, Check]:
        return {
            "staking/bonded-pool": self._bonded_pool,
            "staking/delegator-shares": self._delegator_shares,
            "staking/positive-power": self._positive_power,
            "staking/sax-backing": self._sax_backing,
            "staking/unbonding-once": self._unbonding_once,
        }

    def _bonded_pool(self) -> str | None:
        modules = self.chain.ledger.modules
        bonded = modules.get(BONDED_POOL, {}).get(AX, 0)
        if bonded != self.bonded_tokens():
            return f"bonded pool holds {bonded} AX, validators hold {self.bonded_tokens()}"
        not_bonded = modules.get(NOT_BONDED_POOL, {}).get(AX, 0)
        owed = sum(u.amount for u in self.unbonding.values())
        if not_bonded != owed:
            return f"not-bonded pool holds {not_bonded} AX, unbonding entries owe {owed}"
        return None

    def _delegator_shares(self) -> str | None:
        total: dict[str, int] = {}
        for (_, operator), shares in self.delegations.items():
            total[operator] = total.get(operator, 0) + shares
        for operator, validator in self.validators.items():
            held = total.get(operator, 0)
            if held != validator.shares:
                return f"{operator}: delegations hold {held} shares of {validator.shares}"
        return None

    def _positive_power(self) -> str | None:
        unit = self.params.power_unit
        active = self.active_set()
        powers = [v.power(unit) for v in active]
        if any(p < 0 for p in powers) or any(v.tokens < 0 for v in self.validators.values()):
            return "a validator has negative power"
        if powers != sorted(powers, reverse=True) or any(v.jailed for v in active):
            return "the active set is not sorted by power or holds a jailed validator"
        return None

    def _sax_backing(self) -> str | None:
        supply = self.chain.ledger.supply.get(SAX, 0)
        modules = self.chain.ledger.modules
        backing = modules.get(BONDED_POOL, {}).get(AX, 0) + modules.get(NOT_BONDED_POOL, {}).get(
            AX, 0
        )
        if supply * PPM > backing * PPM:  # exchange rate 1.000000: no slashing in simnet
            return f"sAX supply {supply} exceeds the {backing} AX bonded or unbonding"
        return None

    def _unbonding_once(self) -> str | None:
        for entry in (*self.unbonding.values(), *self.matured.values()):
            early = [h for h in entry.released_at if h < entry.completion_height]
            if len(entry.released_at) > 1 or early:
                return (
                    f"unbonding {entry.id} of {entry.delegator} paid at heights "
                    f"{entry.released_at}, completion height {entry.completion_height}"
                )
        return None


def _amount(msg: Msg) -> int:
    return int(str(msg["amount"]))


def _short(address: str, denom: str, needed: int, available: int) -> Rejected:
    return Rejected(
        "insufficient_funds",
        f"{address} needs {needed} {denom} but has {max(available, 0)} after the fee",
        {"denom": denom, "needed": str(needed), "available": str(max(available, 0))},
    )
