"""The reward campaign: eligibility, payouts per epoch, and clustering by funding."""

from __future__ import annotations

from alpha_bench import Alpha, make_alpha

from botruntime.chain.tx import bank_send
from botruntime.identity import Identity


def farm(alpha: Alpha, root: Identity, sybils: list[Identity]) -> None:
    """Fund each sybil from `root`, then give each enough activity in two modules."""
    p = alpha.campaign.params
    for sybil in sybils:
        alpha.submit(root, bank_send(sybil.alpha_address, 50 * p.campaign_min_balance))
    alpha.step(1)
    op = alpha.operators()[0]
    for _ in range(p.campaign_min_txs - 1):
        for sybil in sybils:
            alpha.submit(sybil, bank_send(root.alpha_address, 10**6))
        alpha.step(1)
    for sybil in sybils:
        alpha.submit(sybil, {"type": "staking.delegate", "validator": op, "amount": "1000000"})
    alpha.step(1)


def test_a_funding_cluster_is_paid_as_one_unless_clustering_is_off() -> None:
    for vuln, per_address in (((), False), (("sybil_per_address_only",), True)):
        alpha = make_alpha(vuln)
        root = alpha.ids[0]
        sybils = [Identity.derive("sybil", i) for i in range(6)]
        farm(alpha, root, sybils)
        assert all(alpha.campaign.root(s.alpha_address) != s.alpha_address for s in sybils) is (
            not per_address
        )
        p = alpha.campaign.params
        alpha.step(p.campaign_epoch_blocks - alpha.chain.height % p.campaign_epoch_blocks)
        paid = [x for x in alpha.campaign.payouts if x.address != root.alpha_address]
        expected = len(sybils) if per_address else p.campaign_cluster_payouts
        assert len(paid) == expected
        assert all(x.amount == p.campaign_reward for x in paid)
        assert alpha.broken() == {}


def test_eligibility_names_what_is_missing(alpha: Alpha) -> None:
    me = alpha.ids[0]
    ok, missing = alpha.campaign.eligibility(me.alpha_address, alpha.chain.height)
    assert not ok and any("txs" in m for m in missing) and any("age" in m for m in missing)
