"""The regexes simnet's OpenAPI documents carry say exactly what the checks they describe accept."""

from __future__ import annotations

import base64
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botruntime.chain.tx import (
    AMOUNT_PATTERN,
    MAX_AMOUNT,
    InvalidAmount,
    base64_pattern,
    decode_amount,
)
from botruntime.identity import AddressError, address_from_pubkey, address_pattern, parse_address

AMOUNT = re.compile(AMOUNT_PATTERN)
DIGITS = st.text("0123456789", min_size=1, max_size=41)


def _amount_ok(text: str) -> bool:
    try:
        decode_amount(text)
    except InvalidAmount:
        return False
    return True


@settings(max_examples=500)
@given(st.one_of(DIGITS, st.integers(0, 2**130).map(str), st.text(max_size=41)))
def test_the_amount_pattern_admits_exactly_what_decode_amount_does(text: str) -> None:
    assert (AMOUNT.fullmatch(text) is not None) == _amount_ok(text)


@pytest.mark.parametrize("value", [0, 9, 10, MAX_AMOUNT, MAX_AMOUNT - 1, MAX_AMOUNT + 1, 10**38])
def test_the_amount_pattern_at_its_bounds(value: int) -> None:
    assert (AMOUNT.fullmatch(str(value)) is not None) == (value <= MAX_AMOUNT)


@settings(max_examples=300)
@given(st.binary(min_size=30, max_size=34), st.integers(0, 3))
def test_the_base64_pattern_admits_exactly_canonical_base64_of_its_size(
    raw: bytes, tweak: int
) -> None:
    text = base64.b64encode(raw).decode()
    if tweak == 1:  # a non-zero unused bit in the last character
        text = text.rstrip("=")[:-1] + "B" + text[len(text.rstrip("=")) :]
    elif tweak == 2:
        text = text.rstrip("=")
    pattern = re.compile(base64_pattern(32))
    try:
        decoded = base64.b64decode(text, validate=True)
        canonical = len(decoded) == 32 and base64.b64encode(decoded).decode() == text
    except ValueError:
        canonical = False
    assert (pattern.fullmatch(text) is not None) == canonical


@pytest.mark.parametrize("size", [1, 2, 3, 20, 32, 64])
def test_the_base64_pattern_admits_encodings_of_its_size(size: int) -> None:
    pattern = re.compile(base64_pattern(size))
    assert pattern.fullmatch(base64.b64encode(bytes(range(size))).decode())
    assert not pattern.fullmatch(base64.b64encode(bytes(size + 1)).decode())


@settings(max_examples=200)
@given(st.binary(min_size=32, max_size=32), st.sampled_from(["ax", "dx"]))
def test_every_address_fits_its_pattern_and_the_other_prefix_does_not(
    pubkey: bytes, hrp: str
) -> None:
    address = address_from_pubkey(pubkey, hrp)
    assert re.fullmatch(address_pattern(hrp), address)
    assert re.fullmatch(address_pattern("ax", "dx"), address)
    assert not re.fullmatch(address_pattern("dx" if hrp == "ax" else "ax"), address)


@settings(max_examples=300)
@given(st.text(max_size=45), st.binary(min_size=32, max_size=32), st.integers(0, 44))
def test_what_parse_address_takes_in_lowercase_fits_the_pattern(
    text: str, pubkey: bytes, cut: int
) -> None:
    real = address_from_pubkey(pubkey, "ax")
    for candidate in (text, real[:cut] + text[:3] + real[cut + 3 :]):
        try:
            parse_address(candidate, "ax")
        except AddressError:
            continue
        assert candidate.upper() == candidate or re.fullmatch(address_pattern("ax"), candidate)
