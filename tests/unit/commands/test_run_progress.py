"""`testbots run`'s live progress ends its line, so the verdict that follows starts its own."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from botruntime.commands.run import live_progress
from botruntime.runs.runner import Progress

VERDICT = "transfer_baseline [smoke] on simnet: PASS"
_CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _lines_after_a_run(*, terminal: bool, progress_rows: int) -> list[str]:
    out = io.StringIO()
    console = Console(file=out, width=100, force_terminal=terminal)
    with live_progress(console) as show:
        for second in range(progress_rows):
            show(Progress(float(second), 10.0, 20.0, 19.5, 19.0, 120.0, 0, 0))
    console.print(VERDICT, markup=False, highlight=False)
    return _CONTROL.sub("", out.getvalue()).splitlines()


@pytest.mark.parametrize("terminal", [False, True], ids=["piped", "terminal"])
def test_the_verdict_starts_its_own_line_after_the_last_progress_row(terminal: bool) -> None:
    lines = _lines_after_a_run(terminal=terminal, progress_rows=3)
    assert lines[-1] == VERDICT
    assert "2.0/10 s" in lines[-2]  # the last row stays, directly above, with no blank line


def test_no_progress_row_adds_no_blank_line() -> None:
    assert _lines_after_a_run(terminal=False, progress_rows=0) == [VERDICT]
