"""The explorer readers against scripted nodes: each consistency check fires on the answer that
breaks it (with its evidence) and stays silent on an honest node."""

from __future__ import annotations

import time
from collections.abc import Callable
from random import Random
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest

from botruntime.behaviors import BehaviorFn
from botruntime.behaviors.legitimate import explorer
from botruntime.bots.bot import Bot
from botruntime.chain.alpha import HttpAlphaClient
from botruntime.chain.testing import MockTransport, Request, answer, error_answer
from botruntime.chain.transport import Answer, TransportConfig
from botruntime.fleet import Chains, ChainSide, FleetContext, Intent, Peers
from botruntime.fleet._commits import CommitWatcher
from botruntime.metrics import Recorder
from botruntime.wallet import AX

pytestmark = pytest.mark.anyio

READER = Bot("seed", 0, "explorer_reader")
ADDRESS = READER.alpha_address


def block(height: int, txs: tuple[str, ...] = ("T",), salt: str = "") -> dict[str, object]:
    return {"height": height, "time": "t", "hash": f"H{height}{salt}", "prev_hash": "", "txs": txs}


class Node:
    """A node whose answers a test scripts: `latest` (its height), `history` (the address's
    txs as (height, index, hash)), and how it pages that history."""

    def __init__(self, latest: int = 10, *, offset_paging: bool = False) -> None:
        self.latest = latest
        self.lag = 0
        self.honours_min_height = True
        self.history: list[tuple[int, int, str]] = []
        self.offset_paging = offset_paging
        self.salt = ""
        self.tx_answer: dict[str, object] | None = None
        self.on_page: Callable[[], None] = lambda: None

    def __call__(self, request: Request) -> Answer:
        served = self.latest - self.lag
        if request.min_height is not None and request.min_height > served:
            if self.honours_min_height:
                return error_answer(409, "height_not_reached", height=served)
        path = urlsplit(request.path)
        if path.path == "/blocks/latest":
            return answer(block(served), height=served)
        if path.path.startswith("/blocks/"):
            return answer(block(int(path.path.split("/")[2]), salt=self.salt), height=served)
        if path.path.startswith("/txs/"):
            return answer(self.tx_answer, height=served)
        if path.path == "/txs":
            return self._page(parse_qs(path.query), served)
        if path.path.startswith("/accounts/"):
            return answer({"AX": "1"}, height=served)
        if path.path == "/status":
            status = {"chain_id": "alpha-simnet-1", "height": served, "time": "t"}
            return answer({**status, "catching_up": self.lag > 0}, height=served)
        raise AssertionError(f"unexpected {request.method} {request.path}")

    def _page(self, query: dict[str, list[str]], served: int) -> Answer:
        limit = int(query["limit"][0])
        cursor = query.get("cursor", [None])[0]
        items = list(reversed(self.history)) if self.offset_paging else self.history
        start = 0
        if cursor and self.offset_paging:
            start = int(cursor)
        elif cursor:  # a stable cursor: after the item it names
            start = next(i for i, item in enumerate(items) if item[2] == cursor) + 1
        page = items[start : start + limit]
        more = start + limit < len(items)
        following = None
        if more:
            following = str(start + limit) if self.offset_paging else page[-1][2]
        self.on_page()
        txs = [{"hash": h, "height": ht, "index": i} for ht, i, h in page]
        return answer({"txs": txs, "next_cursor": following}, height=served)


def fleet(*nodes: Node) -> tuple[FleetContext, Recorder]:
    clients = [
        HttpAlphaClient(
            transport=MockTransport(node, TransportConfig(f"http://node{i}")),
            chain_id="alpha-simnet-1",
        )
        for i, node in enumerate(nodes)
    ]
    recorder = Recorder()
    side = ChainSide("alpha", clients, CommitWatcher(clients[0]), fee=1_000, native=AX)
    ctx = FleetContext("run-1", recorder, {"alpha": side}, Peers("seed", 10))
    return ctx, recorder


async def act(ctx: FleetContext, fn: BehaviorFn, seed: int = 1) -> None:
    intent = Intent(
        ctx,
        fn.__name__,
        "alpha",
        time.perf_counter(),
        expected_codes=frozenset({"height_not_reached"}),
    )
    await fn(READER, Chains(ctx, READER), Random(seed), intent)


def counted(recorder: Recorder, name: str, action: str, **labels: str) -> tuple[int, list[str]]:
    """A counter bumped by `action` (the recorder hands out the one handle per series)."""
    found = recorder.counter(name, action=action, **labels)
    return found.value, list(found.examples)


async def test_a_node_behind_the_floor_must_refuse_and_one_that_answers_is_caught() -> None:
    ahead, behind = Node(latest=12), Node(latest=12)
    behind.lag = 3
    ctx, recorder = fleet(ahead)
    await act(ctx, explorer.read_latest_block)  # the floor is now 12
    side = ctx.sides["alpha"]
    side.clients = [side.clients[0], fleet(behind)[0].sides["alpha"].clients[0]]
    for seed in range(8):
        await act(ctx, explorer.read_latest_block, seed)
    assert counted(recorder, "chain.min_height_violated", "read_latest_block")[0] == 0
    assert (
        counted(
            recorder, "n.reject", "read_latest_block", code="height_not_reached", expected="yes"
        )[0]
        > 0
    )  # the 409s: expected
    behind.honours_min_height = False  # stale_reads: it answers from height 9
    for seed in range(8):
        await act(ctx, explorer.read_latest_block, seed)
    total, examples = counted(recorder, "chain.min_height_violated", "read_latest_block")
    assert total > 0
    assert examples[0] == "alpha v2: /blocks/latest with X-Min-Height 12 gave 9"


