"""Reference price paths the oracle feeders follow: pure functions of (run seed, block).

A path is indexed by blocks since the run started (the fleet's first block), so every feeder
of a run computes the same price for the same block without talking to the others, and a
criterion (or a later scenario such as A6) can recompute the reference from the seed alone.
`None` means the feeders stay silent in that block (an oracle outage). The run's first block
is the one each fleet saw when it started: feeders spread over several workers may count from
blocks a little apart, and the published median then lies between their prices. Prices are
integers in DX base units per whole bAX (`PRICE_ONE` is 1.0, simnet's genesis price).
"""

from __future__ import annotations

from random import Random
from typing import Final

__all__ = ["CRASH", "PRICE_ONE", "calm_walk", "crash_path", "feeder_noise", "reference_walk"]

PRICE_ONE: Final = 1_000_000
_PPM: Final = 1_000_000

# L7: a calm walk of about ±2 %/min (0.25 % per 1 s block: 0.25 % x √60 ≈ 1.9 %), broken every
# `_PERIOD` blocks, at block `_GAP_AT` of the period, by a one-block gap of -45 % (even
# periods) or back up by the same factor (odd ones): the catalogue's full size "alternating
# calm and volatile regimes", kept at every size. The gap is past the oracle's 5 % guard, so
# the market halts opens for that block; the mark (the 10-block TWAP of the median) then moves
# 4.5 % a block for 10 blocks, under the 5 % maintenance buffer (no account is left with
# negative equity before the protocol liquidates it), but fast enough that the book's largest
# cluster, the 3-4x accounts on the losing side, falls below maintenance within a few blocks
# of each other: tens of liquidations due at once, which a protocol limited to one a block
# (`liquidation_throttle`) cannot clear within the 3 blocks L7 C2 allows. A walk of 4.5 %
# steps instead spreads the same accounts over ten blocks and a throttled protocol keeps up.
_CALM_PPM: Final = 2_500
_PERIOD: Final = 30
_GAP_AT: Final = 10
_GAP_DOWN_PPM: Final = -450_000
_GAP_UP_PPM: Final = 818_182  # x 1/0.55: back to the level before the gap


def reference_walk(seed: str, block: int) -> int:
    """The L7 reference price at `block` (>= 0) of a run seeded `seed`."""
    return _walk(seed, block, gaps=True)


def calm_walk(seed: str, block: int) -> int:
    """A6's reference: the L7 walk's calm steps without its gaps, so that an honest
    oracle stays within a fraction of a percent of it in every block and any larger gap is
    the manipulation's doing."""
    return _walk(seed, block, gaps=False)


def _walk(seed: str, block: int, *, gaps: bool) -> int:
    rng = Random(f"{seed}/reference-walk")
    price = PRICE_ONE
    for b in range(1, max(block, 0) + 1):
        step = int(rng.gauss(0.0, _CALM_PPM))
        phase, period = b % _PERIOD, b // _PERIOD
        if gaps and phase == _GAP_AT:
            step = _GAP_DOWN_PPM if period % 2 == 0 else _GAP_UP_PPM
        price = max(1, price * (_PPM + step) // _PPM)
    return price


# A7: (first block, price in ppm of PRICE_ONE) from that block on; None = feeders silent.
# Build-up at 1.0 until block 12 (the catalogue's 20 s build-up, shortened so that the smoke
# size sees the whole cascade); the catalogue's crash, -25 % over 10 blocks with one -8 %
# single-block gap, then +10 %; and at block 18 a one-block stop-hunt wick to 0.35. simnet's
# perps fill at the oracle's mark against the house, so a whale's market sells cannot move
# the price: the wick is the whale's stop-hunt as the oracle sees it. It moves the mark (the
# 10-block TWAP of the median) by ~7 % in one block, more than the 5 % maintenance buffer, so
# accounts near maintenance fall to negative equity before anyone can liquidate them: the
# deficits the insurance fund, then auto-deleveraging, must cover (C3).
CRASH: Final[tuple[tuple[int, int | None], ...]] = (
    (0, 1_000_000),
    (12, 970_000),
    (13, 940_000),
    (14, 865_000),  # the -8 % single-block gap
    (15, 840_000),
    (16, 820_000),
    (17, 800_000),
    (18, 350_000),  # the stop-hunt wick, one block
    (19, 780_000),
    (20, 765_000),
    (21, 750_000),  # -25 %
    (25, 790_000),
    (26, 825_000),  # +10 % off the low
)


def crash_path(block: int) -> int | None:
    """The A7 scripted price at `block`, or None while the feeders are silent."""
    price: int | None = None
    for start, ppm in CRASH:
        if block < start:
            break
        price = None if ppm is None else PRICE_ONE * ppm // _PPM
    return price


def feeder_noise(rng: Random, price: int) -> int:
    """A feeder's own reading of `price`: within ±0.05 %, so the median is the reference."""
    return max(1, price + price * rng.randint(-500, 500) // _PPM)
