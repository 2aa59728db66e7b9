"""The stateless checks of `POST /txs`: decoding, chain id, size, signature, denoms, dust, fee.

`TxDecoder.decode` turns the wire JSON of one tx into an `Entry` or raises `Rejected` with the
protocol code. It keeps a cache: pubkey -> its address (bech32 encoding costs more than a
signature check). The signature is checked by libsodium's `crypto_sign_open` on the key's
bytes, what `VerifyKey.verify` calls without building a key object and re-checking types.
What depends on chain state (nonce, balance, duplicates, mempool room) is checked by the chain
when the entry is admitted.
"""

from __future__ import annotations

from hashlib import sha256
from typing import Final

import orjson
from nacl.bindings import crypto_sign_open
from nacl.exceptions import CryptoError

from botruntime.chain.tx import (
    JsonValue,
    Msg,
    TxError,
    TxTooLarge,
    canonical_json,
    decode_tx,
)
from botruntime.identity import address_from_pubkey, parse_address
from simnet._entry import Entry, Transfer
from simnet._errors import Rejected, from_tx_error
from simnet._fastdecode import Decoded, FastDecoder
from simnet._lenient import normalize
from simnet._params import ChainSpec, Params
from simnet._vuln import Vulns

__all__ = ["TxDecoder", "canonical_bytes"]

_CACHE_LIMIT: Final = 1_000_000
_BANK: Final = frozenset({"bank.send", "bank.multisend"})


