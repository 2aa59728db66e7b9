"""`testbots report RUN [--html]` and `testbots compare RUN_A RUN_B`: read stored run reports.

RUN is a run id under `$TESTBOTS_HOME/runs/` or a path to a `report.json`.
"""

from __future__ import annotations

import math
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


def _ratio(a: float, b: float) -> str:
    if any(math.isnan(x) for x in (a, b)) or a == 0:
        return "-"
    return f"{b / a:.2f}x"


@click.command()
@click.argument("run_a")
@click.argument("run_b")
@HOME
def compare(run_a: str, run_b: str, home: Path | None) -> None:
    """Put two runs side by side: verdicts, criteria, and every figure with B/A."""
    a, b = _load(run_a, home), _load(run_b, home)
    console = Console()
    if (a.scenario_id, a.size, a.target) != (b.scenario_id, b.size, b.target):
        console.print(
            f"[yellow]comparing different experiments: {a.scenario_id}/{a.size}/{a.target} and "
            f"{b.scenario_id}/{b.size}/{b.target}[/]"
        )
    table = Table(title=f"{a.run_id} (A) vs {b.run_id} (B)")
    for name in ("figure", "A", "B", "B/A"):
        table.add_column(name, justify="left" if name == "figure" else "right")
    table.add_row("verdict", a.verdict, b.verdict, "")
    for key in sorted(set(a.summary) | set(b.summary)):
        va, vb = a.summary.get(key, math.nan), b.summary.get(key, math.nan)
        ratio = _ratio(va, vb)
        worse = ratio != "-" and (vb > va) == key.endswith(_WORSE_WHEN_HIGHER) and vb != va
        table.add_row(key, f"{va:.4g}", f"{vb:.4g}", f"[red]{ratio}[/]" if worse else ratio)
    by_id = {c.id: c for c in a.criteria}
    for c in b.criteria:
        before = by_id.get(c.id)
        if before is not None and before.status != c.status:
            table.add_row(f"criterion {c.id}", before.status, c.status, "changed")
    console.print(table)
