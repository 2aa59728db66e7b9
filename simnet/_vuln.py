"""Vulnerable-mode switches (SCENARIOS.md §8): each removes exactly one defence when on.

All are off by default. They are set only by `--vuln NAME` at start or `PUT /simnet/vuln`, and
each is read in one place (`vulns.on("name")`), so a switch is a single local branch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

__all__ = ["SWITCHES", "UnknownSwitch", "Vulns"]

SWITCHES: Final[Mapping[str, str]] = {
    "mempool_drop": "silently drops 1 % of admitted txs",
    "fee_leak": "fee debited from the sender but never credited to the fee collector",
    "mempool_unbounded_fifo": "no mempool cap, no per-sender cap, FIFO order, no mempool_full",
    "nonce_not_enforced": "nonce neither checked nor advanced; committed txs may be replayed",
    "chain_id_unsigned": "chain id and address prefix not bound by the signature",
    "noncanonical_hash": "tx hash over the submitted encoding, not the canonical one",
    "deliver_trusts_checktx": "execution skips nonce/balance re-check; proposer merges all nodes",
    "no_size_limits": "no body, tx or memo size limits",
    "free_dust_accounts": "no dust limit, no account creation fee",
    "lenient_decode": "unknown fields, float and negative amounts accepted",
    "no_load_shedding": "unbounded request queue, no 503 and no Retry-After",
    "one_pending_per_sender": "future nonces rejected",
    "future_queue_unbounded": "no cap or TTL on future-nonce txs",
    "no_gap_promotion": "queued future txs not re-checked when the gap fills",
    "no_rate_limit": "no per-client quotas",
    "no_conn_limits": "no idle timeout, unlimited connections and requests per connection, "
    "half-closed sockets leaked",
    "stale_reads": "a lagging node ignores X-Min-Height and omits X-Height",
    "no_mempool_gossip": "txs stay in the receiving node's mempool",
    "mempool_view_full": "pending tx bodies are public in GET /mempool",
    "k_leak_rounding": "swap output and minted LP shares rounded up, against the pool",
    "min_out_ignored": "a swap's min_out is not enforced",
    "funding_one_sided": "funding charged to payers but not paid to receivers",
    "liquidation_throttle": "at most 1 protocol liquidation per block",
    "withdraw_unchecked": "margin withdrawal without the initial-margin check",
    "oracle_spot_unguarded": "oracle = thin-pool spot, no median/TWAP/guards; unrealised PnL "
    "withdrawable",
    "no_insurance_no_adl": "no insurance fund cover and no auto-deleveraging of a deficit",
    "offset_pagination": "GET /txs?address pages by offset over the newest-first list",
    "leak_index": "GET /txs?address scans every committed block instead of the address index",
    "stream_lossy": "the event stream silently skips ahead for a consumer that falls behind",
    "unbonding_double_release": "AX paid at undelegate and again at maturity",
    "sax_unbacked_mint": "sAX minted on redelegate",
    "gov_revote_double_count": "a changed vote is added to the tally instead of replacing",
    "bridge_no_once": "bridge claims are not marked processed; a replayed claim mints again",
    "sybil_per_address_only": "campaign and faucet quotas per address, no clustering by funding",
}


class UnknownSwitch(ValueError):
    """A switch name that is not in the registry."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown vulnerable-mode switch {name!r}; one of {sorted(SWITCHES)}")
        self.name = name


class Vulns:
    """The set of switches that are on."""

    __slots__ = ("_on",)

    def __init__(self, names: Iterable[str] = ()) -> None:
        self._on: set[str] = set()
        self.enable(names)

    def on(self, name: str) -> bool:
        return name in self._on

    def enable(self, names: Iterable[str]) -> None:
        names = list(names)
        for name in names:
            if name not in SWITCHES:
                raise UnknownSwitch(name)
        self._on.update(names)

    def disable(self, names: Iterable[str]) -> None:
        names = list(names)
        for name in names:
            if name not in SWITCHES:
                raise UnknownSwitch(name)
        self._on.difference_update(names)

    def set_exactly(self, names: Iterable[str]) -> None:
        names = list(names)
        self.enable(names)
        self._on = set(names)

    @property
    def active(self) -> list[str]:
        return sorted(self._on)
