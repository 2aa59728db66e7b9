"""The peer of bench/generator.py: Locust's FastHttpUser signing and submitting bank.send.

Run as its own process (importing locust patches the process with gevent), already pinned to
one core by its parent. Locust runs as a library: `Environment` + `LocalRunner`, all users
spawned at once, a warm-up, then its stats are reset and read after `--seconds`, so the figure
is the steady state, as for our side, and not diluted by spawning or shutdown.

Each user is one bot with its own key and nonce and does what a Locust user testing this chain
would write: build the body, sign it (`botruntime.chain.tx.sign_tx`, the same code and cost as
our side), `client.post("/txs", json=...)`, parse the answer and mark anything but code "ok"
as a failure. Locust's own stats are its recording step. Prints one JSON line on stdout.

    python bench/_locust_peer.py --url http://127.0.0.1:PORT --users 32 --seconds 6
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from typing import Any, ClassVar

import gevent  # type: ignore[import-untyped]
import psutil
from locust import FastHttpUser, constant, task
from locust.env import Environment

from botruntime.chain.tx import TxBody, bank_send, sign_tx
from botruntime.identity import Identity

CHAIN_ID = "alpha-simnet-1"
FEE = 2000
AMOUNT = 10**6


class SubmitUser(FastHttpUser):
    wait_time = constant(0)
    _numbers: ClassVar[itertools.count[int]] = itertools.count()

    def on_start(self) -> None:
        index = next(self._numbers)
        self.identity = Identity.derive("bench-generator", index)
        self.sender = self.identity.alpha_address
        self.to = Identity.derive("bench-generator-peer", index).alpha_address
        self.nonce = 0

    @task
    def send(self) -> None:
        body = TxBody(CHAIN_ID, self.sender, self.nonce, FEE, (bank_send(self.to, AMOUNT),))
        self.nonce += 1
        tx = sign_tx(self.identity, body)
        with self.client.post(
            "/txs", json={"tx": tx.to_wire(), "mode": "sync"}, catch_response=True
        ) as answer:
            if answer.json().get("code") != "ok":
                answer.failure(f"not accepted: {answer.text}")


def measure(url: str, users: int, warmup_s: float, seconds: float) -> dict[str, Any]:
    SubmitUser.host = url
    env = Environment(user_classes=[SubmitUser], host=url)
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=users * 20)
    gevent.sleep(warmup_s)
    if runner.user_count != users:
        raise SystemExit(f"locust spawned {runner.user_count} of {users} users during warm-up")
    proc = psutil.Process()
    env.stats.reset_all()
    cpu0 = sum(proc.cpu_times()[:2])
    started = time.perf_counter()
    gevent.sleep(seconds)
    total = env.stats.total
    elapsed = time.perf_counter() - started
    count, failures = total.num_requests, total.num_failures
    cpu_s = sum(proc.cpu_times()[:2]) - cpu0
    p50_ms = total.get_response_time_percentile(0.5)
    p99_ms = total.get_response_time_percentile(0.99)
    runner.quit()
    return {
        "count": count,
        "failures": failures,
        "elapsed_s": elapsed,
        "cpu_s": cpu_s,
        "p50_ms": p50_ms,
        "p99_ms": p99_ms,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--seconds", type=float, default=6.0)
    args = parser.parse_args()
    print(json.dumps(measure(args.url, args.users, args.warmup, args.seconds)), flush=True)


if __name__ == "__main__":
    main()
