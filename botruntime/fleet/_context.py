"""What a fleet's behaviours share: chain clients per node, fees, commit watchers, peers.

Behaviours see it through two small views: `Chains` (the clients a bot talks to, the other
bots of the run as payees, and the bot's crew: `_crews.py`) and `Intent` (one measured action,
in `_intent.py`).

Each bot is its own client to the network (`X-Client-Id` per bot, DESIGN §5) over one pool
per node: `ChainSide.client_for(bot)` is the node's client seen as that bot (`ClientIds`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from random import Random

from botruntime.bots.bot import Bot, ChainName
from botruntime.chain.alpha import AlphaClient, HttpAlphaClient
from botruntime.chain.delta import DeltaClient
from botruntime.fleet._alpha_book import AlphaBook
from botruntime.fleet._bridge import BridgeBook
from botruntime.fleet._commits import CommitWatcher
from botruntime.fleet._crews import Crews, CrewView
from botruntime.fleet._failover import NodeLiveness
from botruntime.fleet._reads import ReadMemory
from botruntime.fleet._recent import RecentTxs
from botruntime.fleet._streams import Subscription, Subscriptions
from botruntime.identity import Identity
from botruntime.metrics import Recorder
from botruntime.plan import RolePlan
from botruntime.wallet import Denom

__all__ = ["ChainSide", "Chains", "ClientIds", "FleetContext", "Peers", "alpha_client"]

ChainClient = AlphaClient | DeltaClient


@dataclass(frozen=True, slots=True)
class ClientIds:
    """Who each bot is to the network: the `X-Client-Id` its requests carry.

    A bot is its own client, `<run id>-bot<index>` (stable wherever the bot runs), as each user
    of a real network is; the bots of a role whose scenario says `client_id: shared` are one
    client, `<run id>-role-<role>` (a dApp backend, SCENARIOS.md R4), and share its limits.
    """

    run_id: str
    shared: Mapping[str, str] = field(default_factory=dict)  # role name -> the role's one id

    @classmethod
    def of(cls, run_id: str, roles: Iterable[RolePlan]) -> ClientIds:
        """The ids of a run whose roles are `roles` (the plan decided which share one)."""
        return cls(run_id, {r.name: r.shared_client_id for r in roles if r.shared_client_id})

    def __call__(self, bot: Bot) -> str:
        return self.shared.get(bot.role) or f"{self.run_id}-bot{bot.index}"


@dataclass(slots=True)
class ChainSide:
    """One chain as the fleet uses it."""

    name: ChainName
    clients: Sequence[ChainClient]  # one per node: bots spread over the nodes like users do
    watcher: CommitWatcher
    fee: int  # what a bot pays per tx: 2x the minimum for a typical transfer (§1.6)
    native: Denom
    # who each bot is to the network; the FleetContext this side joins sets it when None
    client_ids: ClientIds | None = None
    # the chain's fee schedule (GET /params): minimum fee = base + per_byte x canonical size
    min_fee_base: int = 0
    min_fee_per_byte: int = 0
    # one per node, pooling nothing: each request on a connection of its own, `Connection:
    # close` (R5's churners); empty when the fleet made none
    per_request: Sequence[ChainClient] = ()

    def min_fee(self, size_bytes: int) -> int:
        """The least fee the chain takes for a tx of `size_bytes` canonical bytes."""
        return self.min_fee_base + self.min_fee_per_byte * size_bytes

    def client_for(
        self, bot: Bot, *, node: int | None = None, keep_alive: bool = True
    ) -> ChainClient:
        """The client of `bot`'s node (or of `node`) whose requests carry the bot's own
        `X-Client-Id`: the node's one pool, another caller (`for_client`). `keep_alive=False`:
        the node's client that opens a connection per request instead."""
        if self.client_ids is None:
            raise RuntimeError("this ChainSide is not part of a FleetContext yet")
        clients = self.clients if keep_alive else self.per_request
        if not clients:
            raise RuntimeError(f"the {self.name} side has no client without keep-alive")
        client = clients[bot.index % len(clients) if node is None else node]
        return client.for_client(self.client_ids(bot))


def alpha_client(side: ChainSide, bot: Bot, *, keep_alive: bool = True) -> AlphaClient:
    """`side.client_for(bot)` on an Alpha side, typed as the Alpha client it is."""
    client = side.client_for(bot, keep_alive=keep_alive)
    if not isinstance(client, HttpAlphaClient):
        raise TypeError(f"the {side.name} side serves no Alpha client")
    return client


