"""Secrets at rest: AES-256-GCM under `SECRETS_KEY`, bound to the row they belong to.

A sealed value is `v1.<base64url(nonce | ciphertext+tag)>`: a fresh 12-byte nonce per value and
the row's id as associated data, so a ciphertext copied into another row does not open. Nothing
here logs, and no error carries a secret or a key.

- `secrets_key(settings)`: the 32-byte key. `SECRETS_KEY` (base64 of 32 bytes) when set; in
  `AUTH_MODE=dev` without it, a key file in the data folder, made on first use; in clerk mode
  without it, `SecretsNotConfigured` (a 422 `not_configured` from the API).
- `seal(key, plaintext, row_id)` / `unseal(key, sealed, row_id)`.
- `KEY_CHECK_ROW`: the id of a sealed check value stored beside the secrets, so that a start
  with the wrong key (after `rotate-secrets-key`) fails with a clear message at once.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..config import Settings
from ..errors import NotConfigured

VERSION = "v1"
NONCE_BYTES = 12
KEY_BYTES = 32
KEY_FILE_NAME = "secrets.key"
KEY_CHECK_ROW = "secrets_key_check"
KEY_CHECK_TEXT = "backlink-outreach secrets key check"

NOT_CONFIGURED = (
    "SECRETS_KEY is not set: set it to the base64 of 32 random bytes "
    "(for example: openssl rand -base64 32) to store mailbox passwords and webhook secrets"
)


class SecretsNotConfigured(NotConfigured):
    """No key in clerk mode: 422 `not_configured`."""

    def __init__(self, msg: str = NOT_CONFIGURED) -> None:
        super().__init__(msg)


class InvalidKey(SecretsNotConfigured):
    """SECRETS_KEY (or the key file) is not base64 of 32 bytes."""


class UnsealError(Exception):
    """The value does not open with this key for this row (wrong key, moved, or damaged)."""

    def __str__(self) -> str:
        return "the stored secret cannot be decrypted with this SECRETS_KEY"


def parse_key(text: str, source: str = "SECRETS_KEY") -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidKey(f"{source} is not valid base64 (it must be 32 random bytes)") from None
    if len(key) != KEY_BYTES:
        raise InvalidKey(f"{source} must be the base64 of exactly 32 bytes, not {len(key)}")
    return key


def new_key_text() -> str:
    return base64.b64encode(os.urandom(KEY_BYTES)).decode()


def key_file(settings: Settings) -> Path:
    return settings.data_dir / KEY_FILE_NAME


def secrets_key(settings: Settings) -> bytes:
    """The key that seals every secret of this deployment."""
    configured = settings.secrets_key
    if configured is not None and configured.get_secret_value().strip():
        return parse_key(configured.get_secret_value())
    if settings.auth_mode != "dev":
        raise SecretsNotConfigured()
    path = key_file(settings)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Create it readable by us only, and never overwrite one a concurrent process made.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(new_key_text() + "\n")
    return parse_key(path.read_text(), f"the key file {path}")


def seal(key: bytes, plaintext: str, row_id: str) -> str:
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(key).encrypt(nonce, plaintext.encode(), row_id.encode())
    return f"{VERSION}.{base64.urlsafe_b64encode(nonce + ciphertext).decode()}"


def unseal(key: bytes, sealed: str, row_id: str) -> str:
    version, _, payload = sealed.partition(".")
    if version != VERSION or not payload:
        raise UnsealError()
    try:
        raw = base64.urlsafe_b64decode(payload.encode())
        if len(raw) <= NONCE_BYTES:
            raise UnsealError()
        plain = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], row_id.encode())
    except (InvalidTag, binascii.Error, ValueError):
        raise UnsealError() from None
    return plain.decode()


def opens(key: bytes, sealed: str, row_id: str) -> bool:
    try:
        unseal(key, sealed, row_id)
    except UnsealError:
        return False
    return True
