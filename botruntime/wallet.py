"""The bot's shadow ledger: what this bot expects its balances on chain to be.

The chain is the truth; the wallet is the bot's own bookkeeping of it. A behaviour reads
`spendable()` to decide what it can afford, `reserve()`s amount + fee when it signs a tx,
and when the outcome is known either `settle()`s the reservation (committed: the amount and fee
leave the balance), `settle_fee_only()`s it (in a block but its messages failed: the fee is
charged, the amount stays) or `release()`s it (rejected: nothing left). Incoming funds are
`credit()`ed; `resync()` replaces the balances with what the chain reports. A chain that
disagrees with the shadow ledger is a finding (a lost tx, a double spend, a wrong fee), not
something to paper over.

Amounts are integers in base units (PROTOCOL.md: 6 decimals, 0 .. 2^128-1). Fees are paid in
the chain's native denom (AX on Alpha, DX on Delta), so a reservation of sAX with a fee holds
AX too. An idle wallet is a few machine words (DESIGN §5: ≤ 2 KB per idle bot): its containers
are created on first use.

Errors, catch the branch you can act on:

WalletError            (ValueError) .denom
├── BadAmount          an amount that is not an int in 0 .. 2^128-1 (bool refused)
├── NotADenom          a denom outside AX, sAX, DX, bAX
├── BalanceUnderflow   a debit, reservation or settlement beyond the funds (.needed, .available)
├── BalanceOverflow    a credit past 2^128-1 (.balance, .amount)
└── UnknownReservation settle/release of a reservation this wallet does not hold (done twice?)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from botruntime.chain.tx import Denom

__all__ = [
    "AX",
    "BAX",
    "DX",
    "MAX_BALANCE",
    "SAX",
    "BadAmount",
    "BalanceOverflow",
    "BalanceUnderflow",
    "Denom",
    "NotADenom",
    "Reservation",
    "UnknownReservation",
    "Wallet",
    "WalletError",
]

MAX_BALANCE: Final = 2**128 - 1


AX: Final = Denom.AX
SAX: Final = Denom.SAX
DX: Final = Denom.DX
BAX: Final = Denom.BAX
_SLOT: Final = MappingProxyType({Denom.AX: 0, Denom.SAX: 1, Denom.DX: 2, Denom.BAX: 3})
_BY_NAME: Final = MappingProxyType({d.value: d for d in Denom})


class WalletError(ValueError):
    """An operation the shadow ledger refuses; nothing was changed."""

    def __init__(self, message: str, *, denom: str) -> None:
        super().__init__(message)
        self.denom = denom


class BadAmount(WalletError):
    pass


class NotADenom(WalletError):
    pass


class BalanceUnderflow(WalletError):
    def __init__(self, message: str, *, denom: str, needed: int, available: int) -> None:
        super().__init__(message, denom=denom)
        self.needed = needed
        self.available = available


class BalanceOverflow(WalletError):
    def __init__(self, message: str, *, denom: str, balance: int, amount: int) -> None:
        super().__init__(message, denom=denom)
        self.balance = balance
        self.amount = amount


class UnknownReservation(WalletError):
    pass


@dataclass(frozen=True, slots=True, eq=False)
class Reservation:
    """Funds held for one in-flight tx: `amount` of `denom` plus `fee` of `denom.fee_denom`.

    Compared by identity: two reservations of the same sums are two different holds.
    """

    denom: Denom
    amount: int
    fee: int

    def legs(self) -> tuple[tuple[Denom, int], ...]:
        """(denom, amount) pairs this reservation holds, one per denom touched."""
        fee_denom = self.denom.fee_denom
        if fee_denom is self.denom:
            return ((self.denom, self.amount + self.fee),)
        return ((self.denom, self.amount), (fee_denom, self.fee))


def _denom(denom: object) -> Denom:
    if isinstance(denom, Denom):  # the fast path: callers pass AX, SAX, DX, BAX
        return denom
    if isinstance(denom, str) and denom in _BY_NAME:  # a wire name such as "sAX"
        return _BY_NAME[denom]
    raise NotADenom(f"unknown denom {denom!r}; use one of {list(_BY_NAME)}", denom=str(denom))


def _amount(amount: object, denom: Denom, what: str = "amount") -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 <= amount <= MAX_BALANCE:
        raise BadAmount(
            f"{what} is an int of base units in 0 .. 2^128-1 (1 {denom.value} = {denom.unit}), "
            f"got {amount!r}",
            denom=denom.value,
        )
    return amount


class Wallet:
    """Balances and in-flight reservations of one bot, per denom, in base units.

    Invariant: for every denom, 0 <= reserved <= balance <= 2^128-1, except after a `resync`
    that lowered a balance under what is reserved (spendable is then 0 until reservations end).
    """

    __slots__ = ("_balances", "_holds", "_reserved")

    def __init__(self, balances: Mapping[Denom, int] | None = None) -> None:
        self._balances: list[int] | None = None  # indexed by _SLOT, created on first credit
        self._reserved: list[int] | None = None
        self._holds: list[Reservation] | None = None
        if balances:
            self.resync(balances)

    # ---- reading --------------------------------------------------------------------------------

    def balance(self, denom: Denom) -> int:
        """What the bot expects the chain to hold, reserved funds included."""
        return 0 if self._balances is None else self._balances[_SLOT[_denom(denom)]]

    def reserved(self, denom: Denom) -> int:
        return 0 if self._reserved is None else self._reserved[_SLOT[_denom(denom)]]

    def spendable(self, denom: Denom) -> int:
        """Balance minus what in-flight transactions hold: what a new tx may use."""
        return max(0, self.balance(denom) - self.reserved(denom))

    def balances(self) -> dict[Denom, int]:
        """The non-zero balances."""
        if self._balances is None:
            return {}
        return {d: self._balances[i] for d, i in _SLOT.items() if self._balances[i]}

    @property
    def reservations(self) -> tuple[Reservation, ...]:
        """Reservations held, oldest first."""
        return () if self._holds is None else tuple(self._holds)

    # ---- balances -------------------------------------------------------------------------------

    def credit(self, denom: Denom, amount: int) -> int:
        """Add incoming funds; the new balance."""
        denom = _denom(denom)
        amount = _amount(amount, denom)
        slot = _SLOT[denom]
        old = self.balance(denom)
        if old + amount > MAX_BALANCE:
            raise BalanceOverflow(
                f"crediting {amount} {denom.value} to {old} passes 2^128-1: the chain cannot "
                "hold it, so the shadow ledger is wrong or the credit is counted twice",
                denom=denom.value,
                balance=old,
                amount=amount,
            )
        if self._balances is None:
            self._balances = [0, 0, 0, 0]
        self._balances[slot] = old + amount
        return old + amount

    def debit(self, denom: Denom, amount: int) -> int:
        """Take funds not held by a reservation (an outgoing the bot did not reserve for)."""
        denom = _denom(denom)
        amount = _amount(amount, denom)
        self._check_spendable(denom, amount)
        if amount and self._balances is not None:
            self._balances[_SLOT[denom]] -= amount
        return self.balance(denom)

    def spent(self, denom: Denom, amount: int) -> int:
        """Funds the chain reports gone through a module message (a `coin_spent` event: what a
        swap or an add of liquidity took, decided at execution). They leave the balance even
        while the tx's own hold still covers them: that hold ends with `settle_fee_only`."""
        denom = _denom(denom)
        amount = _amount(amount, denom)
        held = self.balance(denom)
        if amount > held:
            raise BalanceUnderflow(
                f"the chain took {amount} {denom.value} but the shadow ledger holds {held}: "
                "it missed a credit or counted a spend twice",
                denom=denom.value,
                needed=amount,
                available=held,
            )
        if amount and self._balances is not None:
            self._balances[_SLOT[denom]] -= amount
        return held - amount

    def resync(self, balances: Mapping[Denom, int]) -> None:
        """Replace every balance by what the chain reports; denoms not named become 0.

        Reservations stay: their transactions are still in flight.
        """
        fresh = [0, 0, 0, 0]
        for denom, amount in balances.items():
            checked = _denom(denom)
            fresh[_SLOT[checked]] = _amount(amount, checked)
        self._balances = fresh if any(fresh) or self._balances is not None else None

    # ---- reservations ---------------------------------------------------------------------------

    def reserve(self, denom: Denom, amount: int, fee: int = 0) -> Reservation:
        """Hold `amount` of `denom` and `fee` of its chain's native denom for one tx."""
        denom = _denom(denom)
        hold = Reservation(denom, _amount(amount, denom), _amount(fee, denom.fee_denom, "fee"))
        for leg_denom, leg_amount in hold.legs():
            self._check_spendable(leg_denom, leg_amount)
        if self._reserved is None:
            self._reserved = [0, 0, 0, 0]
        for leg_denom, leg_amount in hold.legs():
            self._reserved[_SLOT[leg_denom]] += leg_amount
        if self._holds is None:
            self._holds = []
        self._holds.append(hold)
        return hold

    def release(self, reservation: Reservation) -> None:
        """The tx was rejected or dropped: its funds are spendable again."""
        self._check_held(reservation, "release")
        self._unhold(reservation)

    def settle(self, reservation: Reservation) -> None:
        """The tx committed: amount and fee leave the balance, and the hold ends."""
        self._check_held(reservation, "settle")
        balances = self._balances if self._balances is not None else [0, 0, 0, 0]
        for denom, amount in reservation.legs():
            if balances[_SLOT[denom]] < amount:  # only after a resync lowered the balance
                raise BalanceUnderflow(
                    f"settling needs {amount} {denom.value}, the balance is "
                    f"{balances[_SLOT[denom]]}: resync lowered it; release this reservation",
                    denom=denom.value,
                    needed=amount,
                    available=balances[_SLOT[denom]],
                )
        for denom, amount in reservation.legs():
            balances[_SLOT[denom]] -= amount
        self._unhold(reservation)

    def settle_fee_only(self, reservation: Reservation) -> None:
        """The tx is in a block but its messages failed at execution: the chain charged the
        fee and nothing else, so the fee leaves the balance, the amount is spendable again,
        and the hold ends."""
        self._check_held(reservation, "settle the fee of")
        fee_denom = reservation.denom.fee_denom
        balances = self._balances if self._balances is not None else [0, 0, 0, 0]
        slot = _SLOT[fee_denom]
        if balances[slot] < reservation.fee:  # only after a resync lowered the balance
            raise BalanceUnderflow(
                f"settling the fee needs {reservation.fee} {fee_denom.value}, the balance is "
                f"{balances[slot]}: resync lowered it; release this reservation",
                denom=fee_denom.value,
                needed=reservation.fee,
                available=balances[slot],
            )
        balances[slot] -= reservation.fee
        self._unhold(reservation)

    # ---- inside ---------------------------------------------------------------------------------

    def _check_spendable(self, denom: Denom, amount: int) -> None:
        available = self.spendable(denom)
        if amount > available:
            raise BalanceUnderflow(
                f"needs {amount} {denom.value} but only {available} is spendable "
                f"(balance {self.balance(denom)}, reserved {self.reserved(denom)}): "
                "credit or wait for in-flight transactions to end",
                denom=denom.value,
                needed=amount,
                available=available,
            )

    def _check_held(self, reservation: Reservation, verb: str) -> None:
        if self._holds is None or not any(h is reservation for h in self._holds):
            raise UnknownReservation(
                f"cannot {verb} {reservation!r}: this wallet does not hold it "
                "(already settled or released, or made by another wallet)",
                denom=reservation.denom.value,
            )

    def _unhold(self, reservation: Reservation) -> None:
        assert self._holds is not None and self._reserved is not None
        self._holds.remove(reservation)  # eq=False: removes this very object
        for denom, amount in reservation.legs():
            self._reserved[_SLOT[denom]] -= amount
        if not self._holds:  # back to the idle footprint
            self._holds = None
            self._reserved = None

    def __repr__(self) -> str:
        shown = ", ".join(f"{d.value}={v}" for d, v in self.balances().items()) or "empty"
        held = f", {len(self._holds)} reserved" if self._holds else ""
        return f"<Wallet {shown}{held}>"
