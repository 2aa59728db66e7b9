"""The network's parameters: SCENARIOS.md §1.6, the default profile, and the two chains."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from typing import Final

from botruntime.chain.tx import Denom
from botruntime.identity import ALPHA_HRP, DELTA_HRP

__all__ = ["ALPHA", "DELTA", "ChainSpec", "Params", "chain_specs", "simnet_version"]

MIB: Final = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ChainSpec:
    """What tells Alpha and Delta apart: name, chain id, address prefix and denoms."""

    name: str
    chain_id: str
    hrp: str
    native: str  # fees are paid in this denom
    denoms: frozenset[str]


ALPHA: Final = ChainSpec(
    "alpha",
    "alpha-simnet-1",
    ALPHA_HRP,
    Denom.AX.value,
    frozenset({Denom.AX.value, Denom.SAX.value}),
)
DELTA: Final = ChainSpec(
    "delta",
    "delta-simnet-1",
    DELTA_HRP,
    Denom.DX.value,
    frozenset({Denom.DX.value, Denom.BAX.value}),
)


def chain_specs(chain_suffix: int = 1) -> tuple[ChainSpec, ChainSpec]:
    """Alpha and Delta with `--chain-suffix` as the trailing number of their chain ids."""
    if chain_suffix < 0:
        raise ValueError(f"--chain-suffix is a number >= 0, got {chain_suffix}")
    alpha = ChainSpec(
        "alpha", f"alpha-simnet-{chain_suffix}", ALPHA.hrp, ALPHA.native, ALPHA.denoms
    )
    delta = ChainSpec(
        "delta", f"delta-simnet-{chain_suffix}", DELTA.hrp, DELTA.native, DELTA.denoms
    )
    return alpha, delta


@dataclass(frozen=True, slots=True)
class Params:
    """Consensus, mempool, fee and API parameters (SCENARIOS.md §1.6 defaults)."""

    nodes: int = 4
    block_time_s: float = 1.0
    gossip_delay_s: float = 0.05
    # blocks
    max_block_txs: int = 500
    max_block_bytes: int = MIB
    # mempool
    mempool_max_txs: int = 5_000
    mempool_max_bytes: int = 16 * MIB
    max_tx_bytes: int = 16 * 1024
    max_pending_per_sender: int = 32
    future_window: int = 16
    mempool_ttl_blocks: int = 20
    seen_cache_size: int = 10_000
    replace_fee_bump_pct: int = 10
    # fees and state: min fee = min_fee_base + min_fee_per_byte * canonical tx size
    min_fee_base: int = 500
    min_fee_per_byte: int = 1
    dust_limit: int = 1_000
    account_creation_fee: int = 10_000
    client_tx_id_window_blocks: int = 100
    # faucet: what one address may draw in total, per denom, and what all the addresses of one
    # funding source (their common funder, SCENARIOS.md A8) may draw together
    faucet_quota: int = 100_000_000
    faucet_source_quota: int = 200_000_000
    # API limits, keyed by X-Client-Id
    reads_per_s: float = 50.0
    reads_burst: int = 100
    txs_per_s: float = 100.0
    txs_burst: int = 200
    max_connections: int = 1_024
    keepalive_idle_s: int = 30
    max_requests_per_connection: int = 1_000
    max_body_bytes: int = MIB
    admission_queue: int = 256
    commit_wait_s: float = 30.0
    # invariants: full-iteration checks every N blocks
    invariant_full_every: int = 10
    history_blocks: int = 256

    def __post_init__(self) -> None:
        if self.nodes < 1 or self.nodes > 50:
            raise ValueError(f"--nodes is 1 .. 50 (ports of Delta start at +50), got {self.nodes}")
        if self.block_time_s <= 0:
            raise ValueError(f"--block-time is > 0 seconds, got {self.block_time_s}")
        if self.keepalive_idle_s < 1:
            raise ValueError(f"--keepalive-idle-s is >= 1 second, got {self.keepalive_idle_s}")
        if self.max_requests_per_connection < 1:
            raise ValueError(
                f"--max-requests-per-connection is >= 1, got {self.max_requests_per_connection}"
            )

    def to_wire(self) -> dict[str, int | float]:
        return asdict(self)


@cache
def simnet_version() -> str:
    """What `/status` reports as `version`: the testbots distribution simnet ships in (a
    capacity measured on one version of simnet says nothing about another)."""
    try:
        return version("testbots")
    except PackageNotFoundError:
        return "unknown"
