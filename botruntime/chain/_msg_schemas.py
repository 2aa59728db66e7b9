"""What a message may hold: the JSON vocabulary, field kinds and every message type's fields.

The table the strict decoder checks messages against; re-exported by `botruntime.chain.tx`,
the module simnet and the bots import it from.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final, Literal

__all__ = [
    "DENOMS",
    "MAX_AMOUNT",
    "MAX_NONCE",
    "MSG_SCHEMAS",
    "OUTPUT_SCHEMA",
    "Denom",
    "FieldKind",
    "JsonValue",
    "Msg",
]

JsonValue = dict[str, "JsonValue"] | list["JsonValue"] | str | int | float | bool | None
Msg = dict[str, JsonValue]
FieldKind = Literal["address", "denom", "amount", "uint", "str", "bool", "outputs"]

MAX_AMOUNT: Final = 2**128 - 1
MAX_NONCE: Final = 2**64 - 1


class Denom(StrEnum):
    """The four denoms of PROTOCOL.md, the one table of them; the value is the wire name."""

    AX = "AX"
    SAX = "sAX"
    DX = "DX"
    BAX = "bAX"

    @property
    def unit(self) -> int:
        """Base units in one whole token (6 decimals)."""
        return 1_000_000

    @property
    def fee_denom(self) -> Denom:
        """The native denom of this denom's chain, in which its transactions pay fees."""
        return Denom.AX if self in (Denom.AX, Denom.SAX) else Denom.DX


DENOMS: Final = frozenset(d.value for d in Denom)

OUTPUT_SCHEMA: Final[Mapping[str, FieldKind]] = {
    "to": "address",
    "denom": "denom",
    "amount": "amount",
}

# Message types and their fields (all required). simnet's modules add their types here, so the
# decoder and the bots agree on every message shape.
MSG_SCHEMAS: Final[Mapping[str, Mapping[str, FieldKind]]] = {
    "bank.send": OUTPUT_SCHEMA,
    "bank.multisend": {"outputs": "outputs"},
    # Delta DEX, perpetuals and oracle (SCENARIOS.md §6 "Delta")
    "dex.create_pool": {
        "denom_a": "denom",
        "denom_b": "denom",
        "amount_a": "amount",
        "amount_b": "amount",
    },
    "dex.swap": {
        "pool": "uint",
        "denom_in": "denom",
        "amount_in": "amount",
        "min_out": "amount",
        "deadline_height": "uint",
    },
    "dex.add_liquidity": {
        "pool": "uint",
        "max_a": "amount",
        "max_b": "amount",
        "min_shares": "amount",
    },
    "dex.remove_liquidity": {
        "pool": "uint",
        "shares": "amount",
        "min_a": "amount",
        "min_b": "amount",
    },
    "perps.deposit": {"amount": "amount"},
    "perps.withdraw": {"amount": "amount"},
    "perps.add_margin": {"market": "str", "amount": "amount"},
    "perps.open": {
        "market": "str",
        "side": "str",
        "size": "amount",
        "leverage": "uint",
        "limit_price": "amount",
        "reduce_only": "bool",
    },
    "perps.close": {"market": "str"},
    "perps.liquidate": {"account": "address"},
    "oracle.submit_price": {"pair": "str", "price": "amount"},
    # Alpha staking, distribution and governance (SCENARIOS.md §6 "Alpha"); rates in ppm
    "staking.delegate": {"validator": "address", "amount": "amount"},
    "staking.undelegate": {"validator": "address", "amount": "amount"},
    "staking.redelegate": {
        "src_validator": "address",
        "dst_validator": "address",
        "amount": "amount",
    },
    "distribution.withdraw_rewards": {"validator": "address"},
    "distribution.withdraw_commission": {},
    "validator.edit": {"commission_ppm": "uint"},
    "gov.submit_proposal": {"title": "str", "param": "str", "value": "str", "deposit": "amount"},
    "gov.deposit": {"proposal_id": "uint", "amount": "amount"},
    "gov.vote": {"proposal_id": "uint", "option": "str"},
    # the Alpha <-> Delta bridge: lock AX or burn bAX, then a claim carrying the attestation
    "bridge.lock": {"to": "address", "amount": "amount", "withhold": "bool"},
    "bridge.burn": {"to": "address", "amount": "amount", "withhold": "bool"},
    "bridge.claim": {
        "transfer_id": "str",
        "recipient": "address",
        "amount": "amount",
        "attestation": "str",
    },
}
