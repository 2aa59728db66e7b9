"""The extension point for chain modules: staking, governance, the bridge, the DEX, perps, ...

A module owns some message types and some state. The chain routes each of its messages to it
twice: `check` at admission (CheckTx: a refusal is the answer to `POST /txs`) and `execute`
in the block (DeliverTx: a refusal fails the tx, which then pays nothing). `execute` checks
everything before it changes anything, so a refused message leaves no trace. A tx that
carries a module message carries only that one message (the decoder enforces it), so a tx is
all or nothing without a journal. `begin_block` and `end_block` frame each block on the
ledger (their writes land in the block's undo log and `touched` set); `invariants` names the
module's routes of SCENARIOS.md §7; `to_wire` is the module's state for the state hash.

    class Staking(Module):
        name = "staking"
        msg_types = frozenset({"staking.delegate"})

        def execute(self, entry, msg, height, reserved): ...

Nothing here knows of HTTP; a module's routes live in its own `_api` file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import ClassVar

from botruntime.chain.tx import JsonValue, Msg
from simnet._entry import Entry
from simnet._errors import Rejected

__all__ = ["Check", "Module", "Modules"]

Check = Callable[[], str | None]  # an invariant: None when it holds, else what is wrong


class Module:
    """Override what the module needs; every hook does nothing by default."""

    name: ClassVar[str] = ""
    msg_types: ClassVar[frozenset[str]] = frozenset()

    def check(self, entry: Entry, msg: Msg, height: int) -> None:
        """Admission: raise Rejected when `msg` cannot execute on the current state."""

    def execute(self, entry: Entry, msg: Msg, height: int, reserved: int) -> None:
        """Execution at `height`: check, then apply; `reserved` native units pay the fee."""

    def begin_block(self, height: int) -> None:
        """Before the block's txs."""

    def end_block(self, height: int, taken: Sequence[Entry]) -> None:
        """After the block's txs (`taken`, in block order)."""

    def invariants(self) -> Mapping[str, Check]:
        return {}

    def to_wire(self) -> JsonValue:
        return None

    def load_wire(self, wire: JsonValue) -> None:
        """Restore what `to_wire` gave (POST /simnet/import)."""


class Modules:
    """The modules of one chain, and which one executes each message type."""

    def __init__(self) -> None:
        self.installed: list[Module] = []
        self.by_type: dict[str, Module] = {}

    def add(self, module: Module) -> None:
        for msg_type in module.msg_types:
            if msg_type in self.by_type:
                raise ValueError(f"{msg_type} is already served by {self.by_type[msg_type].name}")
            self.by_type[msg_type] = module
        self.installed.append(module)

    def get(self, name: str) -> Module | None:
        return next((m for m in self.installed if m.name == name), None)

    def _owner(self, msg: Msg, chain_id: str) -> Module:
        module = self.by_type.get(str(msg["type"]))
        if module is None:
            raise Rejected(
                "malformed",
                f"body.msgs[0]: {msg['type']} is not served on {chain_id}; "
                f"this chain serves {sorted(self.by_type) or 'bank messages only'}",
                {"path": "body.msgs[0].type"},
            )
        return module

    def check(self, entry: Entry, height: int, chain_id: str) -> None:
        for msg in entry.msgs:
            self._owner(msg, chain_id).check(entry, msg, height)

    def execute(self, entry: Entry, height: int, reserved: int, chain_id: str) -> None:
        for msg in entry.msgs:
            self._owner(msg, chain_id).execute(entry, msg, height, reserved)

    def begin_block(self, height: int) -> None:
        for module in self.installed:
            module.begin_block(height)

    def end_block(self, height: int, taken: Sequence[Entry]) -> None:
        for module in self.installed:
            module.end_block(height, taken)

    def invariants(self) -> dict[str, Check]:
        return {route: c for m in self.installed for route, c in m.invariants().items()}

    def to_wire(self) -> dict[str, JsonValue]:
        return {m.name: m.to_wire() for m in self.installed}

    def load_wire(self, wire: Mapping[str, JsonValue]) -> None:
        for module in self.installed:
            module.load_wire(wire.get(module.name))
