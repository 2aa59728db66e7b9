"""A compiled run plan: everything a run does, decided once, read by everyone downstream.

`compile_plan` (in `_compile.py`) turns a `PlanSource` (the scenario document, size, seed,
target, switches, run id) into a frozen `RunPlan`: bots per role, each role's arrival plan or
closed-loop sessions, behaviours and weights, funding, duration and loss policy. The
coordinator, the workers, the fleet and the report all read that plan; nobody re-derives any
of it from the YAML. A run travels as its `PlanSource` (small, plain text) and its
`fingerprint`: a process that receives it compiles it once and checks the fingerprint, so two
processes can never disagree about a run without saying so.

A worker's part of a run is `plan.part(bots, share)`: its bots, and for each role the share
of the role's plan that those bots carry (`ShareLevel`s nest when a lost worker's part is
split again over the survivors). The parts over any placement add up to the whole plan.

Crews: roles that must coordinate (a sandwich watcher and its front- and back-runners, a
manipulator and its feeder) name a crew, and the bots of one crew always run on one worker.
They talk over the worker's in-process bus (`botruntime.bots.bus`, reached from a behaviour
as `chains.crew`), never through the coordinator: DESIGN §6 keeps the coordinator the control
plane, off the per-action hot path, and a sandwich must land inside one block time, which a
coordinator round trip per message would spend. So placement keeps crews whole, here, where
bots are allocated: the run's bots form `segments` — the roles outside crews, then each crew
block (`Scenario.crew_blocks`: crew after crew, each role holding every k-th bot) — and
placement cuts a crew block only at crew boundaries (`Segment.unit`), in proportion to each
worker's capacity, so every worker that holds part of a crew block holds whole crews, its
watchers with their runners. A role's bots may therefore be a strided range; shares are
still split by how many of a role's bots each part holds, so the merged parts equal the plan.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from botruntime.load import ArrivalPlan, SessionPlan, SessionRange, Share
from botruntime.plan._target import Target
from botruntime.scenario import Scenario, Size
from botruntime.wallet import Denom

__all__ = [
    "CrewPlan",
    "PlanPart",
    "PlanSource",
    "RolePart",
    "RolePlan",
    "RoleShare",
    "RunPlan",
    "Segment",
    "ShareLevel",
    "WorkerLossPolicy",
]

WorkerLossPolicy = Literal["fail", "rebalance", "continue"]


@dataclass(frozen=True, slots=True)
class ShareLevel:
    """One split of a run's bots and plan: take part `index` of the split by `weights`
    (positive integers: the bots each part carries, in bot-index order)."""

    index: int
    weights: tuple[int, ...]

    def __post_init__(self) -> None:
        if not 0 <= self.index < len(self.weights):
            raise ValueError(f"share index {self.index} is outside weights {self.weights}")
        if any(w <= 0 for w in self.weights):
            raise ValueError(f"share weights must be positive integers, got {self.weights}")


@dataclass(frozen=True, slots=True)
class Segment:
    """Bots placement may cut only every `unit` bots: 1 outside crews, the crew size in a
    crew block (so a cut never separates a crew's members)."""

    bots: range
    unit: int = 1


@dataclass(frozen=True, slots=True)
class CrewPlan:
    """One crew name of the run: its roles (one bot of each per crew) and its block of bots."""

    name: str
    roles: tuple[str, ...]
    bots: range

    @property
    def size(self) -> int:
        return len(self.roles)

    def crew_of(self, bot: int) -> int | None:
        """Which crew of the block `bot` belongs to (None outside the block)."""
        return (bot - self.bots.start) // self.size if bot in self.bots else None

    def member(self, crew: int, role: str) -> int:
        """The bot index of `role` in crew number `crew`."""
        return self.bots.start + crew * self.size + self.roles.index(role)


@dataclass(frozen=True, slots=True)
class PlanSource:
    """What a plan is compiled from; the form in which a run travels between processes."""

    scenario_yaml: str
    size: str
    seed: str  # the run seed ("" = the scenario's own)
    target: Target
    run_id: str
    switches: tuple[str, ...] = ()
    scenario_name: str = "scenario.yaml"  # what errors call the document (its file name)
    base_dir: str = "."  # where a trace load's file is read from (the scenario's folder)
    # C_tx of the target and version, in tx/s, when a load gives rates as fractions of it:
    # looked up by the run's setup (capacity_ramp's latest result), never by the compiler
    capacity_tx_per_s: float | None = None

    def fingerprint(self, files_digest: str = "") -> str:
        """sha256 over every input, with `files_digest` over the files the plan read (trace
        loads): equal fingerprints compile to equal plans (C_tx included: it sets rates).
        `scenario_name` and `base_dir` only say where things came from, so they are not in
        it."""
        digest = hashlib.sha256()
        for part in (
            files_digest,
            self.scenario_yaml,
            self.size,
            self.seed,
            *self.target.wire(),
            self.run_id,
            *self.switches,
            "" if self.capacity_tx_per_s is None else repr(self.capacity_tx_per_s),
        ):
            digest.update(part.encode("utf-8"))
            digest.update(b"\x00")
        return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class RolePlan:
    name: str
    group: str
    bots: range  # the role's bot indices in the run
    behaviours: tuple[str, ...]
    weights: tuple[int, ...]
    load: ArrivalPlan | Share | SessionPlan  # open loop: arrivals; closed loop: sessions
    max_in_flight_per_bot: int
    expected_rejects: frozenset[str]
    # the X-Client-Id every bot of the role shares (a dApp backend), or None: one per bot
    shared_client_id: str | None = None

    @property
    def closed(self) -> bool:
        return isinstance(self.load, SessionPlan)

    def share_of(
        self, run_bots: int, levels: Sequence[ShareLevel], from_s: float, held: range | None = None
    ) -> RoleShare:
        """The role's load carried by the part of the run that `levels` name (and that holds
        the bots `held`, by default all of that part's).

        Each level splits the run's bots into contiguous parts by its weights. Arrivals are
        split over the parts that hold bots of the role, by how many they hold, so every
        arrival lands where a bot of the role can take it. Session i of a closed loop belongs
        to one bot of its own (`session_bot`), so a part runs the sessions of its bots."""
        span = range(run_bots)
        if isinstance(self.load, SessionPlan):
            for level in levels:
                span = _consecutive(span, level.weights)[level.index]
            if held is not None:
                span = range(max(span.start, held.start), min(span.stop, held.stop))
            return self._sessions_on(span)
        share = self.load if isinstance(self.load, Share) else self.load.whole()
        for level in levels:
            parts = _consecutive(span, level.weights)
            counts = [_overlap(self.bots, part) for part in parts]
            if counts[level.index] == 0:
                return share.before(0.0)
            nonzero = [count for count in counts if count]
            share = share.split(nonzero)[sum(1 for count in counts[: level.index] if count)]
            span = parts[level.index]
        return share.after(from_s)

    def session_bot(self, session: int) -> int:
        """The run's bot index that plays session `session` (spread evenly over the role)."""
        assert isinstance(self.load, SessionPlan)
        return self.bots[session * len(self.bots) // self.load.sessions]

    def _sessions_on(self, span: range) -> SessionRange:
        """The sessions whose bot is in `span`: a contiguous range, as session_bot is
        monotonic; never more sessions than bots, as a role has at most one per bot."""
        assert isinstance(self.load, SessionPlan)
        n, sessions = len(self.bots), self.load.sessions
        lo = _rank(self.bots, span.start)
        hi = max(_rank(self.bots, span.stop), lo)
        return SessionRange(self.load, -(-lo * sessions // n), -(-hi * sessions // n))


RoleShare = Share | SessionRange


def _consecutive(span: range, weights: Sequence[int]) -> list[range]:
    out, start = [], span.start
    for weight in weights:
        out.append(range(start, start + weight))
        start += weight
    return out


def _rank(bots: range, index: int) -> int:
    """How many of `bots` (a range with a positive step) are below `index`."""
    if index <= bots.start:
        return 0
    return min(len(bots), -(-(index - bots.start) // bots.step))


def _overlap(bots: range, part: range) -> int:
    """How many of `bots` lie in the contiguous `part`."""
    return max(0, _rank(bots, part.stop) - _rank(bots, part.start))


def within(bots: range, part: range) -> range:
    """The members of `bots` (possibly strided) that lie in the contiguous `part`."""
    lo = _rank(bots, part.start)
    return bots[lo : max(lo, _rank(bots, part.stop))]


def _empty(share: RoleShare) -> RoleShare:
    if isinstance(share, Share):
        return share.before(0.0)
    return SessionRange(share.plan, share.first, share.first)


@dataclass(frozen=True, slots=True)
class RolePart:
    role: RolePlan
    bots: range  # this part's bots of the role (may be empty)
    load: RoleShare  # this part's arrivals or sessions of the role


@dataclass(frozen=True, slots=True)
class RunPlan:
    source: PlanSource
    fingerprint: str
    scenario: Scenario
    scenario_hash: str
    size: Size
    seed: str
    funding: Mapping[Denom, int]  # what each bot holds at genesis: its spend cap per denom
    spend_total: Mapping[Denom, int]
    roles: tuple[RolePlan, ...]
    duration_s: float  # offset 0 to the end of the longest role's plan, drain included
    on_worker_loss: WorkerLossPolicy
    block_time_s: float  # the scenario's simnet block time, or 1 s
    files_digest: str = ""  # sha256 over the files the plan read (trace loads), in role order
    crews: tuple[CrewPlan, ...] = ()  # after the roles outside crews, in this order
    _by_name: Mapping[str, RolePlan] = field(default_factory=dict, repr=False, compare=False)

    @property
    def run_id(self) -> str:
        return self.source.run_id

    @property
    def size_name(self) -> str:
        return self.source.size

    @property
    def target(self) -> Target:
        return self.source.target

    @property
    def switches(self) -> tuple[str, ...]:
        return self.source.switches

    @property
    def bots(self) -> int:
        return self.size.bots

    def role(self, name: str) -> RolePlan:
        return self._by_name[name]

    def segments(self) -> tuple[Segment, ...]:
        """The run's bots as placement may cut them: the roles outside crews, then each crew
        block cut only between whole crews (see the module docstring)."""
        first = self.crews[0].bots.start if self.crews else self.bots
        found = [Segment(range(0, first))] if first else []
        found += [Segment(crew.bots, crew.size) for crew in self.crews]
        return tuple(found)

    def crew_of(self, bot: int) -> tuple[CrewPlan, int] | None:
        """The crew plan and crew number `bot` plays in, if any."""
        for crew in self.crews:
            number = crew.crew_of(bot)
            if number is not None:
                return crew, number
        return None

    def __reduce__(self) -> tuple[object, tuple[PlanSource]]:
        """A plan travels as its source: the receiving process compiles it once."""
        from botruntime.plan._compile import compile_plan  # the compiler builds plans

        return compile_plan, (self.source,)

    def on(self, target: Target) -> RunPlan:
        """The same plan pointed at `target` (simnet's URLs, known once it has started): the
        scenario is not parsed again, the fingerprint covers the new target."""
        source = replace(self.source, target=target)
        return replace(self, source=source, fingerprint=source.fingerprint(self.files_digest))

    def part(
        self, bots: range | None = None, share: Sequence[ShareLevel] = (), from_s: float = 0.0
    ) -> PlanPart:
        """The part of the run that holds `bots` (default: all) and runs the plan share that
        `share` names from `from_s` on; no `share` at all runs every arrival of its roles."""
        held = range(self.bots) if bots is None else bots
        roles = []
        for role in self.roles:
            mine = within(role.bots, held)
            load = role.share_of(self.bots, share, from_s, held)
            roles.append(RolePart(role, mine, load if len(mine) else _empty(load)))
        return PlanPart(self, held, tuple(roles))


@dataclass(frozen=True, slots=True)
class PlanPart:
    plan: RunPlan
    bots: range
    roles: tuple[RolePart, ...]

    def idle(self) -> PlanPart:
        """The same bots with no arrivals or sessions (a bot spawned outside the plan)."""
        roles = tuple(RolePart(r.role, r.bots, _empty(r.load)) for r in self.roles)
        return PlanPart(self.plan, self.bots, roles)
