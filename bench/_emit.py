"""Where a worker's interval delta goes, for benches: `Worker._emit_delta` of a worker that
never dials out (it packs the delta for the coordinator and merges it into the worker's own
/metrics page); the outbox is emptied as a Session writing it would."""

from __future__ import annotations

from botruntime.cluster._types import Assignment
from botruntime.cluster._worker import Worker, WorkerOptions
from botruntime.metrics import IntervalDelta

__all__ = ["WorkerEmit"]


class WorkerEmit:
    def __init__(self, assignment_id: str = "bench/a0") -> None:
        self._worker = Worker(WorkerOptions("127.0.0.1:1", "bench"), runner=_NoRunner())
        self._assignment = Assignment(  # its plan is never compiled here
            "bench",
            assignment_id,
            None,
            "",
            0,
            1,
            (),
            0.0,
            False,
            0.0,  # type: ignore[arg-type]
        )

    def __call__(self, delta: IntervalDelta) -> int:
        """Emit one delta; the bytes of the payload that would go to the coordinator."""
        self._worker._emit_delta(self._assignment, delta)
        outbox = self._worker._outbox
        size = len(outbox._items[-1].delta.payload)
        outbox.clear()
        return size

    def close(self) -> None:
        self._worker._metrics_page.close()


class _NoRunner:
    async def run(self, *args: object) -> object:
        raise AssertionError("a bench's worker runs no assignment")
