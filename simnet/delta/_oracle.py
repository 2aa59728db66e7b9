"""Delta's price oracle: a feeder set, a median per block, a TWAP mark, and the market guards.

Each feeder sends `oracle.submit_price{pair, price}` (its last one in a block counts). At the end
of a block with at least `min_feeders` submissions the published price becomes their median;
otherwise it stays and ages. The mark is the mean of the last `twap_blocks` published prices.
A pair halts (no opens on its markets) while its price is older than `max_age_blocks` or in the
block its median moved more than `max_move_bps`.

`oracle_spot_unguarded` replaces all of it by the spot price of the thinnest DEX pool of the
pair: no median, no TWAP, no guards (the Mango setup of A6).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from botruntime.chain.tx import JsonValue, Msg, decode_amount
from simnet._entry import Entry
from simnet._errors import Rejected
from simnet._module import Check, Module
from simnet._vuln import Vulns
from simnet.delta._params import BPS, DeltaParams

__all__ = ["Feed", "Oracle", "median"]

_HISTORY: Final = 100


def median(prices: Sequence[int]) -> int:
    """The middle price; with an even count the mean of the two middle ones, rounded down."""
    ordered = sorted(prices)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) // 2


@dataclass(slots=True)
class Feed:
    pair: str
    price: int
    updated: int = 0  # height the price was last published
    move_bps: int = 0  # |move| of the last block, rounded up
    deviation_halt: bool = False
    stale: bool = False
    pending: dict[str, int] = field(default_factory=dict)  # feeder -> price, this block
    accepted: tuple[int, ...] = ()  # the submissions the last published median came from
    published_at: int = -1  # height of `accepted`
    window: deque[int] = field(default_factory=deque)  # last published prices (the TWAP)
    history: deque[tuple[int, int, int]] = field(default_factory=lambda: deque(maxlen=_HISTORY))

    @property
    def halted(self) -> bool:
        return self.stale or self.deviation_halt

    @property
    def mark(self) -> int:
        return sum(self.window) // len(self.window)


class Oracle(Module):
    name = "oracle"
    msg_types = frozenset({"oracle.submit_price"})

    def __init__(
        self,
        params: DeltaParams,
        vulns: Vulns,
        feeders: Sequence[str],
        spot: Callable[[str], int | None],
    ) -> None:
        self.params = params
        self.vulns = vulns
        self.feeders = tuple(feeders)
        self._feeder_set = frozenset(feeders)
        self._spot = spot
        self.height = 0
        self.feeds: dict[str, Feed] = {}
        for pair in params.pairs:
            window = deque([params.initial_price], maxlen=params.twap_blocks)
            self.feeds[pair] = Feed(pair, params.initial_price, window=window)

    # ---- reads ---------------------------------------------------------------------------------

    def feed(self, pair: str) -> Feed:
        feed = self.feeds.get(pair)
        if feed is None:
            raise Rejected(
                "not_found", f"no oracle pair {pair!r}; one of {sorted(self.feeds)}", {"pair": pair}
            )
        return feed

    def age(self, feed: Feed) -> int:
        return self.height - feed.updated

    # ---- messages ------------------------------------------------------------------------------

    def check(self, entry: Entry, msg: Msg, height: int) -> None:
        self._parse(entry.sender, msg)

    def execute(self, entry: Entry, msg: Msg, height: int, reserved: int) -> None:
        feed, price = self._parse(entry.sender, msg)
        feed.pending[entry.sender] = price

    def _parse(self, sender: str, msg: Msg) -> tuple[Feed, int]:
        if sender not in self._feeder_set:
            raise Rejected(
                "malformed",
                f"body.sender {sender} is not an oracle feeder; GET /oracle/feeders lists them",
                {"path": "body.sender"},
            )
        pair = str(msg["pair"])
        if pair not in self.feeds:
            raise Rejected(
                "malformed",
                f"body.msgs[0].pair: no oracle pair {pair!r}; one of {sorted(self.feeds)}",
                {"path": "body.msgs[0].pair"},
            )
        price = decode_amount(msg["price"])
        if price == 0:
            raise Rejected(
                "invalid_amount",
                "body.msgs[0].price is a positive price in DX base units per whole unit",
                {"path": "body.msgs[0].price"},
            )
        return self.feeds[pair], price

    # ---- blocks --------------------------------------------------------------------------------

    def begin_block(self, height: int) -> None:
        self.height = height

    def end_block(self, height: int, taken: Sequence[Entry]) -> None:
        params = self.params
        for feed in self.feeds.values():
            pending, feed.pending = feed.pending, {}
            if self.vulns.on("oracle_spot_unguarded"):
                spot = self._spot(feed.pair)
                if spot is not None:
                    feed.move_bps = -(-abs(spot - feed.price) * BPS // feed.price)
                    feed.price, feed.updated = spot, height
                    feed.window.clear()
                feed.window.append(feed.price)
                feed.deviation_halt = feed.stale = False
                continue
            feed.deviation_halt = False
            if len(pending) >= params.min_feeders:
                new = median(list(pending.values()))
                feed.move_bps = -(-abs(new - feed.price) * BPS // feed.price)
                feed.deviation_halt = feed.move_bps > params.max_move_bps
                feed.price, feed.updated = new, height
                feed.accepted, feed.published_at = tuple(sorted(pending.values())), height
                feed.history.append((height, new, len(pending)))
            feed.window.append(feed.price)
            feed.stale = height - feed.updated > params.max_age_blocks

    # ---- invariants ----------------------------------------------------------------------------

    def invariants(self) -> Mapping[str, Check]:
        return {
            "oracle/freshness": self._freshness,
            "oracle/deviation": self._deviation,
            "oracle/median": self._median,
        }

    def _freshness(self) -> str | None:
        for feed in self.feeds.values():
            age = self.age(feed)
            if age > self.params.max_age_blocks and not feed.halted:
                return f"{feed.pair}: price is {age} blocks old and the market is open"
        return None

    def _deviation(self) -> str | None:
        for feed in self.feeds.values():
            if feed.updated == self.height and not feed.halted:
                if feed.move_bps > self.params.max_move_bps:
                    return f"{feed.pair}: moved {feed.move_bps} bps in one block, market open"
        return None

    def _median(self) -> str | None:
        for feed in self.feeds.values():
            if feed.updated == feed.published_at and feed.accepted:
                expected = median(feed.accepted)
                if feed.price != expected:
                    return f"{feed.pair}: published {feed.price}, median of submissions {expected}"
            elif feed.updated > 0 and feed.updated != feed.published_at:
                return f"{feed.pair}: published {feed.price} at {feed.updated} without submissions"
        return None

    def to_wire(self) -> JsonValue:
        return {
            "height": self.height,
            "feeds": {
                pair: {
                    "price": str(f.price),
                    "updated": f.updated,
                    "move_bps": f.move_bps,
                    "deviation_halt": f.deviation_halt,
                    "stale": f.stale,
                    "pending": {a: str(p) for a, p in sorted(f.pending.items())},
                    "accepted": [str(p) for p in f.accepted],
                    "published_at": f.published_at,
                    "window": [str(p) for p in f.window],
                    "history": [[h, str(p), n] for h, p, n in f.history],
                }
                for pair, f in sorted(self.feeds.items())
            },
        }

    def load_wire(self, wire: JsonValue) -> None:
        data: Any = wire  # what to_wire wrote
        self.height = int(data["height"])
        for pair, w in data["feeds"].items():
            feed = self.feeds[pair]
            feed.price, feed.updated = int(w["price"]), int(w["updated"])
            feed.move_bps = int(w["move_bps"])
            feed.deviation_halt, feed.stale = bool(w["deviation_halt"]), bool(w["stale"])
            feed.pending = {a: int(p) for a, p in w["pending"].items()}
            feed.accepted = tuple(int(p) for p in w["accepted"])
            feed.published_at = int(w["published_at"])
            feed.window.clear()
            feed.window.extend(int(p) for p in w["window"])
            feed.history.clear()
            feed.history.extend((int(h), int(p), int(n)) for h, p, n in w["history"])

    def status(self, feed: Feed) -> str:
        if feed.stale:
            return "stale"
        return "halted" if feed.deviation_halt else "open"
