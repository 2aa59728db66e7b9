"""`adnet`, the node tool, driven from Python: each call runs `adnet … --json` as a subprocess.

The CLI's contract (SCENARIOS.md §6): every command takes `--json`; exit 0 ok, 1 error,
2 usage. Every call is bounded by a timeout, and a process that overstays is killed and reaped
before the error is raised, so no call leaves a process behind. Errors, by branch:

AdnetError                 .argv, .exit_code (None if it never exited), .stderr
├── AdnetNotInstalled      the executable is not there (install testbots, or pass command=)
├── AdnetTimeout           no exit within timeout_s: the process was killed
├── AdnetUsage             exit 2: this client built a command line adnet refuses (a bug here)
├── AdnetFailed            exit 1 (or any other non-zero): the command ran and failed (.error)
└── AdnetBadOutput         exit 0, but stdout is not JSON
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Mapping, Sequence
from typing import Final, Literal

import orjson

from botruntime.chain.tx import JsonValue

__all__ = [
    "AdnetBadOutput",
    "AdnetClient",
    "AdnetError",
    "AdnetFailed",
    "AdnetNotInstalled",
    "AdnetTimeout",
    "AdnetUsage",
    "Chain",
    "NodeAction",
]

Chain = Literal["alpha", "delta"]
NodeAction = Literal["start", "stop", "restart", "kill", "pause", "resume"]
_REAP_TIMEOUT_S: Final = 5.0


class AdnetError(Exception):
    def __init__(
        self, message: str, *, argv: Sequence[str], exit_code: int | None, stderr: str = ""
    ) -> None:
        super().__init__(message)
        self.argv = tuple(argv)
        self.exit_code = exit_code
        self.stderr = stderr


class AdnetNotInstalled(AdnetError):
    pass


class AdnetTimeout(AdnetError):
    pass


class AdnetUsage(AdnetError):
    pass


class AdnetFailed(AdnetError):
    def __init__(
        self,
        message: str,
        *,
        argv: Sequence[str],
        exit_code: int | None,
        stderr: str = "",
        error: JsonValue = None,
    ) -> None:
        super().__init__(message, argv=argv, exit_code=exit_code, stderr=stderr)
        self.error = error


class AdnetBadOutput(AdnetError):
    pass


def _tail(text: str, limit: int = 500) -> str:
    text = text.strip()
    return text if len(text) <= limit else "…" + text[-limit:]


class AdnetClient:
    """Runs `command` (default `adnet`, the console script) with `--json` and decodes stdout.

    `global_args` go before every command (e.g. `("--url", control_url)` if adnet needs it);
    `env` is added to this process's environment for the child.
    """

    def __init__(
        self,
        command: Sequence[str] = ("adnet",),
        *,
        timeout_s: float = 30.0,
        global_args: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
    ) -> None:
        if not command:
            raise ValueError("command must name the adnet executable, e.g. ('adnet',)")
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be > 0, got {timeout_s}")
        self.command = tuple(command)
        self.timeout_s = timeout_s
        self.global_args = tuple(global_args)
        self._env = None if env is None else {**os.environ, **env}

    async def run(self, *args: str, timeout_s: float | None = None) -> JsonValue:
        """`adnet [global_args] ARGS --json`: the decoded JSON on exit 0, else an AdnetError."""
        argv = (*self.command, *self.global_args, *args, "--json")
        limit = self.timeout_s if timeout_s is None else timeout_s
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=self._env,
            )
        except (FileNotFoundError, PermissionError) as exc:
            raise AdnetNotInstalled(
                f"cannot run {argv[0]!r} ({exc.strerror}): install testbots in this environment "
                "(pip install -e .) or pass command=('/path/to/adnet',)",
                argv=argv,
                exit_code=None,
            ) from exc
        try:
            async with asyncio.timeout(limit):
                out, err = await proc.communicate()
        except TimeoutError:
            raise AdnetTimeout(
                f"{' '.join(argv)} did not exit within {limit} s and was killed "
                "(raise timeout_s if the command is slow by nature)",
                argv=argv,
                exit_code=None,
            ) from None
        finally:
            if proc.returncode is None:
                proc.kill()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(_REAP_TIMEOUT_S):
                        await proc.wait()
        return _decode(argv, proc.returncode, out, err.decode(errors="replace"))

    # ---- typed commands (SCENARIOS.md §6) -----------------------------------------------------

    async def status(self, chain: Chain | None = None, node: str | None = None) -> JsonValue:
        args = ["status"]
        if chain is not None:
            args += ["--chain", chain]
        if node is not None:
            args += ["--node", node]
        return await self.run(*args)

    async def nodes(self) -> JsonValue:
        return await self.run("nodes", "list")

    async def node(self, action: NodeAction, node_id: str) -> JsonValue:
        return await self.run("node", action, node_id)

    async def validators(self, chain: Chain | None = None) -> JsonValue:
        return await self.run("validators", *(() if chain is None else ("--chain", chain)))

    async def network_info(self) -> JsonValue:
        return await self.run("network", "info")

    async def partition(self, *node_ids: str) -> JsonValue:
        if not node_ids:
            raise ValueError("partition needs at least one node id, e.g. partition('alpha-2')")
        return await self.run("network", "partition", *node_ids)

    async def heal(self) -> JsonValue:
        return await self.run("network", "heal")

    async def faults(
        self,
        *,
        node: str = "all",
        chain: Chain | Literal["both"] = "both",
        latency_ms: float | None = None,
        error_rate: float | None = None,
        status: int | None = None,
        lag_blocks: int | None = None,
        refuse: bool | None = None,
        for_s: float | None = None,
    ) -> JsonValue:
        """Inject faults into node front-ends (`adnet faults`); only the ones given change.
        With `for_s`, simnet lifts them by itself after that many seconds."""
        given = {
            "--latency-ms": latency_ms,
            "--error-rate": error_rate,
            "--status": status,
            "--lag-blocks": lag_blocks,
        }
        args = ["faults", "--node", node, "--chain", chain]
        args += [
            arg for flag, value in given.items() if value is not None for arg in (flag, str(value))
        ]
        if refuse is not None:
            args.append("--refuse" if refuse else "--accept")
        if len(args) == 5:
            raise ValueError("name a fault, e.g. faults(latency_ms=300), or call clear_faults()")
        if for_s is not None:
            args += ["--for-s", str(for_s)]
        return await self.run(*args)

    async def clear_faults(self) -> JsonValue:
        """Remove every fault from every node (`adnet faults --clear`)."""
        return await self.run("faults", "--clear")

    async def logs(self, node_id: str, since: str | None = None) -> JsonValue:
        return await self.run("logs", node_id, *(() if since is None else ("--since", since)))


def _decode(argv: tuple[str, ...], code: int | None, out: bytes, stderr: str) -> JsonValue:
    try:
        payload: JsonValue = orjson.loads(out) if out.strip() else None
        decoded = True
    except orjson.JSONDecodeError:
        payload, decoded = None, False
    command = " ".join(argv)
    if code == 0:
        if not decoded or payload is None:
            raise AdnetBadOutput(
                f"{command} exited 0 but printed no JSON: {_tail(out.decode(errors='replace'))!r}",
                argv=argv,
                exit_code=code,
                stderr=stderr,
            )
        return payload
    if code == 2:
        raise AdnetUsage(
            f"{command} was refused as bad usage (exit 2): {_tail(stderr)}",
            argv=argv,
            exit_code=code,
            stderr=stderr,
        )
    said = payload.get("error", payload) if isinstance(payload, dict) else payload
    reason = said if said is not None else _tail(stderr) or "no message"
    raise AdnetFailed(
        f"{command} failed (exit {code}): {reason}",
        argv=argv,
        exit_code=code,
        stderr=stderr,
        error=payload,
    )
