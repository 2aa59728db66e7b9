"""A smoke run of a scenario text, as a request for the coordinator."""

from __future__ import annotations

import uuid
from typing import Any

from botruntime.cluster import DistributeRequest
from botruntime.plan import PlanSource, Target


def distribute_request(
    text: str, *, target: Target | None = None, seed: str = "1", **options: Any
) -> DistributeRequest:
    """A smoke run of `text` under a fresh run id (no network unless `target` names one)."""
    run_id = f"r-{uuid.uuid4().hex[:6]}"
    source = PlanSource(text, "smoke", seed, target or Target(), run_id)
    return DistributeRequest(source, **options)
