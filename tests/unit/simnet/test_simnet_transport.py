"""CoalescingTransport: the writes of one loop step leave as one write; close flushes first."""

from __future__ import annotations

import asyncio

import pytest

from simnet._transport import CoalescingTransport

pytestmark = pytest.mark.anyio


class RecordingTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str, default: object = None) -> object:
        return ("127.0.0.1", 1) if name == "peername" else default


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_writes_of_one_step_leave_together() -> None:
    real = RecordingTransport()
    coalescing = CoalescingTransport(real, asyncio.get_running_loop())
    coalescing.write(b"HTTP/1.1 200 OK\r\n\r\n")
    coalescing.write(memoryview(b"{}"))
    assert real.writes == []
    await asyncio.sleep(0)
    coalescing.write(b"next")
    await asyncio.sleep(0)
    assert real.writes == [b"HTTP/1.1 200 OK\r\n\r\n{}", b"next"]
    assert coalescing.get_extra_info("peername") == ("127.0.0.1", 1)


async def test_close_sends_what_is_pending_first() -> None:
    real = RecordingTransport()
    coalescing = CoalescingTransport(real, asyncio.get_running_loop())
    coalescing.write(b"last answer")
    coalescing.close()
    await asyncio.sleep(0)
    assert (real.writes, real.closed) == ([b"last answer"], True)
