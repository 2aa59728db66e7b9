"""The scenario file schema: pydantic models that forbid unknown keys and never change.

A scenario says what may be targeted, how big each size is, which roles act and how, and how
the verdict is judged. Checks that span several fields (every role has a load in every size,
caps respected, ids unique) live in `_crosscheck` and run when a Scenario is built.
"""

from __future__ import annotations

import difflib
from fnmatch import fnmatchcase
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    PrivateAttr,
    StringConstraints,
    field_validator,
    model_validator,
)

from botruntime.wallet import Denom

from ._errors import FieldProblem
from ._expr_ast import Baseline as BaselineNode
from ._expr_ast import Expr, Quantile, Rate, WindowAgg, walk
from ._expr_check import value_kind
from ._expr_parser import parse_expression, parse_number
from ._gates import STANDARD_GATES
from ._load_models import ActiveWindow, RoleLoad
from ._standard import LIVENESS, STANDARD_CRITERIA
from ._switches import VULN_SWITCHES

__all__ = [
    "AllowedTargets",
    "ChainStops",
    "Criterion",
    "Figure",
    "Gate",
    "Limits",
    "Markets",
    "PoolSeed",
    "Role",
    "ScriptStep",
    "SimnetProfile",
    "Size",
    "Sizes",
    "VerdictSpec",
    "uses_node",
]

_MODEL = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
CriterionId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", max_length=64)]
SizeName = Literal["smoke", "default", "full"]
MAX_BOTS = 100_000_000  # far above any fleet; keeps arithmetic on counts exact
SIZE_NAMES: tuple[SizeName, ...] = ("smoke", "default", "full")
# the closed set of reject codes of PROTOCOL.md ("Errors")
RejectCode = Literal[
    "bad_signature",
    "bad_nonce",
    "duplicate_tx",
    "wrong_chain",
    "malformed",
    "unknown_field",
    "invalid_amount",
    "invalid_address",
    "unknown_denom",
    "insufficient_funds",
    "insufficient_fee",
    "tx_too_large",
    "below_dust_limit",
    "mempool_full",
    "sender_quota",
    "rate_limited",
    "quota_exceeded",
    "slippage_exceeded",
    "deadline_exceeded",
    "margin_insufficient",
    "reduce_only_violation",
    "market_halted",
    "oracle_stale",
    "not_liquidatable",
    "already_claimed",
    "voting_closed",
    "height_not_reached",
    "duplicate_client_id",
    "not_found",
    "unavailable",
]


