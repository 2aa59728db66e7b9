"""`POST /txs` with mode=commit: wait until a block settles the tx, with a bound."""

from __future__ import annotations

import asyncio

from simnet._network import Network
from simnet._producer import BlockResult

__all__ = ["CommitWaiters", "Settled"]

# ("committed", height, "ok" or the code its messages failed with), or ("failed", 0, code)
# when the tx left the mempools without entering a block
Settled = tuple[str, int, str]


class CommitWaiters:
    def __init__(self, network: Network) -> None:
        self._waiting: dict[tuple[str, str], list[asyncio.Future[Settled]]] = {}
        network.listeners.append(self._on_block)

    def _on_block(self, chain: str, result: BlockResult) -> None:
        if not self._waiting:
            return
        block = result.block
        for i, tx_hash in enumerate(block.txs):
            self._settle((chain, tx_hash), ("committed", block.height, block.code(i)))
        for tx_hash in result.failed:
            self._settle((chain, tx_hash), ("failed", 0, "failed"))

    def _settle(self, key: tuple[str, str], outcome: Settled) -> None:
        for future in self._waiting.pop(key, ()):
            if not future.done():
                future.set_result(outcome)

    async def wait(self, chain: str, tx_hash: str, timeout_s: float) -> Settled | None:
        """The outcome, or None if no block settled the tx within `timeout_s`."""
        future: asyncio.Future[Settled] = asyncio.get_running_loop().create_future()
        key = (chain, tx_hash)
        self._waiting.setdefault(key, []).append(future)
        try:
            async with asyncio.timeout(timeout_s):
                return await future
        except TimeoutError:
            return None
        finally:
            waiting = self._waiting.get(key)
            if waiting is not None and future in waiting:
                waiting.remove(future)
                if not waiting:
                    del self._waiting[key]
