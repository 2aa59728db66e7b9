"""What several benches measure the same way: a bare ed25519 verify, the load around a run, and
which simnets a simnet bench alternates between."""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from nacl.signing import SigningKey

__all__ = ["add_peer_arguments", "bare_verify_us", "load_span", "simnet_sides"]


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


def add_peer_arguments(parser: argparse.ArgumentParser) -> None:
    """--peer-root DIR or --peer-pure: the simnet a bench's rounds alternate with."""
    peer = parser.add_mutually_exclusive_group()
    peer.add_argument("--peer-root", type=Path, help="another checkout's simnet, alternately")
    peer.add_argument(
        "--peer-pure",
        action="store_true",
        help="this tree's simnet with SIMNET_PURE=1, alternately",
    )


def simnet_sides(args: argparse.Namespace, ours: Path) -> dict[str, tuple[Path, dict[str, str]]]:
    """The simnets to alternate, by name: this tree's, and the peer the arguments ask for,
    each as its checkout and the whole environment of a process that runs its simnet (this
    one's, with the checkout first on the import path)."""

    def side(root: Path, **env: str) -> tuple[Path, dict[str, str]]:
        return root, {**os.environ, "PYTHONPATH": str(root), **env}

    sides = {"ours": side(ours)}
    if args.peer_root:
        sides["peer"] = side(args.peer_root.resolve())
    elif args.peer_pure:
        sides["pure"] = side(ours, SIMNET_PURE="1")
    return sides
