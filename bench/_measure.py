"""What several benches measure the same way: a bare ed25519 verify, and the load around a run."""

from __future__ import annotations

import os
import time

from nacl.signing import SigningKey

__all__ = ["bare_verify_us", "load_span"]


def bare_verify_us(seconds: float = 1.0) -> float:
    """CPU µs of one PyNaCl verify of a transfer-sized message: the limit simnet is held to."""
    key = SigningKey(b"\x01" * 32)
    message = b"x" * 420
    signature = key.sign(message).signature
    verify_key = key.verify_key
    done, start = 0, time.process_time()
    while time.process_time() - start < seconds:
        for _ in range(500):
            verify_key.verify(message, signature)
        done += 500
    return (time.process_time() - start) / done * 1e6


def load_span(before: tuple[float, float, float]) -> str:
    """The load average before a bench and now, with the cores it shares."""
    after = os.getloadavg()
    return (
        "load average (1/5/15 min): before "
        + "/".join(f"{x:.2f}" for x in before)
        + ", after "
        + "/".join(f"{x:.2f}" for x in after)
        + f" on {os.cpu_count()} cores"
    )
