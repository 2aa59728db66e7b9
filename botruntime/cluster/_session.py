"""The coordinator's side of one worker's Session stream.

The first message must be a SessionHello matching a registration. Then one task reads (heartbeats,
metric deltas, results) and one writes the commands queued on the worker's link; when either
ends, both do. A malformed or out-of-order message ends this stream with the refusal
`invalid_request` and the words; a hello for a registration now gone with `not_registered`
(register again). Nothing else is touched, and the worker may reconnect.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from botruntime.cluster._coordinator import Coordinator, WorkerLink
from botruntime.cluster._errors import ClusterError, ProtocolViolation
from botruntime.cluster._pb import orchestration_pb2 as pb
from botruntime.cluster._refusal import refuse
from botruntime.cluster._types import AssignmentOutcome, DrainCommand
from botruntime.cluster._wire import command_to_pb, health_from_pb, outcome_from_pb

__all__ = ["serve_session"]

log = logging.getLogger("testbots.coordinator")


async def serve_session(
    coordinator: Coordinator,
    requests: AsyncIterator[pb.WorkerMessage],
    context: Any,
    *,
    hello_timeout_s: float = 10.0,
) -> None:
    try:
        async with asyncio.timeout(hello_timeout_s):
            first = await anext(requests)
    except (TimeoutError, StopAsyncIteration):
        await refuse(context, "invalid_request", "open a Session with SessionHello")
    if first.WhichOneof("kind") != "hello":
        await refuse(context, "invalid_request", "the first message must be hello")
    try:
        link = coordinator.attach(first.hello.worker_id, first.hello.session_key)
    except ClusterError as exc:
        await refuse(context, "not_registered", str(exc))
    violation: ProtocolViolation | None = None
    clean_end = False
    try:
        async with asyncio.TaskGroup() as tg:
            reader = tg.create_task(_read(coordinator, link, requests), name="session-in")
            writer = tg.create_task(_write(link, context), name="session-out")
            await asyncio.wait({reader, writer}, return_when=asyncio.FIRST_COMPLETED)
            clean_end = reader.done() and not reader.cancelled() and reader.exception() is None
            reader.cancel()
            writer.cancel()
    except* ProtocolViolation as group:
        violation = next(e for e in group.exceptions if isinstance(e, ProtocolViolation))
    finally:
        coordinator.detach(link)
    if violation is not None:
        log.warning("session of %s: %s", link.worker_id, violation.detail)
        await refuse(context, "invalid_request", violation.detail)
    elif clean_end:
        coordinator.on_closed(link)  # the worker said goodbye: what it still held is lost


async def _read(
    coordinator: Coordinator, link: WorkerLink, requests: AsyncIterator[pb.WorkerMessage]
) -> None:
    async for message in requests:
        kind = message.WhichOneof("kind")
        if kind == "heartbeat":
            coordinator.on_heartbeat(link, health_from_pb(message.heartbeat))
        elif kind == "delta":
            d = message.delta
            coordinator.on_delta(link, d.run_id, d.assignment_id, d.seq, d.payload)
        elif kind == "done":
            m = message.done
            outcome = outcome_from_pb(m.outcome)
            if outcome is AssignmentOutcome.LOST:
                raise ProtocolViolation("a worker cannot report its own assignment as lost")
            coordinator.on_done(
                link, m.run_id, m.assignment_id, outcome, dict(m.counters), m.detail
            )
        elif kind == "hello":
            raise ProtocolViolation("a second SessionHello on an open Session")
        else:
            raise ProtocolViolation("a WorkerMessage with nothing in it")


async def _write(link: WorkerLink, context: Any) -> None:
    while True:
        command = await link.outbox.get()
        if command is None:
            return
        for message in command_to_pb(command):
            await context.write(message)
        if isinstance(command, DrainCommand):
            link.drained = True
