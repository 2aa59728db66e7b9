"""Options several commands share, declared once so their flags and help never drift apart."""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["HOME", "SCENARIOS_DIR", "WORKERS"]

HOME = click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="State directory (default: $TESTBOTS_HOME or ./.testbots).",
)
SCENARIOS_DIR = click.option(
    "--scenarios-dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Where scenario ids are looked up (default: ./scenarios or $TESTBOTS_SCENARIOS).",
)
WORKERS = click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="Worker processes behind a local coordinator; 0 runs the bots in this process.",
)
