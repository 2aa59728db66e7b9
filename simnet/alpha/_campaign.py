"""The reward campaign (simnet only, A8): epochs, eligibility, payouts, per-cluster limits.

Each epoch of `campaign_epoch_blocks` Alpha blocks pays `campaign_reward` AX to every eligible
address, from a budget minted at genesis into the `campaign` account, while it lasts. An
address is eligible with at least `campaign_min_txs` committed txs this epoch in at least
`campaign_min_modules` modules (bank, staking, gov, dex, ...) on either chain (one key, both
prefixes), an account older than `campaign_min_age_blocks` and `campaign_min_balance` AX.
Addresses cluster by funding: an address's funder is whoever sent it its first funds; two
addresses whose funder chains meet within `campaign_cluster_hops` hops share a root and are
one cluster, which is paid at most `campaign_cluster_payouts` times per epoch. Eligible
addresses are paid oldest first. The same root is the address's funding source for the
faucet's per-source quota (`faucet_source`, on both chains). `sybil_per_address_only` turns
clustering off: each address is its own cluster and the faucet enforces its quota per
address only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from botruntime.chain.tx import JsonValue
from botruntime.identity import ALPHA_HRP, parse_address
from simnet._chain import Chain
from simnet._entry import Entry
from simnet._module import Check, Module
from simnet.alpha._params import AlphaParams
from simnet.alpha._wire import from_record, integer, record, state_of, versioned

__all__ = ["CAMPAIGN", "Activity", "AxName", "Campaign", "CampaignObserver", "Payout"]

CAMPAIGN: Final = "campaign"


@dataclass(slots=True)
class Activity:
    txs: int = 0
    modules: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class Payout:
    epoch: int
    address: str
    cluster: str
    amount: int
    height: int


class Campaign(Module):
    name = "campaign"

    def __init__(self, alpha: Chain, params: AlphaParams) -> None:
        self.chain = alpha
        self.params = params
        self.first_seen: dict[str, int] = {}  # ax address -> height first funded
        self.funder: dict[str, str] = {}  # ax address -> ax address of its first funder
        self.activity: dict[str, Activity] = {}  # this epoch
        self.payouts: list[Payout] = []
        self.epoch = 0
        alpha.ledger.mint_module(CAMPAIGN, "AX", params.campaign_budget)
        self.budget = params.campaign_budget

    @property
    def paid(self) -> int:
        return sum(p.amount for p in self.payouts)

    def root(self, address: str) -> str:
        """The cluster the campaign pays `address` as: its funding source, or the address
        alone under `sybil_per_address_only`."""
        if self.chain.vulns.on("sybil_per_address_only"):
            return address
        return self.source(address)

    def source(self, address: str) -> str:
        """The funding source of `address` (an `ax` address): its funder chain's top within the
        hop limit. The faucet's per-source quota and `faucet/quota` use it whatever the
        switches say; only the enforcement is switched off."""
        node = address
        for _ in range(self.params.campaign_cluster_hops):
            funder = self.funder.get(node)
            if funder is None:
                break
            node = funder
        return node

    def eligibility(self, address: str, height: int) -> tuple[bool, list[str]]:
        """Whether `address` qualifies now, and what it lacks."""
        p = self.params
        act = self.activity.get(address, Activity())
        missing: list[str] = []
        if act.txs < p.campaign_min_txs:
            missing.append(f"{act.txs} txs this epoch, needs {p.campaign_min_txs}")
        if len(act.modules) < p.campaign_min_modules:
            missing.append(f"{len(act.modules)} modules used, needs {p.campaign_min_modules}")
        age = height - self.first_seen.get(address, 0)
        if age < p.campaign_min_age_blocks:
            missing.append(f"account age {age} blocks, needs {p.campaign_min_age_blocks}")
        balance = self.chain.ledger.balance(address, "AX")
        if balance < p.campaign_min_balance:
            missing.append(f"balance {balance} AX, needs {p.campaign_min_balance}")
        return not missing, missing

    def observe(self, new: Sequence[str], taken: Sequence[Entry], height: int, ax: AxName) -> None:
        """Record new accounts, their funders and this block's activity (either chain)."""
        fresh = set(new)
        for address in new:
            self.first_seen.setdefault(ax(address), height)
        activity = self.activity
        for entry in taken:
            sender = ax(entry.sender)
            act = activity.get(sender)
            if act is None:
                act = activity[sender] = Activity()
            act.txs += 1
            msgs = entry.msgs
            act.modules.add(str(msgs[0]["type"]).partition(".")[0] if msgs else "bank")
            if fresh:  # most blocks fund no new account
                for to, _, _ in entry.transfers:
                    if to in fresh:
                        self.funder.setdefault(ax(to), sender)

    def end_block(self, height: int, taken: Sequence[Entry]) -> None:
        if height % self.params.campaign_epoch_blocks:
            return
        reward = self.params.campaign_reward
        candidates = sorted(
            (a for a in self.activity if self.eligibility(a, height)[0]),
            key=lambda a: (self.first_seen.get(a, 0), a),
        )
        per_cluster: dict[str, int] = {}
        ledger = self.chain.ledger
        for address in candidates:
            cluster = self.root(address)
            if per_cluster.get(cluster, 0) >= self.params.campaign_cluster_payouts:
                continue
            if self.budget - self.paid < reward:
                break
            per_cluster[cluster] = per_cluster.get(cluster, 0) + 1
            ledger.add_module(CAMPAIGN, "AX", -reward)
            ledger.add(address, "AX", reward)
            self.payouts.append(Payout(self.epoch, address, cluster, reward, height))
        self.epoch += 1
        self.activity = {}

    # ---- export / import -----------------------------------------------------------------------

    def to_wire(self) -> JsonValue:
        return versioned(
            {
                "epoch": self.epoch,
                "budget": str(self.budget),
                "first_seen": dict(self.first_seen),
                "funder": dict(self.funder),
                "activity": {a: [x.txs, [*sorted(x.modules)]] for a, x in self.activity.items()},
                "payouts": [record(p) for p in self.payouts],
            }
        )

    def load_wire(self, wire: JsonValue) -> None:
        data = state_of(wire, self.name)
        self.epoch = integer(data["epoch"], "epoch")
        self.budget = integer(data["budget"], "budget")
        self.first_seen = {str(a): integer(h, "first_seen") for a, h in data["first_seen"].items()}
        self.funder = {str(a): str(f) for a, f in data["funder"].items()}
        self.activity = {
            str(a): Activity(integer(txs, "activity"), {str(m) for m in modules})
            for a, (txs, modules) in data["activity"].items()
        }
        self.payouts = [from_record(Payout, w) for w in data["payouts"]]

    # ---- invariants ----------------------------------------------------------------------------

    def invariants(self) -> Mapping[str, Check]:
        return {"campaign/payout-bound": self._payout_bound, "faucet/quota": self._faucet}

    def _payout_bound(self) -> str | None:
        held = self.chain.ledger.modules.get(CAMPAIGN, {}).get("AX", 0)
        if self.paid > self.budget or held != self.budget - self.paid:
            return f"paid {self.paid} of a {self.budget} budget; the account holds {held}"
        keys = [(p.epoch, p.address) for p in self.payouts]
        if len(keys) != len(set(keys)):
            return "an address was paid twice in one epoch"
        return None

    def _faucet(self) -> str | None:
        quota = self.chain.params.faucet_quota
        for (address, denom), drawn in self.chain.faucet_drawn.items():
            if drawn > quota:
                return f"{address} drew {drawn} {denom} from the faucet, quota {quota}"
        source_quota = self.chain.params.faucet_source_quota
        for (source, denom), drawn in self.chain.faucet_source_drawn.items():
            if drawn > source_quota:
                return (
                    f"the addresses funded by {source} drew {drawn} {denom} from the faucet, "
                    f"quota per funding source {source_quota}"
                )
        return None


