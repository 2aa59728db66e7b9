"""CommitWatcher.read_through: the fleet waits for its watcher to read the chain's last
blocks before stopping, so a tx a behaviour saw land first is still settled."""

from __future__ import annotations

import asyncio

import pytest

from botruntime.chain.alpha import HttpAlphaClient
from botruntime.chain.testing import MockTransport, Request, answer
from botruntime.chain.transport import Answer
from botruntime.fleet import CommitWatcher

pytestmark = pytest.mark.anyio


class Chain:
    def __init__(self) -> None:
        self.height = 5
        self.read: list[int] = []

    def __call__(self, request: Request) -> Answer:
        if request.path == "/blocks/latest":
            block = {"height": self.height, "time": "t", "hash": "H", "prev_hash": "P", "txs": []}
            return answer(block)
        height = int(request.path.split("/")[2])
        self.read.append(height)
        return answer({"height": height, "txs": []})


async def test_read_through_waits_for_the_blocks_up_to_the_height_and_no_longer() -> None:
    chain = Chain()
    client = HttpAlphaClient(transport=MockTransport(chain), chain_id="alpha-simnet-1")
    watcher = CommitWatcher(client, poll_s=0.001)
    await watcher.start()
    task = asyncio.create_task(watcher.run(), name="test-watcher")
    try:
        chain.height = 8
        assert await watcher.read_through(8, timeout_s=5.0)
        assert chain.read[:3] == [6, 7, 8]
        assert not await watcher.read_through(9, timeout_s=0.05)  # no block 9 yet
    finally:
        task.cancel()
