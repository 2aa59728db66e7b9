"""StreamCheck: what a subscriber's stream owes it, event by event (SCENARIOS.md R4 C3)."""

from __future__ import annotations

from datetime import UTC, datetime

from botruntime.chain.events import BlockEvent, TxEvent
from botruntime.fleet import StreamCheck, StreamFindings
from botruntime.fleet._streams import Subscription, wall_time_s


def block(height: int, txs: int = 0, *, prev: str | None = None) -> BlockEvent:
    return BlockEvent(
        height=height,
        hash=f"H{height}",
        prev_hash=prev if prev is not None else f"H{height - 1}",
        time=f"2026-01-01T00:00:{height:02d}.000000Z",
        txs=txs,
    )


def tx(height: int, index: int) -> TxEvent:
    return TxEvent(hash=f"T{height}.{index}", height=height, index=index, sender="ax1")


def test_contiguous_blocks_with_all_their_txs_are_clean() -> None:
    check = StreamCheck()
    seen = [check.block(block(5)), check.tx(tx(6, 0)), check.tx(tx(6, 1)), check.block(block(6, 2))]
    assert not any(seen)
    assert (check.height, check.hash) == (6, "H6")


def test_a_skipped_height_is_counted_per_missing_block() -> None:
    check = StreamCheck()
    check.block(block(5))
    assert check.block(block(9)) == StreamFindings(missed_blocks=3)


def test_a_block_again_or_a_tx_of_a_complete_block_is_a_repeat() -> None:
    check = StreamCheck()
    check.block(block(5))
    check.block(block(6))
    assert check.block(block(6)) == StreamFindings(repeated_blocks=1)
    assert check.tx(tx(5, 0)) == StreamFindings(repeated_txs=1)
    assert check.height == 6


def test_a_block_not_linked_to_the_one_before_is_a_broken_link() -> None:
    check = StreamCheck()
    check.block(block(5))
    assert check.block(block(6, prev="OTHER")) == StreamFindings(broken_links=1)


def test_fewer_tx_events_than_the_block_holds_are_missed_txs() -> None:
    check = StreamCheck()
    check.block(block(5))
    check.tx(tx(6, 0))
    assert check.block(block(6, txs=3)) == StreamFindings(missed_txs=2)


def test_after_a_resume_the_unfinished_block_is_counted_from_its_first_tx() -> None:
    check = StreamCheck()
    check.block(block(5))
    check.tx(tx(6, 0))
    check.resume()  # the new connection sends height 6 again from its first tx
    check.tx(tx(6, 0))
    check.tx(tx(6, 1))
    assert not check.block(block(6, txs=2))


def test_block_times_give_the_interval_and_the_wall_clock_instant() -> None:
    sub = Subscription()
    assert sub.saw_block(block(1)) == datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC).timestamp()
    sub.saw_block(block(3))
    assert sub.block_interval_s == 2.0
    assert wall_time_s("not a time") is None