class AxName:
    """An address in its `ax` form, cached: bech32 costs more than the rest of a tx here."""

    def __init__(self) -> None:
        self._cache: dict[str, str] = {}

    def __call__(self, address: str) -> str:
        if address.startswith(ALPHA_HRP + "1"):
            return address
        name = self._cache.get(address)
        if name is None:
            if len(self._cache) > 1_000_000:
                self._cache.clear()
            name = self._cache[address] = parse_address(address).encode(ALPHA_HRP)
        return name


class CampaignObserver(Module):
    """Feeds one chain's new accounts and committed txs to the campaign."""

    name = "campaign-observer"

    def __init__(self, chain: Chain, campaign: Campaign, ax: AxName) -> None:
        self.chain = chain
        self.campaign = campaign
        self.ax = ax
        self.seen: set[str] | None = None

    def begin_block(self, height: int) -> None:
        if self.seen is None:  # the genesis accounts: age from height 0, no funder
            self.seen = set(self.chain.ledger.accounts)
            for address in self.seen:
                self.campaign.first_seen.setdefault(self.ax(address), 0)

    def to_wire(self) -> JsonValue:
        """Which accounts the campaign has not seen yet (almost always none): the rest of
        `seen` is every account of the ledger, so it need not travel."""
        if self.seen is None:
            return versioned({"started": False, "unseen": []})
        unseen = sorted(a for a in self.chain.ledger.accounts if a not in self.seen)
        return versioned({"started": True, "unseen": list[JsonValue](unseen)})

    def load_wire(self, wire: JsonValue) -> None:
        data = state_of(wire, self.name)
        unseen = {str(a) for a in data["unseen"]}
        started = data["started"]
        if not isinstance(started, bool):
            raise ValueError(f"modules.{self.name}.started: expected true or false")
        self.seen = {a for a in self.chain.ledger.accounts if a not in unseen} if started else None

    def end_block(self, height: int, taken: Sequence[Entry]) -> None:
        assert self.seen is not None
        new = [a for a in self.chain.ledger.touched if a not in self.seen]
        self.seen.update(new)
        self.campaign.observe(new, taken, height, self.ax)
