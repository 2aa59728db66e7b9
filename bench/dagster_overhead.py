"""What Dagster adds to a run: `make run` (the scenario's Dagster job) next to `testbots run`.

Both run the same scenario at the same size against a simnet each starts for itself, one after
the other, alternating over `--rounds` so drift on a shared machine hits both. Each is timed
from its process start to its exit, as a user waits for it (wall clock), and by the CPU time of
its process tree (the entry and the simnet, coordinator and workers it started and reaped):

- `testbots run SCENARIO --size SIZE` (one worker behind a local coordinator, the default);
- `python -m testbots_dagster SCENARIO --size SIZE`, what `make run` runs, on one Dagster
  instance under a `DAGSTER_HOME` of the bench's own (warmed by one unmeasured run first,
  as a user's instance is after the first `make run`);
- with `--baseline CHECKOUT` (e.g. /work/main, another worktree), that checkout's `make run`
  too, in the same rounds on an instance of its own: before/after figures from one run, and
  the median of the per-round differences between the two `make run`s (one round runs both
  within a minute, so the machine's drift between rounds cancels).

The overhead per run is the median of (Dagster - testbots) over rounds; target < 1 s. Where
it goes is measured in the same run, each piece in a fresh process, median of 3:
process start with its imports (`import dagster`, `import testbots_dagster.definitions`), the
code location's load (`build_definitions` of every scenario), and, from the Dagster run's own
event log, the time between the run's start and its first op and after its last op
(run-level bookkeeping, asset materialisation and report writing are inside that).

    .venv/bin/python bench/dagster_overhead.py [--scenario transfer_baseline] [--size smoke]
        [--rounds 3] [--baseline ../main]
"""

from __future__ import annotations

import argparse
import os
import resource
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


def _timed(
    args: Sequence[str], env: dict[str, str], timeout_s: float = 600, cwd: Path = ROOT
) -> tuple[float, float, str]:
    """Wall seconds from start to exit, CPU seconds of the process tree (what it reaped
    included), and the output; exits the bench when it failed to run (exit codes 0, 1 and 3
    are verdicts: the run itself ran)."""
    cpu_before = _children_cpu_s()
    started = time.perf_counter()
    done = subprocess.run(
        args, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout_s, check=False
    )
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1, 3):
        raise SystemExit(
            f"{' '.join(args)} exited {done.returncode}:\n{done.stdout[-2000:]}\n"
            f"{done.stderr[-3000:]}"
        )
    return elapsed, _children_cpu_s() - cpu_before, done.stdout


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _scenario_s(output: str) -> float:
    """The run's own duration as its summary prints it (`run <id>, seed <s>, 17.3 s`)."""
    for line in output.splitlines():
        line = line.strip()
        if line.startswith("run ") and line.endswith(" s"):
            return float(line.rsplit(",", 1)[1].strip().removesuffix(" s"))
    raise SystemExit(f"no run summary in the output:\n{output[-2000:]}")


def _python(code: str, env: dict[str, str]) -> tuple[float, str]:
    wall, _, out = _timed([sys.executable, "-c", code], env)
    return wall, out


