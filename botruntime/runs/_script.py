"""A size's operator script: `adnet` commands at fixed times of the run (e.g. A1 restarts node
v1 at t = 30 s so that replays meet a node without its seen-cache).

Each step runs `adnet --url <control> ARGS --json` as a bounded subprocess (`AdnetClient`);
its outcome is counted as `sim.script_step{outcome}`, and a failed step is logged, never raised:
the run goes on and the verdict shows what the network did without the step.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from botruntime.chain.adnet import AdnetClient, AdnetError
from botruntime.metrics import Recorder
from botruntime.scenario import ScriptStep

__all__ = ["adnet_command", "run_script"]

_log = logging.getLogger("botruntime.runs")


def adnet_command() -> tuple[str, ...]:
    """`adnet` on PATH, else the one installed next to this Python (a venv not activated)."""
    found = shutil.which("adnet")
    if found is not None:
        return (found,)
    return (str(Path(sys.executable).with_name("adnet")),)


async def run_script(
    steps: Sequence[ScriptStep],
    control_url: str,
    start_ts: float,
    recorder: Recorder,
    *,
    client: AdnetClient | None = None,
) -> None:
    """Run each step at `start_ts + at_s` (perf_counter clock); returns after the last one."""
    if not steps:
        return
    adnet = client or AdnetClient(adnet_command(), global_args=("--url", control_url))
    for step in sorted(steps, key=lambda s: s.at_s):
        delay_s = start_ts + step.at_s - time.perf_counter()
        if delay_s > 0:
            await asyncio.sleep(delay_s)
        try:
            await adnet.run(*step.adnet)
        except AdnetError as exc:
            _log.warning("script step at %.1f s (adnet %s) failed: %s", step.at_s, step.adnet, exc)
            recorder.counter("sim.script_step", outcome="failed").add()
            continue
        _log.info("script step at %.1f s: adnet %s", step.at_s, " ".join(step.adnet))
        recorder.counter("sim.script_step", outcome="ok").add()
