"""Helpers for the mailbox tests: a key, a mailbox body, and creating one through the API."""

from __future__ import annotations

import base64
from typing import Any

from tests.conftest import Api

KEY = base64.b64encode(bytes(range(32))).decode()
OTHER_KEY = base64.b64encode(bytes(range(100, 132))).decode()
PASSWORD = "Mbx-s3cret-never-shown-4711"
IMAP_PASSWORD = "Imap-s3cret-never-shown-0815"


def mailbox_body(port: int = 2525, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Alice at Agency",
        "from_email": "alice@agency.test",
        "from_name": "Alice Agent",
        "reply_to": "replies@agency.test",
        "signature": "-- \nAlice, Agency Ltd",
        "sender_website": "https://www.agency.test/about",
        "postal_address": "Agency Ltd, 5 High Street, Leeds",
        "smtp": {
            "host": "127.0.0.1",
            "port": port,
            "security": "none",
            "username": "mailer",
            "password": PASSWORD,
        },
        "daily_cap": 50,
    }
    body.update(overrides)
    return body


async def create_mailbox(api: Api, user: str = "user_a", **overrides: Any) -> dict[str, Any]:
    response = await api.post("/mailboxes", user=user, json=mailbox_body(**overrides))
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result
