"""What Dagster adds to a run: `make run` (the scenario's Dagster job) next to `testbots run`.

Both run the same scenario at the same size against a simnet each starts for itself, one after
the other, alternating over `--rounds` so drift on a shared machine hits both. Each is timed
from its process start to its exit (wall clock), as a user waits for it:

- `testbots run SCENARIO --size SIZE` (one worker behind a local coordinator, the default);
- `python -m testbots_dagster SCENARIO --size SIZE`, what `make run` runs, on one Dagster
  instance under a `DAGSTER_HOME` of the bench's own (warmed by one unmeasured run first,
  as a user's instance is after the first `make run`).

The overhead per run is the median of (Dagster - testbots) over rounds; target < 1 s. Where
it goes is measured in the same run, each piece in a fresh process, median of `--rounds`:
process start with its imports (`import dagster`, `import testbots_dagster.definitions`), the
code location's load (`build_definitions` of every scenario), and, from the Dagster run's own
event log, the time between the run's start and its first op and after its last op
(run-level bookkeeping, asset materialisation and report writing are inside that).

    .venv/bin/python bench/dagster_overhead.py [--scenario transfer_baseline] [--size smoke]
        [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from _measure import load_span

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 1.0

_IMPORT_DAGSTER = "import dagster"
_IMPORT_DEFS = "import testbots_dagster.definitions"
_LOAD_DEFS = (
    "import time, testbots_dagster.definitions as d;"
    "from botruntime.scenario import find_scenarios_dir;"
    "t = time.perf_counter(); d.build_definitions(find_scenarios_dir());"
    "print(time.perf_counter() - t)"
)
# the last Dagster run's step timings, read from the instance it ran on
_RUN_STEPS = """
import dagster as dg
with dg.DagsterInstance.get() as instance:
    record = instance.get_run_records(limit=1)[0]
    events = instance.all_logs(record.dagster_run.run_id)
    starts = [e.timestamp for e in events if e.dagster_event_type == dg.DagsterEventType.STEP_START]
    ends = [e.timestamp for e in events if e.dagster_event_type in
            (dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE)]
    run_start = min(e.timestamp for e in events)
    run_end = max(e.timestamp for e in events)
    print(min(starts) - run_start, run_end - max(ends), max(ends) - min(starts))
"""


def _timed(args: Sequence[str], env: dict[str, str], timeout_s: float = 600) -> tuple[float, str]:
    """Wall seconds from start to exit, and the output; exits the bench when it failed to run
    (exit codes 0, 1 and 3 are verdicts: the run itself ran)."""
    started = time.perf_counter()
    done = subprocess.run(
        args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout_s, check=False
    )
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1, 3):
        raise SystemExit(
            f"{' '.join(args)} exited {done.returncode}:\n{done.stdout[-2000:]}\n"
            f"{done.stderr[-3000:]}"
        )
    return elapsed, done.stdout


def _scenario_s(output: str) -> float:
    """The run's own duration as its summary prints it (`run <id>, seed <s>, 17.3 s`)."""
    for line in output.splitlines():
        line = line.strip()
        if line.startswith("run ") and line.endswith(" s"):
            return float(line.rsplit(",", 1)[1].strip().removesuffix(" s"))
    raise SystemExit(f"no run summary in the output:\n{output[-2000:]}")


def _python(code: str, env: dict[str, str]) -> tuple[float, str]:
    return _timed([sys.executable, "-c", code], env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", default="transfer_baseline")
    parser.add_argument("--size", default="smoke", choices=("smoke", "default", "full"))
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    args = parser.parse_args()

    load_before = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="bench-dagster-"))
    env = {**os.environ, "TESTBOTS_HOME": str(work / "home"), "DAGSTER_HOME": str(work / "dg")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    (work / "dg").mkdir()
    shutil.copy(ROOT / "dagster.yaml", work / "dg" / "dagster.yaml")
    bin_dir = Path(sys.executable).parent
    plain = [str(bin_dir / "testbots"), "run", args.scenario, "--size", args.size]
    dagster = [sys.executable, "-m", "testbots_dagster", args.scenario, "--size", args.size]
    try:
        _timed(dagster, env)  # the instance's first run creates its storage: not measured
        walls: dict[str, list[float]] = {"testbots": [], "dagster": []}
        scenario: dict[str, list[float]] = {"testbots": [], "dagster": []}
        steps: list[tuple[float, float, float]] = []
        for r in range(args.rounds):
            order = ("testbots", "dagster") if r % 2 == 0 else ("dagster", "testbots")
            for who in order:
                wall, out = _timed(plain if who == "testbots" else dagster, env)
                walls[who].append(wall)
                scenario[who].append(_scenario_s(out))
                if who == "dagster":
                    _, spans = _python(_RUN_STEPS, env)
                    before, after, ops = (float(x) for x in spans.split())
                    steps.append((before, after, ops))
                print(f"round {r + 1} {who:<8} {wall:6.2f} s", file=sys.stderr)
        pieces = {
            "python + import dagster": [_python(_IMPORT_DAGSTER, env)[0] for _ in range(3)],
            "python + import definitions": [_python(_IMPORT_DEFS, env)[0] for _ in range(3)],
            "build_definitions (in process)": [
                float(_python(_LOAD_DEFS, env)[1]) for _ in range(3)
            ],
            "python -c pass": [_python("pass", env)[0] for _ in range(3)],
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)

    med = statistics.median
    over = [d - t for d, t in zip(walls["dagster"], walls["testbots"], strict=True)]
    print(
        f"{args.scenario} [{args.size}], {args.rounds} alternating rounds, wall clock from "
        "process start to exit"
    )
    print(f"{'':<30} {'wall s':>7} {'scenario s':>11} {'rounds (wall s)':<30}")
    for who, name in (("testbots", "testbots run"), ("dagster", "make run (Dagster job)")):
        rounds = ", ".join(f"{w:.2f}" for w in walls[who])
        print(f"{name:<30} {med(walls[who]):>7.2f} {med(scenario[who]):>11.2f} {rounds}")
    verdict = "meets" if med(over) < TARGET_S else "ABOVE"
    print(
        f"Dagster overhead per run: {med(over):.2f} s (rounds "
        + ", ".join(f"{o:.2f}" for o in over)
        + f"); ratio make run / testbots run {med(walls['dagster']) / med(walls['testbots']):.3f}"
        f"; target < {TARGET_S:g} s: {verdict}"
    )
    print("where it goes (median of 3, each in a fresh process):")
    for name, values in pieces.items():
        print(f"  {name:<32} {med(values):6.2f} s")
    before_ops = med(s[0] for s in steps)
    after_ops = med(s[1] for s in steps)
    print(f"  Dagster run start -> first op    {before_ops:6.2f} s")
    print(f"  last op -> Dagster run end       {after_ops:6.2f} s")
    print(f"  first op start -> last op end    {med(s[2] for s in steps):6.2f} s")
    print(load_span(load_before))


if __name__ == "__main__":
    main()
