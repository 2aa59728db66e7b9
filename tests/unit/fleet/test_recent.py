"""What the fleet keeps of recent txs (bounded) and what the commit audit counts."""

from random import Random

from botruntime.chain.tx import SignedTx, TxBody, bank_send, format_memo, sign_tx
from botruntime.fleet import CommitAudit, RecentTxs
from botruntime.identity import Identity
from botruntime.metrics import Recorder

ALICE = Identity.derive("recent-tests", 0)
BOB = Identity.derive("recent-tests", 1)
ALPHA = "alpha-simnet-1"


def _tx(nonce: int, *, chain_id: str = ALPHA, memo_ts: int | None = None) -> SignedTx:
    body = TxBody(
        chain_id=chain_id,
        sender=ALICE.alpha_address,
        nonce=nonce,
        fee=2000,
        msgs=(bank_send(BOB.alpha_address, 5_000_000, "AX"),),
        memo=format_memo("run1", 0, nonce if memo_ts is None else memo_ts),
    )
    return sign_tx(ALICE, body)


def _count(recorder: Recorder, name: str, **labels: str) -> int:
    return recorder.counter(name, **labels).value


def test_a_sound_chain_counts_nothing() -> None:
    recorder = Recorder()
    audit = CommitAudit(recorder, "run1")
    for nonce in range(5):
        tx = _tx(nonce)
        audit.check("alpha", ALPHA, tx.hash, tx.to_wire())
    assert audit.checked == 5
    for how in ("foreign_chain", "nonce_reused", "intent_twice"):
        assert _count(recorder, "adv.replays_effective", chain="alpha", how=how) == 0
    assert _count(recorder, "adv.noncanonical_commits", chain="alpha") == 0


def test_the_same_tx_committed_again_is_an_effective_replay() -> None:
    recorder = Recorder()
    audit = CommitAudit(recorder, "run1")
    first, second = _tx(0), _tx(1)
    for tx in (first, second, first):
        audit.check("alpha", ALPHA, tx.hash, tx.to_wire())
    assert _count(recorder, "adv.replays_effective", chain="alpha", how="nonce_reused") == 1
    # the evidence: the hash of the commit that took effect a second time
    assert recorder.counter("adv.replays_effective", chain="alpha", how="nonce_reused").examples
    assert recorder.flush(0).examples[0][1] == (first.hash,)


def test_an_intent_committed_twice_under_a_new_nonce_is_counted() -> None:
    recorder = Recorder()
    audit = CommitAudit(recorder, "run1")
    for tx in (_tx(0, memo_ts=7), _tx(1, memo_ts=7)):
        audit.check("alpha", ALPHA, tx.hash, tx.to_wire())
    assert _count(recorder, "adv.replays_effective", chain="alpha", how="intent_twice") == 1


def test_another_chains_tx_committed_here_is_counted() -> None:
    recorder = Recorder()
    audit = CommitAudit(recorder, "run1")
    tx = _tx(0, chain_id="delta-simnet-1")
    audit.check("alpha", ALPHA, tx.hash, tx.to_wire())
    assert _count(recorder, "adv.replays_effective", chain="alpha", how="foreign_chain") == 1


def test_a_hash_other_than_the_canonical_one_is_counted() -> None:
    recorder = Recorder()
    audit = CommitAudit(recorder, "run1")
    tx = _tx(0)
    audit.check("alpha", ALPHA, "AB" * 32, tx.to_wire())
    assert _count(recorder, "adv.noncanonical_commits", chain="alpha") == 1
    assert recorder.counter("adv.noncanonical_commits", chain="alpha").examples == ["AB" * 32]
    assert _count(recorder, "adv.replays_effective", chain="alpha", how="nonce_reused") == 0


def test_recent_rings_are_bounded_and_know_the_next_nonce() -> None:
    recent = RecentTxs(capacity=4)
    for nonce in range(10):
        tx = _tx(nonce)
        recent.note_committed("alpha", tx.hash, tx.to_wire())
    kept = list(recent.committed("alpha"))
    assert [seen.nonce for seen in kept] == [6, 7, 8, 9]
    pubkey = kept[0].pubkey
    assert recent.next_nonce("alpha", pubkey) == 10
    assert recent.next_nonce("delta", pubkey) == 0
    assert recent.pick_committed("delta", Random(1)) is None
    picked = recent.pick_committed("alpha", Random(1))
    assert picked is not None and picked.body["sender"] == ALICE.alpha_address


def test_a_submission_is_picked_only_within_its_age_window() -> None:
    recent = RecentTxs()
    recent.note_submitted("alpha", _tx(0), node=2)
    rng = Random(3)
    assert recent.pick_submitted("alpha", rng, min_age_s=0.0, max_age_s=60.0) is not None
    assert recent.pick_submitted("alpha", rng, min_age_s=30.0, max_age_s=60.0) is None
    seen = recent.pick_submitted("alpha", rng, min_age_s=0.0, max_age_s=60.0)
    assert seen is not None and seen.node == 2 and seen.hash == _tx(0).hash
