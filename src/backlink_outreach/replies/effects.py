"""What a classified reply does to its lead, its follow-ups and the suppression list."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import Lead, OutreachAttempt, Reply
from ..outreach import followups
from ..suppression import service as suppression

SOFT_BOUNCE_WINDOW = timedelta(days=7)
SOFT_BOUNCES_AS_HARD = 3
NO_DATE_POSTPONE = timedelta(days=7)
HUMAN_STOP = ("interested", "question", "wrong_person", "payment_request", "other")


async def apply(
    session: AsyncSession,
    reply: Reply,
    lead: Lead,
    attempt: OutreachAttempt,
    *,
    complaint: bool = False,
) -> None:
    """Apply the effects of `reply` (already added to the session) to its lead."""
    kind = reply.classification
    address = attempt.recipient_email
    if kind == "bounce":
        if (
            reply.bounce_type == "soft"
            and await _soft_bounces(session, reply, address) >= SOFT_BOUNCES_AS_HARD
        ):
            reply.bounce_type = "hard"
            reply.reasons = [*reply.reasons, "third soft bounce within 7 days: counted as hard"]
        if reply.bounce_type == "hard":
            reason = f"hard bounce {reply.bounce_status or ''}".strip()
            await suppression.suppress(
                session, reply.workspace_id, address, source="bounce", reason=reason
            )
            _set_status(lead, "bounced")
            await followups.cancel_pending(session, lead.id, "bounced")
    elif kind == "unsubscribe":
        source, why = ("complaint", "spam complaint") if complaint else ("reply", "asked by reply")
        await suppression.suppress(session, reply.workspace_id, address, source=source, reason=why)
        _set_status(lead, "lost")
        await followups.cancel_pending(session, lead.id, "unsubscribed")
    elif kind == "not_interested":
        _set_status(lead, "lost")
        await followups.cancel_pending(session, lead.id, "not interested")
    elif kind == "out_of_office":
        if reply.return_date is not None:
            until = datetime.combine(reply.return_date + timedelta(days=1), time(), tzinfo=UTC)
        else:
            until = reply.received_at + NO_DATE_POSTPONE
        await followups.postpone_pending(session, lead.id, until)
    elif kind in HUMAN_STOP:
        _set_status(lead, "replied")
        await followups.cancel_pending(session, lead.id, "lead replied")
    # auto_reply: an automatic answer says nothing about the lead.


def _set_status(lead: Lead, status: str) -> None:
    # A placed lead is a won deal: no later reply or bounce turns it back.
    if lead.status != "placed":
        lead.status = status


async def _soft_bounces(session: AsyncSession, reply: Reply, address: str) -> int:
    """Soft bounces for this address in the workspace within the window, this one included."""
    await session.flush()
    since = reply.received_at - SOFT_BOUNCE_WINDOW
    count = await session.scalar(
        select(func.count())
        .select_from(Reply)
        .where(
            Reply.workspace_id == reply.workspace_id,
            Reply.bounce_recipient == address,
            Reply.classification == "bounce",
            Reply.received_at >= since,
            Reply.received_at <= reply.received_at,
        )
    )
    return int(count or 0)
