"""The end-of-run determinism check (mixed_soak C5) against real simnet processes: a network's
export imported into a fresh simnet gives its app hash back, and an export whose state was
changed on the way does not."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from botruntime.local import SimnetProcess, simnet_args
from botruntime.runs._determinism import ROUTE, check_determinism, reimport

pytestmark = [pytest.mark.slow, pytest.mark.anyio]

ARGS = simnet_args(seed="determinism", nodes=1, block_time_s=0.2)


@pytest.fixture
def control() -> Iterator[str]:
    with SimnetProcess(seed="determinism", nodes=1, block_time_s=0.2) as simnet:
        assert simnet.endpoints is not None
        yield simnet.endpoints.control


async def test_an_export_imports_into_a_fresh_simnet_with_the_same_app_hash(
    control: str, tmp_path: Path
) -> None:
    reading = await check_determinism(control, ARGS, tmp_path / "fresh.log")
    assert reading.route == ROUTE
    assert reading.ok, reading.detail
    assert reading.height >= 0


async def test_a_changed_state_gives_another_app_hash(control: str, tmp_path: Path) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        exported = (await http.get(f"{control}/simnet/export")).json()
    assert (await reimport(exported, ARGS, tmp_path / "same.log")).ok
    changed = copy.deepcopy(exported)
    account = next(iter(changed["chains"]["alpha"]["ledger"]["accounts"].values()))
    account["nonce"] += 1  # a state the exporting network never had
    reading = await reimport(changed, ARGS, tmp_path / "changed.log")
    assert not reading.ok
    assert "after import" in reading.detail or "refused" in reading.detail


async def test_an_unreachable_network_is_a_broken_reading_that_says_why(tmp_path: Path) -> None:
    reading = await check_determinism("http://127.0.0.1:9", ARGS, tmp_path / "none.log")
    assert not reading.ok
    assert "GET /simnet/export failed" in reading.detail
