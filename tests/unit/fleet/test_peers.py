"""Payees: any other bot of the run, derived from the run seed."""

from random import Random

import pytest

from botruntime.bots.bot import Bot
from botruntime.fleet import Peers
from botruntime.identity import Identity


def test_choose_never_returns_the_payer_and_reaches_everyone_else() -> None:
    peers = Peers("seed", 5)
    rng = Random(1)
    seen = {peers.choose(rng, exclude=2) for _ in range(500)}
    assert seen == {0, 1, 3, 4}


def test_addresses_are_the_run_identities_and_the_cache_stays_bounded() -> None:
    peers = Peers("seed", 100, cache_size=8)
    for i in range(50):
        assert peers.address(i, "alpha") == Identity.derive("seed", i).alpha_address
    assert peers.address(3, "delta") == Identity.derive("seed", 3).delta_address
    assert len(peers._cache) == 8


def test_one_bot_has_no_peer() -> None:
    with pytest.raises(ValueError, match="at least 2 bots"):
        Peers("seed", 1).choose(Random(0), exclude=0)


def test_a_payee_held_here_answers_with_its_own_address_and_derives_nothing_else() -> None:
    bots = {i: Bot("seed", i, "payer") for i in range(10, 20)}
    peers = Peers("seed", 100, local=bots)
    assert peers.address(12, "alpha") == Identity.derive("seed", 12).alpha_address
    assert peers.address(12, "alpha") is bots[12].alpha_address  # the bot's, kept by the bot
    assert peers.address(15, "delta") == bots[15].delta_address
    assert len(peers._cache) == 0  # nothing derived for local payees
    assert peers.address(3, "alpha") == Identity.derive("seed", 3).alpha_address
    assert len(peers._cache) == 1
