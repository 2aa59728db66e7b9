"""Replayers (A1 `replay_attack`): copy other users' signed txs and send them again.

The copies come from `chains.recent`: txs committed in blocks (any explorer shows them) and
txs just submitted by the run's victims (what a peer on the gossip network sees while they are
pending; simnet's REST mempool view is redacted). Nothing is re-signed. Every replay is one
intent: a reject with a code the role expects is the defence working; any other answer,
acceptance included, is counted as `adv.replays_unexpected{code}`. Whether an accepted copy
took effect is judged from the blocks (`CommitAudit`, `adv.replays_effective`).

Variants (SCENARIOS.md A1): (a) `replay_same_chain`, (b) `replay_pending_other_node`,
(c) `replay_cross_chain`, (d) `replay_reencoded`, (e) `replay_bridge_claim`,
(f) `replay_after_restart`. (e) is the one variant a replayer signs itself: a claim is valid
from any signer (a relayer's job), so the attack is the same attestation in the replayer's
own tx; whether a claim took effect twice is judged from the blocks too
(`chain.bridge_claims{credit=again}`, counted by the fleet's `BridgeBook`).
"""

from __future__ import annotations

from random import Random
from typing import TYPE_CHECKING, Final

from botruntime.behaviors._table import behavior
from botruntime.behaviors.adversarial._reencode import ENCODINGS, cross_chain, request_bytes
from botruntime.bots.bot import Bot, ChainName
from botruntime.chain.errors import Rejected
from botruntime.chain.tx import Msg

if TYPE_CHECKING:  # the fleet imports the behaviours: its types are for annotations only
    from botruntime.fleet import ChainClient, Chains, ChainSide, Intent, RecentTx

__all__ = [
    "replay_after_restart",
    "replay_bridge_claim",
    "replay_cross_chain",
    "replay_pending_other_node",
    "replay_reencoded",
    "replay_same_chain",
]

_CHAINS: Final[tuple[ChainName, ChainName]] = ("alpha", "delta")
_HRP: Final[dict[ChainName, str]] = {"alpha": "ax", "delta": "dx"}
# a pending copy is taken once gossip has spread it (simnet: 50 ms) and before its block
_PENDING_MIN_AGE_S: Final = 0.2
_PENDING_MAX_AGE_S: Final = 0.9
# (c): which parts of an Alpha tx are made to look like Delta's (and back)
_CROSS_FORMS: Final[dict[str, tuple[bool, bool]]] = {
    "bytes": (False, False),  # exact bytes: wrong_chain
    "prefix": (True, False),  # addresses re-encoded, chain id kept: wrong_chain
    "chain_id": (False, True),  # chain id swapped, addresses kept: invalid_address
    "both": (True, True),  # a full translation, old signature: bad_signature
}
# (f): simnet's node v1 (index 0 on both chains) is the one the scenario's script restarts
_RESTARTED_NODE: Final = 0


def _sides(chains: Chains) -> list[ChainSide]:
    found = []
    for name in _CHAINS:
        try:
            found.append(chains.side(name))
        except KeyError:
            continue
    return found


def _pick_chain(chains: Chains, rng: Random) -> ChainSide:
    """A chain with something harvested, preferring a random one."""
    sides = _sides(chains)
    rng.shuffle(sides)
    for side in sides:
        if any(True for _ in chains.recent.committed(side.name)):
            return side
    return sides[0]


async def _replay(
    rec: Intent, side: ChainSide, client: ChainClient, body: bytes, copied: RecentTx
) -> None:
    """Send one copy of `copied` and judge the answer against the role's expected codes. The
    evidence kept is the copied tx's hash, or the hash the node accepted the copy under."""
    rec.chain = side.name
    answer = await rec.submit(client.broadcast_bytes(body), tx=copied.hash)
    if answer is None:
        return  # no answer: recorded as n.error by submit()
    if isinstance(answer, Rejected):
        if answer.code not in rec.expected_codes:
            rec.count("adv.replays_unexpected", code=answer.code, tx=copied.hash)
        return
    rec.count("adv.replays_accepted", chain=side.name, tx=answer.hash)
    rec.count("adv.replays_unexpected", code="accepted", tx=answer.hash)


def _nothing(rec: Intent, what: str) -> None:
    """Nothing to copy yet (the first block has not come): recorded, not an error."""
    rec.count("adv.replays_skipped", why=what)


