"""schemathesis hooks for simnet's OpenAPI documents, loaded through ../schemathesis.toml.

Two rules of simnet's wire format that JSON Schema cannot state, given to the fuzzer here so
that a request it calls valid is valid:

- an address is `{"format": "bech32", "pattern": ...}`: the pattern states the prefix, the
  alphabet and the length, the format the checksum. The format's generator draws real
  addresses; the coverage phase draws from the pattern alone, so a valid case's address-shaped
  strings get their checksum (the 6 characters after the data) computed.
- a JSON integer is written as one: to JSON Schema `2.0` is the integer 2, to simnet it is a
  float (a tx's signature covers its JSON as sent), so a valid case's whole floats go as ints.

Cases the fuzzer means to be invalid are sent as drawn.
"""

from __future__ import annotations

import re
from typing import Any, Final

import bech32
import schemathesis
from hypothesis import strategies as st

from botruntime.identity import ALPHA_HRP, DELTA_HRP, ParsedAddress, address_pattern

_ADDRESS: Final = re.compile(address_pattern(ALPHA_HRP, DELTA_HRP))
_CHECKSUM_CHARS: Final = 6


def _address(hrp: str, account_id: bytes) -> str:
    return ParsedAddress(hrp, account_id).encode()


schemathesis.openapi.format(
    "bech32",
    st.builds(
        _address, st.sampled_from([ALPHA_HRP, DELTA_HRP]), st.binary(min_size=20, max_size=20)
    ),
)


def _as_sent(value: Any) -> Any:
    """`value` with whole floats as ints and address-shaped strings checksummed."""
    if isinstance(value, dict):
        return {k: _as_sent(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_sent(v) for v in value]
    if isinstance(value, float) and value.is_integer() and abs(value) <= 2**53:
        return int(value)
    if isinstance(value, str) and _ADDRESS.fullmatch(value):
        hrp, _, data = value.partition("1")
        words = [bech32.CHARSET.index(c) for c in data[:-_CHECKSUM_CHARS]]
        return str(bech32.bech32_encode(hrp, words))
    return value


@schemathesis.hook
def map_case(context: schemathesis.HookContext, case: schemathesis.Case) -> schemathesis.Case:
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return case
    for container in ("path_parameters", "query", "body"):
        value = getattr(case, container)
        if isinstance(value, dict | list):
            setattr(case, container, _as_sent(value))
    return case
