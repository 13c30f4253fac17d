"""Helpers for the sequence tests: a worker pass on the test database, a campaign with a
sequence, enrolling, reading steps."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from backlink_outreach.config import Settings
from backlink_outreach.database import Database as AppDatabase
from backlink_outreach.duties import DUTIES
from backlink_outreach.worker import run_once
from tests.conftest import Api, create_campaign
from tests.outreach.conftest import SmtpServer, add_lead, mail_settings
from tests.outreach.mailserver import MailServer

# A Tuesday, inside the default window (Mon-Fri 09:00-17:00 UTC).
TUESDAY = datetime(2031, 5, 6, 10, 0, tzinfo=UTC)
SATURDAY = datetime(2031, 5, 10, 10, 0, tzinfo=UTC)

SEQUENCE: list[dict[str, Any]] = [
    {"subject": "Guest post for {website_title}", "body": "Hi {first_name}, step zero."},
    {"delay_days": 3, "body": "Hi again {first_name}, step one."},
    {"delay_days": 4, "subject": "Last note", "body": "Step two, the last."},
]

Worker = Callable[[], Awaitable[dict[str, int]]]


def sequence_settings(server: SmtpServer, **overrides: Any) -> dict[str, Any]:
    return mail_settings(server, send_jitter_seconds=0, **overrides)


def worker(db: Any, make_settings: Any, server: MailServer, **overrides: Any) -> Worker:
    """One worker pass (every duty) on the test database, when called."""
    settings: Settings = make_settings(**sequence_settings(server, **overrides))
    return functools.partial(run_once, AppDatabase(db.engine), settings, DUTIES)


async def sequence_campaign(api: Api, **fields: Any) -> dict[str, Any]:
    return await create_campaign(api, sequence=fields.pop("sequence", SEQUENCE), **fields)


async def leads(api: Api, campaign_id: str, count: int, **fields: Any) -> list[dict[str, Any]]:
    return [
        await add_lead(
            api,
            campaign_id,
            f"editor{index}@site{index}.test",
            website_title=f"Site {index}",
            contact_name=f"Pat{index} Reader",
            **fields,
        )
        for index in range(count)
    ]


async def enroll(api: Api, campaign_id: str, lead_ids: list[str] | None = None) -> Any:
    body: dict[str, Any] = (
        {"lead_ids": lead_ids} if lead_ids is not None else {"all_eligible": True}
    )
    response = await api.post(f"/campaigns/{campaign_id}/enroll", json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def steps_of(api: Api, campaign_id: str, **query: Any) -> list[dict[str, Any]]:
    response = await api.get(f"/campaigns/{campaign_id}/steps", params={"limit": 1000, **query})
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return sorted(rows, key=lambda r: (r["lead_id"], r["step"]))


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
