"""`testbots history SCENARIO [--csv]`: the last runs of a scenario, newest first.

The rows are the reports under `$TESTBOTS_HOME/runs`, tabled by
`botruntime.runs.history.history_frame`: the same table the Dagster asset `run_history` shows.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from botruntime.commands._options import HOME
from botruntime.runs import testbots_home

__all__ = ["history"]

# the figures the terminal table shows, under short headers (--csv writes every column)
_SHOWN = {
    "achieved_rate_per_s": "achieved/s",
    "committed_rate_per_s": "committed/s",
    "p99_submit_ms": "p99 submit ms",
    "p99_commit_ms": "p99 commit ms",
    "error_rate": "err rate",
}


@click.command()
@click.argument("scenario")
@click.option("--size", default=None, help="Only runs of this size (smoke, default, full).")
@click.option("--target", default=None, help="Only runs against this target (e.g. simnet).")
@click.option(
    "--last",
    "last",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="How many of the newest runs to show.",
)
@click.option("--csv", "as_csv", is_flag=True, help="Write the table as CSV to stdout.")
@HOME
def history(
    scenario: str,
    size: str | None,
    target: str | None,
    last: int,
    as_csv: bool,
    home: Path | None,
) -> None:
    """Print the last runs of SCENARIO, newest first, with their headline figures."""
    from botruntime.runs.history import history_frame, read_reports

    runs_dir = testbots_home(home) / "runs"
    frame = history_frame(read_reports(runs_dir, scenario))
    if size is not None:
        frame = frame[frame["size"] == size]
    if target is not None:
        frame = frame[frame["target"] == target]
    frame = frame.head(last)
    if as_csv:
        frame.to_csv(sys.stdout, index=False, lineterminator="\n")
        return
    if frame.empty:
        raise click.ClickException(
            f"no finished run of {scenario!r} under {runs_dir}"
            + (" with that size/target" if size or target else "")
            + ": run one with `testbots run "
            + scenario
            + " --size smoke` (`testbots scenarios list` shows the ids)"
        )
    table = Table(title=f"{scenario}: last {len(frame)} run(s), newest first")
    columns = ["started", "size", "target", "verdict", "switches", *_SHOWN, "run_id"]
    for name in columns:
        if name in _SHOWN:
            table.add_column(_SHOWN[name], justify="right")
        else:  # what a reader copies (the run id) or sorts by is never cut
            table.add_column(name, no_wrap=name in ("started", "run_id"))
    for row in frame[columns].itertuples(index=False):
        table.add_row(*(_cell(v) for v in row))
    Console(width=max(200, Console().width)).print(table)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:.4g}"
    return str(value)
