"""Metric names and labels: the vocabulary of SCENARIOS.md §1.3 as a table, and the key type.

A key is a name plus sorted label pairs, so the same series recorded by two workers is the same
dict key on the coordinator. Names are checked when a handle is made (once per series), never
per event.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Final, Literal, NamedTuple

from botruntime.metrics._errors import MetricKindError, UnknownMetric

__all__ = ["Kind", "Labels", "MetricKey", "check_name", "kind_of", "known_names", "labels_of"]

Kind = Literal["histogram", "counter", "gauge"]
Labels = tuple[tuple[str, str], ...]

PHASES: Final = ("submit", "commit", "query", "notify")

_KNOWN: Final[Mapping[str, Kind]] = {
    **{f"lat.{phase}": "histogram" for phase in PHASES},  # from intended_ts (no omission)
    **{f"svc.{phase}": "histogram" for phase in PHASES},  # from the actual send
    "gen.schedule_lag": "histogram",  # actual start of an arrival minus its intended_ts
    "gen.loop_lag": "histogram",  # how late the event loop woke a sleeping task
    "wait.blocked": "histogram",  # how long a blocked arrival waited for a free bot
    "n.intent": "counter",
    "n.attempt": "counter",
    "n.commit": "counter",
    "n.lost": "counter",  # accepted with code ok, never seen in a block by the end of the drain
    "n.reject": "counter",
    "n.failed": "counter",  # in a block with a failure code: fee charged, messages undone
    "n.error": "counter",
    "dropped": "counter",  # an arrival the generator reached too late to send (its fault)
    # an arrival found every bot of its role waiting on the network (the network's doing)
    "n.blocked": "counter",
    "n.blocked_abandoned": "counter",  # a blocked arrival never placed
    "gen.offered": "counter",  # an arrival whose time came (started, blocked or dropped)
    "gen.action_failed": "counter",  # an action raised instead of recording an outcome
    "gen.abandoned": "counter",  # still in flight when the drain deadline passed
    "gen.cpu": "gauge",  # fraction of one core used by the generator process
    "gen.rss_bytes": "gauge",
    "gen.inflight": "gauge",
    "gen.bots": "gauge",  # bots of the process by lifecycle state (label `state`)
    # every fleet process (coordinator, workers), sampled by the runner from outside (L9 C3)
    "fleet.rss_bytes": "gauge",
    "fleet.fds": "gauge",
}
# Scenario-specific and chain-side names are defined where they are used (SCENARIOS §1.3).
_OPEN_PREFIXES: Final = ("adv.", "mkt.", "chain.", "sim.", "mempool.", "ledger.", "inv.")


class MetricKey(NamedTuple):
    name: str
    labels: Labels

    def matches(self, name: str, want: Labels) -> bool:
        """Same name, and every wanted label present with the wanted value."""
        if self.name != name:
            return False
        have = dict(self.labels)
        return all(have.get(k) == v for k, v in want)

    def label_dict(self) -> dict[str, str]:
        return dict(self.labels)


def labels_of(labels: Mapping[str, str] | None) -> Labels:
    if not labels:
        return ()
    return tuple(sorted((str(k), str(v)) for k, v in labels.items()))


def known_names() -> tuple[str, ...]:
    """Every name of the vocabulary (open-prefix names are not listed: any may come)."""
    return tuple(_KNOWN)


def kind_of(name: str) -> Kind | None:
    """The kind a vocabulary name has; None for an open-prefix name (any kind)."""
    return _KNOWN.get(name)


def check_name(name: str, kind: Kind) -> None:
    """Refuse names outside the vocabulary, and a known name used as another kind."""
    known = _KNOWN.get(name)
    if known is None:
        if name.startswith(_OPEN_PREFIXES):
            return
        close = difflib.get_close_matches(name, list(_KNOWN), n=1)
        raise UnknownMetric(name, close[0] if close else None)
    if known != kind:
        raise MetricKindError(name, kind=known, expected=kind)
