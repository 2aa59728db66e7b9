"""Crews: bots of different roles that act together, and the bus that connects them.

A scenario names a crew on the roles that coordinate (`crew: sandwich` on a watcher and its
front- and back-runner; `crew: oracle` on a manipulator and its feeder). The plan lays each
crew out as one bot of each of its roles, and placement never splits a crew over workers
(botruntime.plan explains why, in DESIGN §6's terms), so the fleet that holds one member of a
crew holds all of them, and the crew talks over this fleet's in-process `Bus`: no message
ever goes through the coordinator, and a reaction costs an `await`, not a network round trip.

A behaviour reaches its crew through `chains.crew` (None for a bot outside crews):

    crew = chains.crew
    await crew.send("front_runner", "victim", {"tx": pending.hash, ...})   # watcher
    note = crew.take()            # runner: the next message for this bot, or None
    crew.member("back_runner")    # the run-wide bot index of a crew mate (its address:
                                  # chains.peers.address(index, "delta"))
    crew.first_sight(tx_hash)     # True once per key per crew: what the crew acted on

Every bot of a crew has one inbox, named `<crew>/<number>/<role>`, of `INBOX_SIZE` messages,
dropping the oldest when full (a stale tip is worth less than a fresh one); drops are counted
on the inbox. Payloads are plain JSON data (`CrewNote`): what a crew would send over any wire.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Final

from botruntime.bots.bot import Bot
from botruntime.bots.bus import Bus, Inbox, Message, Overflow
from botruntime.chain.tx import JsonValue
from botruntime.plan import CrewPlan, RunPlan

__all__ = ["INBOX_SIZE", "CrewNote", "CrewView", "Crews"]

CrewNote = Mapping[str, JsonValue]
INBOX_SIZE: Final = 64
MEMORY: Final = 4096  # keys a crew remembers (`first_sight`), the oldest forgotten first


def inbox_name(crew: CrewPlan, number: int, role: str) -> str:
    return f"{crew.name}/{number}/{role}"


class CrewView:
    """One bot's view of its crew: who its mates are, its inbox, and a way to tell them."""

    __slots__ = ("_bus", "_seen", "crew", "number", "role")

    def __init__(
        self,
        bus: Bus[CrewNote],
        crew: CrewPlan,
        number: int,
        role: str,
        seen: OrderedDict[str, None],
    ) -> None:
        self._bus = bus
        self._seen = seen  # shared by the crew's members
        self.crew = crew
        self.number = number  # which crew of its block this bot plays in
        self.role = role

    @property
    def name(self) -> str:
        return self.crew.name

    def member(self, role: str) -> int:
        """The run-wide bot index of this crew's `role` (ValueError for a role not in it)."""
        return self.crew.member(self.number, role)

    @property
    def inbox(self) -> Inbox[CrewNote]:
        return self._bus.inbox(inbox_name(self.crew, self.number, self.role))

    async def send(self, role: str, topic: str, payload: CrewNote) -> bool:
        """Tell the crew mate playing `role`; False when its full inbox dropped a message."""
        me = inbox_name(self.crew, self.number, self.role)
        return await self._bus.send(me, inbox_name(self.crew, self.number, role), topic, payload)

    def first_sight(self, key: str) -> bool:
        """True the first time any member of this crew asks about `key` (a tx hash), so a
        watcher that sees a pending tx on every poll acts on it once."""
        if key in self._seen:
            return False
        self._seen[key] = None
        if len(self._seen) > MEMORY:
            self._seen.popitem(last=False)
        return True

    def take(self) -> Message[CrewNote] | None:
        """The oldest message waiting for this bot, without waiting; None when there is none."""
        return self.inbox.get_nowait()


class Crews:
    """The crews among a fleet's bots and their bus (one per fleet, owned by its loop)."""

    def __init__(self, plan: RunPlan, bots: Iterable[Bot]) -> None:
        self.bus: Bus[CrewNote] = Bus(default_size=INBOX_SIZE)
        self._views: dict[int, CrewView] = {}
        memories: dict[tuple[str, int], OrderedDict[str, None]] = {}
        for bot in bots:
            found = plan.crew_of(bot.index)
            if found is None:
                continue
            crew, number = found
            self.bus.subscribe(inbox_name(crew, number, bot.role), policy=Overflow.DROP_OLDEST)
            seen = memories.setdefault((crew.name, number), OrderedDict())
            self._views[bot.index] = CrewView(self.bus, crew, number, bot.role, seen)

    def __len__(self) -> int:
        return len(self._views)

    def view(self, bot: Bot) -> CrewView | None:
        return self._views.get(bot.index)

    def close(self) -> None:
        self.bus.close()
