"""Token buckets keyed by client (X-Client-Id): reads and txs have their own rate and burst."""

from __future__ import annotations

from typing import Final

__all__ = ["TokenBuckets"]

_MAX_CLIENTS: Final = 100_000


class TokenBuckets:
    def __init__(self, rate_per_s: float, burst: int) -> None:
        self.rate_per_s = rate_per_s
        self.burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, at_s)

    def take(self, client: str, now_s: float) -> float:
        """Spend one token; return 0 if allowed, else the seconds until a token is back."""
        burst = float(self.burst)
        bucket = self._buckets.get(client)
        if bucket is None:
            tokens = burst
        else:
            tokens = bucket[0] + (now_s - bucket[1]) * self.rate_per_s
            if tokens > burst:
                tokens = burst
        if tokens < 1.0:
            self._buckets[client] = (tokens, now_s)
            return (1.0 - tokens) / self.rate_per_s
        if len(self._buckets) > _MAX_CLIENTS:
            self._buckets.clear()
        self._buckets[client] = (tokens - 1.0, now_s)
        return 0.0
