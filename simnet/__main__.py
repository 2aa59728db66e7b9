"""`python -m simnet`: serve Alpha and Delta on loopback (PROTOCOL.md, "Ports and start-up")."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import signal
import sys

import uvloop

from simnet._compiled import status
from simnet._network import Network
from simnet._params import Params
from simnet._runtime import Runtime, print_line, raise_fd_limit
from simnet._vuln import SWITCHES
from simnet.alpha import AlphaParams


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="simnet", description="testbots' reference network (Alpha and Delta) on loopback"
    )
    parser.add_argument(
        "--port-base",
        type=int,
        default=26600,
        help="Alpha node i on port-base+i, Delta on port-base+50+i; 0 = free ports",
    )
    parser.add_argument("--nodes", type=int, default=4, help="logical nodes per chain")
    parser.add_argument("--block-time", type=float, default=1.0, help="seconds per block")
    parser.add_argument("--seed", default="simnet", help="deterministic genesis")
    parser.add_argument(
        "--vuln",
        nargs="*",
        default=[],
        choices=sorted(SWITCHES),
        metavar="NAME",
        help=f"vulnerable-mode switches: {', '.join(sorted(SWITCHES))}",
    )
    parser.add_argument(
        "--chain-suffix", type=int, default=1, help="alpha-simnet-N, delta-simnet-N"
    )
    parser.add_argument("--max-block-txs", type=int, default=500, help="txs per block at most")
    parser.add_argument(
        "--mempool-max-txs", type=int, default=5_000, help="txs each node's mempool holds at most"
    )
    parser.add_argument(
        "--admission-queue",
        type=int,
        default=256,
        help="requests each node's front-end holds at once; more are shed (503 + Retry-After)",
    )
    parser.add_argument(
        "--keepalive-idle-s",
        type=int,
        default=30,
        help="seconds an idle keep-alive connection stays open",
    )
    parser.add_argument(
        "--max-requests-per-connection",
        type=int,
        default=1_000,
        help="requests one connection serves; the last is answered with Connection: close",
    )
    parser.add_argument(
        "--alpha-param",
        action="append",
        default=[],
        type=_alpha_param,
        metavar="NAME=VALUE",
        help="set one of Alpha's module parameters, e.g. unbonding_blocks=5 (repeatable)",
    )
    return parser


def _alpha_param(text: str) -> tuple[str, int]:
    name, _, value = text.partition("=")
    if not (name and value.isascii() and value.isdigit()):
        raise argparse.ArgumentTypeError(
            f"expected NAME=INTEGER, e.g. unbonding_blocks=5: {text!r}"
        )
    return name, int(value)


async def _serve(args: argparse.Namespace) -> None:
    params = Params(
        nodes=args.nodes,
        block_time_s=args.block_time,
        max_block_txs=args.max_block_txs,
        mempool_max_txs=args.mempool_max_txs,
        admission_queue=args.admission_queue,
        keepalive_idle_s=args.keepalive_idle_s,
        max_requests_per_connection=args.max_requests_per_connection,
    )
    network = Network(
        params, args.seed, args.vuln, args.chain_suffix, alpha_params=dict(args.alpha_param)
    )
    runtime = Runtime(network, args.port_base)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await runtime.run(stop, print_line)


def tune_gc() -> None:
    """A node allocates a few dozen short-lived containers per request; collecting the young
    generation every 700 of them cost ~10 µs of CPU per committed tx in
    bench/simnet_capacity.py, every 20,000 ~1.5 µs (the garbage is the same, each pass finds
    more of it). What start-up built stays for the whole run: frozen out of full passes."""
    gc.freeze()
    gc.set_threshold(20_000)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.port_base != 0 and not 1024 <= args.port_base <= 65535 - 50 - args.nodes:
        print(f"--port-base is 0 or 1024 .. {65535 - 50 - args.nodes}", file=sys.stderr)
        return 2
    try:
        Params(
            nodes=args.nodes,
            block_time_s=args.block_time,
            admission_queue=args.admission_queue,
            keepalive_idle_s=args.keepalive_idle_s,
            max_requests_per_connection=args.max_requests_per_connection,
        )
        AlphaParams.with_overrides(dict(args.alpha_param))
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(message)s")
    logging.getLogger("simnet").info(status().describe())
    raise_fd_limit(Params().max_connections, 2 * args.nodes)
    tune_gc()
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(_serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
