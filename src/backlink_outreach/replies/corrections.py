"""`PATCH /replies/{id}` (API.md part 2, "Inbox"): re-file a reply under another class, or file
unmatched mail under a lead. What that does to the lead is `lifecycle.refile`'s; this module
gathers what it needs: the reply's old and new events, the lead's other replies, and whether
another reply still suppresses the address the old event suppressed."""

from __future__ import annotations

import functools
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..auth import Principal
from ..errors import NotFound, Unprocessable
from ..integrations import events as outbox
from ..integrations import payloads
from ..leads import lifecycle
from ..models import Lead, OutreachAttempt, Reply, ReplyClassification
from . import effects

# classify.py's reason for a feedback loop report (a spam complaint): its unsubscribe
# suppresses with source `complaint`, also when a correction files it there again.
COMPLAINT_REASON = "the recipient reported the message as unwanted"
_SUPPRESSING: tuple[ReplyClassification, ...] = ("unsubscribe", "bounce")


def _complaint(reply: Reply) -> bool:
    return COMPLAINT_REASON in (reply.reasons or [])


def _address(recipient: str | None, contact: str | None, sender: str) -> str:
    """The address a reply's effects suppress: the one we wrote to (its attempt's), else the
    lead's contact address (mail filed by hand has no attempt), else the sender's."""
    return (recipient or contact or sender).strip().lower()


async def _address_of(session: AsyncSession, reply: Reply) -> str:
    recipient = contact = None
    if reply.attempt_id is not None:
        recipient = await session.scalar(
            select(OutreachAttempt.recipient_email).where(OutreachAttempt.id == reply.attempt_id)
        )
    if recipient is None and reply.lead_id is not None:
        contact = await session.scalar(select(Lead.contact_email).where(Lead.id == reply.lead_id))
    return _address(recipient, contact, reply.from_email)


async def reclassify(
    session: AsyncSession,
    principal: Principal,
    reply: Reply,
    classification: ReplyClassification,
    now: datetime,
) -> None:
    """File the reply again under `classification`; recorded in `corrections`. The same class
    again changes nothing."""
    old = reply.classification
    if classification == old:
        return
    old_event = None
    if reply.lead_id is not None:
        old_event = effects.event_of(
            reply, await _address_of(session, reply), complaint=_complaint(reply)
        )
    reply.classification = classification
    reply.corrections = [
        *(reply.corrections or []),
        {"from": old, "to": classification, "by": principal.user_id, "at": now.isoformat()},
    ]
    if reply.lead_id is not None:
        await _refile(session, reply, old_event, now)


async def file_under(
    session: AsyncSession, principal: Principal, reply: Reply, lead_id: str, now: datetime
) -> None:
    """File unmatched mail under a lead of the reply's workspace (404 for any other lead, 422
    when the reply is already filed under one); its class's effects then apply."""
    if reply.lead_id is not None:
        raise Unprocessable(
            "this reply is already filed under a lead; only unmatched mail can be filed by hand",
            "already_matched",
            ["body", "lead_id"],
        )
    if "\x00" in lead_id:
        raise NotFound()
    lead = (
        await session.execute(
            select(Lead.id, Lead.campaign_id).where(
                Lead.id == lead_id, Lead.workspace_id == reply.workspace_id
            )
        )
    ).first()
    if lead is None:
        raise NotFound()
    reply.lead_id, reply.campaign_id, reply.unmatched = lead.id, lead.campaign_id, False
    await session.flush()
    await _refile(session, reply, None, now)
    # Now it is the lead's reply: subscribers hear of it as of any other.
    await outbox.record_many(
        session,
        [(reply.workspace_id, "reply.received", functools.partial(payloads.reply, reply))],
        now,
    )


async def _refile(
    session: AsyncSession, reply: Reply, old_event: lifecycle.Event | None, now: datetime
) -> None:
    assert reply.lead_id is not None
    new_event = effects.event_of(
        reply, await _address_of(session, reply), complaint=_complaint(reply)
    )
    entry = None
    if old_event is not None and lifecycle.RULES[old_event.kind].suppresses:
        entry = old_event.suppress
    await lifecycle.refile(
        session,
        lifecycle.Refiling(
            cause=reply.id,
            lead_id=reply.lead_id,
            at=reply.received_at,
            event=new_event,
            history=await _history(session, reply),
            withdrawn_entry=entry,
            withdrawn=old_event,
            entry_since=reply.created_at,
            entry_held=entry is not None and await _held(session, reply, entry.address),
        ),
        now,
    )


async def _history(session: AsyncSession, reply: Reply) -> list[tuple[datetime, lifecycle.Event]]:
    """The events of the lead's other replies, with their times (only their kinds matter to
    the status, so no address is looked up)."""
    others = await session.scalars(
        select(Reply).where(Reply.lead_id == reply.lead_id, Reply.id != reply.id)
    )
    history: list[tuple[datetime, lifecycle.Event]] = []
    for other in others:
        event = effects.event_of(other, other.from_email, complaint=_complaint(other))
        if event is not None:
            history.append((other.received_at, event))
    return history


async def _held(session: AsyncSession, reply: Reply, address: str) -> bool:
    """Whether another reply of the workspace still suppresses `address` (the entry is then
    theirs as much as this reply's)."""
    rows = await session.execute(
        select(
            Reply,
            OutreachAttempt.recipient_email,
            Lead.contact_email,
        )
        .outerjoin(OutreachAttempt, OutreachAttempt.id == Reply.attempt_id)
        .outerjoin(Lead, Lead.id == Reply.lead_id)
        .where(
            Reply.workspace_id == reply.workspace_id,
            Reply.id != reply.id,
            Reply.lead_id.is_not(None),
            Reply.classification.in_(_SUPPRESSING),
            or_(
                OutreachAttempt.recipient_email == address,
                Lead.contact_email == address,
                Reply.from_email == address,
            ),
        )
    )
    for other, recipient, contact in rows:
        event = effects.event_of(
            other, _address(recipient, contact, other.from_email), complaint=_complaint(other)
        )
        if (
            event is not None
            and event.suppress is not None
            and lifecycle.RULES[event.kind].suppresses
            and event.suppress.address == address
        ):
            return True
    return False
