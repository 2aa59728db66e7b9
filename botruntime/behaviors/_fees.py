"""The least fee a chain takes for a tx, measured before it is signed (a fee is part of the
body, so the size it pays for is found by iterating): used by behaviours that pay exactly the
minimum (a flood's filler, a hot wallet's batch)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from botruntime.bots.bot import Bot
from botruntime.chain.tx import JsonValue, Msg, TxBody, canonical_json

if TYPE_CHECKING:  # the fleet imports the behaviours: its types are for annotations only
    from botruntime.fleet import ChainSide

__all__ = ["min_fee_for"]

_PUBKEY_B64: Final = "A" * 44  # base64 of 32 bytes
_SIGNATURE_B64: Final = "A" * 88  # base64 of 64 bytes


def min_fee_for(side: ChainSide, chain_id: str, bot: Bot, msgs: list[Msg], memo: str) -> int:
    """The least fee the chain takes for these messages signed by `bot` at its next nonce.
    The fee is part of the body, so the size is measured until it stops changing; a key and a
    signature have fixed lengths, so no signing is needed to measure."""
    fee = side.min_fee(0)
    for _ in range(4):
        body = TxBody(chain_id, bot.alpha_address, bot.next_nonce("alpha"), fee, tuple(msgs), memo)
        wire: JsonValue = {
            "body": body.to_wire(),
            "pubkey": _PUBKEY_B64,
            "signature": _SIGNATURE_B64,
        }
        needed = side.min_fee(len(canonical_json(wire)))
        if needed == fee:
            break
        fee = needed
    return fee
