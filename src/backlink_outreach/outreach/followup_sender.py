"""The worker duty that sends due follow-ups in the thread of the message they follow.

Claiming is the same three steps as an initial send. The claim transaction picks one due row
(`FOR UPDATE SKIP LOCKED` on PostgreSQL, so workers side by side take different rows; SQLite has
one writer), checks the lead, runs the policy again, reserves the cap slot, inserts the
`follow_up` attempt as `sending` and points the follow-up at it (`sent_attempt_id`): from then on
no worker claims it again, even after a crash. SMTP runs outside the transaction; a second
transaction marks the follow-up `sent` or `failed`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..db import utcnow
from ..ids import new_id
from ..models import FollowUp, Lead, OutreachAttempt
from ..subjects import subject_key
from . import ledger, message, policy, service, smtp, txn

if TYPE_CHECKING:
    from ..config import Settings
    from ..worker import WorkerContext

log = structlog.get_logger(__name__)

BATCH = 100  # per pass, so one pass cannot run unbounded
# Lead statuses that end the sequence, and the reason stored on the cancelled follow-up.
STOP_STATUSES = {
    "replied": "lead replied",
    "bounced": "lead bounced",
    "lost": "lead lost",
    "placed": "lead placed",
}


@dataclass
class Claimed:
    attempt: OutreachAttempt
    follow_up_id: str
    references: tuple[str, ...]


async def send_due(ctx: WorkerContext) -> int:
    """Send (or cancel, or postpone) the follow-ups that are due; returns how many were sent."""
    settings = ctx.settings
    if not settings.smtp_host and settings.mail_outbox_dir is None:
        return 0
    mailer = smtp.mailer_for(settings)
    sent = 0
    async with mailer.burst():
        for _ in range(BATCH):
            async with txn.write(ctx.sessionmaker) as session:
                outcome = await _claim(session, settings, utcnow())
            if outcome is None:
                break
            if isinstance(outcome, Claimed):
                sent += await _deliver(ctx, mailer, outcome)
    return sent


async def _claim(session: AsyncSession, settings: Settings, now: datetime) -> Claimed | str | None:
    """One due follow-up claimed for sending, or a word saying what was done instead."""
    follow_up = (
        await session.execute(
            select(FollowUp)
            .where(
                FollowUp.status == "scheduled",
                FollowUp.sent_attempt_id.is_(None),
                FollowUp.scheduled_for <= now,
            )
            .order_by(FollowUp.scheduled_for, FollowUp.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
    ).scalar_one_or_none()
    if follow_up is None:
        return None
    lead = await session.get_one(Lead, follow_up.lead_id)
    initial = await session.get_one(OutreachAttempt, follow_up.attempt_id)
    if lead.status in STOP_STATUSES:
        return _cancel(follow_up, STOP_STATUSES[lead.status], now)
    if initial.status != "sent":
        return _cancel(follow_up, "the first message was not sent", now)

    sender = service.sender_address(settings)
    recipient = policy.check_recipient(initial.recipient_email)
    decision = await ledger.decide(
        session,
        settings,
        workspace_id=follow_up.workspace_id,
        sender=sender,
        recipient=recipient,
        lead=lead,
        subject=None,  # the same thread is never a duplicate
        now=now,
    )
    if not decision.allowed:
        reason = decision.reason or policy.INVALID_RECIPIENT
        if reason in policy.CAP_REASONS:
            # Over today's cap: try again when the next UTC day opens.
            tomorrow = ledger.utc_day(now) + timedelta(days=1)
            follow_up.scheduled_for = datetime.combine(tomorrow, time(), tzinfo=UTC)
            follow_up.updated_at = now
            return "postponed"
        return _cancel(follow_up, reason, now)

    references = await _thread(session, initial, follow_up.step)
    assert recipient.address is not None and recipient.domain is not None
    attempt = OutreachAttempt(
        id=new_id("att"),
        workspace_id=follow_up.workspace_id,
        campaign_id=follow_up.campaign_id,
        lead_id=follow_up.lead_id,
        kind="follow_up",
        step=follow_up.step,
        sender_email=sender,
        recipient_email=recipient.address,
        recipient_domain=recipient.domain,
        subject=follow_up.subject,
        subject_key=subject_key(follow_up.subject),
        body=follow_up.body,
        message_id=message.new_message_id(sender),
        in_reply_to=references[-1],
        status="sending",
        legal_basis=decision.legal_basis,
        send_day=ledger.utc_day(now),
        created_at=now,
        permanent_failure=False,
    )
    session.add(attempt)
    await session.flush()
    follow_up.sent_attempt_id = attempt.id
    follow_up.updated_at = now
    return Claimed(attempt, follow_up.id, references)


def _cancel(follow_up: FollowUp, reason: str, now: datetime) -> str:
    follow_up.status = "cancelled"
    follow_up.reason = reason
    follow_up.updated_at = now
    return "cancelled"


async def _thread(session: AsyncSession, initial: OutreachAttempt, step: int) -> tuple[str, ...]:
    """Message-IDs of the thread so far, oldest first: the initial message, then each earlier
    follow-up that went out. The last one is what this follow-up replies to."""
    earlier = (
        await session.scalars(
            select(OutreachAttempt.message_id)
            .join(FollowUp, FollowUp.sent_attempt_id == OutreachAttempt.id)
            .where(
                FollowUp.attempt_id == initial.id,
                FollowUp.step < step,
                OutreachAttempt.status == "sent",
            )
            .order_by(FollowUp.step)
        )
    ).all()
    return (initial.message_id, *earlier)


async def _deliver(ctx: WorkerContext, mailer: smtp.Mailer, claimed: Claimed) -> int:
    attempt = claimed.attempt
    failure = await service.deliver(
        ctx.sessionmaker, ctx.settings, mailer, attempt, claimed.references
    )
    now = utcnow()
    async with txn.write(ctx.sessionmaker) as session:
        follow_up = await session.get(FollowUp, claimed.follow_up_id, with_for_update=True)
        if failure is None:
            await ledger.record_sent(session, attempt.id, now)
        if follow_up is not None:
            # Sent is sent: a cancel that raced with delivery does not undo it.
            follow_up.status = "sent" if failure is None else "failed"
            follow_up.reason = None if failure is None else failure.error
            follow_up.updated_at = now
    if failure is None:
        log.info("follow_up_sent", follow_up_id=claimed.follow_up_id, attempt_id=attempt.id)
        return 1
    return 0
