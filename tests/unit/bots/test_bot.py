"""A bot's local nonces, accepted count and lazily derived identity."""

from botruntime.bots.bot import Bot
from botruntime.identity import Identity


def test_identity_is_derived_once_and_matches_the_run_seed() -> None:
    bot = Bot("run-seed", 7, "general_user")
    assert bot._identity is None
    first = bot.identity
    assert first is bot.identity
    assert bot.alpha_address == Identity.derive("run-seed", 7).alpha_address
    assert bot.address("delta") == bot.delta_address != bot.alpha_address


def test_nonces_advance_per_chain_and_resync_can_go_back() -> None:
    bot = Bot("s", 0, "r")
    assert bot.next_nonce("alpha") == bot.next_nonce("delta") == 0
    bot.note_accepted("alpha", 0)
    bot.note_accepted("alpha", 1)
    assert (bot.next_nonce("alpha"), bot.accepted("alpha"), bot.next_nonce("delta")) == (2, 2, 0)
    bot.nonce_used("alpha", 0)  # an old nonce never moves the local nonce back
    assert bot.next_nonce("alpha") == 2
    bot.resync_nonce("alpha", 1)  # the chain said so: the only way back
    assert bot.next_nonce("alpha") == 1 and bot.accepted("alpha") == 2
