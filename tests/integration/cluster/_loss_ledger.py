"""What the chain committed for a run, bot by bot, and who accounts for each transaction.

A committed tx of bot `b` is *accounted* when either
- the assignment holding `b` at the end reported its outcome with `ledger.mismatch == 0`: its
  reconciliation found the chain's nonce and balances of every bot equal to its shadow ledger
  (a bot taken over after a loss starts that ledger from a chain resync), or
- `b` was lost and nobody took it over: a load gap in the results names `b`, and the tx was
  intended while the lost worker was alive (before the kill plus `slack_s`) and before the gap
  closes; the coordinator's record (deltas up to `gap.from_s`, the gap after it) covers it.
Everything else is unaccounted: a tx of a bot nobody answers for, or one sent by a killed
worker after it was killed.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from botruntime.chain.tx import parse_memo
from botruntime.cluster import RunView
from botruntime.identity import Identity


@dataclass(frozen=True)
class ChainTx:
    bot_index: int
    intended_offset_s: float  # on the run's plan clock
    nonce: int = -1  # the sender's nonce the tx was signed with
    height: int = -1  # the block it committed in


def plan_clock_origin(start_at_unix_s: float) -> float:
    """The run's plan offset 0 on `time.perf_counter()` (CLOCK_MONOTONIC, one per host)."""
    return time.perf_counter() + (start_at_unix_s - time.time())


def committed_txs(alpha_url: str, run_id: str, origin_pc: float) -> list[ChainTx]:
    """Every tx of the run in every block of the chain, read from the blocks themselves."""
    out: list[ChainTx] = []
    with httpx.Client(timeout=30.0, headers=audit_client(-1)) as http:
        latest = int(http.get(f"{alpha_url}/blocks/latest").json()["height"])
        height = 0
        while height <= latest:
            last = min(height + 49, latest)  # a page is the *last* `limit` blocks up to `to`
            query = {"from": height, "to": last, "limit": 50}
            page = http.get(f"{alpha_url}/blocks", params=query).json()
            blocks = page["blocks"]
            if not blocks:
                break
            for block in blocks:
                if not block["txs"]:
                    continue
                found = http.get(f"{alpha_url}/blocks/{block['height']}/txs").json()["txs"]
                for item in found:
                    body = item["tx"].get("body", item["tx"])
                    memo = parse_memo(str(body.get("memo", "")))
                    if memo is not None and memo.run_id == run_id:
                        offset = memo.intended_ts_us / 1e6 - origin_pc
                        nonce = int(str(body.get("nonce", -1)))
                        out.append(ChainTx(memo.bot_index, offset, nonce, int(block["height"])))
            height = int(blocks[-1]["height"]) + 1
    return out


def audit_client(n: int) -> dict[str, str]:
    """A client id of its own per reader, so an audit never meets simnet's read quota."""
    return {"X-Client-Id": f"loss-audit-{n}"}


def nonces(alpha_url: str, bots: Sequence[Identity]) -> list[int]:
    out = []
    with httpx.Client(timeout=30.0) as http:
        for i, bot in enumerate(bots):
            answer = http.get(f"{alpha_url}/accounts/{bot.alpha_address}", headers=audit_client(i))
            assert answer.status_code == 200, answer.text
            out.append(int(answer.json()["nonce"]))
    return out


def settled(
    alpha_url: str, run_id: str, origin_pc: float, bots: Sequence[Identity], timeout_s: float = 60.0
) -> tuple[list[ChainTx], list[int]]:
    """The run's committed txs and every bot's nonce, read while no tx of a bot commits.

    A run that ended (aborted, above all) can leave txs in the mempool that commit a block
    later; blocks and nonces read across such a commit disagree by that tx. The pair is read
    again until the nonces before and after the block read are the same.
    """
    deadline = time.monotonic() + timeout_s
    before = nonces(alpha_url, bots)
    while True:
        txs = committed_txs(alpha_url, run_id, origin_pc)
        after = nonces(alpha_url, bots)
        if after == before:
            return txs, after
        assert time.monotonic() < deadline, f"the bots' txs kept committing for {timeout_s} s"
        before = after


@dataclass(frozen=True)
class Accounting:
    committed: int
    by_ledgers: int
    by_coordinator: int
    unaccounted: list[str]


def account(
    view: RunView, txs: Sequence[ChainTx], killed_at_s: float, slack_s: float = 1.0
) -> Accounting:
    holders: dict[int, tuple[str, int]] = {}  # bot -> (outcome, ledger.mismatch) at the end
    for p in view.placements:
        if p.outcome is not None and str(p.outcome) != "lost":
            for bot in range(p.bot_first, p.bot_first + p.bot_count):
                holders[bot] = (str(p.outcome), p.counters.get("ledger.mismatch", -1))
    by_ledgers = by_coordinator = 0
    unaccounted: list[str] = []
    for tx in txs:
        held = holders.get(tx.bot_index)
        if held is not None:
            if held[1] == 0:
                by_ledgers += 1
            else:
                unaccounted.append(f"bot {tx.bot_index}: its ledger ({held[0]}) mismatched")
            continue
        gap = next(
            (g for g in view.gaps if g.bot_first <= tx.bot_index < g.bot_first + g.bot_count),
            None,
        )
        if gap is None:
            unaccounted.append(f"bot {tx.bot_index}: lost, and no gap names it")
        elif tx.intended_offset_s > killed_at_s + slack_s:
            unaccounted.append(
                f"bot {tx.bot_index}: intended at {tx.intended_offset_s:.2f} s, after its "
                f"worker was killed at {killed_at_s:.2f} s"
            )
        elif tx.intended_offset_s >= max(gap.to_s, gap.from_s) + slack_s:
            unaccounted.append(f"bot {tx.bot_index}: intended after its gap {gap}")
        else:
            by_coordinator += 1
    return Accounting(len(txs), by_ledgers, by_coordinator, unaccounted)
