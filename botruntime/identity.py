"""Bot identities: deterministic ed25519 keys and their bech32 addresses on both chains.

One key controls an `ax1…` address on Alpha and a `dx1…` address on Delta (PROTOCOL.md).
Keys are derived from the run seed and the bot index (DESIGN §3), so any worker can re-create
any bot and a rerun with the same seed uses the same accounts.

Address errors are a small tree; catch the branch you can act on:

AddressError           the string is not a usable address (.code == "invalid_address")
├── NotBech32          not bech32 at all: bad characters, mixed case, no separator, too long
├── BadChecksum        bech32-shaped, but the checksum does not match
├── WrongHrp           a valid address of the other chain (or of something else)
└── WrongLength        a valid bech32 string whose payload is not 20 bytes

SigningUnavailable     a view-only identity was asked to sign
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final, Literal

import bech32
from nacl.exceptions import CryptoError
from nacl.signing import SigningKey, VerifyKey

__all__ = [
    "ALPHA_HRP",
    "DELTA_HRP",
    "AddressError",
    "BadChecksum",
    "Identity",
    "NotBech32",
    "ParsedAddress",
    "SigningUnavailable",
    "WrongHrp",
    "WrongLength",
    "address_from_pubkey",
    "address_pattern",
    "derive_batch",
    "derive_seed",
    "parse_address",
    "simnet_feeder",
]

ALPHA_HRP: Final = "ax"
DELTA_HRP: Final = "dx"
Hrp = Literal["ax", "dx"]

_ALPHABET: Final = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_CHARSET: Final = frozenset(_ALPHABET)
_ADDRESS_BYTES: Final = 20
_MAX_BECH32_LEN: Final = 90
_CHECKSUM_CHARS: Final = 6


class AddressError(ValueError):
    """The string is not an address this network accepts."""

    code = "invalid_address"

    def __init__(self, message: str, *, address: str) -> None:
        super().__init__(message)
        self.address = address


class NotBech32(AddressError):
    """Not a bech32 string at all."""


class BadChecksum(AddressError):
    """bech32-shaped, but a character was changed: the checksum does not match."""


class WrongHrp(AddressError):
    """A well-formed address with another prefix than the one expected."""

    def __init__(self, message: str, *, address: str, hrp: str, expected: str) -> None:
        super().__init__(message, address=address)
        self.hrp = hrp
        self.expected = expected


class WrongLength(AddressError):
    """A well-formed bech32 string whose payload is not a 20-byte account id."""


class SigningUnavailable(RuntimeError):
    """A view-only identity holds a public key only and cannot sign."""


@dataclass(frozen=True, slots=True)
class ParsedAddress:
    hrp: str
    account_id: bytes  # sha256(pubkey)[:20]

    def encode(self, hrp: str | None = None) -> str:
        """The same account under another prefix: how an `ax…` address maps to its `dx…` twin."""
        return _encode(hrp or self.hrp, self.account_id)


def derive_seed(run_seed: str | bytes, bot_index: int) -> bytes:
    """sha256(b"testbots/v1/" + run_seed + b"/" + str(bot_index)): the 32-byte ed25519 seed."""
    if bot_index < 0:
        raise ValueError(f"bot_index must be >= 0, got {bot_index}")
    seed = run_seed.encode("utf-8") if isinstance(run_seed, str) else run_seed
    return hashlib.sha256(b"testbots/v1/" + seed + b"/" + str(bot_index).encode("ascii")).digest()


def _account_id(pubkey: bytes) -> bytes:
    return hashlib.sha256(pubkey).digest()[:_ADDRESS_BYTES]


def _encode(hrp: str, account_id: bytes) -> str:
    data = bech32.convertbits(account_id, 8, 5, True)
    if data is None:  # pragma: no cover - padding on, so bytes always convert
        raise AddressError("could not encode address", address=hrp)
    return str(bech32.bech32_encode(hrp, data))


def address_from_pubkey(pubkey: bytes, hrp: str) -> str:
    """bech32 (BIP-173) of sha256(pubkey)[:20] under `hrp`."""
    if len(pubkey) != 32:
        raise ValueError(f"an ed25519 public key is 32 bytes, got {len(pubkey)}")
    return _encode(hrp, _account_id(pubkey))


def address_pattern(*hrps: str) -> str:
    """A regex of the addresses `parse_address` accepts under one of `hrps`, in their canonical
    lowercase form (it also takes the all-uppercase one), checksum aside: no regex checks that.
    """
    data_chars = -(-_ADDRESS_BYTES * 8 // 5) + _CHECKSUM_CHARS
    prefixes = "|".join(sorted(hrps))
    return f"^(?:{prefixes})1[{''.join(sorted(_ALPHABET))}]{{{data_chars}}}$"


def parse_address(text: str, expected_hrp: str | None = None) -> ParsedAddress:
    """Decode an address, or raise the AddressError branch that says what is wrong with it."""
    if not isinstance(text, str):
        raise NotBech32(f"an address is a string, got {type(text).__name__}", address=repr(text))
    if not text or len(text) > _MAX_BECH32_LEN:
        raise NotBech32(f"an address is 1..{_MAX_BECH32_LEN} characters", address=text)
    if not text.isascii():  # else str.lower() maps e.g. KELVIN SIGN to 'k' and it would parse
        raise NotBech32("bech32 is ASCII only", address=text)
    if text.lower() != text and text.upper() != text:
        raise NotBech32("mixed case is not bech32", address=text)
    lowered = text.lower()
    sep = lowered.rfind("1")
    if sep < 1 or sep + 7 > len(lowered):
        raise NotBech32(
            "no '1' separator followed by data and a 6-character checksum", address=text
        )
    if any(ord(c) < 33 or ord(c) > 126 for c in lowered[:sep]):
        raise NotBech32("the prefix has characters outside printable ASCII", address=text)
    bad = sorted({c for c in lowered[sep + 1 :] if c not in _CHARSET})
    if bad:
        raise NotBech32(f"characters outside the bech32 alphabet: {''.join(bad)!r}", address=text)
    hrp, data = bech32.bech32_decode(lowered)
    if hrp is None or data is None:
        raise BadChecksum("the bech32 checksum does not match (a character is wrong)", address=text)
    decoded = bech32.convertbits(data, 5, 8, False)
    if decoded is None or len(decoded) != _ADDRESS_BYTES:
        size = "a non-byte-aligned payload" if decoded is None else f"{len(decoded)} bytes"
        raise WrongLength(f"an address holds 20 bytes, this one {size}", address=text)
    if expected_hrp is not None and hrp != expected_hrp:
        raise WrongHrp(
            f"expected an '{expected_hrp}1…' address, got prefix '{hrp}'",
            address=text,
            hrp=hrp,
            expected=expected_hrp,
        )
    return ParsedAddress(hrp=hrp, account_id=bytes(decoded))


class Identity:
    """An ed25519 key and its two addresses.

    Addresses cost more than a signature to encode (~28 µs against ~15 µs), so each is computed
    on first use and kept. A view-only identity (`Identity.view_only`) has no signing key.
    """

    __slots__ = ("_alpha", "_delta", "_signing_key", "index", "public_key")

    def __init__(self, public_key: bytes, signing_key: SigningKey | None, index: int = -1) -> None:
        if len(public_key) != 32:
            raise ValueError(f"an ed25519 public key is 32 bytes, got {len(public_key)}")
        self.public_key = public_key
        self._signing_key = signing_key
        self.index = index
        self._alpha: str | None = None
        self._delta: str | None = None

    @classmethod
    def from_seed(cls, seed: bytes, index: int = -1) -> Identity:
        key = SigningKey(seed)
        return cls(bytes(key.verify_key), key, index)

    @classmethod
    def derive(cls, run_seed: str | bytes, bot_index: int) -> Identity:
        return cls.from_seed(derive_seed(run_seed, bot_index), bot_index)

    @classmethod
    def simnet_validator(cls, network_seed: str, index: int) -> Identity:
        """The operator key of simnet's genesis validator `index` on a network started with
        `--seed network_seed`: simnet's convention, so that a run can play its operators
        (a real network's operators bring their own keys)."""
        return cls.derive(f"simnet/{network_seed}/validators", index)

    @classmethod
    def view_only(cls, public_key: bytes, index: int = -1) -> Identity:
        return cls(public_key, None, index)

    @property
    def can_sign(self) -> bool:
        return self._signing_key is not None

    @property
    def alpha_address(self) -> str:
        if self._alpha is None:
            self._alpha = address_from_pubkey(self.public_key, ALPHA_HRP)
        return self._alpha

    @property
    def delta_address(self) -> str:
        if self._delta is None:
            self._delta = address_from_pubkey(self.public_key, DELTA_HRP)
        return self._delta

    def address(self, hrp: str) -> str:
        if hrp == ALPHA_HRP:
            return self.alpha_address
        if hrp == DELTA_HRP:
            return self.delta_address
        return address_from_pubkey(self.public_key, hrp)

    def sign(self, message: bytes) -> bytes:
        """The 64-byte detached ed25519 signature of `message`."""
        if self._signing_key is None:
            raise SigningUnavailable(
                f"identity {self.alpha_address} is view-only (public key only) and cannot sign"
            )
        return bytes(self._signing_key.sign(message).signature)

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            VerifyKey(self.public_key).verify(message, signature)
        except CryptoError:
            return False
        return True

    def __repr__(self) -> str:
        kind = "Identity" if self.can_sign else "Identity(view-only)"
        return f"<{kind} #{self.index} {self.alpha_address}>"


def simnet_feeder(seed: str, index: int) -> Identity:
    """Oracle feeder `index` of a simnet started (or reset) with `seed`: simnet derives its
    feeder set this way, so a harness that knows the seed signs the prices (SCENARIOS.md L7,
    "harness reference walk"). A real network names its feeders' keys instead."""
    return Identity.derive(f"simnet/{seed}/feeders", index)


def derive_batch(run_seed: str | bytes, start: int, count: int) -> Iterator[Identity]:
    """Identities start .. start+count-1 of a run, one at a time (a million fit in no list)."""
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    for index in range(start, start + count):
        yield Identity.derive(run_seed, index)
