from __future__ import annotations

import base64
from typing import Any

SECRETS_KEY = base64.b64encode(b"k" * 32).decode()


def hook_settings(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "secrets_key": SECRETS_KEY,
        "webhook_allow_private_networks": True,
    }
    values.update(overrides)
    return values


from tests.outreach.conftest import mail_server  # noqa: E402, F401 - the fixture, shared
