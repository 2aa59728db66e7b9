"""Write tests/vectors/wire_v1.json: the golden vectors of DESIGN §3 and PROTOCOL.md.

Run once, by hand, when the vectors are created or the protocol version changes:

    .venv/bin/python tests/vectors/make_vectors.py

The tests never run this script; they read the committed JSON and check that `botruntime`
reproduces every field exactly. It deliberately does not import `botruntime`: each value is
computed from the spec's own words with bare hashlib, json, base64, PyNaCl and bech32, so the
vectors are an independent statement of the contract that another implementation can be
checked against too. A change to this file that changes the JSON is a protocol version bump.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import bech32
from nacl.signing import SigningKey

OUT = Path(__file__).with_name("wire_v1.json")

# (run seed, bot index, chain, tx shape): a few run seeds and indices, both chains, every body
# field, a non-ASCII memo (pins ensure_ascii=False) and a multisend.
CASES: list[tuple[str, int, str, str]] = [
    ("run42", 0, "alpha", "send"),
    ("run42", 17, "alpha", "send_client_id"),
    ("run42", 999_999, "delta", "send"),
    ("nightly-2025-11-25", 3, "alpha", "multisend_unicode_memo"),
    ("", 0, "delta", "send_timeout"),
]
CHAINS = {"alpha": ("ax", "alpha-simnet-1", "AX"), "delta": ("dx", "delta-simnet-1", "DX")}


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def seed_of(run_seed: str, index: int) -> bytes:
    return hashlib.sha256(b"testbots/v1/" + run_seed.encode() + b"/" + str(index).encode()).digest()


def address(pubkey: bytes, hrp: str) -> str:
    data = bech32.convertbits(hashlib.sha256(pubkey).digest()[:20], 8, 5, True)
    assert data is not None  # padding on: bytes always convert
    return str(bech32.bech32_encode(hrp, data))


def peer(run_seed: str, index: int, hrp: str) -> str:
    key = SigningKey(seed_of(run_seed, index + 1))
    return address(bytes(key.verify_key), hrp)


def body_of(run_seed: str, index: int, chain: str, shape: str, sender: str) -> dict[str, Any]:
    hrp, chain_id, denom = CHAINS[chain]
    to = peer(run_seed, index, hrp)
    body: dict[str, Any] = {
        "chain_id": chain_id,
        "sender": sender,
        "nonce": index % 7,
        "fee": "2000",
        "msgs": [{"type": "bank.send", "to": to, "denom": denom, "amount": "1000000"}],
        "memo": f"tb:{run_seed or 'r'}:{index}:1764079200000000",
        "timeout_height": 0,
    }
    if shape == "send_client_id":
        body["client_tx_id"] = f"{run_seed}-{index}-0"
    if shape == "send_timeout":
        body["timeout_height"] = 18_446_744_073_709_551_615  # 2^64-1, the largest
        body["msgs"][0]["amount"] = str(2**128 - 1)  # the largest amount
    if shape == "multisend_unicode_memo":
        body["memo"] = "paie ü → 东京 🚀"
        body["msgs"] = [
            {
                "type": "bank.multisend",
                "outputs": [
                    {"to": to, "denom": "AX", "amount": "1"},
                    {"to": sender, "denom": "sAX", "amount": "0"},
                ],
            }
        ]
    return body


def vector(run_seed: str, index: int, chain: str, shape: str) -> dict[str, Any]:
    hrp = CHAINS[chain][0]
    seed = seed_of(run_seed, index)
    key = SigningKey(seed)
    pubkey = bytes(key.verify_key)
    alpha, delta = address(pubkey, "ax"), address(pubkey, "dx")
    body = body_of(run_seed, index, chain, shape, alpha if hrp == "ax" else delta)
    sign_bytes = canonical(body)
    signature = key.sign(sign_bytes).signature
    tx = {
        "body": body,
        "pubkey": base64.b64encode(pubkey).decode(),
        "signature": base64.b64encode(signature).decode(),
    }
    return {
        "run_seed": run_seed,
        "bot_index": index,
        "hrp": hrp,
        "seed_hex": seed.hex(),
        "pubkey_hex": pubkey.hex(),
        "alpha_address": alpha,
        "delta_address": delta,
        "sign_bytes_hex": sign_bytes.hex(),
        "sign_bytes_text": sign_bytes.decode("utf-8"),  # the same bytes, for reading
        "signature_b64": tx["signature"],
        "tx": tx,
        "tx_hash": hashlib.sha256(canonical(tx)).hexdigest().upper(),
    }


def main() -> None:
    doc = {
        "about": (
            "testbots protocol v1 golden vectors (DESIGN §3, PROTOCOL.md), written by "
            "tests/vectors/make_vectors.py from bare hashlib/json/PyNaCl/bech32."
        ),
        "vectors": [vector(*case) for case in CASES],
    }
    OUT.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(CASES)} vectors to {OUT}")


if __name__ == "__main__":
    main()
