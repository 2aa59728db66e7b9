"""What a run is pointed at: simnet (started for the run) or the node URLs of a real network.

One shape from the command line to the workers: `parse_target` reads what a user types
(`simnet`, or `alpha=URL,…,delta=URL,…`), and once simnet is up the same `Target` holds its
node URLs and control plane. `wire()` is the list a run plan carries to the workers and
`Target.from_wire` its exact inverse.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from botruntime.scenario import ScenarioError

__all__ = ["Target", "TargetInvalid", "parse_target"]

_CHAINS = ("alpha", "delta")
_ADVERSARIAL = "allow_adversarial"  # the wire item of a target flagged for adversarial load


class TargetInvalid(ScenarioError):
    """A target string or wire list that names no usable node."""


@dataclass(frozen=True, slots=True)
class Target:
    alpha: tuple[str, ...] = ()
    delta: tuple[str, ...] = ()
    control: str | None = None  # simnet's /simnet/* control plane; None on a real network
    is_simnet: bool = False
    # the network's owner accepts adversarial load on it (DESIGN §8); simnet always does
    allow_adversarial: bool = False

    @property
    def adversarial_allowed(self) -> bool:
        """May an adversarial scenario run here: simnet, or a network flagged for it."""
        return self.is_simnet or self.allow_adversarial

    @property
    def resolved(self) -> bool:
        """True once node URLs are known (a simnet target gets them when simnet starts)."""
        return bool(self.alpha or self.delta)

    def with_simnet(self, alpha: Sequence[str], delta: Sequence[str], control: str) -> Target:
        return replace(self, alpha=tuple(alpha), delta=tuple(delta), control=control)

    def wire(self) -> tuple[str, ...]:
        """`alpha=URL`, `delta=URL` and (simnet) `control=URL` items, in that order, then
        `allow_adversarial` when flagged; a simnet not started yet is the one item `simnet`."""
        if self.is_simnet and not self.resolved and self.control is None:
            return ("simnet",)
        items = [*(f"alpha={u}" for u in self.alpha), *(f"delta={u}" for u in self.delta)]
        if self.control is not None:
            items.append(f"control={self.control}")
        if self.allow_adversarial:
            items.append(_ADVERSARIAL)
        return tuple(items)

    @classmethod
    def from_wire(cls, items: Sequence[str]) -> Target:
        if tuple(items) == ("simnet",):
            return cls(is_simnet=True)
        urls: dict[str, list[str]] = {"alpha": [], "delta": [], "control": []}
        flagged = _ADVERSARIAL in items
        for item in items:
            if item == _ADVERSARIAL:
                continue
            kind, sep, url = item.partition("=")
            if not sep or kind not in urls or not url.startswith(("http://", "https://")):
                raise TargetInvalid(
                    f"target item {item!r} is not alpha=URL, delta=URL or control=URL",
                    path="targets",
                    fix="send the items Target.wire() makes",
                )
            urls[kind].append(url)
        if len(urls["control"]) > 1:
            raise TargetInvalid("a target has one control plane", path="targets")
        control = urls["control"][0] if urls["control"] else None
        return cls(
            tuple(urls["alpha"]), tuple(urls["delta"]), control, control is not None, flagged
        )

    def describe(self) -> str:
        """What the results store keys baselines on: `simnet`, or the node URLs."""
        if self.is_simnet:
            return "simnet"
        return ",".join(item for item in self.wire() if item != _ADVERSARIAL)


def parse_target(text: str, *, allow_adversarial: bool = False) -> Target:
    """`simnet`, or `alpha=URL,…,delta=URL,…` naming each chain's nodes; `allow_adversarial`
    flags a real network for adversarial scenarios (its owner's decision, DESIGN §8)."""
    if text.strip() == "simnet":
        return Target(is_simnet=True)
    alpha: list[str] = []
    delta: list[str] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        chain, sep, url = part.partition("=")
        if not sep or chain not in _CHAINS or not url.startswith(("http://", "https://")):
            raise TargetInvalid(
                f"--target {text!r}: each part is alpha=URL or delta=URL",
                path="target",
                fix="e.g. alpha=http://10.0.0.5:26600,delta=http://10.0.0.5:26650, or 'simnet'",
            )
        (alpha if chain == "alpha" else delta).append(url.rstrip("/"))
    if not alpha and not delta:
        raise TargetInvalid(
            f"--target {text!r} names no node", path="target", fix="give 'simnet' or alpha=URL,…"
        )
    return Target(tuple(alpha), tuple(delta), allow_adversarial=allow_adversarial)
