"""A lead's history in one timeline, newest first: the messages sent to it, its replies, the
checks of its placement, and the steps of its sequence (and part 1 follow-ups) that have not
become messages yet (a sent step is its message, shown once).

Read-only; each source is one query on an index by lead (`ix_attempts_lead`,
`ix_replies_lead`, the placement's unique `lead_id`, `ix_sequence_steps_lead`,
`ix_follow_ups_lead`). A lead's history is short, but each source is capped so that a lead with
an unusual amount of mail cannot make its page slow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import FollowUp, Lead, OutreachAttempt, Placement, Reply, SequenceStep

EntryKind = Literal["message", "reply", "check", "step"]
PER_SOURCE = 200


@dataclass(frozen=True)
class Entry:
    """One thing that happened to a lead (or will: a scheduled step)."""

    at: datetime
    kind: EntryKind
    status: str
    title: str
    detail: str | None = None
    ref_id: str | None = None  # the attempt, reply, placement or step it is about
    confidence: float | None = None


def _message(attempt: OutreachAttempt) -> Entry:
    kind = "Follow-up" if attempt.kind == "follow_up" else "Message"
    detail = f"{attempt.sender_email} to {attempt.recipient_email}"
    if attempt.error:
        detail += f" · {attempt.error}"
    return Entry(
        at=attempt.sent_at or attempt.created_at,
        kind="message",
        status=attempt.status,
        title=f"{kind} (step {attempt.step}): {attempt.subject}",
        detail=detail,
        ref_id=attempt.id,
    )


def _reply(reply: Reply) -> Entry:
    return Entry(
        at=reply.received_at,
        kind="reply",
        status=reply.classification,
        title=f"Reply from {reply.from_email}: {reply.subject}",
        detail=reply.snippet or None,
        ref_id=reply.id,
        confidence=reply.confidence,
    )


def _checks(placement: Placement) -> list[Entry]:
    entries = []
    for check in placement.history or []:
        at = check.get("at")
        when = datetime.fromisoformat(at) if isinstance(at, str) else at
        if not isinstance(when, datetime):
            continue
        code = check.get("http_status")
        entries.append(
            Entry(
                at=when,
                kind="check",
                status=str(check.get("status", "unknown")),
                title=f"Link check of {placement.placement_url}",
                detail=f"HTTP {code}" if code is not None else None,
                ref_id=placement.id,
            )
        )
    return entries


def _step(step: SequenceStep) -> Entry:
    title = f"Sequence step {step.step}"
    return Entry(
        at=step.not_before or step.updated_at,
        kind="step",
        status=step.status,
        title=title,
        detail=step.reason,
        ref_id=step.id,
    )


def _follow_up(follow_up: FollowUp) -> Entry:
    return Entry(
        at=follow_up.scheduled_for if follow_up.status == "scheduled" else follow_up.updated_at,
        kind="step",
        status=follow_up.status,
        title=f"Follow-up {follow_up.step}: {follow_up.subject}",
        detail=follow_up.reason,
        ref_id=follow_up.id,
    )


async def timeline(session: AsyncSession, lead: Lead) -> list[Entry]:
    """Everything of `lead` (the caller checked it is theirs), newest first."""
    attempts = await session.scalars(
        select(OutreachAttempt)
        .where(OutreachAttempt.lead_id == lead.id)
        .order_by(OutreachAttempt.created_at.desc())
        .limit(PER_SOURCE)
    )
    replies = await session.scalars(
        select(Reply)
        .where(Reply.lead_id == lead.id)
        .order_by(Reply.received_at.desc())
        .limit(PER_SOURCE)
    )
    placement = await session.scalar(select(Placement).where(Placement.lead_id == lead.id))
    steps = await session.scalars(
        select(SequenceStep)
        .where(SequenceStep.lead_id == lead.id, SequenceStep.status != "sent")
        .limit(PER_SOURCE)
    )
    follow_ups = await session.scalars(
        select(FollowUp)
        .where(FollowUp.lead_id == lead.id, FollowUp.status != "sent")
        .limit(PER_SOURCE)
    )
    entries = [
        *(_message(a) for a in attempts),
        *(_reply(r) for r in replies),
        *(_checks(placement) if placement is not None else []),
        *(_step(s) for s in steps),
        *(_follow_up(f) for f in follow_ups),
    ]
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries


async def latest_attempt(session: AsyncSession, lead_id: str) -> OutreachAttempt | None:
    """The lead's most recent attempt: after a failed send, the words of its `error`."""
    result: OutreachAttempt | None = await session.scalar(
        select(OutreachAttempt)
        .where(OutreachAttempt.lead_id == lead_id)
        .order_by(OutreachAttempt.created_at.desc(), OutreachAttempt.id.desc())
        .limit(1)
    )
    return result
