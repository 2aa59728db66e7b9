"""`testbots` — the command a user types (DESIGN §9).

Each subcommand lives in its own module under `botruntime.commands` and is imported only when
it runs, so `testbots --help` is instant and one command's dependencies never slow another.
"""

from __future__ import annotations

import importlib

import click

__all__ = ["main"]

# name -> "module:attribute" of a click command
_COMMANDS: dict[str, str] = {
    "coordinator": "botruntime.commands.coordinator:coordinator",
    "compare": "botruntime.commands.report:compare",
    "coverage": "botruntime.commands.coverage:coverage",
    "history": "botruntime.commands.history:history",
    "mutation": "botruntime.commands.mutation:mutation",
    "report": "botruntime.commands.report:report",
    "run": "botruntime.commands.run:run",
    "scenarios": "botruntime.commands.scenarios:scenarios",
    "simnet": "botruntime.commands.simnet:simnet",
    "status": "botruntime.commands.status:status",
    "stop": "botruntime.commands.stop:stop",
    "worker": "botruntime.commands.worker:worker",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = _COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):  # pragma: no cover - a wiring mistake
            raise TypeError(f"{target} is not a click command")
        return command


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="testbots")
def main() -> None:
    """testbots: put the Alpha/Delta network under load and say whether it held."""
