"""simnet imports botruntime.identity and botruntime.chain.tx; they must load nothing else."""

import subprocess
import sys

HEAVY = ("httpx", "aiohttp", "grpc", "dagster", "botruntime.bots", "botruntime.wallet")


def test_wire_format_modules_load_alone() -> None:
    probe = (
        "import sys, botruntime.chain.tx, botruntime.identity\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    ).stdout.strip()
    assert loaded == ""
