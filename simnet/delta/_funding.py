"""Perps funding: every `funding_every_blocks`, longs and shorts settle the mark-index gap.

rate = clamp((mark - index) / index, ±`funding_clamp_ppm`); longs pay shorts when it is
positive (the house takes the other side of the net). Payers round up, receivers down, and
the dust goes to the insurance fund, so what is paid is exactly what is received plus dust.
A stale price settles nothing. `funding_one_sided` charges payers and credits nobody.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from botruntime.chain.tx import JsonValue
from simnet.delta._params import PPM, PRICE_SCALE

if TYPE_CHECKING:
    from simnet.delta._margin import MarginBook

__all__ = ["FundingEvent", "funding_payment", "funding_rate", "settle_funding"]


@dataclass(frozen=True, slots=True)
class FundingEvent:
    height: int
    market: str
    rate_ppm: int
    mark: int
    index: int
    paid: int  # Σ charged to payers (rounded up)
    received: int  # Σ credited to receivers (rounded down)
    dust: int  # to the insurance fund

    def to_wire(self) -> dict[str, JsonValue]:
        return {
            "height": self.height,
            "market": self.market,
            "rate_ppm": self.rate_ppm,
            "mark": str(self.mark),
            "index": str(self.index),
            "paid": str(self.paid),
            "received": str(self.received),
            "dust": str(self.dust),
        }

    @classmethod
    def from_wire(cls, e: dict[str, JsonValue]) -> FundingEvent:
        return cls(
            int(str(e["height"])),
            str(e["market"]),
            int(str(e["rate_ppm"])),
            *(int(str(e[k])) for k in ("mark", "index", "paid", "received", "dust")),
        )


def funding_rate(mark: int, index: int, clamp_ppm: int) -> int:
    """(mark - index) / index in ppm, rounded down, within ±`clamp_ppm`."""
    return max(-clamp_ppm, min(clamp_ppm, (mark - index) * PPM // index))


def funding_payment(size: int, mark: int, rate_ppm: int) -> int:
    """What a position of signed `size` pays (> 0, rounded up) or gets (< 0, rounded down).

    Both are the ceiling of size·mark·rate: a payer pays the dust, a receiver forgoes it.
    """
    return -(-size * mark * rate_ppm // (PRICE_SCALE * PPM))


def settle_funding(book: MarginBook, market: str, height: int) -> None:
    """Charge and credit one market's funding at `height`; record the event on the book."""
    feed = book.feed(market)
    if feed.stale:
        return
    index, mark = feed.price, feed.mark
    rate = funding_rate(mark, index, book.params.funding_clamp_ppm)
    if rate == 0:
        return
    paid = received = 0
    one_sided = book.vulns.on("funding_one_sided")
    for account in (*book.accounts.values(), book.house):
        position = account.positions.get(market)
        if position is None:
            continue
        payment = funding_payment(position.size, mark, rate)
        if payment > 0:
            account.collateral -= payment
            account.funding -= payment
            paid += payment
        else:
            amount = 0 if one_sided else -payment
            account.collateral += amount
            account.funding += amount
            received += amount
    dust = paid - received if not one_sided else 0
    book.insurance += dust
    book.funding_events.append(
        FundingEvent(height, market, rate, mark, index, paid, received, dust)
    )
    if paid != received + dust:
        book.broken.setdefault(
            "perps/funding-zero-sum",
            f"height {height} {market}: paid {paid}, received {received}, dust {dust}",
        )
