"""Where simnet's CPU per committed signed transfer goes, in process (no HTTP front end).

One in-process network (four nodes, `bench/scaling.py`'s `SimnetLoad`), fed pre-signed
transfers parsed from their JSON as a request body is, a block of `--per-block` at a time.
Each stage is timed apart (process CPU time) and divided by the txs committed:
- decode: the stateless checks of one tx (fields, sign bytes, hash, signature: one libsodium
  verify, next to which the bare PyNaCl verify of the same run is printed);
- admit: the stateful checks and the mempool of the node the client sent it to;
- gossip: the copies admitted on the three other nodes;
- block: block production, ledger, indexes, the mempools' clean-up and the per-block
  invariants.
With `--peer-root DIR` (another checkout, e.g. main's), rounds alternate between this tree and
that one in fresh processes, so a busy machine weighs on both alike; medians are printed.

Usage: python bench/simnet_split.py [--rounds 3] [--blocks 20] [--per-block 1000]
    [--peer-root DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import orjson
from _measure import bare_verify_us

STAGES = ("decode", "admit", "gossip", "block")


def measure(blocks: int, per_block: int) -> dict[str, float]:
    """µs per committed tx of each stage, over `blocks` blocks of `per_block` transfers."""
    from scaling import SimnetLoad, pin_to_one_core

    from simnet import Params

    pin_to_one_core()
    load = SimnetLoad(200, Params(block_time_s=0.1, max_block_txs=5_000))
    chain, network = load.chain, load.network
    node = chain.nodes[0]
    load.commit(2 * per_block, per_block)  # every sender's address known, caches warm
    spent = dict.fromkeys(STAGES, 0.0)
    committed = 0
    clock = time.process_time
    for _ in range(blocks):
        raws = [orjson.loads(orjson.dumps(w)) for w in load.signed(per_block)]
        start = clock()
        entries = [chain.decode(raw) for raw in raws]
        decoded = clock()
        for entry in entries:
            chain.admit(node, entry, load.now_s)
        admitted = clock()
        load.now_s += 0.1
        network.pump()
        gossiped = clock()
        before = len(chain.index)
        network.tick()
        done = clock()
        committed += len(chain.index) - before
        for stage, (a, b) in zip(
            STAGES,
            ((start, decoded), (decoded, admitted), (admitted, gossiped), (gossiped, done)),
            strict=True,
        ):
            spent[stage] += b - a
    broken = [v.route for v in network.invariants["alpha"].report() if not v.ok]
    if broken:
        raise SystemExit(f"invariants broken: {broken}")
    out = {stage: s / committed * 1e6 for stage, s in spent.items()}
    out["total"] = sum(out.values())
    out["bare_verify"] = bare_verify_us()
    return out


def child(root: Path, blocks: int, per_block: int) -> dict[str, float]:
    """`measure` (this file's) in a fresh process, on the simnet of the checkout at `root`."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child"]
    command += ["--blocks", str(blocks), "--per-block", str(per_block)]
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def line(name: str, figures: dict[str, float]) -> str:
    stages = ", ".join(f"{s} {figures[s]:.1f}" for s in STAGES)
    return (
        f"{name}: {stages}; total {figures['total']:.1f} us per committed tx "
        f"(bare verify {figures['bare_verify']:.1f} us)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--blocks", type=int, default=20)
    parser.add_argument("--per-block", type=int, default=1_000)
    parser.add_argument("--peer-root", type=Path, help="another checkout's simnet, alternately")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.blocks, args.per_block)))
        return
    ours = Path(__file__).resolve().parent.parent
    roots = {"ours": ours} | ({"peer": args.peer_root.resolve()} if args.peer_root else {})
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in roots}
    for i in range(args.rounds):
        for name, root in roots.items():
            figures = child(root, args.blocks, args.per_block)
            runs[name].append(figures)
            load = os.getloadavg()[0]
            print(f"round {i + 1} {line(name, figures)}; load {load:.2f}", flush=True)
    for name, figures in runs.items():
        median = {k: statistics.median(f[k] for f in figures) for k in figures[0]}
        print(f"median of {len(figures)} {line(name, median)}")
    one, five, fifteen = os.getloadavg()
    print(f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
