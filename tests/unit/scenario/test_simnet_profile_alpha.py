"""A scenario's simnet profile sets Alpha's periods; simnet takes them as --alpha-param."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from botruntime.scenario import SimnetProfile
from simnet.__main__ import main as simnet_main


def test_the_profile_names_only_the_alpha_periods_it_sets() -> None:
    assert SimnetProfile().alpha_params() == {}
    profile = SimnetProfile(unbonding_blocks=5, voting_blocks=8)
    assert profile.alpha_params() == {"unbonding_blocks": 5, "voting_blocks": 8}
    with pytest.raises(ValidationError, match="voting_blocks"):
        SimnetProfile(voting_blocks=0)


def test_simnet_refuses_an_alpha_parameter_it_does_not_have(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert simnet_main(["--port-base", "0", "--alpha-param", "unbonding=5"]) == 2
    assert "no Alpha parameter 'unbonding'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        simnet_main(["--alpha-param", "unbonding_blocks"])  # argparse: NAME=INTEGER
