"""The behaviour registry: one user action per name, grouped as legitimate, adversarial or
anti-pattern (SCENARIOS.md §1.1). The executor decides *when* an action runs; a behaviour only
decides *what* it does.

BehaviorError
├── DuplicateBehavior   a name registered twice (two modules disagree on what it means)
└── UnknownBehavior     a scenario names a behaviour nobody registered (.known lists the names)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from random import Random
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from botruntime.bots.bot import Bot
    from botruntime.fleet import Chains, Intent

__all__ = [
    "Behavior",
    "BehaviorError",
    "BehaviorFn",
    "BehaviorRegistry",
    "DuplicateBehavior",
    "Group",
    "UnknownBehavior",
]

Group = Literal["legitimate", "adversarial", "anti-pattern"]
BehaviorFn = Callable[["Bot", "Chains", Random, "Intent"], Awaitable[None]]
"""(bot, chains, rng, rec): one action of one bot; `rec` measures it (botruntime.fleet)."""


class BehaviorError(LookupError):
    pass


class DuplicateBehavior(BehaviorError):
    pass


class UnknownBehavior(BehaviorError):
    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"no behaviour named {name!r}; known behaviours: {', '.join(known)}")
        self.name = name
        self.known = known


@dataclass(frozen=True, slots=True)
class Behavior:
    name: str
    group: Group
    fn: BehaviorFn
    chain: Literal["alpha", "delta"]
    sends_tx: bool  # needs the bot's single in-flight slot (one tx in flight per account)
    doc: str


class BehaviorRegistry(Mapping[str, Behavior]):
    """Name -> Behavior. Filled once, when the behaviour modules are imported."""

    def __init__(self) -> None:
        self._by_name: dict[str, Behavior] = {}

    def register(
        self,
        name: str,
        *,
        group: Group,
        chain: Literal["alpha", "delta"] = "alpha",
        sends_tx: bool = False,
    ) -> Callable[[BehaviorFn], BehaviorFn]:
        def decorate(fn: BehaviorFn) -> BehaviorFn:
            if name in self._by_name:
                raise DuplicateBehavior(
                    f"behaviour {name!r} is registered twice ({self._by_name[name].fn.__module__} "
                    f"and {fn.__module__}); rename one"
                )
            doc = (fn.__doc__ or "").strip().splitlines()
            self._by_name[name] = Behavior(name, group, fn, chain, sends_tx, doc[0] if doc else "")
            return fn

        return decorate

    def __getitem__(self, name: str) -> Behavior:
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownBehavior(name, sorted(self._by_name)) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)
