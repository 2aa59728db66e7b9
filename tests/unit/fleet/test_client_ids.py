"""Each bot is its own client over its node's one pool; a `shared` role is one client."""

from pathlib import Path

import pytest
import yaml

from botruntime.bots.bot import Bot
from botruntime.chain.alpha import HttpAlphaClient
from botruntime.chain.testing import MockTransport, Request, answer
from botruntime.chain.transport import Answer, TransportConfig
from botruntime.fleet import Chains, ChainSide, FleetContext, Peers
from botruntime.fleet._commits import CommitWatcher
from botruntime.fleet._context import ClientIds
from botruntime.metrics import Recorder
from botruntime.plan import PlanSource, RunPlan, Target, compile_plan
from botruntime.scenario import Role
from botruntime.wallet import AX

pytestmark = pytest.mark.anyio


def healthy(request: Request) -> Answer:
    return answer({"ok": True})


ROOT = Path(__file__).resolve().parents[3]


def fleet(client_ids: ClientIds | None = None) -> tuple[FleetContext, list[MockTransport]]:
    transports = [
        MockTransport(healthy, TransportConfig(f"http://node{i}", client_id="worker-0"))
        for i in range(2)
    ]
    clients = [HttpAlphaClient(transport=t, chain_id="alpha-simnet-1") for t in transports]
    side = ChainSide("alpha", clients, CommitWatcher(clients[0]), fee=1_000, native=AX)
    ctx = FleetContext(
        run_id="run-1",
        recorder=Recorder(),
        sides={"alpha": side},
        peers=Peers("seed", 10),
        client_ids=client_ids,
    )
    return ctx, transports


async def test_each_bot_asks_its_node_as_itself() -> None:
    ctx, transports = fleet()
    for index in range(4):
        await Chains(ctx, Bot("seed", index, "general_user")).alpha.health()
    sent = [[r.client_id for r in t.requests] for t in transports]
    assert sent == [["run-1-bot0", "run-1-bot2"], ["run-1-bot1", "run-1-bot3"]]


async def test_a_shared_role_is_one_client_and_a_node_can_be_named() -> None:
    ids = ClientIds.of("run-1", _plan(backend_client_id="shared").roles)
    assert ids.shared == {"backend": "run-1-role-backend"}
    ctx, transports = fleet(ids)
    side = ctx.sides["alpha"]
    for index in (0, 1, 2):
        await side.client_for(Bot("seed", index, "backend"), node=0).health()
    await side.client_for(Bot("seed", 3, "general_user"), node=0).health()
    assert [r.client_id for r in transports[0].requests] == [
        *["run-1-role-backend"] * 3,
        "run-1-bot3",
    ]
    assert transports[1].requests == []


def test_a_role_is_its_bots_own_clients_unless_its_scenario_says_shared() -> None:
    role = Role(name="general_user", group="legitimate", behaviours={"send_ax": 1})
    assert role.client_id == "per_bot"
    assert ClientIds.of("run-1", _plan(backend_client_id="per_bot").roles).shared == {}
    with pytest.raises(ValueError, match="client_id"):
        Role(name="x", group="legitimate", behaviours={"send_ax": 1}, client_id="one")  # type: ignore[arg-type]


def _plan(*, backend_client_id: str) -> RunPlan:
    """transfer_baseline with a second role, `backend`, whose client id is as given."""
    doc = yaml.safe_load((ROOT / "scenarios" / "transfer_baseline.yaml").read_text())
    backend = {**doc["roles"][0], "name": "backend", "client_id": backend_client_id}
    doc["roles"].insert(0, backend)
    for size in doc["sizes"].values():
        size["load"]["backend"] = size["load"]["general_user"]
    source = PlanSource(yaml.safe_dump(doc), "smoke", "1", Target(is_simnet=True), "run-1")
    return compile_plan(source)
