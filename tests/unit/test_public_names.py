"""Each package's public face is honest: every name in its `__all__` is there."""

import importlib

import pytest

PACKAGES = [
    "botruntime.behaviors",
    "botruntime.bots",
    "botruntime.chain",
    "botruntime.cluster",
    "botruntime.coverage",
    "botruntime.fleet",
    "botruntime.load",
    "botruntime.metrics",
    "botruntime.plan",
    "botruntime.runs",
    "botruntime.scenario",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_every_public_name_resolves(name: str) -> None:
    package = importlib.import_module(name)
    missing = [n for n in package.__all__ if not hasattr(package, n)]
    assert missing == [], f"{name}.__all__ names what it does not have: {missing}"
    assert len(set(package.__all__)) == len(package.__all__)
