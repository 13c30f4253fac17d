"""The worker duty that sends due follow-ups in the thread of the message they follow.

Claiming is the same three steps as an initial send, through the same functions
(`ledger.reserve`, then `delivery.deliver` and `delivery.record_sent`), inside the turn of the
mailbox's connection. A pass reads the due rows once; each claim transaction locks its row
(`FOR UPDATE SKIP LOCKED` on PostgreSQL, so workers side by side take different rows; SQLite has
one writer), checks the lead, reserves the cap slot (policy checked
again) with the `follow_up` attempt as `sending`, and points the follow-up at it
(`sent_attempt_id`): from then on no worker claims it again, even after a crash. SMTP runs
outside the transaction; a second transaction marks the follow-up `sent` or `failed`.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..db import utcnow
from ..errors import NotConfigured
from ..leads import lifecycle
from ..mailboxes import routing
from ..models import DEFAULT_MAILBOX_ID, FollowUp, Lead, Mailbox, OutreachAttempt
from ..sender import Sender
from . import delivery, ledger, policy, smtp

if TYPE_CHECKING:
    from ..config import Settings
    from ..database import Database

log = structlog.get_logger(__name__)

BATCH = 100  # per pass, so one pass cannot run unbounded


@dataclass
class Claimed:
    attempt: OutreachAttempt
    follow_up_id: str
    references: tuple[str, ...]
    route: routing.Route


async def send_due(db: Database, settings: Settings) -> int:
    """Send (or cancel, or postpone) the follow-ups that are due; returns how many were sent.
    Each goes from the mailbox of the lead's first message; each mailbox's connection stays
    open for the pass, and a follow-up is claimed only once that connection is ready to take
    it (its turn), so a crash leaves at most one follow-up per connection `sending`."""
    if not routing.default_configured(settings):
        async with db.read() as session:
            if not await routing.any_mailboxes(session):
                return 0  # part 1: no way to send at all; the follow-ups wait
    now = utcnow()
    async with db.read() as session:
        due = await _due(session, now)
        mailers = await _mailers(session, settings, {mailbox_id for _, mailbox_id in due}, now)
    sent = 0
    async with contextlib.AsyncExitStack() as bursts:
        open_mailers: set[int] = set()
        for follow_up_id, mailbox_id in due:
            mailer = mailers.get(mailbox_id)
            if mailer is not None and id(mailer) not in open_mailers:
                open_mailers.add(id(mailer))
                await bursts.enter_async_context(mailer.burst())
            # No mailer: the mailbox cannot send now, and the claim cancels or postpones.
            async with mailer.turn() if mailer is not None else contextlib.nullcontext():
                async with db.write() as session:
                    outcome = await _claim(session, settings, follow_up_id, utcnow())
                if isinstance(outcome, Claimed):
                    # The claim's own route (a mailbox edited since the pass began takes its
                    # own turn on its new server's connection).
                    route = outcome.route
                    sent += await _deliver(
                        db, settings, route.sender, route.mailer(settings), outcome
                    )
    return sent


async def _due(session: AsyncSession, now: datetime) -> list[tuple[str, str]]:
    """The pass's due follow-ups, oldest first, with the mailbox of each one's first message."""
    rows = await session.execute(
        select(FollowUp.id, OutreachAttempt.mailbox_id)
        .join(OutreachAttempt, OutreachAttempt.id == FollowUp.attempt_id)
        .where(
            FollowUp.status == "scheduled",
            FollowUp.sent_attempt_id.is_(None),
            FollowUp.scheduled_for <= now,
        )
        .order_by(FollowUp.scheduled_for, FollowUp.id)
        .limit(BATCH)
    )
    return [(follow_up_id, mailbox_id or DEFAULT_MAILBOX_ID) for follow_up_id, mailbox_id in rows]


async def _mailers(
    session: AsyncSession, settings: Settings, mailbox_ids: set[str], now: datetime
) -> dict[str, smtp.Mailer]:
    """The mailer of each mailbox that can send now (not deleted; mbx_default configured)."""
    found: dict[str, smtp.Mailer] = {}
    for mailbox_id in sorted(mailbox_ids):
        if mailbox_id == DEFAULT_MAILBOX_ID:
            if routing.default_configured(settings):
                found[mailbox_id] = routing.default_route(settings).mailer(settings)
            continue
        row = await session.get(Mailbox, mailbox_id)
        if row is not None:
            try:
                found[mailbox_id] = routing.route_of(settings, row, now).mailer(settings)
            except NotConfigured:
                continue  # its secrets cannot be opened: the claim postpones
    return found


async def _claim(
    session: AsyncSession, settings: Settings, follow_up_id: str, now: datetime
) -> Claimed | str | None:
    """The follow-up claimed for sending, or a word saying what was done instead; None when
    another worker took it, or it was settled or moved meanwhile."""
    follow_up = (
        await session.execute(
            select(FollowUp)
            .where(
                FollowUp.id == follow_up_id,
                FollowUp.status == "scheduled",
                FollowUp.sent_attempt_id.is_(None),
                FollowUp.scheduled_for <= now,
            )
            .with_for_update(skip_locked=True)
        )
    ).scalar_one_or_none()
    if follow_up is None:
        return None
    lead = await session.get_one(Lead, follow_up.lead_id)
    initial = await session.get_one(OutreachAttempt, follow_up.attempt_id)
    if lead.status in lifecycle.SEQUENCE_ENDS:
        return _cancel(follow_up, lifecycle.SEQUENCE_ENDS[lead.status], now)
    if initial.status != "sent":
        return _cancel(follow_up, "the first message was not sent", now)
    try:
        route = await routing.route_for_attempt(session, settings, initial, now)
    except NotConfigured:
        return _postpone(follow_up, now + ledger.PAUSED_RETRY, now)
    if route is None:
        return _cancel(follow_up, "the mailbox of the first message was deleted", now)
    sender = route.sender

    recipient = policy.check_recipient(initial.recipient_email)
    references = await _thread(session, initial, follow_up.step)
    decision, attempt = await ledger.reserve(
        session,
        settings,
        sender=sender.sendable_address(),
        lead=lead,
        recipient=recipient,
        kind="follow_up",
        step=follow_up.step,
        subject=follow_up.subject,
        body=follow_up.body,
        now=now,
        in_reply_to=references[-1],
        identity=sender,
    )
    if attempt is None:
        reason = decision.reason or policy.INVALID_RECIPIENT
        if reason in policy.CAP_REASONS:
            # Over today's cap: try again when the next UTC day opens.
            return _postpone(follow_up, ledger.next_utc_day(now), now)
        if reason == policy.MAILBOX_PAUSED:
            # Sent when a person sets the mailbox active again, from the same mailbox.
            return _postpone(follow_up, now + ledger.PAUSED_RETRY, now)
        return _cancel(follow_up, reason, now)
    await session.flush()
    follow_up.sent_attempt_id = attempt.id
    follow_up.updated_at = now
    return Claimed(attempt, follow_up.id, references, route)


def _postpone(follow_up: FollowUp, until: datetime, now: datetime) -> str:
    follow_up.scheduled_for = until
    follow_up.updated_at = now
    return "postponed"


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


async def _deliver(
    db: Database, settings: Settings, sender: Sender, mailer: smtp.Mailer, claimed: Claimed
) -> int:
    attempt = claimed.attempt
    failure = await delivery.deliver(
        db,
        settings,
        sender,
        mailer,
        attempt,
        references=claimed.references,
        follow_up_id=claimed.follow_up_id,
    )
    if failure is not None:
        return 0
    async with db.write() as session:
        await delivery.record_sent(session, attempt, utcnow(), follow_up_id=claimed.follow_up_id)
    log.info("follow_up_sent", follow_up_id=claimed.follow_up_id, attempt_id=attempt.id)
    return 1