class Peers:
    """The run's bots as payees: any index of the run, its address derived on demand.

    A worker owns a slice of the bots but pays any bot of the run. A payee held by this
    process (`local`: index -> bot) answers with the bot's own address, derived once for the
    bot; another worker's is derived from the run seed (~45 µs) and the most recent
    `cache_size` addresses are kept (~150 B each). Without the local bots, a fleet of 100k
    bots paying each other uniformly derived a payee for nearly every intent.
    """

    def __init__(
        self,
        run_seed: str,
        total_bots: int,
        *,
        cache_size: int = 65_536,
        local: Mapping[int, Bot] | None = None,
    ) -> None:
        self.run_seed = run_seed
        self.total_bots = total_bots
        self._local: Mapping[int, Bot] = local or {}
        self._cache: OrderedDict[tuple[int, ChainName], str] = OrderedDict()
        self._cache_size = cache_size

    def choose(self, rng: Random, *, exclude: int) -> int:
        if self.total_bots < 2:
            raise ValueError("paying a peer needs at least 2 bots in the run")
        index = rng.randrange(self.total_bots - 1)
        return index + 1 if index >= exclude else index

    def identity(self, index: int) -> Identity:
        """The payee's identity (its public key and addresses; it signs only if local)."""
        bot = self._local.get(index)
        return bot.identity if bot is not None else Identity.derive(self.run_seed, index)

    def address(self, index: int, chain: ChainName) -> str:
        bot = self._local.get(index)
        if bot is not None:
            return bot.address(chain)
        key = (index, chain)
        found = self._cache.get(key)
        if found is None:
            identity = Identity.derive(self.run_seed, index)
            found = identity.alpha_address if chain == "alpha" else identity.delta_address
            self._cache[key] = found
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return found


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
    # what readers saw before (blocks, heights per node), to check the next read against
    reads: ReadMemory = field(default_factory=ReadMemory)
    # when each node last answered quickly: did a node holding a tx live long enough to pass
    # it on (senders that fail over between nodes, `_failover.py`)
    liveness: NodeLiveness = field(default_factory=NodeLiveness)
    # txs accepted by a node whose commit was never seen by the end of the drain
    lost: int = 0
    accepted: int = 0
    committed: int = 0
    # who each bot is to the network: every bot its own client unless given (`ClientIds.of`)
    client_ids: ClientIds | None = None
    # the crews among this fleet's bots and their in-process bus (`_crews.py`)
    crews: Crews | None = None
    # bridge transfers owed to this fleet's bots, each credited once
    bridge: BridgeBook = field(init=False)
    # what Alpha's staking and governance owe the bots beyond their txs' reservations
    alpha_book: AlphaBook = field(default_factory=AlphaBook)
    # the run's bot indices per role (the plan's allocation), for bots that split a duty
    role_bots: Mapping[str, range] = field(default_factory=dict)
    # asked before every tx is signed or sent: False while this process may not act for its
    # bots (a cluster worker's lapsed lease); None: always
    may_send: Callable[[], bool] | None = None
    # subscribers' event streams, open between their actions (closed by the fleet's close)
    subscriptions: Subscriptions = field(default_factory=Subscriptions)

    def __post_init__(self) -> None:
        self.bridge = BridgeBook(self.recorder, self.owners)
        if self.client_ids is None:
            self.client_ids = ClientIds(self.run_id)
        for side in self.sides.values():
            if side.client_ids is None:
                side.client_ids = self.client_ids


class Chains:
    """The clients one bot talks to (its node on each chain) and the run's other bots."""

    __slots__ = ("_bot", "_ctx")

    def __init__(self, ctx: FleetContext, bot: Bot) -> None:
        self._ctx = ctx
        self._bot = bot

    @property
    def alpha(self) -> AlphaClient:
        """The bot's Alpha node, with Alpha's modules (staking, governance, bridge)."""
        return alpha_client(self._ctx.sides["alpha"], self._bot)

    @property
    def alpha_per_request(self) -> AlphaClient:
        """The bot's Alpha node on a new connection per request, `Connection: close` (R5)."""
        return alpha_client(self._ctx.sides["alpha"], self._bot, keep_alive=False)

    @property
    def delta(self) -> ChainClient:
        return self._ctx.sides["delta"].client_for(self._bot)

    def side(self, chain: ChainName) -> ChainSide:
        return self._ctx.sides[chain]

    @property
    def peers(self) -> Peers:
        return self._ctx.peers

    @property
    def role_bots(self) -> range:
        """The run's bots of this bot's role (this bot alone when the plan is not known), so
        that bots sharing a duty can split it, e.g. oracle feeders their feeder keys."""
        found = self._ctx.role_bots.get(self._bot.role)
        return found if found is not None else range(self._bot.index, self._bot.index + 1)

    def bots_of(self, role: str) -> range:
        """The run's bots of `role` (empty when the run has none): payees of one kind, such
        as the merchants a customer pays."""
        return self._ctx.role_bots.get(role, range(0))

    @property
    def recent(self) -> RecentTxs:
        return self._ctx.recent

    @property
    def crew(self) -> CrewView | None:
        """This bot's crew (its mates and their bus), or None outside crews."""
        crews = self._ctx.crews
        return None if crews is None else crews.view(self._bot)

    @property
    def bridge(self) -> BridgeBook:
        return self._ctx.bridge

    @property
    def reads(self) -> ReadMemory:
        return self._ctx.reads

    @property
    def liveness(self) -> NodeLiveness:
        return self._ctx.liveness

    @property
    def alpha_book(self) -> AlphaBook:
        return self._ctx.alpha_book

    @property
    def subscription(self) -> Subscription:
        """This bot's event stream and what it has seen of it (kept between its actions)."""
        return self._ctx.subscriptions.of(self._bot.index)
