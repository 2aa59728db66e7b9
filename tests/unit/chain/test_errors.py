"""The wire error -> exception table of PROTOCOL.md § Errors, pinned code by code."""

import orjson
import pytest

from botruntime.chain import errors as e

# Every code PROTOCOL.md lists, with the branch a caller catches for it.
PROTOCOL_CODES: dict[str, type[e.ChainError]] = {
    "bad_signature": e.BadSignature,
    "bad_nonce": e.BadNonce,
    "duplicate_tx": e.DuplicateTx,
    "wrong_chain": e.WrongChain,
    "malformed": e.Malformed,
    "unknown_field": e.UnknownField,
    "invalid_amount": e.InvalidAmount,
    "invalid_address": e.InvalidAddress,
    "unknown_denom": e.UnknownDenom,
    "insufficient_funds": e.InsufficientFunds,
    "insufficient_fee": e.InsufficientFee,
    "tx_too_large": e.TxTooLarge,
    "below_dust_limit": e.BelowDustLimit,
    "mempool_full": e.MempoolFull,
    "sender_quota": e.SenderQuota,
    "rate_limited": e.RateLimited,
    "quota_exceeded": e.QuotaExceeded,
    "slippage_exceeded": e.Rejected,
    "deadline_exceeded": e.Rejected,
    "margin_insufficient": e.Rejected,
    "reduce_only_violation": e.Rejected,
    "market_halted": e.Rejected,
    "oracle_stale": e.Rejected,
    "not_liquidatable": e.Rejected,
    "already_claimed": e.Rejected,
    "voting_closed": e.Rejected,
    "height_not_reached": e.HeightNotReached,
    "duplicate_client_id": e.DuplicateClientId,
    "not_found": e.NotFound,
    "unavailable": e.Unreachable,
}


def body(code: str, details: object = None, message: str = "it went wrong") -> bytes:
    return orjson.dumps(
        {"code": code, "codespace": "sdk", "message": message, "details": details or {}}
    )


@pytest.mark.parametrize(("code", "cls"), sorted(PROTOCOL_CODES.items()))
def test_every_protocol_code_maps_to_its_branch(code: str, cls: type[e.ChainError]) -> None:
    details = {"expected": 7} if code == "bad_nonce" else {"hint": "x"}
    status = 503 if code == "unavailable" else 429 if code == "rate_limited" else 400
    error = e.error_from_answer(status, body(code, details), method="POST", path="/txs")
    assert type(error) is cls
    if isinstance(error, e.Rejected):
        assert error.code == code
        assert error.status == status
        assert error.codespace == "sdk"
        assert error.message == "it went wrong"
        assert dict(error.details) == details
        assert code in str(error)


def test_bad_nonce_carries_the_expected_nonce() -> None:
    error = e.error_from_answer(400, body("bad_nonce", {"expected": 12}))
    assert isinstance(error, e.BadNonce)
    assert error.expected == 12


def test_bad_nonce_without_expected_breaks_the_protocol() -> None:
    error = e.error_from_answer(400, body("bad_nonce", {}))
    assert isinstance(error, e.ProtocolViolation)
    assert "details.expected" in str(error)


def test_rate_limited_and_503_carry_retry_after() -> None:
    limited = e.error_from_answer(429, body("rate_limited"), retry_after_s=3.0)
    assert isinstance(limited, e.RateLimited) and isinstance(limited, e.Throttled)
    assert limited.retry_after_s == 3.0
    down = e.error_from_answer(503, b"", retry_after_s=1.5, method="GET", path="/status")
    assert isinstance(down, e.Unreachable)
    assert down.retry_after_s == 1.5
    assert "GET /status" in str(down)


def test_a_bare_429_is_still_rate_limited() -> None:
    error = e.error_from_answer(429, b"Too Many Requests", retry_after_s=2.0)
    assert isinstance(error, e.RateLimited)
    assert error.retry_after_s == 2.0


@pytest.mark.parametrize(
    ("status", "raw"),
    [
        (500, body("malformed")),  # a 5xx other than 503 is a bug, whatever it says
        (502, b"<html>bad gateway</html>"),
        (400, b"not json"),
        (400, b'{"message": "no code"}'),
        (404, b"[1, 2]"),
    ],
)
def test_answers_outside_the_protocol_are_violations(status: int, raw: bytes) -> None:
    error = e.error_from_answer(status, raw, method="GET", path="/x")
    assert isinstance(error, e.ProtocolViolation)
    assert error.status == status
    assert "GET /x" in str(error)


def test_unknown_codes_stay_generic_rejections_with_their_code() -> None:
    error = e.error_from_answer(400, body("brand_new_code"))
    assert type(error) is e.Rejected
    assert error.code == "brand_new_code"


def test_invalid_tx_branch_groups_what_resending_cannot_fix() -> None:
    for code in ("bad_signature", "wrong_chain", "malformed", "unknown_field", "tx_too_large"):
        assert isinstance(e.error_from_answer(400, body(code)), e.InvalidTx)
    for code in ("bad_nonce", "insufficient_funds", "mempool_full"):
        details = {"expected": 1} if code == "bad_nonce" else {}
        assert not isinstance(e.error_from_answer(400, body(code, details)), e.InvalidTx)


def test_errors_can_be_raised_directly_with_their_class_code() -> None:
    error = e.BadNonce("nonce 3 is used", expected=4)
    assert error.code == "bad_nonce" and error.expected == 4 and error.details == {"expected": 4}
    assert e.DuplicateTx("seen").code == "duplicate_tx"
    assert e.RateLimited("slow down", retry_after_s=1.0).status == 429
