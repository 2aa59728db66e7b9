"""The token check: constant-time digests, and settings that refuse a weak or missing token."""

from __future__ import annotations

import pytest

from botruntime.cluster import TOKEN_HEADER, ClusterConfigError, check_token
from botruntime.cluster._auth import TokenInterceptor

TOKEN = "a-token-of-enough-length"


@pytest.mark.parametrize(
    ("metadata", "ok"),
    [
        (((TOKEN_HEADER, TOKEN),), True),
        ((("other", "x"), (TOKEN_HEADER, TOKEN)), True),
        (((TOKEN_HEADER, TOKEN + "x"),), False),
        (((TOKEN_HEADER, TOKEN[:-1]),), False),
        (((TOKEN_HEADER.upper(), "nope"),), False),
        ((), False),
        (None, False),
    ],
)
def test_only_the_exact_token_is_authentic(metadata: object, ok: bool) -> None:
    assert TokenInterceptor(TOKEN).authentic(metadata) is ok


@pytest.mark.parametrize(
    ("token", "says"), [(None, "TESTBOTS_TOKEN"), ("", "--token"), ("short", "16")]
)
def test_a_missing_or_short_token_is_a_config_error(token: str | None, says: str) -> None:
    with pytest.raises(ClusterConfigError, match=says):
        check_token(token)
