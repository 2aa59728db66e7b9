"""An address's history reads as (height, index, hash) items, oldest first, from the blocks."""

from __future__ import annotations

import bisect
from typing import Any

import pytest

from simnet._history import AddressHistory


def test_items_name_the_txs_of_the_blocks(bench: Any) -> None:
    chain = bench.alpha
    me, peer = bench.ids[0].alpha_address, bench.ids[1].alpha_address
    for nonce in range(6):
        chain.submit(chain.nodes[0], bench.tx(0, nonce), bench.clock())
        if nonce % 2:
            bench.network.step(1)
    mine, theirs = chain.by_address[me], chain.by_address[peer]
    assert len(mine) == len(theirs) == 6
    for height, index, tx_hash in mine:
        assert chain.blocks[height].txs[index] == tx_hash
        assert chain.index[tx_hash].sender == me
    assert list(mine) == list(theirs) and mine[1:3] == [mine[1], mine[2]]
    assert mine[-1] == list(mine)[-1]
    height, index, _ = mine[3]
    assert bisect.bisect_right(mine, (height, index, "\uffff")) == 4  # the explorer's cursor


def test_an_index_beyond_a_block_is_refused(bench: Any) -> None:
    with pytest.raises(ValueError, match="at most"):
        AddressHistory(bench.alpha).append(1, 1 << 24)
