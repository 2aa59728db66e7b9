"""Committed signed transfers per second on one simnet process, next to bare PyNaCl verifies/s.

simnet runs in its own process (`python -m simnet`, short blocks, large block limits), the load
in another (this script with `--load`, aiohttp on uvloop over keep-alive connections), so each
has one of the machine's two cores. Transfers are signed before the clock starts; the figure is
committed txs (from /simnet/metrics) per second of the measured window. The peer, measured in
the same run, is bare `VerifyKey.verify` per second: a node cannot commit faster than it
verifies, so the ratio says what share of the floor the rest of simnet leaves.

Capacity is what simnet commits when it is never left waiting for the next request. Each
connection has one request in flight; with 16 (4 per node) simnet was 92-96 % busy on this
2-core machine, and 32 moved neither its busy share nor the ratio beyond the noise (2026-12-06,
4 alternating pairs of rounds: medians 0.37 with 16 and 0.43 with 32; then 8 rounds with 32:
0.38; the same code ranged 0.32-0.46 over the day as the VM's speed moved). A round with
simnet under 90 % busy is flagged: the load set its pace, and its figure is a floor of the
capacity.

Printed: committed tx/s (goal 10,000), the bare verifies/s and the ratio (goal >= 0.4), simnet's
CPU per committed tx split into user and kernel time (each request costs a receive and a send
syscall), the invariants after the run, whether simnet ran compiled (simnet/_compiled.py), and
the load average before and after.

With `--peer-root DIR` (another checkout) or `--peer-pure` (this tree with SIMNET_PURE=1: its
simnet uncompiled) rounds alternate between this tree's simnet and the peer, `--rounds` each, so
a busy machine weighs on both alike; the medians of each are printed.

Usage: python bench/simnet_capacity.py [--seconds 8] [--senders 200] [--connections 16]
    [--rounds 1] [--peer-root DIR | --peer-pure]
Goals (issue 19): >= 10,000 committed tx/s on one core, >= 0.4 of bare verifies.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any

import aiohttp
import httpx
import orjson
import psutil
import uvloop
from _measure import add_peer_arguments, bare_verify_us, load_span, simnet_sides

from botruntime.chain.tx import TxBody, bank_send, sign_tx
from botruntime.identity import Identity

GOAL_TX_S = 10_000
GOAL_RATIO = 0.4
SATURATED = 0.90  # simnet's share of its core below which the load, not simnet, set the pace
MEDIANS = ("tx_s", "cpu_us", "user_us", "kernel_us", "simnet_busy", "load_busy")


def start_simnet(
    block_time_s: float, root: Path, env: dict[str, str], log: IO[bytes]
) -> tuple[subprocess.Popen[bytes], dict[str, object]]:
    """`python -m simnet` of the checkout at `root`, with environment `env` (a side of
    `simnet_sides`); its log (the first line says whether it
    runs compiled, simnet/_compiled.py) goes to `log`."""
    command = [sys.executable, "-m", "simnet", "--port-base", "0", "--seed", "bench"]
    command += ["--block-time", str(block_time_s), "--max-block-txs", "5000"]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=log,
        cwd=root,
        env=env,
    )
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], 30)
    if not ready:
        process.kill()
        raise SystemExit("simnet printed no start-up line in 30 s")
    return process, json.loads(process.stdout.readline())


def committed(control: str) -> int:
    text = httpx.get(control + "/simnet/metrics", timeout=10).text
    for line in text.splitlines():
        if line.startswith('simnet_committed_txs_total{chain="alpha"}'):
            return int(float(line.split()[-1]))
    raise SystemExit("simnet_committed_txs_total missing from /simnet/metrics")


# ---- the load process -----------------------------------------------------------------------


def signed_bodies(senders: int, per_sender: int) -> list[list[bytes]]:
    """Per sender, its transfers in nonce order, already encoded as POST /txs bodies."""
    out = []
    for i in range(senders):
        me, peer = Identity.derive("bench", i), Identity.derive("bench", (i + 1) % senders)
        txs = []
        for nonce in range(per_sender):
            body = TxBody(
                "alpha-simnet-1",
                me.alpha_address,
                nonce,
                2_000,
                (bank_send(peer.alpha_address, 1_000_000),),
                f"tb:bench:{i}:{nonce}",
            )
            txs.append(orjson.dumps({"tx": sign_tx(me, body).to_wire(), "mode": "sync"}))
        out.append(txs)
    return out


async def drive(
    urls: list[str], bodies: list[list[bytes]], connections: int, seconds: float
) -> dict[str, int]:
    counts = {"ok": 0, "rejected": 0, "errors": 0}
    deadline = time.monotonic() + seconds
    queues: list[list[tuple[int, list[bytes]]]] = [[] for _ in range(connections)]
    for i, txs in enumerate(bodies):
        queues[i % connections].append((i, txs))

    async def worker(slot: int, session: aiohttp.ClientSession) -> None:
        url = urls[slot % len(urls)] + "/txs"
        cursors = {i: 0 for i, _ in queues[slot]}
        while time.monotonic() < deadline:
            for i, txs in queues[slot]:
                n = cursors[i]
                if n >= len(txs) or time.monotonic() >= deadline:
                    continue
                headers = {"X-Client-Id": f"bench-{i}", "Content-Type": "application/json"}
                try:
                    async with session.post(url, data=txs[n], headers=headers) as answer:
                        await answer.read()
                        if answer.status == 200:
                            counts["ok"] += 1
                            cursors[i] = n + 1
                        elif answer.status == 429:
                            await asyncio.sleep(0.01)
                        else:
                            counts["rejected"] += 1
                            cursors[i] = n + 1
                except aiohttp.ClientError:
                    counts["errors"] += 1
            if all(cursors[i] >= len(txs) for i, txs in queues[slot]):
                return

    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:
        async with asyncio.TaskGroup() as tg:
            for slot in range(connections):
                tg.create_task(worker(slot, session), name=f"load-{slot}")
    return counts


def load_main(args: argparse.Namespace) -> None:
    bodies = signed_bodies(args.senders, args.per_sender)
    print("signed", flush=True)
    sys.stdin.readline()  # the parent says go
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        counts = runner.run(drive(args.urls, bodies, args.connections, args.seconds))
    print(json.dumps(counts), flush=True)


# ---- the parent -----------------------------------------------------------------------------


def one_round(args: argparse.Namespace, root: Path, env: dict[str, str]) -> dict[str, Any]:
    """One measured window on the simnet of `root` (its process's environment `env`), its
    figures."""
    per_sender = int(GOAL_TX_S * 2 * args.seconds / args.senders) + 10
    with tempfile.TemporaryFile() as log:
        process, endpoints = start_simnet(args.block_time, root, env, log)
        try:
            figures = drive_round(args, per_sender, endpoints, process)
        finally:
            os.kill(process.pid, signal.SIGTERM)
            process.wait(timeout=15)
        log.seek(0)
        said = [line for line in log.read().decode(errors="replace").splitlines() if line]
    runs = [line.split(" ", 2)[-1] for line in said if "simnet runs " in line]
    figures["runs"] = runs[0] if runs else "simnet runs pure Python (no word on compiling)"
    return figures


def drive_round(
    args: argparse.Namespace,
    per_sender: int,
    endpoints: dict[str, object],
    process: subprocess.Popen[bytes],
) -> dict[str, Any]:
    control = str(endpoints["control"])
    identities = [Identity.derive("bench", i) for i in range(args.senders)]
    genesis = [{"address": i.alpha_address, "balances": {"AX": str(10**15)}} for i in identities]
    httpx.post(
        control + "/simnet/reset",
        json={"seed": "bench", "genesis_accounts": genesis},
        timeout=30,
    ).raise_for_status()
    load = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--load",
            "--seconds",
            str(args.seconds),
            "--senders",
            str(args.senders),
            "--connections",
            str(args.connections),
            "--per-sender",
            str(per_sender),
            "--urls",
            *endpoints["alpha"],  # type: ignore[misc]
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert load.stdin is not None and load.stdout is not None
    print(f"signing {args.senders} x {per_sender} transfers in the load process ...", flush=True)
    assert load.stdout.readline().strip() == "signed"
    server, client = psutil.Process(process.pid), psutil.Process(load.pid)
    if (psutil.cpu_count() or 1) >= 2 and hasattr(server, "cpu_affinity"):
        server.cpu_affinity([0])  # one core each: the figure is one simnet process's
        client.cpu_affinity([1])
    server_times, client_cpu = server.cpu_times(), sum(client.cpu_times()[:2])
    before, start = committed(control), time.perf_counter()
    load.stdin.write("go\n")
    load.stdin.flush()
    counts = json.loads(load.stdout.readline())
    elapsed = time.perf_counter() - start
    server_after = server.cpu_times()
    server_user = server_after.user - server_times.user
    server_system = server_after.system - server_times.system
    client_cpu = sum(client.cpu_times()[:2]) - client_cpu
    time.sleep(max(0.5, 3 * args.block_time))  # the last blocks
    done = committed(control) - before
    load.wait(timeout=30)
    invariants = httpx.get(control + "/simnet/invariants?full=1", timeout=60).json()
    per_tx_us = 1e6 / max(done, 1)
    return {
        "counts": counts,
        "done": done,
        "elapsed": elapsed,
        "tx_s": done / elapsed,
        "cpu_us": (server_user + server_system) * per_tx_us,
        "user_us": server_user * per_tx_us,
        "kernel_us": server_system * per_tx_us,
        "simnet_busy": (server_user + server_system) / elapsed,
        "load_busy": client_cpu / elapsed,
        "broken": [f"{v['chain']}:{v['route']}" for v in invariants if not v["ok"]],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--senders", type=int, default=200)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--block-time", type=float, default=0.1)
    parser.add_argument("--rounds", type=int, default=1)
    add_peer_arguments(parser)
    parser.add_argument("--load", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--urls", nargs="*", default=[], help=argparse.SUPPRESS)
    parser.add_argument("--per-sender", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load:
        load_main(args)
        return
    ours = Path(__file__).resolve().parent.parent
    sides = simnet_sides(args, ours)
    load_before = os.getloadavg()
    rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in sides}
    for i in range(args.rounds):
        for name, (root, env) in sides.items():
            figures = one_round(args, root, env)
            rounds[name].append(figures)
            if len(sides) > 1 or args.rounds > 1:
                print(
                    f"round {i + 1} {name}: {figures['tx_s']:,.0f} tx/s, "
                    f"{figures['cpu_us']:,.0f} us simnet CPU per committed tx, "
                    f"load {os.getloadavg()[0]:.2f}",
                    flush=True,
                )
    verify_s = 1e6 / bare_verify_us(2.0)
    for name, runs in rounds.items():
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0] if k in MEDIANS}
        last = runs[-1]
        counts = last["counts"]
        if len(sides) > 1 or args.rounds > 1:
            print(f"== {name} ({sides[name][0]}): medians of {len(runs)} rounds")
        print(
            f"submitted in the last round: ok {counts['ok']}, rejected {counts['rejected']}, "
            f"errors {counts['errors']}"
        )
        print(
            f"committed signed transfers: {med['tx_s']:,.0f} tx/s (goal {GOAL_TX_S:,}); "
            f"the last round {last['done']} in {last['elapsed']:.1f} s"
        )
        print(f"bare PyNaCl verifications:  {verify_s:,.0f} /s (one core, same run)")
        print(f"ratio committed/verify:     {med['tx_s'] / verify_s:.2f} (goal {GOAL_RATIO})")
        print(
            f"CPU busy: simnet {med['simnet_busy']:.0%}, load {med['load_busy']:.0%}; "
            f"simnet CPU per committed tx {med['cpu_us']:,.0f} us "
            f"(user {med['user_us']:,.0f}, kernel {med['kernel_us']:,.0f}; "
            f"a bare verify is {1e6 / verify_s:,.0f} us)"
        )
        idle = [
            f"{i} ({r['simnet_busy']:.1%})"
            for i, r in enumerate(runs, 1)
            if r["simnet_busy"] < SATURATED
        ]
        if idle:
            print(
                f"NOT SATURATED in round(s) {', '.join(idle)}: simnet under {SATURATED:.0%} "
                "busy, so the load set the pace and tx/s is below simnet's capacity (more "
                "--connections, or a machine with a core free for the load)"
            )
        broken = sorted({b for r in runs for b in r["broken"]})
        print(f"invariants: {'all ok' if not broken else 'BROKEN ' + ', '.join(broken)}")
        print(" | ".join(sorted({r["runs"] for r in runs})))
    print(load_span(load_before))


if __name__ == "__main__":
    main()
