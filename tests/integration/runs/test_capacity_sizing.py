"""C_tx end to end: a `capacity_fraction` size cannot run before capacity_ramp measured the
target, and runs sized from it after (the real CLI, real simnet child processes).

The sized scenario is transfer_baseline with its smoke load written as a fraction of C_tx,
as every `full` size is; the capacity_ramp smoke run is what publishes C_tx for this simnet.
"""

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from botruntime.local import simnet_version
from botruntime.runs import find_capacity
from botruntime.runs.report import RunReport

pytestmark = pytest.mark.slow

REPO = Path(__file__).parents[3]
TESTBOTS = [str(Path(sys.executable).parent / "testbots")]
FRACTION = 0.15


def _run(home: Path, *args: str) -> tuple[int, str]:
    done = subprocess.run(
        [*TESTBOTS, "run", *args, "--home", str(home)],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=REPO,
    )
    return done.returncode, done.stdout + done.stderr


def _sized_by_capacity(folder: Path) -> Path:
    """transfer_baseline whose smoke rates are fractions of C_tx."""
    doc: dict[str, Any] = yaml.safe_load(
        (REPO / "scenarios" / "transfer_baseline.yaml").read_text()
    )
    doc["id"] = "sized_baseline"
    doc["sizes"]["smoke"]["load"]["general_user"]["stages"] = [
        {"kind": "ramp", "seconds": 2, "capacity_fraction": FRACTION},
        {"kind": "hold", "seconds": 8, "capacity_fraction": FRACTION},
        {"kind": "drain", "seconds": 5},
    ]
    path = folder / "sized_baseline.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def _report(home: Path, scenario_id: str) -> RunReport:
    (path,) = [p for p in home.glob("runs/*/report.json") if p.parent.name.startswith(scenario_id)]
    return RunReport.read(path)


def test_a_capacity_fraction_size_runs_once_capacity_ramp_measured_the_target(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    sized = _sized_by_capacity(tmp_path)

    code, output = _run(home, str(sized), "--size", "smoke")
    assert code != 0 and not list(home.glob("runs/sized_baseline*/report.json")), output
    assert "run capacity_ramp on this target first" in output, output
    assert "sizes.smoke.load.general_user.stages[0]" in output, output

    code, output = _run(home, "capacity_ramp", "--size", "smoke")
    ramp = _report(home, "capacity_ramp")
    assert (code, ramp.verdict) == (0, "PASS"), output
    assert ramp.network_version == simnet_version()
    capacity = find_capacity(home / "runs", "simnet", simnet_version())
    assert capacity is not None and capacity.run_id == ramp.run_id
    assert capacity.c_tx_per_s == ramp.summary["capacity_c_tx"] >= 60

    code, output = _run(home, str(sized), "--size", "smoke")
    sized_run = _report(home, "sized_baseline")
    assert (code, sized_run.verdict) == (0, "PASS"), output
    # the hold offered its fraction of the measured C_tx
    expected = FRACTION * capacity.c_tx_per_s * 9  # a 2 s ramp from 0 and an 8 s hold
    assert sized_run.summary["intents"] == pytest.approx(expected, rel=0.1)
    assert any(f"C_tx = {capacity.c_tx_per_s:g} tx/s" in note for note in sized_run.notes)
