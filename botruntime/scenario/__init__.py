"""Scenario files (schema and loader), the verdict expression language, and verdicts.

loaded = load_scenario("transfer_baseline")          # id or path; ScenarioError otherwise
validate_behaviours(loaded.scenario, registry_names)  # once the behaviour registry exists
verdict = compute_verdict(loaded.scenario, "default", source)  # source: a MetricSource
raise SystemExit(verdict.exit_code)
"""

from ._errors import (
    ExpressionError,
    Problem,
    ScenarioError,
    ScenarioInvalid,
    ScenarioNotFound,
    ScenarioSyntaxError,
    ScenarioUnsafe,
    SizeNotDefined,
    UnknownBehaviours,
)
from ._expr_ast import Baseline, Expr, Invariants, render, walk
from ._expr_eval import (
    MetricSource,
    Outcome,
    OutcomeStatus,
    Window,
    evaluate,
    evaluate_number,
    route_matches,
)
from ._expr_parser import FUNCTIONS, parse_expression, parse_number
from ._expr_refs import Reference, references
from ._gates import STANDARD_GATES
from ._invariant_routes import INVARIANT_ROUTES
from ._load_models import (
    ActiveWindow,
    ClosedLoad,
    ConstantLoad,
    PoissonLoad,
    RampingLoad,
    RoleLoad,
    RoundsLoad,
    Stage,
    SteppedLoad,
    ThinkTime,
    TraceLoad,
)
from ._loader import (
    LoadedScenario,
    content_hash,
    find_scenarios_dir,
    list_scenarios,
    load_scenario,
    parse_scenario,
    scenario_path,
    validate_behaviours,
)
from ._scenario import Scenario
from ._schema import (
    AllowedTargets,
    ChainStops,
    Criterion,
    Figure,
    Gate,
    Limits,
    Markets,
    PoolSeed,
    Role,
    ScriptStep,
    SimnetProfile,
    Size,
    Sizes,
    VerdictSpec,
)
from ._standard import STANDARD_CRITERIA
from ._switches import VULN_SWITCHES
from ._verdict import (
    CriterionResult,
    ExitCode,
    Regression,
    Status,
    Verdict,
    compute_verdict,
)

__all__ = [
    "FUNCTIONS",
    "INVARIANT_ROUTES",
    "STANDARD_CRITERIA",
    "STANDARD_GATES",
    "VULN_SWITCHES",
    "ActiveWindow",
    "AllowedTargets",
    "Baseline",
    "ChainStops",
    "ClosedLoad",
    "ConstantLoad",
    "Criterion",
    "CriterionResult",
    "ExitCode",
    "Expr",
    "ExpressionError",
    "Figure",
    "Gate",
    "Invariants",
    "Limits",
    "LoadedScenario",
    "Markets",
    "MetricSource",
    "Outcome",
    "OutcomeStatus",
    "PoissonLoad",
    "PoolSeed",
    "Problem",
    "RampingLoad",
    "Reference",
    "Regression",
    "Role",
    "RoleLoad",
    "RoundsLoad",
    "Scenario",
    "ScenarioError",
    "ScenarioInvalid",
    "ScenarioNotFound",
    "ScenarioSyntaxError",
    "ScenarioUnsafe",
    "ScriptStep",
    "SimnetProfile",
    "Size",
    "SizeNotDefined",
    "Sizes",
    "Stage",
    "Status",
    "SteppedLoad",
    "ThinkTime",
    "TraceLoad",
    "UnknownBehaviours",
    "Verdict",
    "VerdictSpec",
    "Window",
    "compute_verdict",
    "content_hash",
    "evaluate",
    "evaluate_number",
    "find_scenarios_dir",
    "list_scenarios",
    "load_scenario",
    "parse_expression",
    "parse_number",
    "parse_scenario",
    "references",
    "render",
    "route_matches",
    "scenario_path",
    "validate_behaviours",
    "walk",
]
