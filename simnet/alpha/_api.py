"""Alpha's module reads (SCENARIOS.md §6 "Alpha"): staking, distribution, governance, campaign.

Handlers translate the modules' state into JSON; amounts are decimal strings as everywhere.
Module reads answer at the chain's current height (they keep no per-height history).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, TypeVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from botruntime.chain.tx import Denom, JsonValue
from botruntime.identity import AddressError, parse_address
from simnet._chain import Chain
from simnet._errors import Rejected
from simnet._http import json_response, path_int
from simnet._module import Module
from simnet.alpha._campaign import CAMPAIGN, Campaign
from simnet.alpha._distribution import Distribution
from simnet.alpha._gov import Gov, Proposal, tally_of
from simnet.alpha._staking import BONDED_POOL, NOT_BONDED_POOL, Staking, Validator

__all__ = ["AlphaApi", "HasChains"]

M = TypeVar("M", bound=Module)


class HasChains(Protocol):
    """The network as the API sees it: a reset replaces its chains, so look them up late."""

    chains: dict[str, Chain]


@dataclass(slots=True)
class AlphaApi:
    network: HasChains

    @property
    def chain(self) -> Chain:
        return self.network.chains["alpha"]

    def _module(self, name: str, kind: type[M]) -> M:
        module = self.chain.modules.get(name)
        assert isinstance(module, kind)
        return module

    @property
    def staking(self) -> Staking:
        return self._module("staking", Staking)

    @property
    def distribution(self) -> Distribution:
        return self._module("distribution", Distribution)

    @property
    def gov(self) -> Gov:
        return self._module("gov", Gov)

    @property
    def campaign(self) -> Campaign:
        return self._module("campaign", Campaign)

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/validators", self.validators),
            Route("/validators/{v}", self.validator),
            Route("/validators/{v}/delegations", self.validator_delegations),
            Route("/delegators/{a}/delegations", self.delegations),
            Route("/delegators/{a}/unbonding", self.unbonding),
            Route("/delegators/{a}/redelegations", self.redelegations),
            Route("/delegators/{a}/rewards", self.rewards),
            Route("/staking/pool", self.pool),
            Route("/staking/params", self.staking_params),
            Route("/distribution/community_pool", self.community_pool),
            Route("/gov/proposals", self.proposals),
            Route("/gov/proposals/{id}", self.proposal),
            Route("/gov/proposals/{id}/votes", self.votes),
            Route("/gov/proposals/{id}/tally", self.tally),
            Route("/gov/params", self.gov_params),
            Route("/campaign", self.campaign_info),
            Route("/campaign/eligibility/{a}", self.eligibility),
            Route("/campaign/payouts", self.payouts),
        ]

    # ---- staking -------------------------------------------------------------------------------

    def _validator_wire(self, v: Validator) -> dict[str, JsonValue]:
        unit = self.staking.params.power_unit
        return {
            "operator": v.operator,
            "moniker": v.moniker,
            "tokens": str(v.tokens),
            "shares": str(v.shares),
            "power": v.power(unit),
            "commission_ppm": v.commission_ppm,
            "jailed": v.jailed,
            "status": "bonded",
            "missed_blocks": 0,
            "commission_accrued": str(self.distribution.commission.get(v.operator, 0)),
        }

    def _get_validator(self, request: Request) -> Validator:
        operator = _address(request, "v")
        validator = self.staking.validators.get(operator)
        if validator is None:
            raise Rejected("not_found", f"no validator {operator}; GET /validators lists them")
        return validator

    async def validators(self, request: Request) -> Response:
        active = self.staking.active_set()
        return json_response(
            {"validators": [self._validator_wire(v) for v in active], "height": self.chain.height}
        )

    async def validator(self, request: Request) -> Response:
        return json_response(self._validator_wire(self._get_validator(request)))

    async def validator_delegations(self, request: Request) -> Response:
        v = self._get_validator(request)
        items: list[JsonValue] = [
            {"delegator": d, "shares": str(s), "tokens": str(v.tokens_of(s))}
            for (d, op), s in sorted(self.staking.delegations.items())
            if op == v.operator
        ]
        return json_response({"validator": v.operator, "delegations": items})

    async def delegations(self, request: Request) -> Response:
        address = _address(request, "a")
        items: list[JsonValue] = [
            {"validator": v.operator, "shares": str(s), "tokens": str(v.tokens_of(s))}
            for v, s in self.staking.delegations_of(address)
        ]
        return json_response({"delegator": address, "delegations": items})

    async def unbonding(self, request: Request) -> Response:
        address = _address(request, "a")
        items: list[JsonValue] = [
            {
                "id": u.id,
                "validator": u.validator,
                "amount": str(u.amount),
                "creation_height": u.creation_height,
                "completion_height": u.completion_height,
            }
            for u in self.staking.unbonding.values()
            if u.delegator == address
        ]
        return json_response({"delegator": address, "unbonding": items})

    async def redelegations(self, request: Request) -> Response:
        address = _address(request, "a")
        items: list[JsonValue] = [
            {
                "src_validator": r.src,
                "dst_validator": r.dst,
                "amount": str(r.amount),
                "creation_height": r.creation_height,
                "completion_height": r.completion_height,
            }
            for r in self.staking.redelegations
            if r.delegator == address
        ]
        return json_response({"delegator": address, "redelegations": items})

    async def rewards(self, request: Request) -> Response:
        address = _address(request, "a")
        per = {
            v.operator: self.distribution.pending(address, v.operator)
            for v, _ in self.staking.delegations_of(address)
        }
        return json_response(
            {
                "delegator": address,
                "rewards": [{"validator": op, "amount": str(a)} for op, a in per.items()],
                "total": str(sum(per.values())),
                # every reward (and commission) ever paid to it: what its balance gained
                "withdrawn": str(self.distribution.paid.get(address, 0)),
            }
        )

    async def pool(self, request: Request) -> Response:
        modules = self.chain.ledger.modules
        return json_response(
            {
                "bonded_tokens": str(modules.get(BONDED_POOL, {}).get("AX", 0)),
                "not_bonded_tokens": str(modules.get(NOT_BONDED_POOL, {}).get("AX", 0)),
                "sax_supply": str(self.chain.ledger.supply.get(Denom.SAX.value, 0)),
                "sax_exchange_rate_ppm": 1_000_000,
            }
        )

    async def staking_params(self, request: Request) -> Response:
        p = self.staking.params
        return json_response(
            {
                "unbonding_blocks": p.unbonding_blocks,
                "redelegation_cooldown_blocks": p.unbonding_blocks,
                "max_commission_ppm": p.max_commission_ppm,
                "max_commission_change_ppm": p.max_commission_change_ppm,
                "power_unit": str(p.power_unit),
                "block_reward": str(p.block_reward),
                "community_tax_ppm": p.community_tax_ppm,
            }
        )

    async def community_pool(self, request: Request) -> Response:
        return json_response({"amount": str(self.distribution.community_pool), "denom": "AX"})

    # ---- governance ----------------------------------------------------------------------------

    def _get_proposal(self, request: Request) -> Proposal:
        pid = path_int(request, "id")
        proposal = self.gov.proposals.get(pid)
        if proposal is None:
            raise Rejected("not_found", f"no proposal {pid}; GET /gov/proposals lists them")
        return proposal

    async def proposals(self, request: Request) -> Response:
        items: list[JsonValue] = [_proposal_wire(p) for p in self.gov.proposals.values()]
        return json_response({"proposals": items})

    async def proposal(self, request: Request) -> Response:
        return json_response(_proposal_wire(self._get_proposal(request)))

    async def votes(self, request: Request) -> Response:
        proposal = self._get_proposal(request)
        items: list[JsonValue] = [
            {"voter": voter, "options": {o: w for o, w in weights}}
            for voter, weights in proposal.final_votes().items()
        ]
        return json_response({"proposal_id": proposal.id, "votes": items})

    async def tally(self, request: Request) -> Response:
        proposal = self._get_proposal(request)
        if proposal.open:  # a running tally at current stake, like Cosmos' tally query
            power = {v: self.staking.stake_of(v) for v, _ in proposal.votes}
            tally = tally_of(list(proposal.final_votes().items()), power)
        else:
            tally = proposal.tally
        return json_response(
            {
                "proposal_id": proposal.id,
                "final": not proposal.open,
                "tally": {o: str(v) for o, v in tally.items()},
            }
        )

    async def gov_params(self, request: Request) -> Response:
        p = self.gov.params
        return json_response(
            {
                "min_deposit": str(p.min_deposit),
                "min_initial_deposit_ppm": p.min_initial_deposit_ppm,
                "min_initial_deposit": str(p.initial_deposit()),
                "deposit_blocks": p.deposit_blocks,
                "voting_blocks": p.voting_blocks,
                "quorum_ppm": p.quorum_ppm,
                "threshold_ppm": p.threshold_ppm,
                "veto_ppm": p.veto_ppm,
            }
        )

    # ---- campaign ------------------------------------------------------------------------------

    async def campaign_info(self, request: Request) -> Response:
        c = self.campaign
        p = c.params
        return json_response(
            {
                "epoch": c.epoch,
                "epoch_blocks": p.campaign_epoch_blocks,
                "next_epoch_end": (self.chain.height // p.campaign_epoch_blocks + 1)
                * p.campaign_epoch_blocks,
                "budget": str(c.budget),
                "paid": str(c.paid),
                "remaining": str(self.chain.ledger.modules.get(CAMPAIGN, {}).get("AX", 0)),
                "reward": str(p.campaign_reward),
                "min_txs": p.campaign_min_txs,
                "min_modules": p.campaign_min_modules,
                "min_age_blocks": p.campaign_min_age_blocks,
                "min_balance": str(p.campaign_min_balance),
                "cluster_hops": p.campaign_cluster_hops,
                "cluster_payouts": p.campaign_cluster_payouts,
            }
        )

    async def eligibility(self, request: Request) -> Response:
        address = _address(request, "a")
        c = self.campaign
        ok, missing = c.eligibility(address, self.chain.height)
        act = c.activity.get(address)
        return json_response(
            {
                "address": address,
                "eligible": ok,
                "missing": list(missing),
                "txs": 0 if act is None else act.txs,
                "modules": [] if act is None else sorted(act.modules),
                "cluster": c.root(address),
            }
        )

    async def payouts(self, request: Request) -> Response:
        items: list[JsonValue] = [
            {
                "epoch": p.epoch,
                "address": p.address,
                "cluster": p.cluster,
                "amount": str(p.amount),
                "height": p.height,
            }
            for p in self.campaign.payouts
        ]
        return json_response({"payouts": items})


def _address(request: Request, name: str) -> str:
    address = str(request.path_params[name])
    try:
        parse_address(address, "ax")
    except AddressError as exc:
        raise Rejected("invalid_address", f"{address!r} is not an Alpha address: {exc}") from None
    return address


def _proposal_wire(p: Proposal) -> dict[str, JsonValue]:
    return {
        "id": p.id,
        "proposer": p.proposer,
        "title": p.title,
        "param": p.param,
        "value": str(p.value),
        "status": p.status,
        "submit_height": p.submit_height,
        "deposit_end": p.deposit_end,
        "voting_start": p.voting_start,
        "voting_end": p.voting_end,
        "total_deposit": str(p.total_deposit),
        "executed_height": p.executed_height,
    }