def _checkout_env(checkout: Path, work: Path, name: str) -> dict[str, str]:
    """The environment of runs from `checkout`: its code first on the path, its own
    TESTBOTS_HOME and a DAGSTER_HOME with its dagster.yaml."""
    env = {**os.environ, "TESTBOTS_HOME": str(work / name / "home")}
    env["DAGSTER_HOME"] = str(work / name / "dg")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(checkout), os.environ.get("PYTHONPATH")]))
    (work / name / "dg").mkdir(parents=True)
    shutil.copy(checkout / "dagster.yaml", work / name / "dg" / "dagster.yaml")
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", default="transfer_baseline")
    parser.add_argument("--size", default="smoke", choices=("smoke", "default", "full"))
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another checkout (e.g. the main worktree) whose make run joins the same rounds",
    )
    args = parser.parse_args()

    load_before = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="bench-dagster-"))
    env = _checkout_env(ROOT, work, "this")
    bin_dir = Path(sys.executable).parent
    plain = [str(bin_dir / "testbots"), "run", args.scenario, "--size", args.size]
    dagster = [sys.executable, "-m", "testbots_dagster", args.scenario, "--size", args.size]
    # who -> (command, environment, checkout)
    runs: dict[str, tuple[list[str], dict[str, str], Path]] = {
        "testbots": (plain, env, ROOT),
        "dagster": (dagster, env, ROOT),
    }
    if args.baseline is not None:
        base = args.baseline.resolve()
        runs["baseline"] = (dagster, _checkout_env(base, work, "baseline"), base)
    try:
        for who in ("dagster", "baseline"):  # each instance's first run creates its storage
            if who in runs:
                command, run_env, checkout = runs[who]
                _timed(command, run_env, cwd=checkout)
        walls: dict[str, list[float]] = {who: [] for who in runs}
        cpus: dict[str, list[float]] = {who: [] for who in runs}
        scenario: dict[str, list[float]] = {who: [] for who in runs}
        steps: list[tuple[float, float, float]] = []
        names = list(runs)
        for r in range(args.rounds):
            order = names[r % len(names) :] + names[: r % len(names)]
            if r % 2:
                order.reverse()
            for who in order:
                command, run_env, checkout = runs[who]
                wall, cpu, out = _timed(command, run_env, cwd=checkout)
                walls[who].append(wall)
                cpus[who].append(cpu)
                scenario[who].append(_scenario_s(out))
                if who == "dagster":
                    _, spans = _python(_RUN_STEPS, env)
                    before, after, ops = (float(x) for x in spans.split())
                    steps.append((before, after, ops))
                print(
                    f"round {r + 1} {who:<8} {wall:6.2f} s wall {cpu:6.2f} s CPU",
                    file=sys.stderr,
                )
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
    print(
        f"{args.scenario} [{args.size}], {args.rounds} alternating rounds, wall clock from "
        "process start to exit, CPU of the process tree"
    )
    print(f"{'':<34} {'wall s':>7} {'CPU s':>6} {'scenario s':>11}  rounds (wall s)")
    labels = {
        "testbots": "testbots run",
        "dagster": "make run (Dagster job)",
        "baseline": f"make run at {args.baseline}",
    }
    for who in runs:
        rounds = ", ".join(f"{w:.2f}" for w in walls[who])
        print(
            f"{labels[who]:<34} {med(walls[who]):>7.2f} {med(cpus[who]):>6.2f} "
            f"{med(scenario[who]):>11.2f}  {rounds}"
        )
    for who in ("dagster", "baseline"):
        if who not in runs:
            continue
        over = [d - t for d, t in zip(walls[who], walls["testbots"], strict=True)]
        cpu_over = [d - t for d, t in zip(cpus[who], cpus["testbots"], strict=True)]
        verdict = "meets" if med(over) < TARGET_S else "ABOVE"
        print(
            f"Dagster overhead per run{'' if who == 'dagster' else ' at ' + str(args.baseline)}"
            f": {med(over):.2f} s wall (rounds "
            + ", ".join(f"{o:.2f}" for o in over)
            + f"), {med(cpu_over):.2f} s CPU; ratio make run / testbots run "
            f"{med(walls[who]) / med(walls['testbots']):.3f}; target < {TARGET_S:g} s: {verdict}"
        )
    if "baseline" in runs:
        # the two make runs of one round ran within a minute of each other: their difference
        # is the change's effect with the least of the machine's drift in it
        gain = [b - d for d, b in zip(walls["dagster"], walls["baseline"], strict=True)]
        cpu_gain = [b - d for d, b in zip(cpus["dagster"], cpus["baseline"], strict=True)]
        print(
            f"this checkout against {args.baseline}, same rounds: {med(gain):.2f} s wall "
            "less per run (rounds " + ", ".join(f"{g:.2f}" for g in gain) + f"), "
            f"{med(cpu_gain):.2f} s CPU less (rounds "
            + ", ".join(f"{g:.2f}" for g in cpu_gain)
            + ")"
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
