"""botruntime.identity: derivation, addresses, typed parse errors, view-only keys, vectors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import bech32
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botruntime.identity import (
    ALPHA_HRP,
    DELTA_HRP,
    AddressError,
    BadChecksum,
    Identity,
    NotBech32,
    SigningUnavailable,
    WrongHrp,
    WrongLength,
    address_from_pubkey,
    derive_batch,
    derive_seed,
    parse_address,
)

VECTORS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parents[1] / "vectors" / "wire_v1.json").read_text(encoding="utf-8")
)["vectors"]

_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


@pytest.mark.parametrize("vec", VECTORS, ids=lambda v: f"{v['run_seed']}/{v['bot_index']}")
def test_derivation_reproduces_the_golden_vector(vec: dict[str, Any]) -> None:
    ident = Identity.derive(vec["run_seed"], vec["bot_index"])
    assert derive_seed(vec["run_seed"], vec["bot_index"]).hex() == vec["seed_hex"]
    assert ident.public_key.hex() == vec["pubkey_hex"]
    assert ident.alpha_address == vec["alpha_address"]
    assert ident.delta_address == vec["delta_address"]
    assert ident.index == vec["bot_index"]


def test_str_and_bytes_run_seeds_derive_the_same_key() -> None:
    assert derive_seed("run42", 5) == derive_seed(b"run42", 5)
    assert derive_seed("run42", 5) != derive_seed("run42", 6)
    assert derive_seed("run42", 5) != derive_seed("run43", 5)


def test_negative_bot_index_is_refused() -> None:
    with pytest.raises(ValueError, match="bot_index"):
        derive_seed("run42", -1)


def test_batch_derivation_matches_one_by_one_and_is_lazy() -> None:
    batch = derive_batch("run42", 10, 3)
    assert not isinstance(batch, list)
    got = [(i.index, i.alpha_address) for i in batch]
    assert got == [(n, Identity.derive("run42", n).alpha_address) for n in (10, 11, 12)]
    assert list(derive_batch("run42", 0, 0)) == []
    with pytest.raises(ValueError, match="count"):
        list(derive_batch("run42", 0, -1))


def test_both_addresses_name_one_account() -> None:
    ident = Identity.derive("run42", 1)
    alpha = parse_address(ident.alpha_address, ALPHA_HRP)
    delta = parse_address(ident.delta_address, DELTA_HRP)
    assert alpha.account_id == delta.account_id
    assert alpha.encode(DELTA_HRP) == ident.delta_address
    assert ident.address(ALPHA_HRP) == ident.alpha_address
    assert ident.address("zz").startswith("zz1")


def test_view_only_identity_verifies_but_cannot_sign() -> None:
    full = Identity.derive("run42", 2)
    view = Identity.view_only(full.public_key, index=2)
    signature = full.sign(b"hello")
    assert view.verify(b"hello", signature)
    assert not view.verify(b"hellO", signature)
    assert not view.verify(b"hello", signature[:10])  # short signature: False, not a crash
    assert view.alpha_address == full.alpha_address
    assert not view.can_sign and full.can_sign
    with pytest.raises(SigningUnavailable, match="view-only"):
        view.sign(b"hello")
    assert "view-only" in repr(view)


def test_a_public_key_is_32_bytes() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        Identity.view_only(b"\x01" * 31)
    with pytest.raises(ValueError, match="32 bytes"):
        address_from_pubkey(b"", ALPHA_HRP)


def _flip_data_char(address: str, position: int) -> str:
    sep = address.rfind("1")
    i = sep + 1 + position
    replacement = _CHARSET[(_CHARSET.index(address[i]) + 1) % 32]
    return address[:i] + replacement + address[i + 1 :]


def test_each_parse_failure_has_its_own_branch() -> None:
    good = Identity.derive("run42", 3).alpha_address
    cases: list[tuple[object, type[AddressError]]] = [
        ("", NotBech32),
        (good[:10] + good[10].upper() + good[11:], NotBech32),  # mixed case
        ("ax" + "q" * 40, NotBech32),  # no separator
        (good.replace("ax1", "ax1b", 1), NotBech32),  # 'b' is not in the alphabet
        ("a" * 91, NotBech32),
        (b"ax1...", NotBech32),  # not a string at all
        (_flip_data_char(good, 4), BadChecksum),
        (bech32.bech32_encode("ax", bech32.convertbits(b"\x00" * 19, 8, 5) or []), WrongLength),
        (Identity.derive("run42", 3).delta_address, WrongHrp),
    ]
    for text, branch in cases:
        with pytest.raises(branch) as info:
            parse_address(text, ALPHA_HRP)  # type: ignore[arg-type]
        assert info.value.code == "invalid_address"
        assert str(info.value)  # says what is wrong


def test_wrong_hrp_names_both_prefixes() -> None:
    with pytest.raises(WrongHrp) as info:
        parse_address(Identity.derive("run42", 3).delta_address, ALPHA_HRP)
    assert (info.value.hrp, info.value.expected) == ("dx", "ax")
    assert "'ax1" in str(info.value)


def test_uppercase_is_bech32_but_lookalike_letters_are_not() -> None:
    good = next(i.alpha_address for i in derive_batch("run42", 0, 50) if "k" in i.alpha_address[3:])
    assert parse_address(good.upper()).account_id == parse_address(good).account_id
    kelvin = good.upper().replace("K", "\u212a", 1)  # KELVIN SIGN lowers to ASCII 'k'
    with pytest.raises(NotBech32, match="ASCII"):
        parse_address(kelvin)


# ---- properties ---------------------------------------------------------------------------------

seeds = st.binary(min_size=32, max_size=32)


@settings(max_examples=50, deadline=None)
@given(seed=seeds, message=st.binary(max_size=300))
def test_sign_verify_round_trip(seed: bytes, message: bytes) -> None:
    ident = Identity.from_seed(seed)
    assert ident.verify(message, ident.sign(message))


@settings(max_examples=50, deadline=None)
@given(seed=seeds, message=st.binary(min_size=1, max_size=200), data=st.data())
def test_any_changed_byte_breaks_the_signature(seed: bytes, message: bytes, data: Any) -> None:
    ident = Identity.from_seed(seed)
    signature = ident.sign(message)
    i = data.draw(st.integers(0, len(message) - 1), label="message byte")
    xor = data.draw(st.integers(1, 255), label="xor")
    changed = message[:i] + bytes([message[i] ^ xor]) + message[i + 1 :]
    assert not ident.verify(changed, signature)
    j = data.draw(st.integers(0, 63), label="signature byte")
    bad_sig = signature[:j] + bytes([signature[j] ^ xor]) + signature[j + 1 :]
    assert not ident.verify(message, bad_sig)


@settings(max_examples=100, deadline=None)
@given(account_id=st.binary(min_size=20, max_size=20), hrp=st.sampled_from([ALPHA_HRP, DELTA_HRP]))
def test_bech32_round_trip_under_both_prefixes(account_id: bytes, hrp: str) -> None:
    other = DELTA_HRP if hrp == ALPHA_HRP else ALPHA_HRP
    data = bech32.convertbits(account_id, 8, 5, True) or []
    text = bech32.bech32_encode(hrp, data)
    parsed = parse_address(text, hrp)
    assert parsed.account_id == account_id and parsed.hrp == hrp
    assert parsed.encode() == text
    twin = parsed.encode(other)
    assert twin.startswith(other + "1")
    assert parse_address(twin, other).account_id == account_id
    assert parse_address(twin, other).encode(hrp) == text


address_like = st.one_of(
    st.text(max_size=120),
    st.text(alphabet="AXDaxd1" + _CHARSET + _CHARSET.upper() + "\u212a\u0130 ", max_size=95),
    st.builds(
        lambda prefix, body: prefix + body,
        st.sampled_from(["ax1", "dx1", "AX1", "bc1", "1", "ax"]),
        st.text(alphabet=_CHARSET, min_size=0, max_size=60),
    ),
)


@settings(max_examples=300, deadline=None)
@given(text=address_like, expected=st.sampled_from([None, ALPHA_HRP, DELTA_HRP]))
def test_arbitrary_strings_raise_only_address_errors(text: str, expected: str | None) -> None:
    try:
        parsed = parse_address(text, expected)
    except AddressError as exc:
        assert exc.code == "invalid_address"
        return
    assert len(parsed.account_id) == 20
    assert parsed.encode() == text.lower()  # whatever parses re-encodes to itself