def _known_switch(name: str) -> str:
    if name not in VULN_SWITCHES:
        close = difflib.get_close_matches(name, list(VULN_SWITCHES), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise FieldProblem(
            f"{name!r} is not a vulnerable-mode switch",
            f"{hint}name a switch of the vulnerable-mode registry (SCENARIOS.md §8)",
        )
    return name


SwitchName = Annotated[str, AfterValidator(_known_switch)]


class AllowedTargets(BaseModel):
    """The chain ids a scenario may run against (`*` allowed: alpha-simnet-*)."""

    model_config = _MODEL
    chains: Annotated[
        tuple[Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._*-]*$")], ...],
        Field(min_length=1),
    ]
    allow_adversarial: bool = False

    def allows(self, chain_id: str) -> bool:
        return any(fnmatchcase(chain_id, pattern) for pattern in self.chains)


class Role(BaseModel):
    """A weighted mix of behaviours, the share of the bots that play it, and its caps."""

    model_config = _MODEL
    name: Identifier
    group: Literal["legitimate", "adversarial", "anti-pattern"]
    description: str = ""
    share: Annotated[float, Field(gt=0, le=1e6)] = 1.0
    behaviours: Annotated[
        dict[Identifier, Annotated[int, Field(gt=0, le=10**6)]], Field(min_length=1)
    ]
    max_in_flight_per_bot: Annotated[int, Field(gt=0, le=10**6)] = 1
    max_in_flight: Annotated[int, Field(gt=0, le=10**9)] | None = None
    active: ActiveWindow | None = None
    # reject codes that are the defence working when this role meets them (SCENARIOS.md
    # §1.3): counted as n.reject{expected=yes}, outside err_rate
    expected_rejects: tuple[RejectCode, ...] = ()
    crew: Identifier | None = Field(
        default=None,
        description=(
            "Roles that coordinate (a sandwich watcher and its front- and back-runner, a "
            "manipulator and its feeder) name the same crew. A crew has one bot of each of its "
            "roles, so they share one share; the bots of a crew always run on one worker, "
            "whose in-process bus connects them (botruntime.plan, botruntime.fleet)."
        ),
    )
    client_id: Literal["per_bot", "shared"] = Field(
        default="per_bot",
        description=(
            "Who the role's bots are to the network (X-Client-Id, the key of its rate limits). "
            "per_bot: each bot is its own client, as each user of a real network is. shared: "
            "all bots of the role are one client, like the dApp backend of polling_storm "
            "(SCENARIOS.md R4), so they share one rate limit."
        ),
    )


class ScriptStep(BaseModel):
    """An operator action at a fixed time, run through the `adnet` CLI (never a shell)."""

    model_config = _MODEL
    at_s: Annotated[float, Field(ge=0)]
    adnet: Annotated[
        tuple[Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:=/-]+$")], ...],
        Field(min_length=1),
    ]


class Size(BaseModel):
    model_config = _MODEL
    description: str = ""
    bots: Annotated[int, Field(gt=0, le=MAX_BOTS)]
    load: Annotated[dict[Identifier, RoleLoad], Field(min_length=1)]
    enforce_statistical: bool = True
    script: tuple[ScriptStep, ...] = ()

    def duration_s(self) -> float | None:
        """Longest role timeline (execute + drain); None when a trace decides it."""
        durations = [load.duration_s() for load in self.load.values()]
        known = [duration for duration in durations if duration is not None]
        return max(known) if known else None


class Sizes(BaseModel):
    model_config = _MODEL
    smoke: Size | None = None
    default: Size
    full: Size | None = None

    def defined(self) -> dict[SizeName, Size]:
        found = {name: getattr(self, name) for name in SIZE_NAMES}
        return {name: size for name, size in found.items() if size is not None}


def uses_node(tree: Expr, kinds: tuple[type, ...]) -> bool:
    """Whether `tree` contains a node of one of `kinds`."""
    return any(isinstance(node, kinds) for node in walk(tree))


class _Parsed(BaseModel):
    """An expression of the scenario file, parsed once as the file is read (an error names its
    field there), its tree kept for whoever evaluates it."""

    model_config = _MODEL
    expr: Annotated[str, Field(min_length=1)]
    description: str = ""
    _tree: Expr = PrivateAttr()

    @staticmethod
    def _parse(expr: str) -> Expr:
        return parse_expression(expr)

    @field_validator("expr")
    @classmethod
    def _parses(cls, expr: str) -> str:
        cls._parse(expr)  # ExpressionError is a ValueError: pydantic reports it here
        return expr

    def model_post_init(self, context: Any, /) -> None:
        self._tree = self._parse(self.expr)

    @property
    def tree(self) -> Expr:
        return self._tree


class _Judged(_Parsed):
    id: CriterionId


class Figure(_Parsed):
    """One of the scenario's own key figures: a number or duration over the run's metrics,
    shown in the report and as asset metadata (the UI plots it over runs). Judged by no one:
    a criterion that needs the same number writes the same expression."""

    @staticmethod
    def _parse(expr: str) -> Expr:
        return parse_number(expr)

    @property
    def is_duration(self) -> bool:
        return value_kind(self._tree) == "duration"


class Gate(_Judged):
    """A validity condition: when it does not hold, the run proves nothing (INCONCLUSIVE)."""


class Criterion(_Judged):
    """A PASS/FAIL condition (hard) or a warning (soft), with the switches it must kill."""

    severity: Literal["hard", "soft"] = "hard"
    kills: tuple[SwitchName, ...] = ()
    statistical: bool | None = None

    @field_validator("kills")
    @classmethod
    def _unique(cls, kills: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(kills)) != len(kills):
            raise FieldProblem("a switch is listed twice", "list each switch once")
        return kills

    def enforced_at(self, size: Size) -> bool:
        """Whether a run of `size` judges this criterion, or only reports it."""
        return size.enforce_statistical or not self.is_statistical

    @property
    def is_statistical(self) -> bool:
        """Percentiles, rates, windows and baselines need a long run; `smoke` only reports them."""
        if self.statistical is not None:
            return self.statistical
        return uses_node(self.tree, (Quantile, Rate, WindowAgg, BaselineNode))


def _standard_criteria(chain_stops: ChainStops | None) -> tuple[Criterion, ...]:
    made = []
    for name, standard in STANDARD_CRITERIA.items():
        expr, description = standard.expr, standard.description
        if name == LIVENESS and chain_stops is not None:
            expr = chain_stops.expect
            description = (
                f"liveness, as this scenario stops the chain on purpose: {chain_stops.reason}"
            )
        made.append(Criterion(id=name, expr=expr, description=description))
    return tuple(made)


class ChainStops(BaseModel):
    """A scenario that stops the chain on purpose says why and what it expects instead of S1
    (SCENARIOS.md §1.4), e.g. `{reason: "the script halts Alpha for 20 s of the 50 s hold",
    expect: "chain.blocks_ratio >= 50%"}`."""

    model_config = _MODEL
    reason: Annotated[str, Field(min_length=1)]
    expect: Annotated[str, Field(min_length=1)]

    @field_validator("expect")
    @classmethod
    def _parses(cls, expect: str) -> str:
        parse_expression(expect)
        return expect


def _default_gates() -> tuple[Gate, ...]:
    return tuple(
        Gate(id=name, expr=gate.expr, description=gate.description)
        for name, gate in STANDARD_GATES.items()
    )


class VerdictSpec(BaseModel):
    """Gates (G1..G5 unless the scenario picks its own), the scenario's own criteria, and the
    standard criteria S1 and S2 that every scenario gets (`all_criteria`)."""

    model_config = _MODEL
    gates: tuple[Gate, ...] = Field(default_factory=_default_gates)
    criteria: Annotated[tuple[Criterion, ...], Field(min_length=1)]
    chain_stops: ChainStops | None = None
    _standard: tuple[Criterion, ...] = PrivateAttr()

    def model_post_init(self, context: Any, /) -> None:
        self._standard = _standard_criteria(self.chain_stops)

    @property
    def all_criteria(self) -> tuple[Criterion, ...]:
        """What a verdict judges: the scenario's criteria, then S1 and S2."""
        return (*self.criteria, *self._standard)

    @field_validator("gates", mode="before")
    @classmethod
    def _expand(cls, gates: object) -> object:
        """`G1`..`G5` name the standard gates; another string is a gate expression (`gate<n>`)."""
        if not isinstance(gates, list | tuple):
            return gates
        expanded: list[object] = []
        for index, item in enumerate(gates):
            if isinstance(item, str) and item in STANDARD_GATES:
                standard = STANDARD_GATES[item]
                item = {"id": item, "expr": standard.expr, "description": standard.description}
            elif isinstance(item, str):
                item = {"id": f"gate{index + 1}", "expr": item}
            expanded.append(item)
        return expanded

    @field_validator("criteria")
    @classmethod
    def _own_ids(cls, criteria: tuple[Criterion, ...]) -> tuple[Criterion, ...]:
        taken = [c.id for c in criteria if c.id in STANDARD_CRITERIA]
        if taken:
            raise FieldProblem(
                f"{taken[0]!r} is a standard criterion every scenario gets",
                "give this criterion another id; a scenario that stops the chain on purpose "
                "sets verdict.chain_stops: {reason: ..., expect: ...} instead of S1",
            )
        return criteria

    @model_validator(mode="after")
    def _one_hard(self) -> Self:
        if not any(criterion.severity == "hard" for criterion in self.criteria):
            raise FieldProblem(
                "no hard criterion: such a scenario can never FAIL",
                "mark at least one criterion severity: hard",
            )
        return self


class Limits(BaseModel):
    """Safety caps (DESIGN §8): the runner refuses a plan above them."""

    model_config = _MODEL
    max_rate_per_s: PositiveFloat
    # the peak rate one node of the target may take (the plan's rate per chain over its nodes)
    max_rate_per_endpoint_s: PositiveFloat | None = None
    max_bots: Annotated[int, Field(gt=0, le=MAX_BOTS)]
    max_spend_per_bot: Annotated[dict[Denom, NonNegativeInt], Field(min_length=1)]
    max_spend_total: Annotated[dict[Denom, NonNegativeInt], Field(min_length=1)]


class PoolSeed(BaseModel):
    """A constant-product pool the run creates before its timed window (G5: markets seeded),
    e.g. `{denom_a: DX, denom_b: bAX, amount_a: 1000000000000, amount_b: 1000000000000}`:
    its depth in base units of each denom; the ratio is its opening price."""

    model_config = _MODEL
    denom_a: Denom
    denom_b: Denom
    amount_a: Annotated[int, Field(gt=0, lt=2**100)]
    amount_b: Annotated[int, Field(gt=0, lt=2**100)]

    @model_validator(mode="after")
    def _two_denoms(self) -> Self:
        if self.denom_a == self.denom_b:
            raise FieldProblem(
                f"a pool trades two denoms, both are {self.denom_a.value}",
                "give denom_a and denom_b different denoms of one chain, e.g. DX and bAX",
            )
        if self.denom_a.fee_denom is not self.denom_b.fee_denom:
            raise FieldProblem(
                f"{self.denom_a.value} and {self.denom_b.value} live on different chains",
                "pair two denoms of Delta (DX, bAX)",
            )
        return self


class Markets(BaseModel):
    """What the run sets up on the chain before its timed window, besides funding the bots:
    DEX pools, created in this order by the run's market maker (pool ids follow the order on
    a fresh simnet; behaviours find them with `GET /dex/pools`)."""

    model_config = _MODEL
    pools: tuple[PoolSeed, ...] = ()


class SimnetProfile(BaseModel):
    """Overrides of simnet's default profile (SCENARIOS.md §1.6); ignored on real networks."""

    model_config = _MODEL
    block_time_s: PositiveFloat | None = None
    max_txs_per_block: PositiveInt | None = None
    mempool_max_txs: PositiveInt | None = None
    mempool_max_bytes: PositiveInt | None = None
    max_pending_per_sender: PositiveInt | None = None
    future_nonce_window: PositiveInt | None = None
    mempool_ttl_blocks: PositiveInt | None = None
    mempool_view: Literal["redacted", "full"] | None = None
    reads_per_s_per_client: PositiveFloat | None = None
    txs_per_s_per_client: PositiveFloat | None = None
    nodes: PositiveInt | None = None
    # keep-alive hygiene (§1.6: idle 30 s, 1,000 requests per connection), for a run too short
    # to see an idle connection time out at the default (R5 connection_churn)
    keepalive_idle_s: PositiveInt | None = None
    max_requests_per_connection: PositiveInt | None = None
    # Alpha's periods in blocks (§1.6: unbonding 10, deposit 10, voting 15), for a run too
    # short to see an unbonding mature or a proposal close at the defaults
    unbonding_blocks: PositiveInt | None = None
    deposit_blocks: PositiveInt | None = None
    voting_blocks: PositiveInt | None = None

    def alpha_params(self) -> dict[str, int]:
        """The Alpha module parameters this profile sets (simnet's `--alpha-param`)."""
        named = {
            "unbonding_blocks": self.unbonding_blocks,
            "deposit_blocks": self.deposit_blocks,
            "voting_blocks": self.voting_blocks,
        }
        return {name: value for name, value in named.items() if value is not None}
