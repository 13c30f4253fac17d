"""Rows written straight through the models: analytics must read whatever the sending and reply
features store, so the tests do not depend on those features' code paths."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from backlink_outreach.models import Campaign, Lead, OutreachAttempt, Reply

_counter = itertools.count(1)
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def _n() -> int:
    return next(_counter)


def campaign(session: AsyncSession, workspace_id: str, **fields: Any) -> Campaign:
    n = _n()
    values: dict[str, Any] = {
        "id": f"cmp_seed{n}",
        "workspace_id": workspace_id,
        "name": f"Campaign {n}",
        "keywords": [],
        "follow_up_days": [4, 9],
        "created_at": T0,
        "updated_at": T0,
    }
    values.update(fields)
    row = Campaign(**values)
    session.add(row)
    return row


def lead(
    session: AsyncSession, campaign: Campaign, status: str = "discovered", **fields: Any
) -> Lead:
    n = _n()
    values: dict[str, Any] = {
        "id": f"lead_seed{n}",
        "campaign_id": campaign.id,
        "workspace_id": campaign.workspace_id,
        "website_url": f"https://site{n}.example/",
        "domain": f"site{n}.example",
        "contact_email": f"editor@site{n}.example",
        "status": status,
        "consent": False,
        "created_at": T0,
        "updated_at": T0,
    }
    values.update(fields)
    row = Lead(**values)
    session.add(row)
    return row


def attempt(
    session: AsyncSession,
    lead: Lead,
    status: str = "sent",
    sent_at: datetime | None = None,
    **fields: Any,
) -> OutreachAttempt:
    n = _n()
    created = fields.pop("created_at", sent_at or T0)
    values: dict[str, Any] = {
        "id": f"att_seed{n}",
        "workspace_id": lead.workspace_id,
        "campaign_id": lead.campaign_id,
        "lead_id": lead.id,
        "kind": "initial",
        "step": 0,
        "sender_email": "me@sender.example",
        "recipient_email": lead.contact_email or "x@example.com",
        "recipient_domain": lead.domain,
        "subject": "Guest post idea",
        "subject_key": "guest post idea",
        "body": "Hello",
        "message_id": f"<seed{n}@sender.example>",
        "status": status,
        "permanent_failure": False,
        "send_day": created.date(),
        "created_at": created,
        "sent_at": sent_at,
    }
    values.update(fields)
    row = OutreachAttempt(**values)
    session.add(row)
    return row


def reply(
    session: AsyncSession,
    lead: Lead,
    classification: str,
    attempt: OutreachAttempt | None = None,
    **fields: Any,
) -> Reply:
    n = _n()
    values: dict[str, Any] = {
        "id": f"rep_seed{n}",
        "workspace_id": lead.workspace_id,
        "campaign_id": lead.campaign_id,
        "lead_id": lead.id,
        "attempt_id": attempt.id if attempt else None,
        "from_email": lead.contact_email or "x@example.com",
        "subject": "Re: Guest post idea",
        "snippet": "Thanks",
        "received_at": T0,
        "classification": classification,
        "confidence": 0.9,
        "reasons": [],
        "created_at": T0,
    }
    values.update(fields)
    row = Reply(**values)
    session.add(row)
    return row
