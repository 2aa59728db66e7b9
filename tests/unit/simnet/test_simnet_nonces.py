"""CommittedNonces answers as the set of every committed (signer, nonce) would."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from simnet._nonces import CommittedNonces


@given(st.lists(st.tuples(st.sampled_from(["ax1a", "ax1b", "ax1c"]), st.integers(0, 40))))
def test_it_holds_exactly_the_pairs_added(pairs: list[tuple[str, int]]) -> None:
    nonces, model = CommittedNonces(), set[tuple[str, int]]()
    for pair in pairs:
        assert (pair in nonces) == (pair in model)
        nonces.add(pair)
        model.add(pair)
        assert pair in nonces
    assert len(nonces) == len(model)
    for signer in ("ax1a", "ax1b", "ax1c", "ax1d"):
        for nonce in range(-1, 42):
            assert ((signer, nonce) in nonces) == ((signer, nonce) in model)


def test_signers_in_order_keep_no_per_nonce_state() -> None:
    nonces = CommittedNonces()
    for nonce in range(1_000):
        nonces.add(("ax1a", nonce))
    assert ("ax1a", 999) in nonces and ("ax1a", 1_000) not in nonces
    assert nonces._beyond == {}  # a run from 0: one integer, whatever its length


@given(st.lists(st.tuples(st.sampled_from(["ax1a", "ax1b"]), st.integers(0, 40))))
def test_commit_says_whether_the_pair_is_new(pairs: list[tuple[str, int]]) -> None:
    nonces, model = CommittedNonces(), set[tuple[str, int]]()
    for signer, nonce in pairs:
        assert nonces.commit(signer, nonce) == ((signer, nonce) not in model)
        model.add((signer, nonce))
        assert (signer, nonce) in nonces
    assert len(nonces) == len(model)
