"""The scheduler duty: send the sequence steps that are due, inside each campaign's window,
spaced per mailbox, within every cap, through the same three steps as an API send.

A pass reads what is due (`ix_sequence_steps_due`: status, not_before), at most `BATCH` rows,
never what is enrolled, and groups it into one lane per mailbox: a later step goes from the
mailbox of its lead's first message, a step 0 from the campaign's mailbox with the most room
today. Lanes run side by side, each over one SMTP connection kept open for the pass. Each
message is reserved only when its lane reaches it, in its own short transaction that:

1. locks the step row (`FOR UPDATE SKIP LOCKED`: workers side by side take different rows, and
   a row some worker has taken is `sending` for everyone after), and holds the campaign row
   shared (`FOR SHARE`), so a pause waits for it and every reservation after the pause sees
   `paused`;
2. re-checks the lead (a status that ends sequences cancels the step), the step's text (read
   now: an edit changes what has not gone out), the window (closed: moved to its next
   opening, with jitter), the mailbox's spacing slot (not free: the lane stops for this pass);
3. asks policy through `ledger.reserve` (logged in the decision log). A full cap moves the step
   to the next window after the day turns; a paused mailbox retries in an hour; any other
   block ends the lead's sequence (`skipped` with the reason, the rest `cancelled`): never a
   retry loop.

SMTP runs outside the transaction; `delivery.record_sent` / `record_failed` settle the step and
time the next one. Claim, SMTP and record happen inside the connection's turn
(`smtp.SmtpMailer.turn`), so no step is reserved while it waits for the connection. A worker
killed between the reservation and the record leaves the attempt (and its step) `sending`:
`doctor` lists it and nothing re-sends it blindly.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..db import utcnow
from ..errors import NotConfigured, Unprocessable
from ..leads import lifecycle
from ..mailboxes import routing
from ..models import DEFAULT_MAILBOX_ID, Campaign, Lead, Mailbox, OutreachAttempt, SequenceStep
from ..outreach import delivery, ledger, policy, smtp
from ..outreach.service import render_message
from . import slots, steps
from .windows import Window, place

if TYPE_CHECKING:
    from ..config import Settings
    from ..database import Database

log = structlog.get_logger(__name__)

BATCH = 500  # due steps per pass, so one pass cannot run unbounded
MAILBOX_GONE = "the mailbox of the first message was deleted"
FIRST_NOT_SENT = "the first message was not sent"


@dataclass(frozen=True)
class Due:
    id: str
    campaign_id: str
    lead_id: str
    step: int
    mailbox_id: str | None


@dataclass
class Lane:
    route: routing.Route
    items: list[Due] = field(default_factory=list)


@dataclass(frozen=True)
class Claimed:
    attempt: OutreachAttempt
    step_id: str
    references: tuple[str, ...]
    campaign: Campaign  # as the claim read it: its sequence times the next step


# What a claim that sent nothing means for the rest of its lane: `next` goes on with the
# lane's next step; `stop` leaves the rest of the lane for a later pass (the mailbox's
# spacing slot is taken: they are due again soon).
Outcome = Claimed | Literal["next", "stop"]


async def send_due(db: Database, settings: Settings) -> int:
    """One pass; returns how many steps were sent."""
    now = utcnow()
    async with db.read() as session:
        due = await _due(session, now)
        if not due:
            return 0
        lanes, unroutable = await _lanes(session, settings, due, now)
    if unroutable:
        await _settle_unroutable(db, unroutable)
    results = await asyncio.gather(
        *(_drain(db, settings, lane) for lane in lanes.values()), return_exceptions=True
    )
    sent = 0
    for result in results:
        if isinstance(result, BaseException):
            log.error("sequence_lane_failed", error_type=type(result).__name__, exc_info=result)
        else:
            sent += result
    return sent


_DUE = (
    select(
        SequenceStep.id,
        SequenceStep.campaign_id,
        SequenceStep.lead_id,
        SequenceStep.step,
        SequenceStep.mailbox_id,
    )
    .join(Campaign, Campaign.id == SequenceStep.campaign_id)
    .where(SequenceStep.status == "scheduled", Campaign.status == "active")
)


async def _due(session: AsyncSession, now: datetime) -> list[Due]:
    rows = await session.execute(
        _DUE.where(SequenceStep.not_before <= now)
        .order_by(SequenceStep.not_before, SequenceStep.id)
        .limit(BATCH)
    )
    return [Due(*row) for row in rows]


async def _lanes(
    session: AsyncSession, settings: Settings, due: list[Due], now: datetime
) -> tuple[dict[str, Lane], list[Due]]:
    """The pass's steps by the mailbox they go from, each mailbox's route built once; and the
    steps whose mailbox cannot send (deleted, or mbx_default unconfigured)."""
    lanes: dict[str, Lane] = {}
    unroutable: list[Due] = []
    firsts: dict[str, list[Due]] = defaultdict(list)
    for item in due:
        if item.mailbox_id is None:
            firsts[item.campaign_id].append(item)
            continue
        lane = lanes.get(item.mailbox_id)
        if lane is None:
            route = await _route_of(session, settings, item.mailbox_id, now)
            if route is None:
                unroutable.append(item)
                continue
            lane = lanes[item.mailbox_id] = Lane(route)
        lane.items.append(item)
    for campaign_id, items in firsts.items():
        campaign = await session.get_one(Campaign, campaign_id)
        try:
            routes = await routing.candidates(session, settings, campaign, None, now)
        except NotConfigured:
            continue  # mbx_default is not configured: the steps wait
        room = await routing.rooms(session, settings, routes, now)
        for item in items:
            # The mailbox with the most room left; each step given to one takes a place.
            best = max(routes, key=lambda r: room[r.mailbox_id])
            room[best.mailbox_id] -= 1
            lanes.setdefault(best.mailbox_id, Lane(best)).items.append(item)
    return lanes, unroutable


async def _route_of(
    session: AsyncSession, settings: Settings, mailbox_id: str, now: datetime
) -> routing.Route | None:
    if mailbox_id == DEFAULT_MAILBOX_ID:
        try:
            return routing.default_route(settings)
        except Unprocessable:
            return None
    row = await session.get(Mailbox, mailbox_id)
    return None if row is None else routing.route_of(settings, row, now)


async def _drain(db: Database, settings: Settings, lane: Lane) -> int:
    """Send a lane's steps in order over one connection, each claimed only in its turn on
    that connection (lanes of mailboxes that share a server login share one)."""
    mailer = lane.route.mailer(settings)
    sent = 0
    async with mailer.burst():
        for item in lane.items:
            async with mailer.turn():
                async with db.write() as session:
                    outcome = await _claim(session, settings, lane.route, item, utcnow())
                if outcome == "stop":
                    break
                if isinstance(outcome, Claimed):
                    sent += await _deliver(db, settings, lane.route, mailer, outcome)
    return sent


async def _settle_unroutable(db: Database, items: list[Due]) -> None:
    """Steps whose lead's first message went from a mailbox that is gone, or from an
    unconfigured mbx_default: the first end the sequence, the second wait."""
    now = utcnow()
    async with db.write() as session:
        for item in items:
            step = await _lock(session, item.id, now)
            if step is None:
                continue
            if step.mailbox_id not in (None, DEFAULT_MAILBOX_ID):
                await steps.cancel(session, step, MAILBOX_GONE, now)
            else:
                step.not_before, step.updated_at = now + ledger.PAUSED_RETRY, now


async def _lock(session: AsyncSession, step_id: str, now: datetime) -> SequenceStep | None:
    """The step, locked, when it is still scheduled and due; None when another worker took it,
    or it was stopped or moved meanwhile."""
    return (
        await session.execute(
            select(SequenceStep)
            .where(
                SequenceStep.id == step_id,
                SequenceStep.status == "scheduled",
                SequenceStep.not_before <= now,
            )
            .with_for_update(skip_locked=True)
        )
    ).scalar_one_or_none()


async def _claim(
    session: AsyncSession, settings: Settings, route: routing.Route, item: Due, now: datetime
) -> Outcome:
    step = await _lock(session, item.id, now)
    if step is None:
        return "next"
    campaign = (
        await session.execute(
            select(Campaign).where(Campaign.id == step.campaign_id).with_for_update(read=True)
        )
    ).scalar_one()
    if campaign.status != "active":
        return "next"  # paused after this pass read its steps
    lead = await session.get_one(Lead, step.lead_id)
    if lead.status in lifecycle.SEQUENCE_ENDS:
        await steps.cancel(session, step, lifecycle.SEQUENCE_ENDS[lead.status], now)
        return "next"
    text = await steps.text_for(session, campaign, step.step)
    if text is None:
        await steps.cancel(session, step, steps.REMOVED, now)
        return "next"
    window = steps.window_of(campaign)
    jitter = settings.send_jitter_seconds
    if not window.is_open(now):
        step.not_before, step.updated_at = place(window, now, jitter, steps.RNG), now
        return "next"
    interval = route.sender.min_interval_seconds
    if interval > 0 and await slots.free_at(session, route.mailbox_id, now) > now:
        return "stop"
    thread = await _thread(session, step) if step.step > 0 else []
    if step.step > 0 and not thread:
        await steps.cancel(session, step, FIRST_NOT_SENT, now)
        return "next"
    try:
        subject, body = _render(route, campaign, lead, text, thread)
    except Unprocessable as exc:
        await steps.skip(session, step, f"{exc.type}: {exc.msg}"[:300], now)
        return "next"
    recipient = policy.check_recipient(lead.contact_email)
    decision, attempt = await ledger.reserve(
        session,
        settings,
        sender=route.sender.sendable_address(),
        lead=lead,
        recipient=recipient,
        kind="initial" if step.step == 0 else "follow_up",
        step=step.step,
        subject=subject,
        body=body,
        now=now,
        in_reply_to=thread[-1][0] if thread else None,
        identity=route.sender,
        scheduled=True,
    )
    if attempt is None:
        reason = decision.reason or policy.INVALID_RECIPIENT
        return await _blocked(session, step, reason, window, jitter, now)
    step.status, step.attempt_id, step.mailbox_id = "sending", attempt.id, route.mailbox_id
    step.updated_at = now
    if interval > 0:
        await slots.take(session, route.mailbox_id, now + timedelta(seconds=interval))
    await session.flush()
    return Claimed(attempt, step.id, tuple(message_id for message_id, _ in thread), campaign)


async def _blocked(
    session: AsyncSession,
    step: SequenceStep,
    reason: str,
    window: Window,
    jitter: int,
    now: datetime,
) -> Outcome:
    """A step policy refused now."""
    if reason in policy.CAP_REASONS:
        # Scheduled sends never fail for a cap: the next window once the UTC day has turned.
        tomorrow = ledger.next_utc_day(now)
        step.not_before, step.updated_at = place(window, tomorrow, jitter, steps.RNG), now
    elif reason == policy.MAILBOX_PAUSED:
        step.not_before, step.updated_at = now + ledger.PAUSED_RETRY, now
    else:
        await steps.skip(session, step, reason, now)
    # The lane goes on: each of its steps that the same block stops is moved in its turn, so
    # the next pass does not read them again.
    return "next"


def _render(
    route: routing.Route,
    campaign: Campaign,
    lead: Lead,
    text: steps.StepText,
    thread: list[tuple[str, str]],
) -> tuple[str, str]:
    """The step's subject and body for this lead. A later step without its own subject is
    `Re: <step 0's subject as sent>` (already rendered: not rendered again)."""
    topic = campaign.keywords[0] if campaign.keywords else ""
    own_subject = text.subject.strip()
    placeholder_subject = own_subject or "-"
    subject, body = render_message(route.sender, lead, placeholder_subject, text.body, topic)
    if not own_subject and thread:
        first = thread[0][1]
        subject = first if first.lower().startswith("re:") else f"Re: {first}"
    return subject[:998], body


async def _thread(session: AsyncSession, step: SequenceStep) -> list[tuple[str, str]]:
    """(Message-ID, subject) of the lead's steps sent before this one, oldest first."""
    rows = await session.execute(
        select(OutreachAttempt.message_id, OutreachAttempt.subject)
        .join(SequenceStep, SequenceStep.attempt_id == OutreachAttempt.id)
        .where(
            SequenceStep.lead_id == step.lead_id,
            SequenceStep.campaign_id == step.campaign_id,
            SequenceStep.step < step.step,
            SequenceStep.status == "sent",
        )
        .order_by(SequenceStep.step)
    )
    return [(message_id, subject) for message_id, subject in rows]


async def _deliver(
    db: Database, settings: Settings, route: routing.Route, mailer: smtp.Mailer, claimed: Claimed
) -> int:
    attempt = claimed.attempt
    failure = await delivery.deliver(
        db,
        settings,
        route.sender,
        mailer,
        attempt,
        references=claimed.references,
        step_id=claimed.step_id,
    )
    if failure is not None:
        return 0
    async with db.write() as session:
        await delivery.record_sent(
            session,
            attempt,
            utcnow(),
            step_id=claimed.step_id,
            campaign=claimed.campaign,
            jitter_seconds=settings.send_jitter_seconds,
        )
    log.info("sequence_step_sent", step_id=claimed.step_id, attempt_id=attempt.id)
    return 1
