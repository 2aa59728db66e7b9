"""The vulnerable-mode registry of SCENARIOS.md §8: every simnet switch a criterion may kill.

A criterion's `kills` must name switches from this table; adding a defence to simnet means
adding its switch here and naming the criterion that must kill it.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

__all__ = ["VULN_SWITCHES"]

# switch -> the defence it removes (SCENARIOS.md §8, in the catalogue's order)
VULN_SWITCHES: Final = MappingProxyType(
    {
        "mempool_drop": "silently drops 1 % of admitted txs",
        "fee_leak": "fee debited but not credited",
        "mempool_unbounded_fifo": "no mempool cap, no per-sender cap, FIFO order, no 429",
        "unbonding_double_release": "AX paid at undelegate and again at maturity",
        "sax_unbacked_mint": "sAX minted on redelegate",
        "gov_revote_double_count": "changed vote added instead of replaced",
        "offset_pagination": "offset paging over growing lists",
        "stale_reads": "lagging node ignores X-Min-Height, omits X-Height",
        "k_leak_rounding": "swap output rounded up",
        "min_out_ignored": "min_out not enforced",
        "funding_one_sided": "funding charged, not paid out",
        "liquidation_throttle": "at most 1 liquidation per block",
        "withdraw_unchecked": "margin withdrawal without initial-margin check",
        "bridge_no_once": "claims not marked processed",
        "leak_index": "unbounded per-tx index with linear scans",
        "no_mempool_gossip": "txs stay in the receiving node's mempool",
        "nonce_not_enforced": "nonce neither checked nor advanced",
        "chain_id_unsigned": "chain id not in the sign-doc",
        "noncanonical_hash": "hash over raw submitted bytes",
        "deliver_trusts_checktx": "execution skips nonce/balance re-check",
        "no_size_limits": "no body, tx or memo size limits",
        "free_dust_accounts": "no dust limit, no account creation fee",
        "lenient_decode": "unknown fields, float and negative amounts accepted",
        "mempool_view_full": "pending tx bodies public",
        "oracle_spot_unguarded": "oracle = thin-pool spot, no median/TWAP/guards",
        "no_insurance_no_adl": "no insurance fund, no auto-deleveraging",
        "sybil_per_address_only": "campaign and faucet quotas per address, no clustering",
        "no_load_shedding": "unbounded request queue, no 429/503/Retry-After",
        "one_pending_per_sender": "future nonces rejected",
        "future_queue_unbounded": "no cap or TTL on future-nonce txs",
        "no_gap_promotion": "queued txs not re-checked when the gap fills",
        "no_rate_limit": "no per-client quotas",
        "stream_lossy": "events silently dropped for slow consumers",
        "no_conn_limits": "no idle timeout, unlimited connections, half-closed sockets leaked",
    }
)