def canonical_bytes(value: JsonValue) -> bytes:
    """PROTOCOL.md's canonical JSON; orjson gives the same bytes ~10x faster on wire values."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except (TypeError, orjson.JSONEncodeError):  # ints beyond 64 bits, lenient floats
        return canonical_json(value)


class TxDecoder:
    """Stateless admission for one chain; `other` is the chain a replay might come from."""

    def __init__(self, spec: ChainSpec, other: ChainSpec, params: Params, vulns: Vulns) -> None:
        self.spec = spec
        self.other = other
        self.params = params
        self.vulns = vulns
        self._signers: dict[bytes, str] = {}  # pubkey -> its address
        self._fast = FastDecoder()

    def decode(self, raw: object) -> Entry:
        vulns = self.vulns
        overrides: dict[str, int] = {}
        signed_raw = raw
        if vulns.on("lenient_decode"):
            raw, overrides = normalize(raw)
        tx = self._decode(raw)
        assert isinstance(raw, dict)
        raw_body = signed_raw["body"] if isinstance(signed_raw, dict) else raw["body"]
        chain_id, tx_sender, nonce, fee, msgs, _, timeout, client_tx_id, pubkey, _ = tx
        unsigned_chain = vulns.on("chain_id_unsigned")
        spec = self.spec
        if chain_id != spec.chain_id and not (unsigned_chain and chain_id == self.other.chain_id):
            raise Rejected(
                "wrong_chain",
                f"body.chain_id is {chain_id!r}; this node serves {spec.chain_id!r}",
                {"expected": spec.chain_id, "got": chain_id},
            )
        transfers = self._transfers(msgs, overrides, unsigned_chain)
        sender = (
            tx_sender
            if tx_sender.startswith(spec.hrp + "1")
            else self._local_address(tx_sender, "body.sender", unsigned_chain)
        )
        body_bytes = canonical_bytes(raw_body)  # the sign bytes, inside the hashed whole
        whole = _whole_bytes(body_bytes, raw)
        size = len(whole)
        params = self.params
        if size > params.max_tx_bytes and not vulns.on("no_size_limits"):
            raise Rejected(
                "tx_too_large",
                f"the tx is {size} bytes in canonical JSON; the limit is {params.max_tx_bytes}",
                {"size": size, "limit": params.max_tx_bytes},
            )
        self._verify(tx, raw_body, body_bytes, sender, unsigned_chain)
        self._check_amounts(transfers)
        min_fee = params.min_fee_base + params.min_fee_per_byte * size
        if fee < min_fee:
            raise Rejected(
                "insufficient_fee",
                f"body.fee {fee} is below the minimum {min_fee} for a {size}-byte tx "
                f"({params.min_fee_base} + {params.min_fee_per_byte}/byte)",
                {"min_fee": str(min_fee), "size": size},
            )
        canonical_hash = sha256(whole).hexdigest().upper()
        tx_hash = canonical_hash
        if vulns.on("noncanonical_hash"):
            tx_hash = sha256(orjson.dumps(signed_raw)).hexdigest().upper()
        module_msgs = () if len(msgs) == 1 and msgs[0]["type"] in _BANK else _module_msgs(msgs)
        return Entry(
            tx_hash,
            canonical_hash,
            raw,
            sender,
            pubkey,
            nonce,
            fee,
            size,
            transfers,
            timeout,
            client_tx_id,
            module_msgs,
        )

    # ---- the steps -----------------------------------------------------------------------------

    def _decode(self, raw: object) -> Decoded:
        fast = self._fast.parse(raw)
        if fast is not None:
            return fast
        try:
            tx = decode_tx(raw)
            self._fast.learn(tx)
            return Decoded.of(tx)
        except TxTooLarge as exc:
            if not self.vulns.on("no_size_limits") or not isinstance(raw, dict):
                raise from_tx_error(exc) from None
            body = raw.get("body")
            assert isinstance(body, dict)  # the memo check runs after the body is an object
            tx = decode_tx({**raw, "body": {**body, "memo": ""}})
            return Decoded.of(tx)._replace(memo=body["memo"])
        except TxError as exc:
            raise from_tx_error(exc) from None

    def _local_address(self, address: str, path: str, unsigned_chain: bool) -> str:
        hrp = self.spec.hrp
        if address.startswith(hrp + "1"):
            return address
        parsed = parse_address(address)  # valid: decode_tx checked it
        if unsigned_chain and parsed.hrp == self.other.hrp:
            return parsed.encode(hrp)
        raise Rejected(
            "invalid_address",
            f"{path}: {address} is not an address of {self.spec.chain_id}; "
            f"expected the prefix '{hrp}1'",
            {"path": path, "expected_prefix": hrp},
        )

    def _transfers(
        self, msgs: tuple[Msg, ...], overrides: dict[str, int], unsigned_chain: bool
    ) -> tuple[Transfer, ...]:
        local = self.spec.hrp + "1"
        known = self._fast.known  # the one str of each address
        if len(msgs) == 1 and not overrides and not unsigned_chain:  # the common transfer
            msg = msgs[0]
            to = msg.get("to")
            if msg["type"] == "bank.send" and isinstance(to, str) and to.startswith(local):
                return ((known.get(to, to), str(msg["denom"]), int(str(msg["amount"]))),)
        out: list[Transfer] = []
        for i, msg in enumerate(msgs):
            if msg["type"] == "bank.send":
                outputs: list[tuple[int | None, JsonValue]] = [(None, msg)]
            elif msg["type"] != "bank.multisend":
                continue  # a module message: the chain's modules check and execute it
            else:
                listed = msg["outputs"]
                assert isinstance(listed, list)
                outputs = list(enumerate(listed))
            for j, output in outputs:
                assert isinstance(output, dict)
                to, denom, amount = output["to"], output["denom"], output["amount"]
                assert isinstance(to, str) and isinstance(denom, str) and isinstance(amount, str)
                to = known.get(to, to)
                foreign = not to.startswith(local)
                where = _output_path(i, j) if overrides or foreign else ""  # paths for errors
                if foreign:
                    to = self._local_address(to, f"{where}.to", unsigned_chain)
                if unsigned_chain and denom == self.other.native:  # the sign-doc names no chain
                    denom = self.spec.native
                value = overrides.get(f"{where}.amount", int(amount)) if overrides else int(amount)
                out.append((to, denom, value))
        return tuple(out)

    def _check_amounts(self, transfers: tuple[Transfer, ...]) -> None:
        dust = self.params.dust_limit
        if len(transfers) == 1:  # the common transfer: a known denom above the dust limit
            _, denom, amount = transfers[0]
            if denom in self.spec.denoms and (amount >= dust or amount < 0):
                return
        if self.vulns.on("free_dust_accounts"):
            dust = 0
        for i, (_, denom, amount) in enumerate(transfers):
            if denom not in self.spec.denoms:
                raise Rejected(
                    "unknown_denom",
                    f"output {i}: {denom} does not exist on {self.spec.chain_id}; "
                    f"one of {sorted(self.spec.denoms)}",
                    {"denom": denom, "allowed": sorted(self.spec.denoms)},  # type: ignore[dict-item]
                )
            if 0 <= amount < dust:
                raise Rejected(
                    "below_dust_limit",
                    f"output {i}: {amount} {denom} is below the dust limit of {dust} base units",
                    {"amount": str(amount), "dust_limit": str(dust)},
                )

    def _verify(
        self, tx: Decoded, raw_body: object, body_bytes: bytes, sender: str, unsigned_chain: bool
    ) -> None:
        pubkey, signature = tx.pubkey, tx.signature  # 32 and 64 bytes: decoding checked them
        address = self._signers.get(pubkey)
        if address is None:
            if len(self._signers) > _CACHE_LIMIT:
                self._signers.clear()
            address = self._signers[pubkey] = address_from_pubkey(pubkey, self.spec.hrp)
        if address != sender:
            raise Rejected(
                "bad_signature",
                f"body.sender {tx.sender} is not the '{self.spec.hrp}' address of pubkey",
                {"path": "body.sender"},
            )
        try:
            crypto_sign_open(signature + body_bytes, pubkey)
            return
        except CryptoError:
            if not unsigned_chain:
                raise Rejected(
                    "bad_signature",
                    "the signature does not verify over the canonical JSON of body "
                    "(sign exactly the body you send, sorted keys, no spaces)",
                    {"path": "signature"},
                ) from None
        # the sign-doc as if it did not bind chain id and prefix
        candidates = [
            canonical_bytes(_translate(raw_body, self.spec, self.other)),
            canonical_bytes(_translate(raw_body, self.other, self.spec)),
        ]
        for candidate in candidates:
            try:
                crypto_sign_open(signature + candidate, pubkey)
                return
            except CryptoError:
                continue
        raise Rejected(
            "bad_signature",
            "the signature does not verify over the canonical JSON of body "
            "(sign exactly the body you send, sorted keys, no spaces)",
            {"path": "signature"},
        )


def _module_msgs(msgs: tuple[Msg, ...]) -> tuple[Msg, ...]:
    """A module message travels alone, so a tx applies wholly or not at all (simnet._module)."""
    if all(m["type"] in _BANK for m in msgs):
        return ()
    if len(msgs) != 1:
        kind = next(m["type"] for m in msgs if m["type"] not in _BANK)
        raise Rejected(
            "malformed",
            f"body.msgs holds {len(msgs)} messages; a {kind} message travels alone "
            "in its tx (send bank messages in another tx)",
            {"path": "body.msgs"},
        )
    return msgs


def _output_path(msg: int, output: int | None) -> str:
    """Where an output sits in the tx: `body.msgs[0]` or `body.msgs[0].outputs[1]`."""
    path = f"body.msgs[{msg}]"
    return path if output is None else f"{path}.outputs[{output}]"


def _whole_bytes(body_bytes: bytes, raw: dict[str, object]) -> bytes:
    """Canonical JSON of {body, pubkey, signature}; base64 needs no escaping, keys sort so."""
    return b'{"body":%s,"pubkey":"%s","signature":"%s"}' % (
        body_bytes,
        str(raw["pubkey"]).encode(),
        str(raw["signature"]).encode(),
    )


def _translate(value: object, src: ChainSpec, dst: ChainSpec, key: str = "") -> JsonValue:
    """`value` with src's chain id, prefix and native denom swapped for dst's (replay)."""
    if isinstance(value, dict):
        return {k: _translate(v, src, dst, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_translate(v, src, dst) for v in value]
    if key == "denom" and value == src.native:
        return dst.native
    if isinstance(value, str):
        if value == src.chain_id:
            return dst.chain_id
        if value.startswith(src.hrp + "1"):
            try:
                return parse_address(value, src.hrp).encode(dst.hrp)
            except ValueError:
                return value
    return value  # type: ignore[return-value]
