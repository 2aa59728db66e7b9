"""C_tx as the results store keeps it: capacity_ramp's latest result per target and version.

A `capacity_ramp` run publishes a capacity when its experiment was valid (not INCONCLUSIVE),
no simnet switch was on and it measured a C_tx above 0 (`capacity.c_tx`, in its summary as
`capacity_c_tx`). The key is the run's target (`Target.describe()`: `simnet`, or the node URLs)
and the network's version (`version` of the target's `/status`; "" when it gives none). The
newest published run for a key is that target's C_tx: `testbots run` and Dagster read it here
to size a load given as fractions of C_tx, and the Dagster asset `capacity` shows the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import httpx

from botruntime.local import simnet_version
from botruntime.plan import CapacityUnknown, Target
from botruntime.runs.report import ReportError, RunReport

__all__ = [
    "CAPACITY_SCENARIO",
    "C_TX_SUMMARY",
    "Capacity",
    "capacity_of",
    "find_capacity",
    "latest_capacities",
    "network_version",
    "resolve_capacity",
    "stored_capacities",
]

CAPACITY_SCENARIO: Final = "capacity_ramp"
C_TX_SUMMARY: Final = "capacity_c_tx"  # `capacity.c_tx` as the report's summary names it


@dataclass(frozen=True, slots=True)
class Capacity:
    target: str
    version: str
    c_tx_per_s: float
    run_id: str
    size: str
    measured_at_s: float  # when the run started (epoch seconds)


def capacity_of(report: RunReport) -> Capacity | None:
    """The C_tx `report` publishes, or None if it publishes none."""
    c_tx = report.summary.get(C_TX_SUMMARY)
    if (
        report.scenario_id != CAPACITY_SCENARIO
        or report.verdict == "INCONCLUSIVE"
        or report.switches
        or not isinstance(c_tx, int | float)
        or not c_tx > 0
    ):
        return None
    return Capacity(
        target=report.target,
        version=report.network_version or "",
        c_tx_per_s=float(c_tx),
        run_id=report.run_id,
        size=report.size,
        measured_at_s=report.started_at_s,
    )


def latest_capacities(reports: Iterable[RunReport]) -> dict[tuple[str, str], Capacity]:
    """The newest published capacity of every (target, version) among `reports`."""
    latest: dict[tuple[str, str], Capacity] = {}
    for report in reports:
        found = capacity_of(report)
        if found is None:
            continue
        key = (found.target, found.version)
        held = latest.get(key)
        if held is None or (found.measured_at_s, found.run_id) > (held.measured_at_s, held.run_id):
            latest[key] = found
    return latest


def _reports(runs_dir: Path) -> Iterable[RunReport]:
    for path in runs_dir.glob("*/report.json"):
        try:
            yield RunReport.read(path)
        except (ReportError, OSError):
            continue


def stored_capacities(runs_dir: Path) -> dict[tuple[str, str], Capacity]:
    """The newest C_tx of every (target, version), from the reports under `runs_dir` (what
    `testbots run` and every Dagster run write): what runs are sized from."""
    return latest_capacities(_reports(runs_dir))


def find_capacity(runs_dir: Path, target: str, version: str) -> Capacity | None:
    """The newest C_tx measured on `target` at `version` under `runs_dir`."""
    return stored_capacities(runs_dir).get((target, version))


async def network_version(target: Target) -> str:
    """The version a run on `target` will report: simnet's is known before it starts (the
    simnet this runtime starts); a real network's is its first node's `/status` version."""
    if target.is_simnet:
        return simnet_version()
    urls = [*target.alpha[:1], *target.delta[:1]]
    async with httpx.AsyncClient(timeout=10.0) as http:
        for url in urls:
            try:
                status = (await http.get(f"{url}/status")).json()
            except (httpx.HTTPError, ValueError):
                continue
            if isinstance(status, dict) and isinstance(status.get("version"), str):
                return str(status["version"])
    return ""


async def resolve_capacity(target: Target, runs_dir: Path, unknown: CapacityUnknown) -> Capacity:
    """C_tx for a plan that needs one (`unknown`, the compiler's error, says where); if none
    was measured on this target and version, the same error naming them."""
    version = await network_version(target)
    found = find_capacity(runs_dir, target.describe(), version)
    if found is None:
        raise CapacityUnknown(
            f"{unknown.file}: {unknown.path}: this size gives rates as fractions of C_tx and "
            f"no capacity_ramp result is stored "
            f"for target {target.describe()!r} at version {version or '(none given)'!r} "
            f"under {runs_dir}",
            file=unknown.file,
            path=unknown.path,
            fix=f"run capacity_ramp on this target first (testbots run capacity_ramp "
            f"--target {target.describe()} with the same --home), or pick a size with rate_per_s",
        )
    return found
