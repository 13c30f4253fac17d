"""Spacing per mailbox: no two scheduled sends from one mailbox closer than its
`min_interval_seconds`. The mailbox's slot row is locked (FOR UPDATE on PostgreSQL; SQLite has
one writer) in the transaction that reserves the send, so workers side by side cannot both
take it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..db import insert_for
from ..models import MailboxSlot


async def free_at(session: AsyncSession, mailbox_id: str, now: datetime) -> datetime:
    """When the mailbox may next send a scheduled message, its slot row locked until the
    transaction ends."""
    await session.execute(
        insert_for(session, MailboxSlot)
        .values(mailbox_id=mailbox_id, next_send_at=now)
        .on_conflict_do_nothing(index_elements=["mailbox_id"])
    )
    found = await session.scalar(
        select(MailboxSlot.next_send_at)
        .where(MailboxSlot.mailbox_id == mailbox_id)
        .with_for_update()
    )
    return found if found is not None else now


async def take(session: AsyncSession, mailbox_id: str, until: datetime) -> None:
    """The slot is taken: the mailbox's next scheduled send waits until `until`."""
    await session.execute(
        update(MailboxSlot).where(MailboxSlot.mailbox_id == mailbox_id).values(next_send_at=until)
    )
