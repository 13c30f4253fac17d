from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Protocol

import pytest

from tests.conftest import Api, create_campaign
from tests.outreach.mailserver import MailServer

MakeApi = Callable[..., contextlib.AbstractAsyncContextManager[Api]]

SENDER = "outreach@mail.sender.test"
POSTAL = "Sender Ltd, 1 Example Street, 10115 Berlin"


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    with MailServer() as server:
        yield server


class SmtpServer(Protocol):
    """A test SMTP server: it knows the settings that send to it."""

    def settings(self) -> dict[str, Any]: ...


def mail_settings(server: SmtpServer, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        **server.settings(),
        "smtp_from_email": SENDER,
        "smtp_from_name": "Sam Sender",
        "sender_postal_address": POSTAL,
        "unsubscribe_secret": "test-unsubscribe-secret",
    }
    values.update(overrides)
    return values


@pytest.fixture
async def mail_api(make_api: MakeApi, mail_server: MailServer) -> AsyncIterator[Api]:
    async with make_api(**mail_settings(mail_server)) as api:
        yield api


async def add_lead(
    api: Api, campaign_id: str, email: str | None, url: str | None = None, **fields: Any
) -> dict[str, Any]:
    domain = email.rsplit("@", 1)[1] if email and not url else None
    body: dict[str, Any] = {"website_url": url or f"https://{domain or 'nomail.test'}/", **fields}
    if email is not None:
        body["contact_email"] = email
    response = await api.post(f"/campaigns/{campaign_id}/leads", json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def campaign_with_lead(
    api: Api, email: str | None = "editor@garden.test", **campaign_fields: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    campaign = await create_campaign(api, **campaign_fields)
    lead = await add_lead(api, campaign["id"], email)
    return campaign, lead


async def send(
    api: Api,
    campaign: dict[str, Any],
    lead: dict[str, Any],
    subject: str = "Guest post for {website_title}",
    body: str = "Hi {first_name},\n\nI would love to write for {website}.",
    **extra: Any,
) -> Any:
    payload = {
        "campaign_id": campaign["id"],
        "lead_id": lead["id"],
        "subject": subject,
        "body": body,
        **extra,
    }
    return await api.post("/outreach/send", json=payload)
