"""Encryption at rest: the clinic's keys, authenticated encryption bound to a row, blind indexes.

Each key in ``CONTACT_CHECK_KEYS`` is 32 random bytes (base64url, from ``keygen``). From every key
HKDF derives four independent values: an AES-256-GCM key, an HMAC key for blind indexes, an HMAC
key that signs the audit trail (label ``audit-chain``), and a public key id. A sealed value is::

    version (1 byte) | key id (8 bytes) | nonce (12 bytes) | AES-GCM ciphertext and tag

and its associated data names the table, column and row id, so a ciphertext copied into another
row or column fails to decrypt instead of showing one client's details on another's card.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEYS_VARIABLE = "CONTACT_CHECK_KEYS"
_VERSION = b"\x01"
_KEY_ID_LEN = 8
_NONCE_LEN = 12
_HEADER_LEN = 1 + _KEY_ID_LEN + _NONCE_LEN


class KeyConfigError(Exception):
    """The configured keys are missing, malformed, or not the ones the data was sealed with."""


class DecryptionError(Exception):
    """A sealed value could not be opened: tampered, moved to another row, or unknown key.

    The message never contains key material or plaintext.
    """


def generate_key() -> str:
    """A new random key in the form ``CONTACT_CHECK_KEYS`` takes."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")


def _derive(master: bytes, purpose: bytes, length: int) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=length, salt=None, info=b"contact-check/v1/" + purpose
    ).derive(master)


@dataclass(frozen=True)
class _Key:
    key_id: bytes
    aead: AESGCM
    index_key: bytes
    chain_key: bytes

    @classmethod
    def from_master(cls, master: bytes) -> _Key:
        return cls(
            key_id=_derive(master, b"key-id", _KEY_ID_LEN),
            aead=AESGCM(_derive(master, b"aes-256-gcm", 32)),
            index_key=_derive(master, b"blind-index", 32),
            chain_key=_derive(master, b"audit-chain", 32),
        )


def parse_keys(value: str | None) -> list[bytes]:
    """Decode ``CONTACT_CHECK_KEYS``; raise KeyConfigError naming the variable, never the value."""
    if value is None or not value.strip():
        raise KeyConfigError(
            f"{KEYS_VARIABLE} is not set. Generate a key with `contact-check keygen` and set "
            f"{KEYS_VARIABLE} to it (comma-separated when rotating: new key first)."
        )
    keys: list[bytes] = []
    for position, text in enumerate(value.split(","), start=1):
        text = text.strip()
        try:
            raw = base64.b64decode(text.encode("ascii"), altchars=b"-_", validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            raw = b""
        if len(raw) != 32:
            raise KeyConfigError(
                f"{KEYS_VARIABLE}: key {position} is malformed (expected 44 characters of "
                "base64url "
                "encoding 32 bytes, as printed by `contact-check keygen`)."
            )
        keys.append(raw)
    if len(set(keys)) != len(keys):
        raise KeyConfigError(f"{KEYS_VARIABLE} lists the same key twice.")
    return keys


class Keyring:
    """The clinic's keys: the first seals, every one opens."""

    def __init__(self, masters: Sequence[bytes]):
        if not masters:
            raise KeyConfigError(f"{KEYS_VARIABLE} holds no key.")
        self._keys = [_Key.from_master(m) for m in masters]
        self._by_id = {k.key_id: k for k in self._keys}
        self._by_hex = {k.key_id.hex(): k for k in self._keys}

    @classmethod
    def from_env(cls, value: str | None = None) -> Keyring:
        return cls(parse_keys(os.environ.get(KEYS_VARIABLE) if value is None else value))

    @property
    def primary_id(self) -> str:
        return self._keys[0].key_id.hex()

    @property
    def key_ids(self) -> list[str]:
        return [k.key_id.hex() for k in self._keys]

    def seal(self, plaintext: str, context: bytes) -> bytes:
        key = self._keys[0]
        nonce = os.urandom(_NONCE_LEN)
        body = key.aead.encrypt(nonce, plaintext.encode("utf-8"), context)
        return _VERSION + key.key_id + nonce + body

    def open(self, blob: bytes, context: bytes) -> str:
        if len(blob) < _HEADER_LEN + 16 or blob[:1] != _VERSION:
            raise DecryptionError("sealed value is malformed")
        key = self._by_id.get(blob[1 : 1 + _KEY_ID_LEN])
        if key is None:
            raise DecryptionError(
                f"value sealed under a key that is not in {KEYS_VARIABLE} "
                f"(key id {blob[1:1 + _KEY_ID_LEN].hex()})"
            )
        nonce = blob[1 + _KEY_ID_LEN : _HEADER_LEN]
        try:
            return key.aead.decrypt(nonce, blob[_HEADER_LEN:], context).decode("utf-8")
        except InvalidTag:
            raise DecryptionError(
                "sealed value failed authentication (tampered with, or moved from another row)"
            ) from None

    def sealed_with_primary(self, blob: bytes) -> bool:
        return blob[1 : 1 + _KEY_ID_LEN] == self._keys[0].key_id

    @staticmethod
    def key_id_of(blob: bytes) -> str:
        return blob[1 : 1 + _KEY_ID_LEN].hex()

    def blind_index(self, purpose: str, value: str) -> str:
        """A keyed, non-reversible lookup token for ``value`` under the first key."""
        return self._index(self._keys[0], purpose, value)

    def blind_indexes(self, purpose: str, value: str) -> list[str]:
        """The lookup tokens under every key, so look-ups work in the middle of a rotation."""
        return [self._index(k, purpose, value) for k in self._keys]

    @staticmethod
    def _index(key: _Key, purpose: str, value: str) -> str:
        mac = hmac.new(key.index_key, f"{purpose}\x00{value}".encode(), hashlib.sha256)
        return mac.hexdigest()[:40]

    def chain_mac(self, message: bytes, key_id: str | None = None) -> str:
        """The audit trail's HMAC-SHA256 of ``message`` (hex) under the chain key of ``key_id``
        (default: the first key). Raises ``KeyError`` for a key id not in the keyring."""
        key = self._keys[0] if key_id is None else self._by_hex[key_id]
        return hmac.digest(key.chain_key, message, "sha256").hex()  # one-shot: an import signs
        # a hundred thousand under the write lock

    def holds(self, key_id: str) -> bool:
        return key_id in self._by_hex
