"""What a fleet's behaviours share: chain clients per node, fees, commit watchers, peers.

Behaviours see it through two small views: `Chains` (the clients a bot talks to, and the
other bots of the run as payees) and `Intent` (one measured action, in `_intent.py`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from random import Random

from botruntime.bots.bot import Bot, ChainName
from botruntime.chain.alpha import AlphaClient
from botruntime.chain.delta import DeltaClient
from botruntime.fleet._commits import CommitWatcher
from botruntime.fleet._recent import RecentTxs
from botruntime.identity import Identity
from botruntime.metrics import Recorder
from botruntime.wallet import Denom

__all__ = ["ChainSide", "Chains", "FleetContext", "Peers"]

ChainClient = AlphaClient | DeltaClient


@dataclass(slots=True)
class ChainSide:
    """One chain as the fleet uses it."""

    name: ChainName
    clients: Sequence[ChainClient]  # one per node: bots spread over the nodes like users do
    watcher: CommitWatcher
    fee: int  # what a bot pays per tx: 2x the minimum for a typical transfer (§1.6)
    native: Denom

    def client_for(self, bot: Bot) -> ChainClient:
        return self.clients[bot.index % len(self.clients)]


class Peers:
    """The run's bots as payees: any index of the run, its addresses derived on demand.

    A worker owns a slice of the bots but pays any bot of the run, so payees are derived from
    the run seed (~45 µs each) and the most recent few thousand are kept.
    """

    def __init__(self, run_seed: str, total_bots: int, *, cache_size: int = 4096) -> None:
        self.run_seed = run_seed
        self.total_bots = total_bots
        self._cache: OrderedDict[int, Identity] = OrderedDict()
        self._cache_size = cache_size

    def choose(self, rng: Random, *, exclude: int) -> int:
        if self.total_bots < 2:
            raise ValueError("paying a peer needs at least 2 bots in the run")
        index = rng.randrange(self.total_bots - 1)
        return index + 1 if index >= exclude else index

    def identity(self, index: int) -> Identity:
        found = self._cache.get(index)
        if found is None:
            found = self._cache[index] = Identity.derive(self.run_seed, index)
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(index)
        return found

    def address(self, index: int, chain: ChainName) -> str:
        identity = self.identity(index)
        return identity.alpha_address if chain == "alpha" else identity.delta_address


@dataclass(slots=True)
class FleetContext:
    run_id: str
    recorder: Recorder
    sides: dict[ChainName, ChainSide]
    peers: Peers
    # reject codes that are the defence working in this scenario (SCENARIOS §1.3), not errors
    expected_codes: frozenset[str] = frozenset()
    commit_timeout_s: float = 20.0
    # bots of this fleet by address, to credit what they receive (the recipient's shadow ledger)
    owners: dict[str, Bot] = field(default_factory=dict)
    # bounded rings of recently committed and submitted txs (what replayers copy)
    recent: RecentTxs = field(default_factory=RecentTxs)
    # txs accepted by a node whose commit was never seen by the end of the drain
    lost: int = 0
    accepted: int = 0
    committed: int = 0


class Chains:
    """The clients one bot talks to (its node on each chain) and the run's other bots."""

    __slots__ = ("_bot", "_ctx")

    def __init__(self, ctx: FleetContext, bot: Bot) -> None:
        self._ctx = ctx
        self._bot = bot

    @property
    def alpha(self) -> ChainClient:
        return self._ctx.sides["alpha"].client_for(self._bot)

    @property
    def delta(self) -> ChainClient:
        return self._ctx.sides["delta"].client_for(self._bot)

    def side(self, chain: ChainName) -> ChainSide:
        return self._ctx.sides[chain]

    @property
    def peers(self) -> Peers:
        return self._ctx.peers

    @property
    def recent(self) -> RecentTxs:
        return self._ctx.recent
