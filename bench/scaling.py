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

fleet (a worker's and the coordinator's own costs; `--only worker coordinator memory`):
- Worker CPU per intent at 1k, 10k and 100k active bots, the same arrival rate at each level
  (flat). Each intent is the fleet's own path: an `OpenLoop` arrival on the next bot in turn
  (FIFO slots: every bot acts), a payment to a uniformly chosen peer of the run
  (`peer_payment`, as `send_ax` picks it), `Intent.fire` (shadow-ledger hold, sign at the
  bot's nonce, landing registered with the commit watcher, broadcast, `lat.submit`
  recorded), against the fixed-answer node of bench/_sink.py on the other core. The sink
  makes no blocks: each second the landings older than a second are given up
  (`CommitWatcher.forget`, which releases the hold as for a tx a chain shed), and the
  recorder is flushed as an `IntervalPump` does, its delta emitted as a worker's is
  (`Worker._emit_delta`: packed for the coordinator, merged into the worker's /metrics).
  The fleet's own bots derive their keys and addresses before the window (once per bot per
  run, timed apart); payees are derived in the window, as a worker does.
- Coordinator CPU per second at 10, 50, 200 and 1,000 workers (linear; under half a core at
  1,000): a real `testbots coordinator` process and simulated workers (grpc.aio clients, up
  to 500 per process over a channel per 50: bench/coordinator.py's), each beating every
  second and sending one packed metric delta a second of 20 keys x 2 histograms (bodies
  packed once, resent under each worker's own ids, so the simulation stays cheap: its own
  CPU is printed with each level).
- Coordinator (2 simulated workers) and worker (1,000 bots) RSS from minute 1 to minute 30 of
  a run (flat), time compressed `--speedup` times: intervals and the worker's flushes come
  that many times faster, each carrying what a real second does (the worker's intents per
  interval are its rate / speedup), so 30 minutes of intervals take 30 / speedup minutes.

    .venv/bin/python bench/scaling.py [--only simnet-history simnet-mempool worker coordinator
        memory] [--history 1000000] [--window 4000] [--seconds 8] [--minutes 30] [--speedup 30]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import math
import os
import random
import statistics
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil
import uvloop
from _emit import WorkerEmit
from _measure import bare_verify_us
from _sink import pin, start_sink

from botruntime.behaviors.legitimate.transfers import peer_payment
from botruntime.bots.bot import Bot
from botruntime.chain.alpha import HttpAlphaClient
from botruntime.chain.tx import JsonValue, TxBody, bank_send, sign_tx
from botruntime.fleet import Chains, ChainSide, CommitWatcher, FleetContext, Intent, Peers
from botruntime.fleet._commits import Landed
from botruntime.identity import Identity
from botruntime.load import OpenLoop, constant
from botruntime.metrics import Recorder
from botruntime.wallet import AX
from simnet import GenesisAccount, Network, Params

MEMORY_BUDGET_B_PER_TX = 1_500  # 1M committed transfers in at most 1.5 GB of history
FLAT = 0.1  # a fitted exponent under this is flat for a cost that should not grow
MB = 1024 * 1024
FEE = 2000
COORDINATOR_LIMIT = 0.5  # of one core, at 1,000 workers


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


# ---- fleet --------------------------------------------------------------------------------------


def _cpu_s(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return float(times.user + times.system)


# -- fleet: one worker process -----------------------------------------------------------------


class _Shedding(CommitWatcher):
    """A commit watcher for a node that never makes blocks: landings older than a second are
    given up (`forget`), as for txs a chain shed."""

    def __init__(self, client: HttpAlphaClient) -> None:
        super().__init__(client)
        self._registered: deque[tuple[float, str]] = deque()

    def expect(self, tx_hash: str) -> asyncio.Future[Landed]:
        self._registered.append((time.perf_counter(), tx_hash))
        return super().expect(tx_hash)

    def shed(self, older_than_s: float) -> None:
        cutoff = time.perf_counter() - older_than_s
        while self._registered and self._registered[0][0] < cutoff:
            self.forget(self._registered.popleft()[1])


@dataclass(frozen=True, slots=True)
class WorkerFigure:
    bots: int
    intents: int
    cpu_us: float  # per intent, in the window
    derive_us: float  # per bot, before the window (its key and address)
    rss_mb: float


class _Worker:
    """A fleet process's bots and context, against one node."""

    def __init__(self, client: HttpAlphaClient, bots: int, seed: str) -> None:
        self.recorder = Recorder()
        self.watcher = _Shedding(client)
        side = ChainSide("alpha", [client], self.watcher, FEE, AX)
        self.bots = [Bot(seed, i, "payer") for i in range(bots)]
        peers = Peers(seed, bots, local={bot.index: bot for bot in self.bots})  # as Fleet does
        self.ctx = FleetContext(
            run_id="scaling", recorder=self.recorder, sides={"alpha": side}, peers=peers
        )
        self.intents = 0
        self.interval = 0
        self.emit = WorkerEmit()  # packed and merged into /metrics, as a worker does
        self._rng = random.Random(seed)

    def derive(self) -> float:
        """Derive every bot's key and address (what each bot pays once); µs per bot."""
        started = time.perf_counter()
        for bot in self.bots:
            bot.wallet.credit(AX, 10**15)
            _ = bot.alpha_address
        return (time.perf_counter() - started) / len(self.bots) * 1e6

    async def act(self, intended_ts: float, slot: int) -> None:
        bot = self.bots[slot]
        intent = Intent(self.ctx, "send_ax", "alpha", intended_ts)
        payment = peer_payment(bot, Chains(self.ctx, bot), self._rng, "alpha", AX)
        assert payment is not None, "every bot holds plenty"
        msgs, amount = payment
        await intent.fire(bot, msgs, spend=AX, amount=amount)
        self.intents += 1

    async def pump(self, every_s: float) -> None:
        """What a worker does each interval besides its intents: flush, and shed landings."""
        while True:
            await asyncio.sleep(every_s)
            self.watcher.shed(1.0)
            self.emit(self.recorder.flush(self.interval))
            self.interval += 1


async def _worker_window(
    url: str, bots: int, rate: float, warmup_s: float, seconds: float
) -> WorkerFigure:
    async with HttpAlphaClient(url, client_id="scaling", pool_size=64) as client:
        await client.resolve_chain_id()
        worker = _Worker(client, bots, f"scaling-{bots}")
        derive_us = worker.derive()
        gc.collect()
        proc = psutil.Process()
        loop = OpenLoop(
            constant(rate, warmup_s + seconds),
            worker.act,
            role="payer",
            slots=bots,
            recorder=worker.recorder,
        )
        marks: list[tuple[float, int]] = []

        async def window() -> None:
            await asyncio.sleep(warmup_s)
            marks.append((_cpu_s(proc), worker.intents))
            await asyncio.sleep(seconds)
            marks.append((_cpu_s(proc), worker.intents))

        async with asyncio.TaskGroup() as tg:
            pump = tg.create_task(worker.pump(1.0), name="pump")
            tg.create_task(window(), name="window")
            await loop.run()
            pump.cancel()
        (cpu0, n0), (cpu1, n1) = marks
        rss = proc.memory_info().rss / MB
    return WorkerFigure(bots, n1 - n0, (cpu1 - cpu0) / max(n1 - n0, 1) * 1e6, derive_us, rss)


def worker_curve(seconds: float, levels: Sequence[int] = (1_000, 10_000, 100_000)) -> Curve:
    """Worker CPU per intent at each number of active bots (flat expected)."""
    rate = 400.0  # well within one core on a busy machine: a backlog is not a cost per intent
    cores = os.sched_getaffinity(0)
    with start_sink() as sink:  # on the last core
        pin(0)  # the worker on the first, as in bench/generator.py
        try:
            figures = []
            for bots in levels:
                figures.append(uvloop.run(_worker_window(sink.url, bots, rate, 2.0, seconds)))
                gc.collect()
        finally:
            os.sched_setaffinity(0, cores)
    print(f"worker: {rate:g} intents/s, {seconds:g} s measured per level ({load_average()})")
    for f in figures:
        print(
            f"  {f.bots:>8,} bots: {f.intents:,} intents, {f.cpu_us:.1f} µs CPU each; keys and "
            f"addresses {f.derive_us:.1f} µs per bot before the window; RSS {f.rss_mb:.0f} MB"
        )
    points = [(float(f.bots), f.cpu_us) for f in figures]
    return Curve("worker CPU per intent", "active bots", "µs", points, expected=0.0)


async def _worker_memory(
    url: str, minutes: int, speedup: float, rate: float, bots: int
) -> list[tuple[int, float]]:
    """RSS of a fleet process at each minute of intervals, time compressed `speedup` times."""
    async with HttpAlphaClient(url, client_id="scaling", pool_size=64) as client:
        await client.resolve_chain_id()
        worker = _Worker(client, bots, "scaling-memory")
        worker.derive()
        seconds = minutes * 60 / speedup
        proc = psutil.Process()
        loop = OpenLoop(
            constant(rate, seconds), worker.act, role="payer", slots=bots, recorder=worker.recorder
        )
        samples: list[tuple[int, float]] = []

        async def sample() -> None:
            for minute in range(1, minutes + 1):
                await asyncio.sleep(max(0.0, start + minute * 60 / speedup - time.perf_counter()))
                samples.append((minute, proc.memory_info().rss / MB))

        start = time.perf_counter()
        async with asyncio.TaskGroup() as tg:
            pump = tg.create_task(worker.pump(1.0 / speedup), name="pump")
            sampler = tg.create_task(sample(), name="sampler")
            await loop.run(start)
            await sampler
            pump.cancel()
    return samples


# -- fleet: the coordinator -------------------------------------------------------------------


def _logs() -> Path:
    logs = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-scaling-{os.getpid()}"
    logs.mkdir(parents=True, exist_ok=True)
    return logs


def coordinator_curve(seconds: float, levels: Sequence[int] = (10, 50, 200, 1_000)) -> Curve:
    """The coordinator's CPU at each number of workers (linear expected, < 0.5 core at 1,000)."""
    from coordinator import coordinator_level  # bench/coordinator.py: its cluster and workers

    from botruntime.cluster import ClusterError

    points = []
    for workers in levels:
        procs = 1 if workers < 500 else 2  # a process of simulated workers holds 500 easily
        try:
            got = asyncio.run(coordinator_level(workers, procs, seconds, _logs()))
        except ClusterError as exc:  # e.g. simulated workers starved into missed heartbeats
            print(f"coordinator: {workers:,} workers not measured: {exc} ({load_average()})")
            continue
        points.append((float(workers), got["cpu"] * 100))
        print(
            f"coordinator: {workers:,} workers, {got['deltas_per_s']:.0f} deltas/s merged, "
            f"{got['cpu']:.1%} of a core, {got['cpu'] / workers * 1e3:.3f} ms per worker-second; "
            f"the simulated workers used {got['sim_cpu']:.1%} ({load_average()})"
        )
    return Curve(
        "coordinator CPU per second",
        "workers",
        "% of a core",
        points,
        expected=1.0,
        peer=f"the {COORDINATOR_LIMIT:.0%} limit",
        peer_value=COORDINATOR_LIMIT * 100,
    )


def memory_curves(minutes: int, speedup: float) -> list[Curve]:
    """Coordinator and worker RSS from minute 1 to `minutes` of a run (flat expected)."""
    from coordinator import coordinator_memory  # bench/coordinator.py: its cluster and workers

    coordinator = asyncio.run(coordinator_memory(2, minutes, speedup, _logs()))
    cores = os.sched_getaffinity(0)
    with start_sink() as sink:
        pin(0)
        try:
            worker = uvloop.run(_worker_memory(sink.url, minutes, speedup, rate=1000.0, bots=1000))
        finally:
            os.sched_setaffinity(0, cores)
    print(
        f"run memory: 1 to {minutes} minutes of intervals at speedup {speedup:g}; coordinator "
        f"with 2 simulated workers, worker with 1,000 bots at {1000 / speedup:.0f} intents "
        f"per interval ({load_average()})"
    )
    return [
        Curve(name, "run minute", "MB RSS", [(float(m), mb) for m, mb in curve], expected=0.0)
        for name, curve in (("coordinator memory", coordinator), ("worker memory", worker))
    ]


# ---- main ----------------------------------------------------------------------------------------


CURVES: dict[str, Callable[[argparse.Namespace], list[Curve]]] = {
    "simnet-history": lambda a: simnet_history_curves(a.history, a.window),
    "simnet-mempool": lambda a: [simnet_mempool_curve(a.window)],
    "worker": lambda a: [worker_curve(a.seconds)],
    "coordinator": lambda a: [coordinator_curve(a.seconds)],
    "memory": lambda a: memory_curves(a.minutes, a.speedup),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", choices=sorted(CURVES), default=sorted(CURVES))
    parser.add_argument("--history", type=int, default=1_000_000, help="simnet: txs of history")
    parser.add_argument("--window", type=int, default=4_000, help="simnet: txs per point")
    parser.add_argument("--seconds", type=float, default=8.0, help="fleet: window per level")
    parser.add_argument("--minutes", type=int, default=30, help="run memory: minutes of a run")
    parser.add_argument("--speedup", type=float, default=30.0, help="run memory: compression")
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
