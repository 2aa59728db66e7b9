"""Keys derived, signatures and addresses per second: our wrappers against bare PyNaCl/bech32.

Each pair does the same work and is measured in the same run, alternating, best of `--rounds`:

  keys       Identity.derive(run_seed, i)       vs sha256 seed + SigningKey + public key bytes
  signatures Identity.sign(sign_bytes)          vs SigningKey.sign(sign_bytes).signature
  addresses  address_from_pubkey(pk, "ax")      vs sha256[:20] + convertbits + bech32_encode

The goal (issue 2) is that the wrappers cost at most 10 % over the bare calls. Also printed,
without a peer: a whole transaction signed (sign_tx: canonical JSON + signature) and an
address parsed (parse_address, with its typed checks).

Usage: python bench/identity.py [--seconds 0.4] [--rounds 3]   (about 20 s by default)
"""

from __future__ import annotations

import argparse
import hashlib
import time
from collections.abc import Callable

import bech32
from nacl.signing import SigningKey

from botruntime.chain.tx import TxBody, bank_send, sign_tx
from botruntime.identity import (
    ALPHA_HRP,
    Identity,
    address_from_pubkey,
    derive_seed,
    parse_address,
)

RUN_SEED = "bench-run"
GOAL_OVERHEAD = 0.10


def rate(work: Callable[[int], object], seconds: float) -> float:
    """Calls per second of work(i), i = 0, 1, ..., in batches until `seconds` have passed."""
    batch, done, start = 256, 0, time.perf_counter()
    while True:
        for i in range(done, done + batch):
            work(i)
        done += batch
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return done / elapsed
        batch = min(batch * 2, 65_536)


def bare_derive(i: int) -> bytes:
    seed = hashlib.sha256(b"testbots/v1/" + RUN_SEED.encode() + b"/" + str(i).encode()).digest()
    return bytes(SigningKey(seed).verify_key)


def bare_address(pubkey: bytes) -> str:
    data = bech32.convertbits(hashlib.sha256(pubkey).digest()[:20], 8, 5, True)
    assert data is not None  # padding on: bytes always convert (ours checks this too)
    return str(bech32.bech32_encode(ALPHA_HRP, data))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=0.4, help="per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds, best kept")
    args = parser.parse_args()

    ident = Identity.derive(RUN_SEED, 0)
    raw_key = SigningKey(derive_seed(RUN_SEED, 0))  # the same key, held bare
    body = TxBody(
        chain_id="alpha-simnet-1",
        sender=ident.alpha_address,
        nonce=0,
        fee=2000,
        msgs=(bank_send(Identity.derive(RUN_SEED, 1).alpha_address, 10**6),),
        memo="tb:bench:0:1764079200000000",
    )
    message = body.sign_bytes()
    pubkeys = [Identity.derive(RUN_SEED, i).public_key for i in range(1024)]
    address = ident.alpha_address

    pairs: dict[str, tuple[Callable[[int], object], Callable[[int], object]]] = {
        "keys derived": (lambda i: Identity.derive(RUN_SEED, i).public_key, bare_derive),
        "signatures": (
            lambda i: ident.sign(message),
            lambda i: raw_key.sign(message).signature,
        ),
        "addresses": (
            lambda i: address_from_pubkey(pubkeys[i & 1023], ALPHA_HRP),
            lambda i: bare_address(pubkeys[i & 1023]),
        ),
    }
    alone: dict[str, Callable[[int], object]] = {
        "txs signed (sign_tx)": lambda i: sign_tx(ident, body),
        "addresses parsed": lambda i: parse_address(address, ALPHA_HRP),
    }

    assert ident.sign(message) == raw_key.sign(message).signature  # the same work, really
    assert address_from_pubkey(pubkeys[0], ALPHA_HRP) == bare_address(pubkeys[0])

    best: dict[str, list[float]] = {name: [0.0, 0.0] for name in pairs}
    for _ in range(args.rounds):
        for name, (ours, bare) in pairs.items():
            best[name][0] = max(best[name][0], rate(ours, args.seconds))
            best[name][1] = max(best[name][1], rate(bare, args.seconds))

    print(f"{'per second':<22}{'ours':>12}{'bare':>12}{'wrapper cost':>14}")
    worst = 0.0
    for name, (ours_rate, bare_rate) in best.items():
        cost = bare_rate / ours_rate - 1
        worst = max(worst, cost)
        print(f"{name:<22}{ours_rate:>12,.0f}{bare_rate:>12,.0f}{cost:>13.1%}")
    for name, work in alone.items():
        print(f"{name:<22}{rate(work, args.seconds):>12,.0f}{'-':>12}")
    verdict = "met" if worst <= GOAL_OVERHEAD else "NOT met"
    print(
        f"goal: wrappers cost <= {GOAL_OVERHEAD:.0%} over bare calls: {verdict} (worst {worst:.1%})"
    )


if __name__ == "__main__":
    main()
