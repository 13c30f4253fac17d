"""`mailboxes/secrets.py`: AES-256-GCM, a fresh nonce per value, the row id as associated data,
a version prefix; the key from SECRETS_KEY, a dev key file, or a 422 in clerk mode."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from backlink_outreach.config import Settings
from backlink_outreach.mailboxes import secrets
from tests.mailboxes.support import KEY

RAW = base64.b64decode(KEY)


def test_seal_and_unseal_round_trip_with_a_fresh_nonce() -> None:
    one = secrets.seal(RAW, "hunter2", "mbx_1")
    two = secrets.seal(RAW, "hunter2", "mbx_1")
    assert one.startswith("v1.") and two.startswith("v1.")
    assert one != two  # a fresh nonce each time
    assert "hunter2" not in one
    assert secrets.unseal(RAW, one, "mbx_1") == "hunter2"


def test_a_value_moved_to_another_row_or_key_does_not_open() -> None:
    sealed = secrets.seal(RAW, "hunter2", "mbx_1")
    with pytest.raises(secrets.UnsealError):
        secrets.unseal(RAW, sealed, "mbx_2")
    with pytest.raises(secrets.UnsealError):
        secrets.unseal(bytes(32), sealed, "mbx_1")
    with pytest.raises(secrets.UnsealError):
        secrets.unseal(RAW, "v2." + sealed[3:], "mbx_1")
    with pytest.raises(secrets.UnsealError):
        secrets.unseal(RAW, "v1.!!!", "mbx_1")
    assert "hunter2" not in str(secrets.UnsealError())


def _settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path, **values)  # type: ignore[arg-type]


def test_key_from_the_environment(tmp_path: Path) -> None:
    assert secrets.secrets_key(_settings(tmp_path, secrets_key=KEY)) == RAW
    for bad in ("not base64!", base64.b64encode(b"short").decode()):
        with pytest.raises(secrets.SecretsNotConfigured) as caught:
            secrets.secrets_key(_settings(tmp_path, secrets_key=bad))
        assert caught.value.type == "not_configured"


def test_dev_mode_makes_a_key_file_once(tmp_path: Path) -> None:
    settings = _settings(tmp_path, auth_mode="dev")
    first = secrets.secrets_key(settings)
    path = tmp_path / secrets.KEY_FILE_NAME
    assert path.exists() and path.stat().st_mode & 0o077 == 0
    assert secrets.secrets_key(settings) == first and len(first) == 32


def test_clerk_mode_without_a_key_is_not_configured(tmp_path: Path) -> None:
    with pytest.raises(secrets.SecretsNotConfigured) as caught:
        secrets.secrets_key(_settings(tmp_path, auth_mode="clerk"))
    assert caught.value.status_code == 422
    assert "SECRETS_KEY" in caught.value.msg
    assert not (tmp_path / secrets.KEY_FILE_NAME).exists()
