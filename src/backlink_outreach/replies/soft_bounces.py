"""Repeated soft bounces: the third bounce for an address within 7 days counts as hard."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..db import in_batches
from ..models import Reply
from .effects import ReplyRow

WINDOW = timedelta(days=7)
AS_HARD = 3


async def upgrade_repeated(session: AsyncSession, rows: list[ReplyRow]) -> None:
    """Upgrade a soft bounce to hard when it is the third bounce for its address in the
    workspace within 7 days (counting stored replies and earlier rows of this batch)."""
    bounces = [r for r in rows if r.classification == "bounce"]
    soft = [r for r in bounces if r.bounce_type == "soft"]
    if not soft:
        return
    addresses = sorted({r.bounce_recipient for r in soft if r.bounce_recipient is not None})
    since = min(r.received_at for r in soft) - WINDOW
    seen: dict[tuple[str, str | None], list[datetime]] = defaultdict(list)
    for chunk in in_batches(addresses):
        stored = await session.execute(
            select(Reply.workspace_id, Reply.bounce_recipient, Reply.received_at).where(
                Reply.bounce_recipient.in_(chunk),
                Reply.classification == "bounce",
                Reply.received_at >= since,
            )
        )
        for workspace_id, address, received in stored:
            seen[(workspace_id, address)].append(received)
    for row in bounces:
        key = (row.workspace_id, row.bounce_recipient)
        seen[key].append(row.received_at)
        if row.bounce_type != "soft":
            continue
        at = row.received_at
        count = sum(1 for t in seen[key] if at - WINDOW <= t <= at)
        if count >= AS_HARD:
            row.bounce_type = "hard"
            row.reasons = [*row.reasons, "third soft bounce within 7 days: counted as hard"]
