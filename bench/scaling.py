"""How each cost grows with the work: every curve prints its points and a fitted growth exponent.

A curve is a list of (work, cost) points; `growth_exponent` fits cost ~ work^k on log-log
(least squares), so k ~ 0 is flat, k ~ 1 linear. Each curve says which k it should have and
flags a figure that grows faster than that. The load average is printed with the figures: on a
shared machine it says how much to trust them.

simnet (in process: the state machine a node runs, without its HTTP front end, whose cost per
request does not depend on the chain's state):
- CPU per committed signed transfer as the chain's history grows to `--history` txs (flat):
  decode, signature check, admission on one node, gossip to the three others, block
  production and the per-block invariants, measured over a window at each history size; its
  ratio to a bare PyNaCl verify of the same run says how much of it is the floor.
- CPU per admitted tx as one node's mempool fills to its cap (flat).
- Memory per committed transfer of history (RSS growth per tx between history sizes, after
  a collection), against the budget `MEMORY_BUDGET_B_PER_TX`, and what 1M txs would hold.

    .venv/bin/python bench/scaling.py [--only simnet-history simnet-mempool]
        [--history 1000000] [--window 4000]
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import psutil
from nacl.signing import SigningKey

from botruntime.chain.tx import JsonValue, TxBody, bank_send, sign_tx
from botruntime.identity import Identity
from simnet import GenesisAccount, Network, Params

MEMORY_BUDGET_B_PER_TX = 1_500  # 1M committed transfers in at most 1.5 GB of history
FLAT = 0.1  # a fitted exponent under this is flat for a cost that should not grow


# ---- the shared fit and print --------------------------------------------------------------------


def growth_exponent(work: Sequence[float], cost: Sequence[float]) -> float:
    """k in cost ~ work^k, least squares on log-log."""
    slope, _ = statistics.linear_regression(
        [math.log(w) for w in work], [math.log(c) for c in cost]
    )
    return slope


@dataclass(frozen=True)
class Curve:
    name: str
    work_unit: str
    cost_unit: str
    points: list[tuple[float, float]]
    expected: float  # the exponent this cost should have: 0 flat, 1 linear
    peer: str = ""  # what the last point is compared with, measured in the same run
    peer_value: float = 0.0

    def print(self) -> bool:
        """Print the curve; True when it grows no faster than it should."""
        work, cost = [w for w, _ in self.points], [c for _, c in self.points]
        if len(self.points) < 2:
            print(f"{self.name}: {len(self.points)} point(s), too few to fit: raise --history")
            return True
        k = growth_exponent(work, cost)
        ok = k <= self.expected + FLAT
        print(f"{self.name}:")
        for w, c in self.points:
            print(f"  {w:>12,.0f} {self.work_unit:<14} {c:>10,.1f} {self.cost_unit}")
        ratio = f"; last point / {self.peer}: {cost[-1] / self.peer_value:.2f}" if self.peer else ""
        verdict = "ok" if ok else "GROWS FASTER THAN IT SHOULD"
        print(
            f"  growth exponent {k:+.3f} (expected {self.expected:g}: {verdict}); "
            f"last/first {cost[-1] / cost[0]:.2f}{ratio}"
        )
        return ok


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


# ---- simnet --------------------------------------------------------------------------------------


class SimnetLoad:
    """One in-process network with `senders` funded accounts, fed signed transfers in blocks."""

    def __init__(self, senders: int, params: Params) -> None:
        self.now_s = 1_764_079_200.0
        self.network = Network(params, "scaling", (), clock=lambda: self.now_s)
        self.ids = [Identity.derive("scaling", i) for i in range(senders)]
        genesis = [GenesisAccount(i.alpha_address, {"AX": 10**15}) for i in self.ids]
        self.network.reset("scaling", genesis)
        self.chain = self.network.chains["alpha"]
        self.nonces = [0] * senders
        self.next_sender = 0

    def signed(self, count: int, fee: int = 2_000) -> Iterator[dict[str, JsonValue]]:
        """`count` transfers round robin over the senders, each signed with its next nonce."""
        senders = len(self.ids)
        for _ in range(count):
            i = self.next_sender
            self.next_sender = (i + 1) % senders
            me, peer = self.ids[i], self.ids[(i + 1) % senders]
            nonce = self.nonces[i]
            self.nonces[i] += 1
            body = TxBody(
                "alpha-simnet-1",
                me.alpha_address,
                nonce,
                fee,
                (bank_send(peer.alpha_address, 1_000_000),),
                f"tb:scaling:{i}:{nonce}",
            )
            yield sign_tx(me, body).to_wire()

    def submit(self, wires: list[dict[str, JsonValue]], node: int = 0) -> float:
        """CPU seconds simnet spent admitting `wires` on `node` (decode, checks, mempool)."""
        chain, target = self.chain, self.chain.nodes[node]
        start = time.process_time()
        for wire in wires:
            chain.submit(target, wire, self.now_s)
        return time.process_time() - start

    def block(self) -> float:
        """CPU seconds of the next block: gossip to the other nodes, production, invariants."""
        self.now_s += 0.1
        start = time.process_time()
        self.network.tick()
        return time.process_time() - start

    def commit(self, count: int, per_block: int) -> float:
        """Commit `count` transfers in blocks of `per_block`; simnet's CPU seconds for it."""
        spent = 0.0
        before = len(self.chain.index)
        while len(self.chain.index) - before < count:
            wanted = min(per_block, count - (len(self.chain.index) - before))
            spent += self.submit(list(self.signed(wanted)))
            spent += self.block()
        return spent


