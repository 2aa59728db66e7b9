"""`testbots simnet`: serve the reference network (same flags as `python -m simnet`).

botruntime never imports simnet (bots reach it only over HTTP, DESIGN §2), so this command
replaces the current process with `python -m simnet` and the given arguments.
"""

from __future__ import annotations

import os
import sys

import click

__all__ = ["simnet"]


@click.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def simnet(args: tuple[str, ...]) -> None:
    """Serve simnet (Alpha + Delta) on loopback; `testbots simnet --help` lists its flags."""
    os.execv(sys.executable, [sys.executable, "-m", "simnet", *args])
