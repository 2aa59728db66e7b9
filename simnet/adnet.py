"""`adnet`: drive a network's operator plane (simnet's `/simnet/*`) from the shell.

Every command takes `--json` (machine-readable output). Exit codes: 0 ok, 1 an error (the
network refused or did not answer), 2 a usage error. The network is `--url` (or ADNET_URL),
any node's base URL; simnet serves its control plane on every node. Several URLs, comma
separated, are tried in order until one accepts a connection: a command that lifts an outage
still reaches the network while the first node refuses connections.

AdnetError               exit 1
├── NoAnswer             connection refused, timeout
└── Refused              an error answer (.status, .code)
"""

from __future__ import annotations

import json as jsonlib
import sys
from collections.abc import Callable, Sequence
from typing import Any, Final

import click
import httpx

__all__ = ["AdnetError", "NoAnswer", "Refused", "cli", "main"]

DEFAULT_URL: Final = "http://127.0.0.1:26600"
ACTIONS: Final = ("start", "stop", "restart", "kill", "pause", "resume")


class AdnetError(Exception):
    """Anything that keeps a command from its result: exit 1."""


class NoAnswer(AdnetError):
    pass


class Refused(AdnetError):
    def __init__(self, message: str, *, status: int, code: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class Plane:
    """The control-plane calls of one network, through the first of `url`'s comma-separated
    URLs that accepts a connection."""

    def __init__(self, url: str, timeout_s: float = 10.0) -> None:
        self.urls = [u.strip().rstrip("/") for u in url.split(",") if u.strip()]
        if not self.urls:
            raise click.UsageError("--url names no URL, e.g. --url http://127.0.0.1:26600")
        self.timeout_s = timeout_s

    def call(self, method: str, path: str, body: Any = None, base: str | None = None) -> Any:
        bases = [base] if base is not None else list(self.urls)
        for i, root in enumerate(bases):
            target = root + path
            try:
                answer = httpx.request(method, target, json=body, timeout=self.timeout_s)
            except httpx.ConnectError as exc:
                if i + 1 < len(bases):
                    continue  # nothing was sent: the next URL may take it
                raise NoAnswer(f"{method} {target}: no answer (ConnectError: {exc})") from None
            except httpx.HTTPError as exc:
                raise NoAnswer(
                    f"{method} {target}: no answer ({type(exc).__name__}: {exc})"
                ) from None
            if i:
                self.urls = [root, *(u for u in self.urls if u != root)]
            return self._content(method, target, answer)
        raise AssertionError("unreachable: bases is never empty")

    @staticmethod
    def _content(method: str, target: str, answer: httpx.Response) -> Any:
        try:
            content = answer.json()
        except ValueError:
            content = answer.text
        if answer.status_code >= 400:
            code = content.get("code", "?") if isinstance(content, dict) else "?"
            message = content.get("message", content) if isinstance(content, dict) else content
            raise Refused(
                f"{method} {target}: {answer.status_code} {code}: {message}",
                status=answer.status_code,
                code=code,
            )
        return content

    def nodes(self) -> dict[str, list[dict[str, Any]]]:
        return dict(self.call("GET", "/simnet/nodes"))


def _emit(ctx: click.Context, data: Any, human: Callable[[Any], str]) -> None:
    if ctx.obj["json"]:
        click.echo(jsonlib.dumps(data, sort_keys=True))
    else:
        click.echo(human(data))


def _json_option(f: Callable[..., Any]) -> Callable[..., Any]:
    def remember(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
        if value:
            ctx.ensure_object(dict)["json"] = True

    return click.option(
        "--json",
        "as_json",
        is_flag=True,
        expose_value=False,
        callback=remember,
        help="print JSON",
    )(f)


def _plane(ctx: click.Context) -> Plane:
    return Plane(ctx.obj["url"])


def _node_lines(nodes: dict[str, list[dict[str, Any]]]) -> str:
    lines = []
    for chain, listed in nodes.items():
        for n in listed:
            state = "up" if n["up"] else "down"
            flags = [f for f in ("paused", "partitioned") if n[f]]
            if n["lag_blocks"]:
                flags.append(f"lag={n['lag_blocks']}")
            if n["faults"]["refuse"]:
                flags.append("refusing")
            lines.append(f"{chain:6} {n['node_id']:4} {state:5} {n['url']:28} {' '.join(flags)}")
    return "\n".join(lines)


@click.group()
@click.option("--url", envvar="ADNET_URL", default=DEFAULT_URL, show_default=True)
@_json_option
@click.pass_context
def cli(ctx: click.Context, url: str) -> None:
    """Operate a testbots network (simnet)."""
    ctx.ensure_object(dict).setdefault("json", False)
    ctx.obj["url"] = url


@cli.command()
@click.option("--chain", type=click.Choice(["alpha", "delta"]))
@click.option("--node", "node_id")
@_json_option
@click.pass_context
def status(ctx: click.Context, chain: str | None, node_id: str | None) -> None:
    """Height, time and catching_up of every node (or one)."""
    plane = _plane(ctx)
    out = []
    for name, listed in plane.nodes().items():
        for n in listed:
            if (chain and name != chain) or (node_id and n["node_id"] != node_id):
                continue
            if not n["up"] or n["faults"]["refuse"]:
                out.append({"chain": name, "node_id": n["node_id"], "up": False})
                continue
            answer = plane.call("GET", "/status", base=n["url"])
            out.append({"chain": name, "up": True, **answer})
    if not out:
        raise click.UsageError(f"no node matches --chain {chain} --node {node_id}")

    def human(rows: list[dict[str, Any]]) -> str:
        return "\n".join(
            f"{r['chain']:6} {r['node_id']:4} "
            + (f"height {r['height']} catching_up={r['catching_up']}" if r["up"] else "down")
            for r in rows
        )

    _emit(ctx, out, human)


@cli.group()
def nodes() -> None:
    """The nodes of both chains."""


@nodes.command("list")
@_json_option
@click.pass_context
def nodes_list(ctx: click.Context) -> None:
    _emit(ctx, _plane(ctx).nodes(), _node_lines)


@cli.command()
@click.argument("action", type=click.Choice(ACTIONS))
@click.argument("node_id")
@click.option("--chain", type=click.Choice(["alpha", "delta", "both"]), default="both")
@_json_option
@click.pass_context
def node(ctx: click.Context, action: str, node_id: str, chain: str) -> None:
    """start|stop|restart|kill|pause|resume one node (on both chains unless --chain)."""
    answer = _plane(ctx).call("POST", f"/simnet/nodes/{node_id}/{action}?chain={chain}")
    _emit(ctx, answer, _node_lines)


@cli.command()
@click.option("--chain", type=click.Choice(["alpha", "delta"]), default="alpha")
@_json_option
@click.pass_context
def validators(ctx: click.Context, chain: str) -> None:
    """The validator set (power, jailed, missed blocks), from the chain's /validators."""
    plane = _plane(ctx)
    base = plane.nodes()[chain][0]["url"]
    answer = plane.call("GET", "/validators", base=base)
    _emit(ctx, answer, lambda a: jsonlib.dumps(a, indent=2))


@cli.group()
def network() -> None:
    """Chain ids, endpoints, partitions."""


@network.command("info")
@_json_option
@click.pass_context
def network_info(ctx: click.Context) -> None:
    answer = _plane(ctx).call("GET", "/simnet/network")

    def human(a: dict[str, Any]) -> str:
        lines = [f"{n}: {c['chain_id']} height {c['height']}" for n, c in a["chains"].items()]
        lines.append(f"block time {a['block_time']} s; nodes {' '.join(a['nodes'])}")
        lines += [f"{n}: {' '.join(urls)}" for n, urls in a["endpoints"].items()]
        if a["vuln"]:
            lines.append(f"vulnerable modes: {' '.join(a['vuln'])}")
        return "\n".join(lines)

    _emit(ctx, answer, human)


@network.command("partition")
@click.argument("node_ids", nargs=-1, required=True)
@_json_option
@click.pass_context
def network_partition(ctx: click.Context, node_ids: Sequence[str]) -> None:
    """Cut these nodes off: no gossip in or out, their view stops at the current height."""
    plane = _plane(ctx)
    answer = None
    for node_id in node_ids:
        answer = plane.call("POST", "/simnet/faults", {"node": node_id, "partition": True})
    _emit(ctx, answer, _node_lines)


@network.command("heal")
@_json_option
@click.pass_context
def network_heal(ctx: click.Context) -> None:
    """End every partition."""
    answer = _plane(ctx).call("POST", "/simnet/faults", {"node": "all", "partition": False})
    _emit(ctx, answer, _node_lines)


@cli.command()
@click.argument("node_id")
@click.option("--since", type=float, default=0.0, help="unix seconds")
@_json_option
@click.pass_context
def logs(ctx: click.Context, node_id: str, since: float) -> None:
    """What happened to a node: control actions, blocks it proposed."""
    answer = _plane(ctx).call("GET", f"/simnet/nodes/{node_id}/logs?since={since}")
    _emit(
        ctx,
        answer,
        lambda a: "\n".join(
            f"{line['time']:.3f} {line['chain']} {line['node_id']} {line['message']}"
            for line in a["logs"]
        ),
    )


@cli.command()
@click.option("--full", is_flag=True, help="run the full-iteration checks and export/import now")
@_json_option
@click.pass_context
def invariants(ctx: click.Context, full: bool) -> None:
    """Every invariant's verdict; exit 1 if one is broken."""
    answer = _plane(ctx).call("GET", "/simnet/invariants" + ("?full=1" if full else ""))
    _emit(
        ctx,
        answer,
        lambda rows: "\n".join(
            f"{'ok ' if r['ok'] else 'BROKEN'} {r['chain']:6} {r['route']:26} h={r['height']} "
            f"{r['detail']}"
            for r in rows
        ),
    )
    broken = [f"{r['chain']}:{r['route']}" for r in answer if not r["ok"]]
    if broken:
        raise AdnetError(f"broken invariants: {', '.join(broken)}")


@cli.command()
@click.argument("names", nargs=-1)
@click.option("--clear", is_flag=True, help="turn every switch off")
@_json_option
@click.pass_context
def vuln(ctx: click.Context, names: Sequence[str], clear: bool) -> None:
    """Show the vulnerable-mode switches; with NAMES, turn exactly those on."""
    plane = _plane(ctx)
    if clear or names:
        answer = plane.call("PUT", "/simnet/vuln", {"set": list(names)})
    else:
        answer = plane.call("GET", "/simnet/vuln")
    _emit(ctx, answer, lambda a: "on: " + (" ".join(a["active"]) or "(none)"))


@cli.command()
@click.option("--node", "node_id", default="all")
@click.option("--chain", type=click.Choice(["alpha", "delta", "both"]), default="both")
@click.option("--latency-ms", type=float)
@click.option("--error-rate", type=float)
@click.option("--status", "status_code", type=int)
@click.option("--lag-blocks", type=int)
@click.option("--refuse/--accept", default=None)
@click.option("--for-s", type=float, help="lift the faults given here after this many seconds")
@click.option("--clear", is_flag=True, help="remove every fault on every node")
@_json_option
@click.pass_context
def faults(
    ctx: click.Context,
    node_id: str,
    chain: str,
    latency_ms: float | None,
    error_rate: float | None,
    status_code: int | None,
    lag_blocks: int | None,
    refuse: bool | None,
    for_s: float | None,
    clear: bool,
) -> None:
    """Inject faults into node front-ends (latency, errors, lag, refused connections)."""
    plane = _plane(ctx)
    if clear:
        _emit(ctx, plane.call("DELETE", "/simnet/faults"), _node_lines)
        return
    body: dict[str, Any] = {"node": node_id, "chain": chain}
    given = {
        "latency_ms": latency_ms,
        "error_rate": error_rate,
        "status": status_code,
        "lag_blocks": lag_blocks,
        "refuse": refuse,
    }
    body.update({k: v for k, v in given.items() if v is not None})
    if len(body) == 2:
        raise click.UsageError("name a fault, e.g. --lag-blocks 3, or --clear")
    if for_s is not None:
        body["for_s"] = for_s
    _emit(ctx, plane.call("POST", "/simnet/faults", body), _node_lines)


@cli.command()
@click.option("--step", type=int, help="pause the clock and make N blocks now")
@click.option("--pause/--resume", default=None)
@click.option("--block-time", type=float)
@_json_option
@click.pass_context
def clock(
    ctx: click.Context, step: int | None, pause: bool | None, block_time: float | None
) -> None:
    """Show or drive the block clock."""
    body: dict[str, Any] = {}
    if pause is not None:
        body["pause"] = pause
    if step is not None:
        body.update(pause=True, step=step)
    if block_time is not None:
        body["block_time"] = block_time
    answer = _plane(ctx).call("POST" if body else "GET", "/simnet/clock", body or None)
    _emit(
        ctx,
        answer,
        lambda a: f"block time {a['block_time']} s, paused={a['paused']}, heights {a['heights']}",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """The console script: 0 ok, 1 error, 2 usage."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        cli.main(args=args, prog_name="adnet", standalone_mode=False, obj={"json": False})
    except click.UsageError as exc:
        exc.show()
        return 2
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.Abort:
        return 1
    except AdnetError as exc:
        if "--json" in args:
            click.echo(jsonlib.dumps({"error": str(exc)}))
        else:
            click.echo(f"adnet: {exc}", err=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