def bare_verify_us(seconds: float = 1.0) -> float:
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


def history_sizes(history: int, window: int) -> list[int]:
    """Half decades from 10k (1 : 3 : 10 ...) below `history`, then `history` itself."""
    sizes = [m * 10**k for k in range(4, 10) for m in (1, 3)]
    return [*(s for s in sizes if 2 * window <= s < history), history]


def pin_to_one_core() -> None:
    """simnet runs on one core: so do its curves (and the bare verify they are compared with)."""
    if (psutil.cpu_count() or 1) >= 2 and hasattr(psutil.Process(), "cpu_affinity"):
        psutil.Process().cpu_affinity([0])


def simnet_history_curves(history: int, window: int) -> list[Curve]:
    """CPU per committed tx in a window at each history size, and RSS per tx of history."""
    pin_to_one_core()
    verify_us = bare_verify_us()
    senders, per_block = 200, 1_000
    load = SimnetLoad(senders, Params(block_time_s=0.1, max_block_txs=5_000))
    process = psutil.Process()
    cpu: list[tuple[float, float]] = []
    rss: list[tuple[float, float]] = []
    for size in history_sizes(history, window):
        committed = len(load.chain.index)
        if size - window > committed:
            load.commit(size - window - committed, per_block)
        spent = load.commit(window, per_block)
        done = len(load.chain.index)
        cpu.append((done, spent / window * 1e6))
        gc.collect()
        rss.append((done, process.memory_info().rss))
        print(f"  ... history {done:,} txs: {cpu[-1][1]:,.1f} us/tx", flush=True)
    per_tx = [
        (rss[i][0], (rss[i][1] - rss[0][1]) / (rss[i][0] - rss[0][0])) for i in range(1, len(rss))
    ]
    broken = [v.route for v in load.network.invariants["alpha"].report() if not v.ok]
    if broken:
        raise SystemExit(f"invariants broken while building the history: {broken}")
    memory = Curve(
        "simnet memory per committed transfer of history (RSS growth since the first point)",
        "txs of history",
        "bytes/tx",
        per_tx,
        expected=0.0,
        peer=f"budget {MEMORY_BUDGET_B_PER_TX:,} B/tx",
        peer_value=MEMORY_BUDGET_B_PER_TX,
    )
    return [
        Curve(
            "simnet CPU per committed signed transfer as the history grows",
            "txs of history",
            "us/tx",
            cpu,
            expected=0.0,
            peer=f"bare verify {verify_us:.1f} us",
            peer_value=verify_us,
        ),
        memory,
    ]


def simnet_mempool_curve(window: int) -> Curve:
    """CPU per admitted tx (decode, checks, one node's mempool) as that mempool fills."""
    pin_to_one_core()
    verify_us = bare_verify_us()
    params = Params(block_time_s=0.1, mempool_max_txs=20_000, max_pending_per_sender=64)
    senders = params.mempool_max_txs // params.max_pending_per_sender + 1  # room for all
    load = SimnetLoad(senders, params)
    mempool = load.chain.nodes[0].mempool
    load.submit(list(load.signed(senders)))  # warm: each sender's first tx parses its address
    points: list[tuple[float, float]] = []
    step = max(window // 4, 250)
    while len(mempool) + step <= params.mempool_max_txs:
        wires = list(load.signed(step))
        spent = load.submit(wires)
        points.append((len(mempool), spent / step * 1e6))
    return Curve(
        f"simnet CPU per admitted tx as one node's mempool fills to {params.mempool_max_txs:,}",
        "txs pending",
        "us/tx",
        points,
        expected=0.0,
        peer=f"bare verify {verify_us:.1f} us",
        peer_value=verify_us,
    )


# ---- main ----------------------------------------------------------------------------------------


CURVES: dict[str, Callable[[argparse.Namespace], list[Curve]]] = {
    "simnet-history": lambda a: simnet_history_curves(a.history, a.window),
    "simnet-mempool": lambda a: [simnet_mempool_curve(a.window)],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", choices=sorted(CURVES), default=sorted(CURVES))
    parser.add_argument("--history", type=int, default=1_000_000, help="simnet: txs of history")
    parser.add_argument("--window", type=int, default=4_000, help="simnet: txs per point")
    args = parser.parse_args()
    print(load_average(), flush=True)
    ok = True
    for name in args.only:
        for curve in CURVES[name](args):
            ok = curve.print() and ok
    print(load_average())
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
