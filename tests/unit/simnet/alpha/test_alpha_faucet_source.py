"""The faucet's quota per funding source (SCENARIOS.md A8): addresses with a common funder
draw together at most `faucet_source_quota`; `sybil_per_address_only` enforces the per-address
quota alone, and `faucet/quota` still sees the source overdrawn."""

from __future__ import annotations

import pytest
from alpha_bench import Alpha, make_alpha

from botruntime.chain.tx import bank_multisend
from botruntime.identity import Identity
from simnet._errors import Throttled

AX_UNIT = 10**6


def _fund(alpha: Alpha, root: Identity, sybils: list[Identity]) -> None:
    """One multisend from `root`: it is every sybil's first funder."""
    alpha.run(root, bank_multisend([(s.alpha_address, "AX", 5 * AX_UNIT) for s in sybils]))


def _draw(alpha: Alpha, who: Identity, amount: int, chain: str = "alpha") -> str:
    target = alpha.network.chains[chain]
    denom = target.spec.native
    return alpha.network.faucet(target, who.address(target.spec.hrp), denom, str(amount))


def test_addresses_of_one_funder_share_the_source_quota() -> None:
    alpha = make_alpha()
    params = alpha.network.params
    root = alpha.ids[0]
    sybils = [Identity.derive("faucet-sybil", i) for i in range(4)]
    _fund(alpha, root, sybils)
    each = params.faucet_quota  # each sybil alone may draw this much
    assert params.faucet_source_quota < len(sybils) * each
    drawn = 0
    refused = None
    for sybil in sybils:
        try:
            _draw(alpha, sybil, each)
            drawn += each
        except Throttled as exc:
            refused = exc
            break
    assert refused is not None and refused.code == "quota_exceeded"
    assert refused.details["source"] == root.alpha_address
    assert drawn <= params.faucet_source_quota
    # an address with no funder but genesis is its own source: the others do not use it up
    _draw(alpha, alpha.ids[1], each)
    alpha.step(1)
    assert alpha.broken() == {}


def test_the_source_is_the_same_on_delta() -> None:
    alpha = make_alpha()
    params = alpha.network.params
    root = alpha.ids[0]
    sybils = [Identity.derive("faucet-sybil-d", i) for i in range(3)]
    _fund(alpha, root, sybils)
    _draw(alpha, sybils[0], params.faucet_source_quota // 2, "delta")
    _draw(alpha, sybils[1], params.faucet_source_quota // 2, "delta")
    with pytest.raises(Throttled):
        _draw(alpha, sybils[2], 1, "delta")


def test_per_address_only_lets_the_cluster_overdraw_and_the_invariant_sees_it() -> None:
    alpha = make_alpha(("sybil_per_address_only",))
    params = alpha.network.params
    root = alpha.ids[0]
    sybils = [Identity.derive("faucet-sybil", i) for i in range(4)]
    _fund(alpha, root, sybils)
    for sybil in sybils:
        _draw(alpha, sybil, params.faucet_quota)
    with pytest.raises(Throttled):  # the per-address quota still holds
        _draw(alpha, sybils[0], 1)
    alpha.step(1)
    broken = alpha.broken()
    assert "faucet/quota" in broken and root.alpha_address in broken["faucet/quota"]


def test_source_draws_survive_export_and_import() -> None:
    alpha = make_alpha()
    root = alpha.ids[0]
    sybils = [Identity.derive("faucet-sybil", i) for i in range(3)]
    _fund(alpha, root, sybils)
    half = alpha.network.params.faucet_source_quota // 2
    _draw(alpha, sybils[0], half)
    _draw(alpha, sybils[1], half)
    alpha.step(1)
    wire = alpha.network.export()
    alpha.network.import_(wire)
    with pytest.raises(Throttled):
        _draw(alpha, sybils[2], 1)
