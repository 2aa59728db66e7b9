"""The target guard (DESIGN §8): chain ids the scenario names, the adversarial flag, the caps;
each refusal is its own type and says what to change."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from botruntime.plan import PlanSource, RunPlan, compile_plan, parse_target
from botruntime.runs import AdversarialRefused, CapExceeded, ChainIdRefused, TargetRefused
from botruntime.runs._guard import check_target, peak_per_endpoint, used_chains

ROOT = Path(__file__).resolve().parents[3]
REAL = "alpha=http://a0:1,alpha=http://a1:1,delta=http://d0:1"
IDS = {"alpha": "alpha-simnet-1", "delta": "delta-simnet-1"}


def _plan(
    scenario: str = "malformed_fuzz",
    *,
    target: str = REAL,
    allow: bool = False,
    size: str = "default",
    edit: Any = None,
) -> RunPlan:
    doc = yaml.safe_load((ROOT / "scenarios" / f"{scenario}.yaml").read_text())
    if edit is not None:
        edit(doc)
    source = PlanSource(
        scenario_yaml=yaml.safe_dump(doc),
        size=size,
        seed="",
        target=parse_target(target, allow_adversarial=allow),
        run_id="run-1",
    )
    return compile_plan(source)


def test_an_adversarial_scenario_needs_a_flagged_real_network() -> None:
    with pytest.raises(AdversarialRefused, match="--allow-adversarial") as refused:
        check_target(_plan(), IDS)
    assert isinstance(refused.value, TargetRefused) and "fuzzer" in str(refused.value)
    check_target(_plan(allow=True), IDS)  # flagged by its owner: allowed
    check_target(_plan("transfer_baseline"), IDS)  # a legitimate scenario needs no flag


def test_every_chain_the_behaviours_use_must_serve_a_named_chain_id() -> None:
    assert used_chains(_plan(allow=True)) == {"alpha", "delta"}
    with pytest.raises(ChainIdRefused, match=r"delta serves 'delta-main-1'.*target.chains"):
        check_target(_plan(allow=True), {**IDS, "delta": "delta-main-1"})
    with pytest.raises(ChainIdRefused, match="add delta=URL"):
        check_target(_plan(allow=True, target="alpha=http://a0:1"), {"alpha": IDS["alpha"]})
    # transfer_baseline acts on Alpha only: whatever Delta serves is not its business
    check_target(_plan("transfer_baseline"), {**IDS, "delta": "delta-main-1"})


def test_the_rate_per_endpoint_is_each_chains_share_over_its_nodes() -> None:
    # default: canary 20/s (send_ax 80 %, get_health 20 %: all Alpha) and 100 cases/s, half
    # per chain; Alpha has two nodes in REAL, Delta one
    rates = peak_per_endpoint(_plan(allow=True))
    assert rates == pytest.approx({"alpha": (20 + 50) / 2, "delta": 50.0})


def _cap(field: str, value: float) -> Any:
    def edit(doc: dict[str, Any]) -> None:
        doc["limits"][field] = value

    return edit


def test_a_plan_above_a_cap_is_refused_naming_the_cap() -> None:
    with pytest.raises(CapExceeded, match=r"each delta node, above limits.max_rate_per_endpoint_s"):
        check_target(_plan(allow=True, edit=_cap("max_rate_per_endpoint_s", 40)), IDS)
    check_target(_plan(allow=True, edit=_cap("max_rate_per_endpoint_s", 50)), IDS)
