"""What a run is pointed at: simnet (started for the run) or the node URLs of a real network."""

from __future__ import annotations

from dataclasses import dataclass

from botruntime.runs._errors import RunConfigError

__all__ = ["Target", "parse_target"]


@dataclass(slots=True)
class Target:
    alpha: tuple[str, ...]
    delta: tuple[str, ...]
    control: str | None  # simnet's /simnet/* control plane; None on a real network
    is_simnet: bool
    alpha_chain_id: str | None = None
    delta_chain_id: str | None = None
    block_time_s: float | None = None  # as the chain's /status says

    def describe_urls(self) -> list[str]:
        """`alpha=URL` and `delta=URL` items, the form `parse_target` reads back."""
        return [*(f"alpha={u}" for u in self.alpha), *(f"delta={u}" for u in self.delta)]

    def describe(self) -> str:
        if self.is_simnet:
            return "simnet"
        return ",".join(self.describe_urls())


def parse_target(text: str) -> Target:
    """`simnet`, or `alpha=URL,…,delta=URL,…` naming each chain's nodes."""
    if text.strip() == "simnet":
        return Target((), (), None, is_simnet=True)
    alpha: list[str] = []
    delta: list[str] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        chain, sep, url = part.partition("=")
        if (
            not sep
            or chain not in ("alpha", "delta")
            or not url.startswith(("http://", "https://"))
        ):
            raise RunConfigError(
                f"--target {text!r}: each part is alpha=URL or delta=URL (e.g. "
                "alpha=http://10.0.0.5:26600,delta=http://10.0.0.5:26650), or give 'simnet'"
            )
        (alpha if chain == "alpha" else delta).append(url.rstrip("/"))
    if not alpha and not delta:
        raise RunConfigError(f"--target {text!r} names no node: give 'simnet' or alpha=URL,…")
    return Target(tuple(alpha), tuple(delta), None, is_simnet=False)
