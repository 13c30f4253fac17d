"""Every mailbox's health: status, the ring of its last 50 sends, and the bounce breaker.

Counters, not history: a send records itself in the mailbox's ring (`mailbox_recent_sends`,
slot = seq % 50, overwritten as sends go on) and the breaker reads at most those 50 rows, so a
mailbox with 10,000 earlier sends costs what a new one does.

- `record_send`: a send (sent, or permanently refused) takes the next ring slot.
- `mark_hard_bounces`: a DSN's hard bounce (a lifecycle `hard_bounce` event) marks the slot of
  the attempt it bounced, while that attempt is still one of the last 50.
- `check_breaker`: run under the sender's day lock before a send (and after a refusal): 3+
  hard bounces in the window since the last manual reactivation, over BOUNCE_BREAKER_PERCENT of
  the window's sends, pauses the mailbox with reason `bounce_rate`. 0 turns it off.

This module imports only models and the database helpers: the lifecycle and the send path use
it, and it uses neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..db import in_batches, insert_for
from ..integrations import events as outbox
from ..models import RECENT_SENDS, Mailbox, MailboxHealth, MailboxRecentSend, OutreachAttempt

BOUNCE_RATE = "bounce_rate"
MIN_BOUNCES = 3


async def ensure(session: AsyncSession, mailbox_id: str, now: datetime) -> None:
    """The mailbox's health row exists (`mbx_default`'s is made on first use)."""
    await session.execute(
        insert_for(session, MailboxHealth)
        .values(
            mailbox_id=mailbox_id,
            status="active",
            sends_recorded=0,
            breaker_reset_seq=0,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["mailbox_id"])
    )


async def record_send(
    session: AsyncSession, mailbox_id: str, attempt_id: str, *, hard_bounce: bool, now: datetime
) -> None:
    """A send went out (or was refused permanently): it takes the next slot of the ring."""
    bump = (
        update(MailboxHealth)
        .where(MailboxHealth.mailbox_id == mailbox_id)
        .values(sends_recorded=MailboxHealth.sends_recorded + 1)
        .returning(MailboxHealth.sends_recorded)
    )
    seq = (await session.execute(bump)).scalar_one_or_none()
    if seq is None:  # the first send of `mbx_default` (own mailboxes get the row at creation)
        await ensure(session, mailbox_id, now)
        seq = (await session.execute(bump)).scalar_one()
    insert = insert_for(session, MailboxRecentSend).values(
        mailbox_id=mailbox_id,
        slot=int(seq) % RECENT_SENDS,
        seq=seq,
        attempt_id=attempt_id,
        hard_bounce=hard_bounce,
    )
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=["mailbox_id", "slot"],
            set_={
                "seq": insert.excluded.seq,
                "attempt_id": insert.excluded.attempt_id,
                "hard_bounce": insert.excluded.hard_bounce,
            },
        )
    )


async def _latest_sent(session: AsyncSession, lead_id: str) -> str | None:
    """The send a hard bounce that names no attempt is taken to be about: the lead's latest."""
    return (
        await session.execute(
            select(OutreachAttempt.id)
            .where(OutreachAttempt.lead_id == lead_id, OutreachAttempt.status == "sent")
            .order_by(OutreachAttempt.sent_at.desc(), OutreachAttempt.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def mark_hard_bounces(
    session: AsyncSession, attempt_ids: Sequence[str], lead_ids: Sequence[str]
) -> None:
    """Hard bounces of earlier sends: by attempt when known, else the lead's latest sent
    attempt. An attempt no longer among its mailbox's last 50 sends changes nothing."""
    ids = set(attempt_ids)
    for lead_id in sorted(set(lead_ids)):
        latest = await _latest_sent(session, lead_id)
        if latest is not None:
            ids.add(latest)
    for chunk in in_batches(sorted(ids)):
        await session.execute(
            update(MailboxRecentSend)
            .where(MailboxRecentSend.attempt_id.in_(chunk), ~MailboxRecentSend.hard_bounce)
            .values(hard_bounce=True)
        )


async def unmark_hard_bounce(session: AsyncSession, attempt_id: str | None, lead_id: str) -> None:
    """A hard bounce withdrawn by a correction: the send it named (as `mark_hard_bounces`
    chose it) no longer counts as bounced."""
    if attempt_id is None:
        attempt_id = await _latest_sent(session, lead_id)
    if attempt_id is not None:
        await session.execute(
            update(MailboxRecentSend)
            .where(MailboxRecentSend.attempt_id == attempt_id)
            .values(hard_bounce=False)
        )


@dataclass(frozen=True)
class Health:
    status: str
    paused_reason: str | None
    sends_recorded: int
    breaker_reset_seq: int
    hard_bounces_last_50: int  # the whole ring
    bounces_since_reset: int  # the ring's slots after the last manual reactivation
    last_test_at: datetime | None
    last_error: str | None

    def breaker_trips(self, percent: float) -> bool:
        if percent <= 0 or self.status != "active":
            return False
        window = min(RECENT_SENDS, self.sends_recorded - self.breaker_reset_seq)
        bounces = self.bounces_since_reset
        return window > 0 and bounces >= MIN_BOUNCES and bounces * 100 > percent * window

    def shown(self, percent: float) -> tuple[str, str | None]:
        """The status a reader should see: a tripped breaker is paused even before the next
        send has written it down."""
        if self.breaker_trips(percent):
            return "paused", BOUNCE_RATE
        return self.status, self.paused_reason


_NEW = Health("active", None, 0, 0, 0, 0, None, None)


def _bounces(since: Any) -> Any:
    ring = MailboxRecentSend
    return (
        select(func.count())
        .where(ring.mailbox_id == MailboxHealth.mailbox_id, ring.hard_bounce, ring.seq > since)
        .scalar_subquery()
    )


async def read_many(session: AsyncSession, mailbox_ids: Sequence[str]) -> dict[str, Health]:
    """Each mailbox's health; a mailbox without a row yet is new and active."""
    found: dict[str, Health] = {}
    for chunk in in_batches(sorted(set(mailbox_ids))):
        rows = await session.execute(
            select(
                MailboxHealth.mailbox_id,
                MailboxHealth.status,
                MailboxHealth.paused_reason,
                MailboxHealth.sends_recorded,
                MailboxHealth.breaker_reset_seq,
                _bounces(-1),
                _bounces(MailboxHealth.breaker_reset_seq),
                MailboxHealth.last_test_at,
                MailboxHealth.last_error,
            ).where(MailboxHealth.mailbox_id.in_(chunk))
        )
        for row in rows:
            found[row[0]] = Health(*row[1:])
    return {mailbox_id: found.get(mailbox_id, _NEW) for mailbox_id in mailbox_ids}


async def read(session: AsyncSession, mailbox_id: str) -> Health:
    return (await read_many(session, [mailbox_id]))[mailbox_id]


async def check_breaker(
    session: AsyncSession, mailbox_id: str, percent: float, now: datetime
) -> Health:
    """The mailbox's health, with the breaker tripped (and written) when it should be."""
    health = await read(session, mailbox_id)
    if health.breaker_trips(percent):
        await ensure(session, mailbox_id, now)
        paused = await session.execute(
            update(MailboxHealth)
            .where(MailboxHealth.mailbox_id == mailbox_id, MailboxHealth.status == "active")
            .values(status="paused", paused_reason=BOUNCE_RATE, updated_at=now)
        )
        if paused.rowcount:  # type: ignore[attr-defined]
            await _announce_pause(session, mailbox_id, now)
        health = Health(**{**vars(health), "status": "paused", "paused_reason": BOUNCE_RATE})
    return health


async def _announce_pause(session: AsyncSession, mailbox_id: str, now: datetime) -> None:
    """`mailbox.paused` for the workspace that owns the mailbox (`mbx_default` belongs to
    none: its pause shows in every workspace's mailbox list, and no one workspace is told)."""
    workspace_id = await session.scalar(
        select(Mailbox.workspace_id).where(Mailbox.id == mailbox_id)
    )
    if workspace_id is not None:
        data = {"mailbox_id": mailbox_id, "paused_reason": BOUNCE_RATE}
        await outbox.record(session, workspace_id, "mailbox.paused", data, now)


async def set_status(session: AsyncSession, mailbox_id: str, status: str, now: datetime) -> None:
    """A person's PATCH. Back to active: the breaker starts counting afresh from here."""
    await ensure(session, mailbox_id, now)
    values: dict[str, Any] = {"status": status, "updated_at": now}
    if status == "active":
        values.update(paused_reason=None, breaker_reset_seq=MailboxHealth.sends_recorded)
    else:
        values.update(paused_reason="manual")
    await session.execute(
        update(MailboxHealth).where(MailboxHealth.mailbox_id == mailbox_id).values(**values)
    )


async def record_test(
    session: AsyncSession, mailbox_id: str, error: str | None, now: datetime
) -> None:
    await ensure(session, mailbox_id, now)
    await session.execute(
        update(MailboxHealth)
        .where(MailboxHealth.mailbox_id == mailbox_id)
        .values(last_test_at=now, last_error=error[:300] if error else None, updated_at=now)
    )


POLL_ERROR_PREFIX = "imap: "


async def record_poll(
    session: AsyncSession, mailbox_id: str, error: str | None, now: datetime
) -> None:
    """A reply poll's result: a failure shows as `imap: <words>` in `last_error`; a poll that
    worked clears an earlier poll's error (and leaves a `POST /test` finding alone)."""
    await ensure(session, mailbox_id, now)
    row = MailboxHealth
    if error is not None:
        words = (POLL_ERROR_PREFIX + error)[:300]
        await session.execute(
            update(row).where(row.mailbox_id == mailbox_id).values(last_error=words, updated_at=now)
        )
        return
    await session.execute(
        update(row)
        .where(row.mailbox_id == mailbox_id, row.last_error.like(POLL_ERROR_PREFIX + "%"))
        .values(last_error=None, updated_at=now)
    )
