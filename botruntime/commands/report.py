"""`testbots report RUN [--html]` and `testbots compare RUN RUN [RUN…] [--csv]`: read stored
run reports (the comparison is `botruntime.runs.history.comparison_frame`, a DataFrame).

RUN is a run id under `$TESTBOTS_HOME/runs/` or a path to a `report.json`.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from botruntime.commands._options import HOME
from botruntime.runs import summary_lines, testbots_home
from botruntime.runs.html import write_html
from botruntime.runs.report import ReportError, RunReport

__all__ = ["compare", "report"]

# figures where a larger value is worse (latencies, errors); for the rest larger is better
_WORSE_WHEN_HIGHER = (
    "_ms",
    "err_rate",
    "dropped",
    "blocked",
    "blocked_abandoned",
    "blocked_ratio",
    "errors",
    "n_lost",
    "ledger_mismatch",
)


def _load(run: str, home: Path | None) -> RunReport:
    path = Path(run)
    if not path.is_file():
        path = testbots_home(home) / "runs" / run / "report.json"
    try:
        return RunReport.read(path)
    except FileNotFoundError:
        raise click.UsageError(
            f"no report for {run!r}: give a run id under {testbots_home(home) / 'runs'} "
            "(ls it) or the path of a report.json"
        ) from None
    except ReportError as exc:
        raise click.UsageError(str(exc)) from None


@click.command()
@click.argument("run")
@click.option("--html", "as_html", is_flag=True, help="Also write the self-contained HTML report.")
@HOME
def report(run: str, as_html: bool, home: Path | None) -> None:
    """Print the verdict and figures of RUN (exit code: the run's own)."""
    loaded = _load(run, home)
    for line in summary_lines(loaded):
        click.echo(line)
    if as_html:
        click.echo(f"  HTML report: {write_html(loaded, testbots_home(home) / 'runs')}")
    raise SystemExit(loaded.exit_code)


def _ratio(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.2f}x"


@click.command()
@click.argument("runs", nargs=-1, required=True)
@click.option("--csv", "as_csv", is_flag=True, help="Write the figures table as CSV to stdout.")
@HOME
def compare(runs: tuple[str, ...], as_csv: bool, home: Path | None) -> None:
    """Put two or more RUNS side by side (A, B, C…): verdicts, criteria that changed, every
    figure, and the last run's figure over the first's (red where the last is worse)."""
    from botruntime.runs.history import comparison_frame

    if len(runs) < 2:
        raise click.UsageError("compare needs two runs or more: testbots compare RUN_A RUN_B …")
    reports = [_load(run, home) for run in runs]
    frame = comparison_frame(reports)
    if as_csv:
        frame.to_csv(sys.stdout, lineterminator="\n")
        return
    console = Console(width=max(120, Console().width))
    experiments = {(r.scenario_id, r.size, r.target) for r in reports}
    if len(experiments) > 1:
        console.print(
            "[yellow]comparing different experiments: "
            + " and ".join(f"{r.scenario_id}/{r.size}/{r.target}" for r in reports)
            + "[/]"
        )
    runs_columns = [c for c in frame.columns if c != "last/first"]
    letters = [chr(ord("A") + i) if i < 26 else f"#{i + 1}" for i in range(len(reports))]
    table = Table(
        title=" vs ".join(f"{r.run_id} ({n})" for r, n in zip(reports, letters, strict=True))
    )
    table.add_column("figure")
    for name in [*letters, f"{letters[-1]}/{letters[0]}"]:
        table.add_column(name, justify="right")
    table.add_row("verdict", *(r.verdict for r in reports), "")
    first, last = runs_columns[0], runs_columns[-1]
    for key, row in frame.iterrows():
        cells = [_number(row[c]) for c in runs_columns]
        ratio = _ratio(row["last/first"])
        a, b = row[first], row[last]
        worse = ratio != "-" and b != a and (b > a) == str(key).endswith(_WORSE_WHEN_HIGHER)
        cells.append(f"[red]{ratio}[/]" if worse else ratio)
        table.add_row(str(key), *cells)
    statuses: dict[str, list[str]] = {}
    for i, r in enumerate(reports):
        for c in r.criteria:
            statuses.setdefault(c.id, ["-"] * len(reports))[i] = c.status
    for criterion_id, seen in statuses.items():
        if len(set(seen)) > 1:
            table.add_row(f"criterion {criterion_id}", *seen, "changed")
    console.print(table)


def _number(value: float) -> str:
    return "nan" if math.isnan(value) else f"{value:.4g}"
