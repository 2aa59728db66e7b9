"""Backoff with full jitter, Retry-After, limits, and what is never retried."""

from random import Random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botruntime.chain.errors import (
    BadNonce,
    ChainError,
    InsufficientFunds,
    RateLimited,
    Unreachable,
)
from botruntime.chain.retry import NO_RETRY, Attempt, RetryPolicy, retry

pytestmark = pytest.mark.anyio


class Clock:
    """A fake clock that only sleeping moves: tests see exactly the waits asked for."""

    def __init__(self) -> None:
        self.now = 100.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


class Script:
    """A call that fails with the given errors, in order, then returns "done"."""

    def __init__(self, *failures: ChainError) -> None:
        self.failures = list(failures)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "done"


async def run(script: Script, policy: RetryPolicy, clock: Clock, seed: int = 1) -> list[Attempt]:
    attempts: list[Attempt] = []
    try:
        result = await retry(
            script,
            policy,
            operation="op",
            rng=Random(seed),
            on_attempt=attempts.append,
            sleep=clock.sleep,
            clock=clock,
        )
        assert result == "done"
    finally:
        assert len(attempts) == script.calls
    return attempts


async def test_unreachable_is_retried_until_it_succeeds() -> None:
    clock = Clock()
    script = Script(Unreachable("down"), Unreachable("down"))
    attempts = await run(script, RetryPolicy(max_attempts=5, base_s=0.1, cap_s=1.0), clock)
    assert [a.number for a in attempts] == [1, 2, 3]
    assert [a.error is None for a in attempts] == [False, False, True]
    assert [a.will_retry for a in attempts] == [True, True, False]
    assert len(clock.waits) == 2
    assert 0 <= clock.waits[0] <= 0.1 and 0 <= clock.waits[1] <= 0.2  # full jitter ceilings
    assert [a.wait_s for a in attempts[:2]] == clock.waits


@pytest.mark.parametrize(
    "error", [BadNonce("used", expected=3), InsufficientFunds("poor")], ids=["nonce", "funds"]
)
async def test_errors_that_need_a_new_tx_are_never_retried(error: ChainError) -> None:
    clock = Clock()
    script = Script(error)
    with pytest.raises(type(error)):
        await run(script, RetryPolicy(max_attempts=5), clock)
    assert script.calls == 1
    assert clock.waits == []


async def test_retry_after_is_a_floor_for_the_wait() -> None:
    clock = Clock()
    script = Script(RateLimited("slow down", retry_after_s=2.5))
    attempts = await run(script, RetryPolicy(base_s=0.01, cap_s=0.05, max_elapsed_s=60), clock)
    assert clock.waits == [2.5]
    assert attempts[0].wait_s == 2.5


async def test_a_retry_after_beyond_the_time_budget_gives_up_at_once() -> None:
    clock = Clock()
    script = Script(RateLimited("slow down", retry_after_s=30.0))
    with pytest.raises(RateLimited):
        await run(script, RetryPolicy(max_elapsed_s=5.0), clock)
    assert script.calls == 1 and clock.waits == []


async def test_max_attempts_bounds_the_tries_and_reraises_the_last_error() -> None:
    clock = Clock()
    script = Script(*(Unreachable(f"down {i}") for i in range(10)))
    with pytest.raises(Unreachable, match="down 2"):
        await run(script, RetryPolicy(max_attempts=3, base_s=0.01, cap_s=0.01), clock)
    assert script.calls == 3


async def test_max_elapsed_bounds_the_time_spent() -> None:
    clock = Clock()
    script = Script(*(Unreachable("down") for _ in range(100)))
    policy = RetryPolicy(max_attempts=100, base_s=1.0, cap_s=1.0, max_elapsed_s=3.0)
    with pytest.raises(Unreachable):
        await run(script, policy, clock, seed=3)
    assert clock.now - 100.0 < 3.0
    assert script.calls >= 2


async def test_no_retry_policy_tries_once() -> None:
    clock = Clock()
    script = Script(Unreachable("down"))
    with pytest.raises(Unreachable):
        await run(script, NO_RETRY, clock)
    assert script.calls == 1


async def test_same_seed_same_waits() -> None:
    policy = RetryPolicy(max_attempts=6, base_s=0.1, cap_s=5.0, max_elapsed_s=100)
    waits = []
    for _ in range(2):
        clock = Clock()
        await run(Script(*(Unreachable("x") for _ in range(5))), policy, clock, seed=42)
        waits.append(clock.waits)
    assert waits[0] == waits[1]
    assert len(set(waits[0])) == 5  # jittered, not a fixed ladder


@settings(max_examples=200, deadline=None)
@given(
    attempt=st.integers(1, 40),
    base=st.floats(0.0, 1.0),
    extra=st.floats(0.0, 10.0),
    seed=st.integers(0, 2**32),
)
def test_backoff_stays_within_the_full_jitter_ceiling(
    attempt: int, base: float, extra: float, seed: int
) -> None:
    policy = RetryPolicy(base_s=base, cap_s=base + extra)
    wait = policy.backoff_s(attempt, Random(seed))
    assert 0.0 <= wait <= min(policy.cap_s, base * 2.0 ** (attempt - 1))


@pytest.mark.parametrize(
    "kwargs",
    [{"max_attempts": 0}, {"base_s": -1.0}, {"base_s": 2.0, "cap_s": 1.0}, {"max_elapsed_s": 0}],
)
def test_policy_refuses_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r"must|need"):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]
