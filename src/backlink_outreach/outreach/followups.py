"""Follow-ups: scheduling after an initial send, the worker duty that sends due ones, and the
effects other domains apply (cancel when a lead replies or bounces, postpone on out-of-office)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..db import utcnow
from ..models import FollowUp


async def cancel_pending(session: AsyncSession, lead_id: str, reason: str) -> int:
    """Cancel every scheduled follow-up of a lead; returns how many."""
    result = await session.execute(
        update(FollowUp)
        .where(FollowUp.lead_id == lead_id, FollowUp.status == "scheduled")
        .values(status="cancelled", reason=reason, updated_at=utcnow())
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def postpone_pending(session: AsyncSession, lead_id: str, until: datetime) -> int:
    """Shift a lead's scheduled follow-ups so the first is due no earlier than `until`, keeping
    the spacing between steps. Returns how many moved."""
    pending = (
        await session.scalars(
            select(FollowUp)
            .where(FollowUp.lead_id == lead_id, FollowUp.status == "scheduled")
            .order_by(FollowUp.scheduled_for)
        )
    ).all()
    if not pending or pending[0].scheduled_for >= until:
        return 0
    delta = until - pending[0].scheduled_for
    now = utcnow()
    for follow_up in pending:
        follow_up.scheduled_for = follow_up.scheduled_for + delta
        follow_up.updated_at = now
    await session.flush()
    return len(pending)
