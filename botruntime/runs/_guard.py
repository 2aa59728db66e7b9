"""The target guard (DESIGN §8): may this plan run against this network, and at this size?

Read before any bot is funded. A run is refused, with the one thing to change, when:
- a chain the scenario's behaviours use serves a chain id the scenario does not name
  (`ChainIdRefused`: add the id to `target.chains`, or point `--target` elsewhere);
- the scenario is adversarial and the target is not flagged for it (`AdversarialRefused`):
  simnet always is; a real network is only when its owner says so (`--allow-adversarial`,
  or `TargetResource(allow_adversarial=True)` in Dagster), recorded on the plan's `Target`;
- the plan exceeds the scenario's caps (`CapExceeded`): bots, peak rate per run, or peak rate
  per endpoint. The spend caps hold by construction: each bot holds its `max_spend_per_bot`
  and no more, and a real network's funding refuses to pay beyond `max_spend_total`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from botruntime.behaviors import BEHAVIORS
from botruntime.plan import RunPlan
from botruntime.runs._errors import AdversarialRefused, CapExceeded, ChainIdRefused

__all__ = ["check_target", "peak_per_endpoint", "used_chains"]


@dataclass(frozen=True, slots=True)
class _ChainLoad:
    rate_per_s: float  # peak offered rate of the behaviours on this chain
    endpoints: int


def used_chains(plan: RunPlan) -> set[str]:
    """The chains the plan's behaviours act on."""
    return {BEHAVIORS[name].chain for role in plan.roles for name in role.behaviours}


def _loads(plan: RunPlan) -> dict[str, _ChainLoad]:
    """Per chain: the peak rate the plan offers it (each role's peak split by its behaviour
    weights) and how many of the target's nodes share it."""
    target = plan.target
    rates: dict[str, float] = {}
    for role in plan.roles:
        load = plan.size.load.get(role.name)
        peak = load.peak_rate_per_s() if load is not None else None
        if not peak:
            continue
        total = sum(role.weights)
        for name, weight in zip(role.behaviours, role.weights, strict=True):
            chain = BEHAVIORS[name].chain
            rates[chain] = rates.get(chain, 0.0) + peak * weight / total
    urls = {"alpha": target.alpha, "delta": target.delta}
    return {c: _ChainLoad(r, max(1, len(urls[c]))) for c, r in rates.items()}


def peak_per_endpoint(plan: RunPlan) -> dict[str, float]:
    """Per chain: the peak rate one node of the target takes (bots spread evenly over them)."""
    return {c: load.rate_per_s / load.endpoints for c, load in _loads(plan).items()}


def check_target(plan: RunPlan, chain_ids: Mapping[str, str]) -> None:
    """Refuse the plan against a target serving `chain_ids` (chain -> its `/status` id)."""
    scenario = plan.scenario
    for chain in sorted(used_chains(plan)):
        served = chain_ids.get(chain)
        if served is None:
            raise ChainIdRefused(
                f"{scenario.id} acts on {chain}, and the target names no {chain} node: add "
                f"{chain}=URL to --target"
            )
        if not scenario.target.allows(served):
            raise ChainIdRefused(
                f"{scenario.id} may run against {list(scenario.target.chains)}; the target's "
                f"{chain} serves {served!r}: point --target at a network the scenario names, "
                f"or add {served!r} to target.chains in the scenario file"
            )
    adversarial = [r.name for r in plan.roles if r.group == "adversarial"]
    if (adversarial or scenario.target.allow_adversarial) and not plan.target.adversarial_allowed:
        who = f"role {adversarial[0]!r}" if adversarial else "the scenario"
        raise AdversarialRefused(
            f"{scenario.id} is adversarial ({who}) and the target is not flagged for "
            "adversarial load: if you own this network and accept the attack, pass "
            "--allow-adversarial to testbots run (Dagster: TargetResource allow_adversarial: "
            "true)"
        )
    limits = scenario.limits
    if plan.bots > limits.max_bots:
        raise CapExceeded(
            f"{plan.bots} bots exceed limits.max_bots ({limits.max_bots}) of {scenario.id}: "
            "run a smaller size, or raise limits.max_bots in the scenario file on purpose"
        )
    total = sum(load.rate_per_s for load in _loads(plan).values())
    if total > limits.max_rate_per_s:
        raise CapExceeded(
            f"the plan offers {total:g}/s, above limits.max_rate_per_s "
            f"({limits.max_rate_per_s:g}) of {scenario.id}: run a smaller size, or raise "
            "the cap in the scenario file on purpose"
        )
    cap = limits.max_rate_per_endpoint_s
    for chain, rate in sorted(peak_per_endpoint(plan).items()):
        if cap is not None and rate > cap:
            raise CapExceeded(
                f"the plan offers {rate:g}/s to each {chain} node, above "
                f"limits.max_rate_per_endpoint_s ({cap:g}) of {scenario.id}: give --target "
                f"more {chain} nodes, run a smaller size, or raise the cap on purpose"
            )
