"""Blocks: height, time, hash links, the txs they carry and the tx index.

A block keeps each tx as the JSON bytes it is served as, not as the decoded object: a parsed
transfer holds ~1.5 KB of small Python objects, its bytes ~0.45 KB, and the history is what
grows with a run (bench/scaling.py). Reads that need fields decode the one body they read.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson

from botruntime.chain.tx import JsonValue

__all__ = ["Block", "TxRecord", "block_hash", "decode_body", "encode_body", "rfc3339"]


@dataclass(frozen=True, slots=True)
class Block:
    height: int
    time_us: int
    hash: str
    prev_hash: str
    txs: tuple[str, ...]
    bodies: tuple[bytes, ...]  # the wire txs as JSON (`encode_body`), same order as `txs`
    proposer: str
    size: int
    # per tx, same order: "ok", or why its messages failed (the fee and nonce were spent)
    codes: tuple[str, ...] = ()
    # per tx, same order: what its module messages did (empty for bank txs and failed ones)
    events: tuple[tuple[dict[str, JsonValue], ...], ...] = ()

    def code(self, index: int) -> str:
        return self.codes[index] if self.codes else "ok"

    def body(self, index: int) -> dict[str, JsonValue]:
        return decode_body(self.bodies[index])

    def events_of(self, index: int) -> list[JsonValue]:
        return list(self.events[index]) if self.events else []

    def to_wire(self) -> dict[str, JsonValue]:
        return {
            "height": self.height,
            "time": rfc3339(self.time_us),
            "hash": self.hash,
            "prev_hash": self.prev_hash,
            "txs": list(self.txs),
        }

    def export(self) -> dict[str, JsonValue]:
        return {
            "height": self.height,
            "time_us": self.time_us,
            "hash": self.hash,
            "prev_hash": self.prev_hash,
            "txs": list(self.txs),
            "bodies": [decode_body(b) for b in self.bodies],
            "proposer": self.proposer,
            "size": self.size,
            "codes": list(self.codes),
            "events": [list(e) for e in self.events],
        }

    @classmethod
    def from_export(cls, wire: dict[str, JsonValue]) -> Block:
        txs, bodies, codes = wire["txs"], wire["bodies"], wire.get("codes", [])
        events = wire.get("events", [])
        assert isinstance(events, list)
        assert isinstance(txs, list) and isinstance(bodies, list) and isinstance(codes, list)
        assert not codes or len(codes) == len(txs), "a block has one code per tx"
        return cls(
            height=int(wire["height"]),  # type: ignore[arg-type]
            time_us=int(wire["time_us"]),  # type: ignore[arg-type]
            hash=str(wire["hash"]),
            prev_hash=str(wire["prev_hash"]),
            txs=tuple(str(t) for t in txs),
            bodies=tuple(encode_body(b) for b in bodies if isinstance(b, dict)),
            proposer=str(wire["proposer"]),
            size=int(wire["size"]),  # type: ignore[arg-type]
            codes=tuple(str(c) for c in codes) or ("ok",) * len(txs),  # an older export
            events=tuple(
                tuple(e for e in per_tx if isinstance(e, dict))
                for per_tx in events
                if isinstance(per_tx, list)
            ),
        )


@dataclass(slots=True)
class TxRecord:
    """Where a committed tx sits, under which hash, and whether its messages took effect.
    Written once when its block commits, never changed (not frozen: one is built per
    committed tx, and a frozen dataclass costs ~4x as much to build)."""

    height: int
    index: int
    sender: str
    nonce: int
    canonical_hash: str
    code: str = "ok"  # else it failed at execution: only its fee and nonce were spent


def block_hash(
    chain_id: str,
    height: int,
    time_us: int,
    prev_hash: str,
    txs: tuple[str, ...],
    codes: tuple[str, ...] = (),
) -> str:
    """The header hash; it binds each tx's outcome too (CometBFT's results hash)."""
    header = {
        "chain_id": chain_id,
        "height": height,
        "time_us": time_us,
        "prev_hash": prev_hash,
        "txs_hash": hashlib.sha256("".join(txs).encode()).hexdigest(),
        "results_hash": hashlib.sha256(",".join(codes).encode()).hexdigest(),
    }
    return hashlib.sha256(orjson.dumps(header, option=orjson.OPT_SORT_KEYS)).hexdigest().upper()


def encode_body(value: dict[str, JsonValue]) -> bytes:
    """A tx as a block keeps it: its JSON in the order it came (ints orjson cannot hold too)."""
    try:
        # copied to its own size: orjson's bytes keep the 4 KiB buffer they were written in
        return bytes(memoryview(orjson.dumps(value)))
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def decode_body(raw: bytes) -> dict[str, JsonValue]:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:  # an int beyond 64 bits: encode_body's fallback wrote it
        value = json.loads(raw)
    assert isinstance(value, dict)
    return value


def rfc3339(time_us: int) -> str:
    """`2025-11-25T15:25:00.123456Z`: UTC with microseconds."""
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=time_us)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
