"""Settling an attempt that a crash left `sending`, once an operator has checked the mail
server's log: `backlink-outreach doctor --resolve ID --as sent|failed`.

Nothing is ever re-sent. "sent" does what a successful send would have done next (lead
contacted, follow-ups scheduled; for a follow-up, the follow-up marked sent); "failed" frees the
cap slot as a transient failure would (no suppression: nobody refused the address).
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..config import Settings
from ..database import Database
from ..db import utcnow
from ..emails.service import Draft
from ..models import Campaign, FollowUp, Lead, OutreachAttempt, SequenceStep
from . import delivery, followups
from .smtp import DeliveryError

Outcome = Literal["sent", "failed"]
NOT_DELIVERED = "resolved by operator: not delivered"


class NotStuck(LookupError):
    """No attempt with that id is `sending`."""


async def _stuck(session: AsyncSession, attempt_id: str) -> OutreachAttempt:
    attempt = await session.get(OutreachAttempt, attempt_id, with_for_update=True)
    if attempt is None or attempt.status != "sending":
        raise NotStuck(attempt_id)
    return attempt


async def resolve(
    db: Database,
    settings: Settings,
    attempt_id: str,
    outcome: Outcome,
) -> OutreachAttempt:
    drafts: list[tuple[int, Draft]] = []
    async with db.write() as session:
        attempt = await _stuck(session, attempt_id)
        # Either may be gone (attempts outlive them): the attempt is settled all the same,
        # with nothing to follow up.
        lead = await session.get(Lead, attempt.lead_id)
        campaign = await session.get(Campaign, attempt.campaign_id)
    if (
        outcome == "sent"
        and attempt.kind == "initial"
        and lead is not None
        and campaign is not None
        and not campaign.sequence
    ):
        # Written outside any transaction: the writer may call an LLM.
        drafts = await followups.drafts_for(settings, attempt, lead, campaign.follow_up_days)
    now = utcnow()
    async with db.write() as session:
        attempt = await _stuck(session, attempt_id)  # nobody settled it meanwhile
        follow_up_id = (
            await session.scalars(
                select(FollowUp.id).where(FollowUp.sent_attempt_id == attempt.id).with_for_update()
            )
        ).first()
        step_id = (
            await session.scalars(
                select(SequenceStep.id).where(SequenceStep.attempt_id == attempt.id)
            )
        ).first()
        if outcome == "sent":
            await delivery.record_sent(
                session,
                attempt,
                now,
                drafts=drafts,
                follow_up_id=follow_up_id,
                step_id=step_id,
                campaign=campaign,
                jitter_seconds=settings.send_jitter_seconds,
            )
        else:
            failure = DeliveryError(NOT_DELIVERED)
            await delivery.record_failed(
                session, attempt, failure, follow_up_id=follow_up_id, step_id=step_id
            )
    attempt.status = outcome
    return attempt
