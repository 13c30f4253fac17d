"""Steps 2 and 3 of every send (an initial message, a follow-up, an operator's `doctor
--resolve`): the message as it goes on the wire, SMTP outside any transaction, and recording how
the delivery ended. Step 1, reserving the cap slot, is `ledger.reserve`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import structlog
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from ..config import Settings
from ..database import Database
from ..db import utcnow
from ..emails.service import Draft
from ..integrations import events as outbox
from ..integrations import payloads
from ..leads import lifecycle
from ..mailboxes import health
from ..models import Campaign, FollowUp, OutreachAttempt
from ..sender import Sender
from ..sequences import steps
from . import followups, message, smtp, unsubscribe
from .smtp import DeliveryError

log = structlog.get_logger(__name__)


def wire_bytes(
    settings: Settings,
    sender: Sender,
    attempt: OutreachAttempt,
    references: tuple[str, ...] = (),
) -> bytes:
    token = unsubscribe.make_token(
        settings, attempt.workspace_id, attempt.recipient_email, attempt.send_day
    )
    outgoing = message.Outgoing(
        sender=attempt.sender_email,
        recipient=attempt.recipient_email,
        subject=attempt.subject,
        body=attempt.body,
        message_id=attempt.message_id,
        unsubscribe_url=unsubscribe.unsubscribe_url(settings, token),
        unsubscribe_mailto=unsubscribe.mailto_url(sender),
        in_reply_to=attempt.in_reply_to,
        references=references,
    )
    return message.to_bytes(sender, message.build(sender, outgoing, attempt.created_at))


async def deliver(
    db: Database,
    settings: Settings,
    sender: Sender,
    mailer: smtp.Mailer,
    attempt: OutreachAttempt,
    *,
    references: tuple[str, ...] = (),
    follow_up_id: str | None = None,
    step_id: str | None = None,
) -> DeliveryError | None:
    """SMTP, then record a failure in its own transaction. None means delivered."""
    try:
        data = wire_bytes(settings, sender, attempt, references)
    except Exception as exc:  # noqa: BLE001 - e.g. an unusable DKIM key: fail the attempt
        log.error("message_build_failed", attempt_id=attempt.id, error_type=type(exc).__name__)
        data = None
    try:
        if data is None:
            raise DeliveryError("permanent: the message could not be built or signed")
        await mailer.send(attempt.sender_email, attempt.recipient_email, data, attempt.id)
    except DeliveryError as failure:
        async with db.write() as session:
            await record_failed(
                session, attempt, failure, follow_up_id=follow_up_id, step_id=step_id
            )
            if failure.permanent_recipient and attempt.mailbox_id is not None:
                # A refusal may be the bounce that trips the mailbox's breaker: pause it now.
                await health.check_breaker(
                    session, attempt.mailbox_id, settings.bounce_breaker_percent, utcnow()
                )
        attempt.status, attempt.error = "failed", failure.error
        attempt.smtp_code = failure.smtp_code
        attempt.permanent_failure = failure.permanent_recipient
        log.warning(
            "outreach_delivery_failed",
            attempt_id=attempt.id,
            kind=attempt.kind,
            error=failure.error,
            permanent_recipient=failure.permanent_recipient,
        )
        return failure
    return None


async def record_sent(
    session: AsyncSession,
    attempt: OutreachAttempt,
    sent_at: datetime,
    *,
    drafts: Sequence[tuple[int, Draft]] = (),
    follow_up_id: str | None = None,
    step_id: str | None = None,
    campaign: Campaign | None = None,
    jitter_seconds: int = 0,
) -> None:
    """The attempt is sent. An initial message: its lead `discovered -> contacted` and what
    follows it scheduled from `sent_at`: the campaign's sequence when it has one (`campaign`,
    given by an API send), else the part 1 follow-ups (`drafts`). A follow-up or a sequence
    step: its row marked sent (sent is sent: a stop that raced with the delivery does not undo
    it), and a step's next one timed."""
    # Its events (`lead.status_changed`, `send.sent`) in one INSERT.
    async with outbox.batch(session):
        await session.execute(
            update(OutreachAttempt)
            .where(OutreachAttempt.id == attempt.id)
            .values(status="sent", sent_at=sent_at, error=None)
        )
        if attempt.mailbox_id is not None:
            await health.record_send(
                session, attempt.mailbox_id, attempt.id, hard_bounce=False, now=sent_at
            )
        if attempt.kind == "initial":
            await lifecycle.apply(session, [lifecycle.Event("sent", attempt.lead_id)], sent_at)
        if step_id is not None:
            await steps.settle_sent(session, step_id, sent_at, jitter_seconds, campaign)
        elif campaign is not None and steps.has_sequence(campaign) and attempt.kind == "initial":
            await steps.started_by_send(
                session,
                campaign,
                lead_id=attempt.lead_id,
                attempt_id=attempt.id,
                mailbox_id=attempt.mailbox_id,
                sent_at=sent_at,
                jitter_seconds=jitter_seconds,
            )
        elif attempt.kind == "initial":
            await followups.schedule(session, attempt, sent_at, list(drafts))
        elif follow_up_id is not None:
            await _settle_follow_up(session, follow_up_id, "sent", None, sent_at)
        await outbox.record(
            session,
            attempt.workspace_id,
            "send.sent",
            lambda: payloads.attempt(attempt, status="sent", sent_at=sent_at, error=None),
            sent_at,
        )


async def record_failed(
    session: AsyncSession,
    attempt: OutreachAttempt,
    failure: DeliveryError,
    *,
    follow_up_id: str | None = None,
    step_id: str | None = None,
) -> None:
    """The attempt failed (its cap slot is free again). A permanent refusal of the recipient is
    a hard bounce for the lead's lifecycle (suppressed, bounced unless placed, steps stopped)."""
    # Its events (`send.failed`, and a refusal's `bounce.received` and status change) at once.
    async with outbox.batch(session):
        now = utcnow()
        await session.execute(
            update(OutreachAttempt)
            .where(OutreachAttempt.id == attempt.id)
            .values(
                status="failed",
                error=failure.error,
                smtp_code=failure.smtp_code,
                permanent_failure=failure.permanent_recipient,
            )
        )
        if follow_up_id is not None:
            await _settle_follow_up(session, follow_up_id, "failed", failure.error, now)
        if step_id is not None:
            await steps.settle_failed(session, step_id, failure.error, now)
        await outbox.record(
            session,
            attempt.workspace_id,
            "send.failed",
            lambda: payloads.attempt(
                attempt,
                status="failed",
                error=failure.error,
                smtp_code=failure.smtp_code,
                permanent_failure=failure.permanent_recipient,
            ),
            now,
        )
        if failure.permanent_recipient:
            if attempt.mailbox_id is not None:
                # A permanent refusal is one of the mailbox's sends, and a hard bounce.
                await health.record_send(
                    session, attempt.mailbox_id, attempt.id, hard_bounce=True, now=now
                )
            refusal = lifecycle.Suppress(
                attempt.workspace_id, attempt.recipient_email, "bounce", failure.error
            )
            event = lifecycle.Event(
                "hard_bounce", attempt.lead_id, suppress=refusal, attempt_id=attempt.id
            )
            await lifecycle.apply(session, [event], now)


async def _settle_follow_up(
    session: AsyncSession, follow_up_id: str, status: str, reason: str | None, now: datetime
) -> None:
    await session.execute(
        update(FollowUp)
        .where(FollowUp.id == follow_up_id)
        .values(status=status, reason=reason, updated_at=now)
    )
