"""The end-of-run determinism check (SCENARIOS.md §7 `state/determinism`, L9 C5): the network's
state exported at the end, imported into a fresh simnet process, gives the same app hash.

simnet's own `state/determinism` verdict is a round trip inside the process that exported,
and says "not checked yet" until someone asks for it; this check crosses a process boundary,
as a node restored from a snapshot does. It runs only when a criterion reads the route, and
its reading takes the place of simnet's in the evidence.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

import httpx

from botruntime.local import LocalStackError, start_simnet, stop_child
from botruntime.runs._source import InvariantReading
from botruntime.scenario import Invariants, Scenario, route_matches, walk

__all__ = [
    "ROUTE",
    "check_determinism",
    "reads_determinism",
    "reimport",
    "with_determinism",
]

ROUTE: Final = "state/determinism"
CHAIN: Final = "alpha+delta"  # the app hash covers both chains
_EXPORT_TIMEOUT_S: Final = 120.0


def reads_determinism(scenario: Scenario) -> bool:
    """Whether a criterion of the scenario checks the `state/determinism` route."""
    return any(
        route_matches(ROUTE, pattern)
        for criterion in scenario.verdict.criteria
        for node in walk(criterion.tree)
        if isinstance(node, Invariants)
        for pattern in node.patterns
    )


async def check_determinism(
    control: str, simnet_args: Sequence[str], log_path: Path
) -> InvariantReading:
    """Export the state of the simnet at `control` and check it with `reimport`."""
    async with httpx.AsyncClient(timeout=_EXPORT_TIMEOUT_S) as http:
        try:
            exported = (await http.get(f"{control}/simnet/export")).json()
        except (httpx.HTTPError, ValueError) as exc:
            return _broken(0, f"GET /simnet/export failed: {exc!r}")
    if not isinstance(exported, dict):
        return _broken(0, "GET /simnet/export answered no JSON object")
    return await reimport(exported, simnet_args, log_path)


async def reimport(
    exported: Mapping[str, object], simnet_args: Sequence[str], log_path: Path
) -> InvariantReading:
    """Import an export into a fresh simnet started with `simnet_args` (stopped after) and
    compare the app hash it computes with the one the export carries."""
    chains = exported.get("chains")
    blocks = [c.get("blocks") for c in chains.values()] if isinstance(chains, dict) else []
    height = max((len(b) - 1 for b in blocks if isinstance(b, list)), default=0)
    expected = exported.get("state_hash")
    if not isinstance(expected, str):
        return _broken(height, "the export carries no state_hash")
    try:
        handle, endpoints = await asyncio.to_thread(start_simnet, simnet_args, log_path)
    except LocalStackError as exc:
        return _broken(height, f"a fresh simnet did not start: {exc}")
    try:
        async with httpx.AsyncClient(timeout=_EXPORT_TIMEOUT_S) as http:
            answer = await http.post(f"{endpoints.control}/simnet/import", json=dict(exported))
        found = answer.json() if answer.status_code == 200 else None
        imported = found.get("state_hash") if isinstance(found, dict) else None
    except (httpx.HTTPError, ValueError) as exc:
        return _broken(height, f"POST /simnet/import failed: {exc!r}")
    finally:
        await asyncio.to_thread(stop_child, handle)
    if imported is None:
        return _broken(height, f"the fresh simnet refused the import: {answer.text[:300]}")
    if imported != expected:
        return _broken(height, f"app hash {imported} after import, {expected} exported")
    return InvariantReading(CHAIN, ROUTE, True, height, f"a fresh simnet imported {expected}")


def _broken(height: int, detail: str) -> InvariantReading:
    return InvariantReading(CHAIN, ROUTE, False, height, detail)


def with_determinism(
    readings: tuple[InvariantReading, ...] | None, own: InvariantReading | None
) -> tuple[InvariantReading, ...] | None:
    """simnet's readings with the runner's determinism check in place of simnet's own."""
    if own is None or readings is None:
        return readings
    return (*(r for r in readings if r.route != ROUTE), own)