@behavior("replay_same_chain", group="adversarial")
async def replay_same_chain(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """(a) The exact bytes of a committed tx, again, on its own chain, to any node."""
    side = _pick_chain(chains, rng)
    seen = chains.recent.pick_committed(side.name, rng)
    if seen is None:
        return _nothing(rec, "no_commit")
    client = side.client_for(bot, node=rng.randrange(len(side.clients)))
    await _replay(rec, side, client, request_bytes(seen.wire), seen)


@behavior("replay_pending_other_node", group="adversarial")
async def replay_pending_other_node(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """(b) The exact bytes of a victim's tx still pending, to a node it was not sent to (and
    never node v1: the scenario's script restarts it, and a restarted node has lost the copy
    gossiped to it, so taking the tx again is right; the pending tx still commits once)."""
    sides = _sides(chains)
    rng.shuffle(sides)
    for side in sides:
        seen = chains.recent.pick_submitted(
            side.name, rng, min_age_s=_PENDING_MIN_AGE_S, max_age_s=_PENDING_MAX_AGE_S
        )
        if seen is not None:
            break
    else:
        return _nothing(rec, "no_pending")
    others = [i for i in range(len(side.clients)) if i not in (seen.node, _RESTARTED_NODE)] or [0]
    client = side.client_for(bot, node=rng.choice(others))
    await _replay(rec, side, client, request_bytes(seen.wire), seen)


def _aligned(chains: Chains, src: ChainName, dst: ChainName, rng: Random) -> RecentTx | None:
    """A committed `src` tx whose nonce is the one its key's account expects next on `dst`:
    the copy an attacker sends when the other chain does not bind the chain id (EIP-155)."""
    recent = chains.recent
    candidates = list(recent.committed(src))
    if not candidates:
        return None
    rng.shuffle(candidates)
    for seen in candidates[:256]:
        if seen.nonce == recent.next_nonce(dst, seen.pubkey):
            return seen
    return candidates[0]


@behavior("replay_cross_chain", group="adversarial")
async def replay_cross_chain(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """(c) An Alpha tx posted to Delta (or back): as is, with its addresses re-encoded under
    the other prefix, with the other chain id, or both; signature untouched."""
    src = _pick_chain(chains, rng)
    dst_name: ChainName = "delta" if src.name == "alpha" else "alpha"
    try:
        dst = chains.side(dst_name)
    except KeyError:
        return _nothing(rec, "one_chain")
    seen = _aligned(chains, src.name, dst_name, rng)
    if seen is None:
        return _nothing(rec, "no_commit")
    form = rng.choice(sorted(_CROSS_FORMS))
    addresses, chain_id = _CROSS_FORMS[form]
    client = dst.client_for(bot, node=rng.randrange(len(dst.clients)))
    copy = cross_chain(
        seen.wire,
        src_hrp=_HRP[src.name],
        dst_hrp=_HRP[dst_name],
        dst_chain_id=await client.resolve_chain_id(),
        addresses=addresses,
        chain_id=chain_id,
    )
    await _replay(rec, dst, client, request_bytes(copy), seen)


@behavior("replay_reencoded", group="adversarial")
async def replay_reencoded(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """(d) A pending or committed tx re-encoded around its signature: keys reordered, spaces,
    amount "0100" or "1e2", an added unknown field."""
    side = _pick_chain(chains, rng)
    seen = None
    if rng.random() < 0.5:
        seen = chains.recent.pick_submitted(
            side.name, rng, min_age_s=_PENDING_MIN_AGE_S, max_age_s=_PENDING_MAX_AGE_S
        )
    seen = seen or chains.recent.pick_committed(side.name, rng)
    if seen is None:
        return _nothing(rec, "no_commit")
    encode = ENCODINGS[rng.choice(sorted(ENCODINGS))]
    client = side.client_for(bot, node=rng.randrange(len(side.clients)))
    await _replay(rec, side, client, encode(seen.wire), seen)


@behavior("replay_after_restart", group="adversarial")
async def replay_after_restart(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """(f) The exact bytes of a committed tx to node v1, which the scenario restarts (its
    seen-cache is gone): the chain's nonce, not the cache, must refuse it."""
    side = _pick_chain(chains, rng)
    seen = chains.recent.pick_committed(side.name, rng)
    if seen is None:
        return _nothing(rec, "no_commit")
    client = side.client_for(bot, node=min(_RESTARTED_NODE, len(side.clients) - 1))
    await _replay(rec, side, client, request_bytes(seen.wire), seen)


def _committed_claim(chains: Chains, rng: Random) -> tuple[ChainName, RecentTx, Msg] | None:
    """A committed `bridge.claim` (the relayer's or a user's), from a random chain first."""
    names = list(_CHAINS)
    rng.shuffle(names)
    for name in names:
        claims = [
            (seen, msgs[0])
            for seen in chains.recent.committed(name)
            if isinstance(msgs := seen.body.get("msgs"), list)
            and msgs
            and isinstance(msgs[0], dict)
            and msgs[0].get("type") == "bridge.claim"
        ]
        if claims:
            seen, msg = rng.choice(claims)
            return name, seen, msg
    return None


@behavior("replay_bridge_claim", group="adversarial", chain="delta")
async def replay_bridge_claim(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """(e) A committed claim's attestation in the replayer's own signed claim, to the chain it
    was claimed on (2 in 3: `already_claimed`) or to the other one (`not_found`: the transfer
    does not go there, and its attestation binds the destination chain id). Accepted, the
    copy costs the replayer its fee and nonce, which its shadow ledger keeps."""
    found = _committed_claim(chains, rng)
    if found is None:
        return _nothing(rec, "no_claim")
    claimed_on, copied, msg = found
    other: ChainName = "alpha" if claimed_on == "delta" else "delta"
    name = claimed_on if rng.randrange(3) else other
    try:
        side = chains.side(name)
    except KeyError:
        return _nothing(rec, "one_chain")
    client = side.client_for(bot, node=rng.randrange(len(side.clients)))
    await client.resolve_chain_id()
    nonce = bot.next_nonce(side.name)
    tx = client.sign(bot.identity, [dict(msg)], nonce=nonce, fee=side.fee, memo=rec.memo(bot))
    rec.chain = side.name
    answer = await rec.submit(client.broadcast(tx), tx=copied.hash)
    if answer is None or isinstance(answer, Rejected):
        if isinstance(answer, Rejected) and answer.code not in rec.expected_codes:
            rec.count("adv.replays_unexpected", code=answer.code, tx=copied.hash)
        return
    # the claim went in a second time: the chain will spend the replayer's nonce and fee
    bot.note_accepted(side.name, nonce)
    bot.wallet.debit(side.native, side.fee)
    rec.count("adv.replays_accepted", chain=side.name, tx=answer.hash)
    rec.count("adv.replays_unexpected", code="accepted", tx=answer.hash)
