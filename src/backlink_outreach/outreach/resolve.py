"""Settling an attempt that a crash left `sending`, once an operator has checked the mail
server's log: `backlink-outreach doctor --resolve ID --as sent|failed`.

Nothing is ever re-sent. "sent" does what a successful send would have done next (lead
contacted, follow-ups scheduled; for a follow-up, the follow-up marked sent); "failed" frees the
cap slot as a transient failure would (no suppression: nobody refused the address).
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..config import Settings
from ..db import utcnow
from ..emails.service import Draft
from ..models import Campaign, FollowUp, Lead, OutreachAttempt
from . import followups, ledger, service, txn
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
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    attempt_id: str,
    outcome: Outcome,
) -> OutreachAttempt:
    drafts: list[tuple[int, Draft]] = []
    async with txn.write(sessionmaker) as session:
        attempt = await _stuck(session, attempt_id)
        lead = await session.get_one(Lead, attempt.lead_id)
        campaign = await session.get_one(Campaign, attempt.campaign_id)
    if outcome == "sent" and attempt.kind == "initial":
        # Written outside any transaction: the writer may call an LLM.
        drafts = await followups.drafts_for(settings, attempt, lead, campaign.follow_up_days)
    now = utcnow()
    async with txn.write(sessionmaker) as session:
        attempt = await _stuck(session, attempt_id)  # nobody settled it meanwhile
        follow_up = (
            await session.scalars(
                select(FollowUp).where(FollowUp.sent_attempt_id == attempt.id).with_for_update()
            )
        ).first()
        if outcome == "sent":
            if attempt.kind == "initial":
                await service.record_initial_sent(session, attempt, now, drafts)
            else:
                await ledger.record_sent(session, attempt.id, now)
        else:
            await ledger.record_failed(session, attempt, DeliveryError(NOT_DELIVERED))
        if follow_up is not None:
            follow_up.status = outcome
            follow_up.reason = None if outcome == "sent" else NOT_DELIVERED
            follow_up.updated_at = now
    attempt.status = outcome
    return attempt
