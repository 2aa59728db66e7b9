"""Retries for what is safe to repeat: exponential backoff with full jitter, honouring Retry-After.

Safe means the repeat cannot do anything the first try would not have done: a read, or
re-broadcasting the *same signed tx* (same hash: at worst the node says `duplicate_tx`).
Re-signing with a new nonce is never safe here: it is a behaviour's decision, so no error that
needs a new tx (BadNonce, InvalidTx, InsufficientFunds, ...) is retried.

Every attempt is reported to `on_attempt`, so metrics can count amplification
(attempts / intents): a retry storm is a finding, not something to hide (SCENARIOS R1).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from random import Random
from typing import Final, TypeVar

from botruntime.chain.errors import (
    ChainError,
    HeightNotReached,
    MempoolFull,
    RateLimited,
    SenderQuota,
    Unreachable,
)

__all__ = [
    "DEFAULT_RETRYABLE",
    "NO_RETRY",
    "Attempt",
    "AttemptHook",
    "RetryPolicy",
    "retry",
]

T = TypeVar("T")

DEFAULT_RETRYABLE: Final[tuple[type[ChainError], ...]] = (
    Unreachable,
    RateLimited,
    MempoolFull,
    SenderQuota,
    HeightNotReached,
)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """At most `max_attempts` tries within `max_elapsed_s`; waits grow from `base_s` to `cap_s`.

    The wait before try n+1 is uniform in [0, min(cap_s, base_s * 2**(n-1))] ("full jitter",
    so a herd of bots does not retry in step), and never less than the node's Retry-After.
    """

    max_attempts: int = 4
    base_s: float = 0.05
    cap_s: float = 2.0
    max_elapsed_s: float = 10.0
    retry_on: tuple[type[ChainError], ...] = field(default=DEFAULT_RETRYABLE)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1 (1 = no retry), got {self.max_attempts}")
        if self.base_s < 0 or self.cap_s < self.base_s:
            raise ValueError(f"need 0 <= base_s <= cap_s, got {self.base_s} and {self.cap_s}")
        if self.max_elapsed_s <= 0:
            raise ValueError(f"max_elapsed_s must be > 0, got {self.max_elapsed_s}")

    def backoff_s(self, attempt: int, rng: Random) -> float:
        """The jittered wait after failed try number `attempt` (1-based)."""
        ceiling = min(self.cap_s, self.base_s * 2.0 ** (attempt - 1))
        return rng.uniform(0.0, ceiling)

    def retryable(self, error: ChainError) -> bool:
        return isinstance(error, self.retry_on)


NO_RETRY: Final = RetryPolicy(max_attempts=1)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try of one intent: what it was, how it ended, and what happens next."""

    operation: str  # e.g. "broadcast", "account"
    number: int  # 1-based
    error: ChainError | None  # None: it succeeded
    will_retry: bool
    wait_s: float  # the wait before the next try (0 when none follows)
    elapsed_s: float  # since the first try started


AttemptHook = Callable[[Attempt], None]


def _retry_after(error: ChainError) -> float | None:
    value = getattr(error, "retry_after_s", None)
    return value if isinstance(value, float | int) else None


async def retry(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    operation: str,
    rng: Random,
    on_attempt: AttemptHook | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Await `call()` until it succeeds, fails with an error the policy will not retry, or the
    policy's attempts or time run out; then re-raise the last error. `call` must be safe to
    repeat (see the module docstring): the caller decides that, not this function.
    """
    started = clock()
    number = 0
    while True:
        number += 1
        try:
            result = await call()
        except ChainError as error:
            elapsed = clock() - started
            wait = policy.backoff_s(number, rng)
            hinted = _retry_after(error)
            if hinted is not None:
                wait = max(wait, float(hinted))
            will_retry = (
                policy.retryable(error)
                and number < policy.max_attempts
                and elapsed + wait < policy.max_elapsed_s
            )
            if on_attempt is not None:
                on_attempt(
                    Attempt(
                        operation, number, error, will_retry, wait if will_retry else 0.0, elapsed
                    )
                )
            if not will_retry:
                raise
            await sleep(wait)
            continue
        if on_attempt is not None:
            on_attempt(Attempt(operation, number, None, False, 0.0, clock() - started))
        return result