async def test_a_readers_view_of_one_node_never_goes_back() -> None:
    node = Node(latest=12)
    ctx, recorder = fleet(node)
    await act(ctx, explorer.read_latest_block)
    node.latest, node.honours_min_height = 11, False
    await act(ctx, explorer.read_latest_block)
    assert counted(recorder, "chain.reads_nonmonotonic", "read_latest_block") == (
        1,
        ["alpha v1: reader 0 saw height 12, then 11"],
    )


async def test_a_block_read_twice_must_be_the_same() -> None:
    node = Node(latest=5)
    ctx, recorder = fleet(node)
    await act(ctx, explorer.read_latest_block)
    for seed in range(3):
        await act(ctx, explorer.read_block, seed)
    assert counted(recorder, "chain.block_changed", "read_block")[0] == 0
    assert counted(recorder, "chain.blocks_reread", "read_block")[0] > 0
    node.salt = "-forked"
    for seed in range(3):
        await act(ctx, explorer.read_block, seed)
    total, examples = counted(recorder, "chain.block_changed", "read_block")
    assert total > 0 and "was H" in examples[0] and "-forke" in examples[0]


async def test_a_tx_must_say_it_is_in_the_block_that_holds_it() -> None:
    node = Node(latest=5)
    ctx, recorder = fleet(node)
    await act(ctx, explorer.read_latest_block)  # block 5 holds tx T
    node.tx_answer = {"hash": "T", "status": "committed", "height": 5}
    await act(ctx, explorer.read_tx)
    node.tx_answer = {"hash": "T", "status": "committed", "height": 4}
    await act(ctx, explorer.read_tx)
    node.tx_answer = {"hash": "T", "status": "pending"}
    await act(ctx, explorer.read_tx)
    assert counted(recorder, "chain.tx_checked", "read_tx")[0] == 3
    assert counted(recorder, "chain.tx_mismatch", "read_tx") == (
        1,
        ["alpha v1: tx T in block 5, /txs says committed at 4"],
    )
    assert counted(recorder, "chain.min_height_violated", "read_tx") == (
        1,
        ["alpha v1: tx T of block 5 pending at min height 5"],
    )


def growing(node: Node) -> Callable[[], None]:
    """A tx for the address lands after every page served."""

    def land() -> None:
        height = node.history[-1][0] + 1
        node.history.append((height, 0, f"X{height}"))

    return land


@pytest.fixture(autouse=True)
def quick_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(explorer, "_PAGE_PAUSE_S", (0.0, 0.0))


async def test_a_stable_cursor_never_repeats_nor_skips_while_txs_land() -> None:
    node = Node()
    node.history = [(h, 0, f"X{h}") for h in range(1, 7)]
    node.on_page = growing(node)
    ctx, recorder = fleet(node)
    await act(ctx, explorer.read_wallet)
    assert counted(recorder, "chain.history_walks", "read_wallet")[0] == 1
    assert counted(recorder, "chain.history_duplicates", "read_wallet")[0] == 0
    assert counted(recorder, "chain.history_gaps", "read_wallet")[0] == 0


async def test_offset_paging_over_a_growing_history_is_caught() -> None:
    node = Node(offset_paging=True)
    node.history = [(h, 0, f"X{h}") for h in range(1, 7)]
    node.on_page = growing(node)
    ctx, recorder = fleet(node)
    await act(ctx, explorer.read_wallet)
    total, examples = counted(recorder, "chain.history_duplicates", "read_wallet")
    assert total > 0
    assert examples[0].startswith("alpha v1: tx X") and "twice" in examples[0]
    assert all(len(e) <= 128 for e in examples)


async def test_a_cursor_that_skips_is_caught_against_the_full_listing() -> None:
    node = Node()
    node.history = [(h, 0, f"X{h}") for h in range(1, 9)]
    real = node._page

    def skipping(query: dict[str, list[str]], served: int) -> Answer:
        sent = real(query, served)
        page = orjson.loads(sent.body)
        if query.get("cursor") and int(query["limit"][0]) < 100:
            page["txs"] = page["txs"][1:]  # the first item after the cursor goes missing
        return answer(page, height=served)

    node._page = skipping  # type: ignore[method-assign]
    ctx, recorder = fleet(node)
    await act(ctx, explorer.read_wallet)
    assert counted(recorder, "chain.history_gaps", "read_wallet")[0] > 0


async def test_a_node_that_stays_behind_for_15_s_is_caught_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tip, behind = Node(latest=20), Node(latest=20)
    behind.lag = 5
    ctx, recorder = fleet(tip, behind)
    clock = [100.0]
    monkeypatch.setattr(explorer.time, "perf_counter", lambda: clock[0])
    for now in (100.0, 110.0, 116.0, 130.0):
        clock[0] = now
        await act(ctx, explorer.read_nodes_status)
    assert counted(recorder, "chain.status_checked", "read_nodes_status")[0] == 8
    assert counted(recorder, "chain.catchup_slow", "read_nodes_status") == (
        1,
        ["alpha v2: at 15 (tip 20, catching_up=True) for 16 s"],
    )
