"""Follow-ups: writing their texts after an initial send, and scheduling them. The worker duty
that sends due ones is `followup_sender.py`; stopping and postponing a lead's pending ones is
the lead lifecycle's (`leads/lifecycle.py`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..config import Settings
from ..db import utcnow
from ..emails import service as emails
from ..emails.service import Draft
from ..ids import new_id
from ..models import FollowUp, Lead, OutreachAttempt


async def drafts_for(
    settings: Settings, attempt: OutreachAttempt, lead: Lead, follow_up_days: list[int]
) -> list[tuple[int, Draft]]:
    """(days after the send, text) for each follow-up of the campaign, written now so the
    recipient of step N gets exactly what the list of follow-ups showed."""
    drafts = []
    for step, days in enumerate(follow_up_days, start=1):
        draft = await emails.write_follow_up(
            settings,
            original_subject=attempt.subject,
            original_body=attempt.body,
            lead=lead,
            step=step,
        )
        drafts.append((days, draft))
    return drafts


async def schedule(
    session: AsyncSession,
    attempt: OutreachAttempt,
    sent_at: datetime,
    drafts: list[tuple[int, Draft]],
) -> None:
    """One follow-up per entry of the campaign's `follow_up_days`: `sent_at + N * 24 h`. None
    when the lead was deleted while its message was on the wire (its attempt stays, settled;
    the lock makes a delete that comes now wait for this transaction)."""
    if not drafts:
        return
    lead_exists = select(Lead.id).where(Lead.id == attempt.lead_id).with_for_update(key_share=True)
    if (await session.execute(lead_exists)).first() is None:
        return
    now = utcnow()
    for step, (days, draft) in enumerate(drafts, start=1):
        session.add(
            FollowUp(
                id=new_id("fu"),
                workspace_id=attempt.workspace_id,
                campaign_id=attempt.campaign_id,
                lead_id=attempt.lead_id,
                attempt_id=attempt.id,
                step=step,
                scheduled_for=sent_at + timedelta(days=days),
                subject=draft.subject[:1000],
                body=draft.body,
                status="scheduled",
                created_at=now,
                updated_at=now,
            )
        )
    await session.flush()
