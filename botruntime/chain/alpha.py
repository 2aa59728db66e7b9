"""The Alpha chain (tokens AX and staked sAX; addresses `ax1…`): interface and HTTP client.

Behaviours type against `AlphaClient` (a protocol), so a real Alpha with another wire format
plugs in behind it (DESIGN §3); `HttpAlphaClient` speaks PROTOCOL.md over a `Transport`.
Each module message has a typed call that signs it alone in a tx and broadcasts it; the
nonce is the caller's to manage, as for `send` (`TxArgs`: nonce, fee, memo, mode, timeout_height).

    async with HttpAlphaClient("http://127.0.0.1:26600") as alpha:
        await alpha.send(alice, to=bob.alpha_address, amount=10**6, nonce=0, fee=2000)
        (top, *_) = await alpha.validators()
        await alpha.delegate(alice, top.operator, 5 * 10**6, nonce=1, fee=5000)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, Final, Protocol, Unpack

from botruntime.chain import tx as msgs
from botruntime.chain._api import BroadcastMode, TxArgs
from botruntime.chain._bridge import BridgeApi, HttpBridgeClient, outbound_msg
from botruntime.chain._wire_model import list_from_wire
from botruntime.chain.alpha_models import (
    CampaignInfo,
    Delegation,
    Eligibility,
    Payout,
    Proposal,
    Redelegation,
    Rewards,
    StakingPool,
    Tally,
    UnbondingEntry,
    Validator,
    Vote,
)
from botruntime.chain.models import Params, SubmitResult
from botruntime.chain.tx import Denom, decode_amount
from botruntime.identity import ALPHA_HRP, DELTA_HRP, Identity

__all__ = ["AX", "SAX", "AlphaClient", "BroadcastMode", "HttpAlphaClient", "TxArgs"]

AX: Final = Denom.AX.value
SAX: Final = Denom.SAX.value


class AlphaClient(BridgeApi, Protocol):
    """Everything a behaviour may ask of Alpha: the core calls, staking and distribution,
    governance, the reward campaign and the bridge."""

    async def validators(self) -> list[Validator]: ...
    async def validator(self, operator: str) -> Validator: ...
    async def validator_delegations(self, operator: str) -> list[Delegation]: ...
    async def delegations(
        self, delegator: str, *, min_height: int | None = None
    ) -> list[Delegation]: ...
    async def unbonding(
        self, delegator: str, *, min_height: int | None = None
    ) -> list[UnbondingEntry]: ...
    async def redelegations(self, delegator: str) -> list[Redelegation]: ...
    async def rewards(self, delegator: str, *, min_height: int | None = None) -> Rewards: ...
    async def staking_pool(self) -> StakingPool: ...
    async def staking_params(self) -> Params: ...
    async def community_pool(self) -> int: ...
    async def proposals(self) -> list[Proposal]: ...
    async def proposal(self, proposal_id: int, *, min_height: int | None = None) -> Proposal: ...
    async def votes(self, proposal_id: int) -> list[Vote]: ...
    async def tally(self, proposal_id: int) -> Tally: ...
    async def gov_params(self) -> Params: ...
    async def campaign(self) -> CampaignInfo: ...
    async def eligibility(self, address: str) -> Eligibility: ...
    async def payouts(self) -> list[Payout]: ...
    async def delegate(
        self, signer: Identity, validator: str, amount: int, **tx: Unpack[TxArgs]
    ) -> SubmitResult: ...
    async def undelegate(
        self, signer: Identity, validator: str, amount: int, **tx: Unpack[TxArgs]
    ) -> SubmitResult: ...
    async def redelegate(
        self, signer: Identity, src: str, dst: str, amount: int, **tx: Unpack[TxArgs]
    ) -> SubmitResult: ...
    async def withdraw_rewards(
        self, signer: Identity, validator: str, **tx: Unpack[TxArgs]
    ) -> SubmitResult: ...
    async def withdraw_commission(self, signer: Identity, **tx: Unpack[TxArgs]) -> SubmitResult: ...
    async def edit_validator(
        self, signer: Identity, commission_ppm: int, **tx: Unpack[TxArgs]
    ) -> SubmitResult: ...
    async def submit_proposal(
        self,
        signer: Identity,
        title: str,
        deposit: int,
        param: str = "",
        value: int = 0,
        **tx: Unpack[TxArgs],
    ) -> SubmitResult: ...
    async def deposit(
        self, signer: Identity, proposal_id: int, amount: int, **tx: Unpack[TxArgs]
    ) -> SubmitResult: ...
    async def vote(
        self,
        signer: Identity,
        proposal_id: int,
        option: str | Mapping[str, int],
        **tx: Unpack[TxArgs],
    ) -> SubmitResult: ...
    async def bridge_lock(
        self, signer: Identity, to: str, amount: int, withhold: bool = False, **tx: Unpack[TxArgs]
    ) -> SubmitResult: ...


class HttpAlphaClient(HttpBridgeClient):
    """Alpha over HTTP: `ax` addresses, fees and default sends in AX."""

    hrp: ClassVar[str] = ALPHA_HRP
    native_denom: ClassVar[str] = AX

    async def _get(self, path: str, operation: str, min_height: int | None = None) -> object:
        return await self._exchange("GET", path, operation=operation, min_height=min_height)

    # ---- staking and distribution reads ---------------------------------------------------

    async def validators(self) -> list[Validator]:
        """The active set, by power then operator."""
        wire = await self._get("/validators", "staking")
        return list_from_wire(Validator, wire, "validators", "GET /validators")

    async def validator(self, operator: str) -> Validator:
        wire = await self._get(f"/validators/{self._address(operator)}", "staking")
        return Validator.from_wire(wire, "GET /validators/{v}")

    async def validator_delegations(self, operator: str) -> list[Delegation]:
        path = f"/validators/{self._address(operator)}/delegations"
        wire = await self._get(path, "staking")
        items = list_from_wire(Delegation, wire, "delegations", "GET " + path)
        return [d.model_copy(update={"validator": operator}) for d in items]

    async def delegations(
        self, delegator: str, *, min_height: int | None = None
    ) -> list[Delegation]:
        path = f"/delegators/{self._address(delegator)}/delegations"
        wire = await self._get(path, "staking", min_height)
        items = list_from_wire(Delegation, wire, "delegations", "GET " + path)
        return [d.model_copy(update={"delegator": delegator}) for d in items]

    async def unbonding(
        self, delegator: str, *, min_height: int | None = None
    ) -> list[UnbondingEntry]:
        path = f"/delegators/{self._address(delegator)}/unbonding"
        wire = await self._get(path, "staking", min_height)
        return list_from_wire(UnbondingEntry, wire, "unbonding", "GET " + path)

    async def redelegations(self, delegator: str) -> list[Redelegation]:
        path = f"/delegators/{self._address(delegator)}/redelegations"
        wire = await self._get(path, "staking")
        return list_from_wire(Redelegation, wire, "redelegations", "GET " + path)

    async def rewards(self, delegator: str, *, min_height: int | None = None) -> Rewards:
        path = f"/delegators/{self._address(delegator)}/rewards"
        return Rewards.from_wire(await self._get(path, "distribution", min_height), "GET " + path)

    async def staking_pool(self) -> StakingPool:
        return StakingPool.from_wire(
            await self._get("/staking/pool", "staking"), "GET /staking/pool"
        )

    async def staking_params(self) -> Params:
        return Params.from_wire(
            await self._get("/staking/params", "staking"), "GET /staking/params"
        )

    async def community_pool(self) -> int:
        wire = await self._get("/distribution/community_pool", "distribution")
        amount = wire.get("amount") if isinstance(wire, dict) else wire
        return decode_amount(amount, "GET /distribution/community_pool: amount")

    # ---- governance reads -----------------------------------------------------------------

    async def proposals(self) -> list[Proposal]:
        wire = await self._get("/gov/proposals", "gov")
        return list_from_wire(Proposal, wire, "proposals", "GET /gov/proposals")

    async def proposal(self, proposal_id: int, *, min_height: int | None = None) -> Proposal:
        wire = await self._get(f"/gov/proposals/{int(proposal_id)}", "gov", min_height)
        return Proposal.from_wire(wire, "GET /gov/proposals/{id}")

    async def votes(self, proposal_id: int) -> list[Vote]:
        path = f"/gov/proposals/{int(proposal_id)}/votes"
        return list_from_wire(Vote, await self._get(path, "gov"), "votes", "GET " + path)

    async def tally(self, proposal_id: int) -> Tally:
        wire = await self._get(f"/gov/proposals/{int(proposal_id)}/tally", "gov")
        return Tally.from_wire(wire, "GET /gov/proposals/{id}/tally")

    async def gov_params(self) -> Params:
        return Params.from_wire(await self._get("/gov/params", "gov"), "GET /gov/params")

    # ---- campaign reads (simnet only) -----------------------------------------------------

    async def campaign(self) -> CampaignInfo:
        return CampaignInfo.from_wire(await self._get("/campaign", "campaign"), "GET /campaign")

    async def eligibility(self, address: str) -> Eligibility:
        path = f"/campaign/eligibility/{self._address(address)}"
        return Eligibility.from_wire(await self._get(path, "campaign"), "GET " + path)

    async def payouts(self) -> list[Payout]:
        wire = await self._get("/campaign/payouts", "campaign")
        return list_from_wire(Payout, wire, "payouts", "GET /campaign/payouts")

    # ---- messages -------------------------------------------------------------------------

    async def delegate(
        self, signer: Identity, validator: str, amount: int, **tx: Unpack[TxArgs]
    ) -> SubmitResult:
        """Bond `amount` AX to `validator`; as much sAX is minted to the signer."""
        return await self.submit(signer, [msgs.delegate(self._address(validator), amount)], **tx)

    async def undelegate(
        self, signer: Identity, validator: str, amount: int, **tx: Unpack[TxArgs]
    ) -> SubmitResult:
        """Start unbonding `amount`: it burns as much sAX now and pays AX back at the entry's
        completion height (`unbonding()`)."""
        msg = msgs.undelegate(self._address(validator), amount)
        return await self.submit(signer, [msg], **tx)

    async def redelegate(
        self, signer: Identity, src: str, dst: str, amount: int, **tx: Unpack[TxArgs]
    ) -> SubmitResult:
        msg = msgs.redelegate(self._address(src), self._address(dst), amount)
        return await self.submit(signer, [msg], **tx)

    async def withdraw_rewards(
        self, signer: Identity, validator: str, **tx: Unpack[TxArgs]
    ) -> SubmitResult:
        msg = msgs.withdraw_rewards(self._address(validator))
        return await self.submit(signer, [msg], **tx)

    async def withdraw_commission(self, signer: Identity, **tx: Unpack[TxArgs]) -> SubmitResult:
        """The signer's validator's accrued commission (the signer is its operator)."""
        return await self.submit(signer, [msgs.withdraw_commission()], **tx)

    async def edit_validator(
        self, signer: Identity, commission_ppm: int, **tx: Unpack[TxArgs]
    ) -> SubmitResult:
        return await self.submit(signer, [msgs.validator_edit(commission_ppm)], **tx)

    async def submit_proposal(
        self,
        signer: Identity,
        title: str,
        deposit: int,
        param: str = "",
        value: int = 0,
        **tx: Unpack[TxArgs],
    ) -> SubmitResult:
        """A text proposal, or (with `param`) one that sets `param` to `value` if it passes."""
        msg = msgs.submit_proposal(title, deposit, param, value)
        return await self.submit(signer, [msg], **tx)

    async def deposit(
        self, signer: Identity, proposal_id: int, amount: int, **tx: Unpack[TxArgs]
    ) -> SubmitResult:
        return await self.submit(signer, [msgs.gov_deposit(proposal_id, amount)], **tx)

    async def vote(
        self,
        signer: Identity,
        proposal_id: int,
        option: str | Mapping[str, int],
        **tx: Unpack[TxArgs],
    ) -> SubmitResult:
        """One option (`yes`, `no`, `abstain`, `no_with_veto`) or a split such as
        `{"yes": 700_000, "no": 300_000}` (ppm weights summing to 1_000_000)."""
        return await self.submit(signer, [msgs.gov_vote(proposal_id, option)], **tx)

    async def bridge_lock(
        self, signer: Identity, to: str, amount: int, withhold: bool = False, **tx: Unpack[TxArgs]
    ) -> SubmitResult:
        """Lock AX into the escrow for `to` (a dx address) on Delta; the relayer claims it
        after the relay delay unless `withhold`, which leaves it to time out and refund."""
        msg = outbound_msg("bridge.lock", to, DELTA_HRP, amount, withhold)
        return await self.submit(signer, [msg], **tx)


def _conforms(client: HttpAlphaClient) -> AlphaClient:
    """mypy checks here that the HTTP client implements the whole protocol."""
    return client
