"""A writer killed half way through a run's rows leaves no trace of that run, ever."""

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from botruntime.runs import CriterionOutcome, IntervalPoint, RunReport
from testbots_dagster.results_store import ResultsStore, RunNotFound, default_url

# Writes one run and stops for good between the `runs` row and the interval rows.
WRITER = textwrap.dedent(
    """
    import sys, time
    import sqlalchemy as sa
    from botruntime.runs import RunReport
    from testbots_dagster.results_store import ResultsStore

    store = ResultsStore(sys.argv[1])
    report = RunReport.read(__import__("pathlib").Path(sys.argv[2]))

    def pause(conn, cursor, statement, *args):
        if statement.startswith("INSERT INTO intervals"):
            print("mid-write", flush=True)
            time.sleep(120)

    sa.event.listen(store._engine, "before_cursor_execute", pause)
    store.append(report)
    """
)


def _report() -> RunReport:
    return RunReport(
        run_id="killed-mid-write",
        scenario_id="transfer_baseline",
        scenario_hash="c" * 64,
        size="smoke",
        target="simnet",
        seed="1001",
        switches=(),
        git_sha=None,
        started_at_s=1_700_000_000.0,
        ended_at_s=1_700_000_015.0,
        verdict="PASS",
        exit_code=0,
        criteria=(CriterionOutcome("C4_completeness", "hard", "pass", "n.lost == 0", "0 lost"),),
        summary={"achieved_rate": 20.0},
        series=tuple(IntervalPoint(float(t), 20, 20, 20, 0, 0, 5, 9, 900) for t in range(10)),
        histograms={"lat.commit": "HISTF..."},
    )


@pytest.fixture
def writer(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    report = _report()
    report_file = report.write(tmp_path / "reports")
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, default_url(tmp_path / "home"), str(report_file)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        assert proc.stdout is not None
        proc.stdout.close()


def test_a_run_killed_mid_write_is_never_read_back(
    tmp_path: Path, writer: subprocess.Popen[str]
) -> None:
    assert writer.stdout is not None
    assert writer.stdout.readline().strip() == "mid-write"  # the runs row is inserted, uncommitted
    run_id = _report().run_id
    with ResultsStore.at_home(tmp_path / "home") as reader:
        assert not reader.has(run_id)  # a concurrent reader sees nothing of the open write
        assert reader.history() == []
        os.kill(writer.pid, signal.SIGKILL)
        assert writer.wait(timeout=10) == -signal.SIGKILL
    with ResultsStore.at_home(tmp_path / "home") as after:
        assert after.count() == 0
        with pytest.raises(RunNotFound):
            after.get(run_id)
        after.append(_report())  # the killed write left no half row in the way
        assert after.get(run_id) == _report()
