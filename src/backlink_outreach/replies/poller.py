"""One poll of the configured mailbox, and the lease that keeps polls from overlapping.

The lease is a row (`MailboxState.lease_until`, `lease_owner`) claimed with one conditional
UPDATE, which is atomic on SQLite and PostgreSQL alike, so two workers, or a worker and a
manual poll, never read the same folder at once. No transaction stays open while IMAP talks:
each batch is filed in its own short transaction that also advances the UID watermark.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import structlog
from sqlalchemy import or_, select, update

from ..config import Settings
from ..database import Database
from ..db import insert_for, utcnow
from ..ids import new_id
from ..models import MailboxState
from . import second_opinion
from .filing import Outcome, Prepared, file_batch, prepare
from .imap import Fetched, Mailbox, mailbox_id

log = structlog.get_logger(__name__)

LEASE = timedelta(minutes=2)
BATCH = 500
PREPARE_SLICE = 25
FILING_AHEAD = 2
WAIT_FOR_LEASE_SECONDS = 60.0


def configured(settings: Settings) -> bool:
    return bool(settings.imap_host and settings.imap_username)


async def claim_lease(db: Database, box_id: str, owner: str) -> bool:
    now = utcnow()
    async with db.write() as session:
        await session.execute(
            insert_for(session, MailboxState)
            .values(id=box_id, last_uid=0, updated_at=now)
            .on_conflict_do_nothing(index_elements=["id"])
        )
        result = await session.execute(
            update(MailboxState)
            .where(
                MailboxState.id == box_id,
                or_(MailboxState.lease_until.is_(None), MailboxState.lease_until < now),
            )
            .values(lease_until=now + LEASE, lease_owner=owner, updated_at=now)
        )
        return int(result.rowcount) == 1  # type: ignore[attr-defined]


async def release_lease(db: Database, box_id: str, owner: str, next_poll: datetime) -> None:
    async with db.write() as session:
        await session.execute(
            update(MailboxState)
            .where(MailboxState.id == box_id, MailboxState.lease_owner == owner)
            .values(lease_until=None, lease_owner=None, next_poll_at=next_poll, updated_at=utcnow())
        )


async def is_due(db: Database, box_id: str) -> bool:
    async with db.read() as session:
        due = await session.scalar(
            select(MailboxState.next_poll_at).where(MailboxState.id == box_id)
        )
    return due is None or due <= utcnow()


async def poll_mailbox(settings: Settings, db: Database, *, wait: bool) -> list[Outcome] | None:
    """Read all new mail once. Returns an outcome per new message, or None when another poll
    holds the lease (after waiting for it, when `wait`). Raises MailboxUnavailable."""
    box_id = mailbox_id(settings)
    owner = new_id("poll")
    waited = 0.0
    while not await claim_lease(db, box_id, owner):
        if not wait or waited >= WAIT_FOR_LEASE_SECONDS:
            return None
        await asyncio.sleep(0.1)
        waited += 0.1
    try:
        return await _poll(settings, db, box_id, owner)
    finally:
        next_poll = utcnow() + timedelta(seconds=settings.poll_interval_seconds)
        await release_lease(db, box_id, owner, next_poll)


async def _poll(settings: Settings, db: Database, box_id: str, owner: str) -> list[Outcome]:
    """A three-stage pipeline: the IMAP fetch of batch n+1 runs in a thread (it mostly waits on
    the socket) while batch n is parsed on the event loop in small slices and earlier batches
    are filed. Filings run one after another, in UID order, each in its own transaction;
    parsing may run up to `FILING_AHEAD` batches ahead of them, so the loop parses the next
    batch instead of idling while a statement runs in the database's thread. Parsing stays off
    worker threads on purpose: a CPU-bound thread holds the GIL and makes every database round
    trip wait for it."""
    mailbox = Mailbox(settings)
    fetching: asyncio.Task[list[Fetched]] | None = None
    filings: deque[asyncio.Task[list[Outcome]]] = deque()
    try:
        uidvalidity = await mailbox.run(mailbox.open)
        async with db.read() as session:
            state = await session.get(MailboxState, box_id)
            last_uid = state.last_uid if state and state.uidvalidity == uidvalidity else 0
        uids, large = await mailbox.run(mailbox.new_uids, last_uid)
        batches = [uids[i : i + BATCH] for i in range(0, len(uids), BATCH)]
        own = {settings.smtp_from_email.lower()}
        if settings.imap_username and "@" in settings.imap_username:
            own.add(settings.imap_username.lower())
        target = _Filing(db, box_id, owner, uidvalidity, frozenset(own))
        outcomes: list[Outcome] = []
        if batches:
            fetching = asyncio.create_task(mailbox.run(mailbox.fetch, batches[0], large))
        for number, batch in enumerate(batches):
            assert fetching is not None
            fetched = await fetching
            fetching = (
                asyncio.create_task(mailbox.run(mailbox.fetch, batches[number + 1], large))
                if number + 1 < len(batches)
                else None
            )
            prepared = await _prepare_all(fetched, utcnow().date())
            if second_opinion.is_enabled(settings):
                await second_opinion.reconsider(settings, prepared)
            while len(filings) >= FILING_AHEAD:
                outcomes += await filings.popleft()
            previous = filings[-1] if filings else None
            filings.append(asyncio.create_task(target.file_after(previous, batch, prepared)))
        while filings:
            outcomes += await filings.popleft()
        return outcomes
    finally:
        # Never close the connection under a fetch still running in its thread, and never
        # leave a batch half filed.
        await asyncio.gather(*(t for t in (fetching, *filings) if t), return_exceptions=True)
        await asyncio.to_thread(mailbox.close)


async def _prepare_all(fetched: list[Fetched], today: date) -> list[Prepared]:
    prepared: list[Prepared] = []
    for start in range(0, len(fetched), PREPARE_SLICE):
        prepared += [prepare(item, today) for item in fetched[start : start + PREPARE_SLICE]]
        # Let filing and other requests run between slices (a few ms each).
        await asyncio.sleep(0)
    return prepared


@dataclass(frozen=True)
class _Filing:
    """Where one poll files its batches: the same for every batch of the poll."""

    db: Database
    box_id: str
    owner: str
    uidvalidity: int
    own: frozenset[str]

    async def file_after(
        self,
        previous: asyncio.Task[list[Outcome]] | None,
        batch: list[int],
        prepared: list[Prepared],
    ) -> list[Outcome]:
        """File `batch` once the batch before it is filed: the watermark only ever moves past
        filed mail, and a failed batch stops every later one (the poll fails as a whole)."""
        if previous is not None:
            await previous
        try:
            return await self._file_once(batch, prepared)
        except Exception as exc:  # noqa: BLE001 - retried message by message below
            log.warning("reply_batch_retry", error_type=type(exc).__name__)
            return await self._file_once(batch, prepared, isolate=True)

    async def _file_once(
        self, batch: list[int], prepared: list[Prepared], *, isolate: bool = False
    ) -> list[Outcome]:
        now = utcnow()
        async with self.db.write() as session:
            outcomes = await file_batch(
                session, self.box_id, prepared, set(self.own), now, isolate=isolate
            )
            # The watermark moves past the whole batch, failures included: a message that
            # cannot be read is counted once as failed, never fetched again.
            await session.execute(
                update(MailboxState)
                .where(MailboxState.id == self.box_id, MailboxState.lease_owner == self.owner)
                .values(
                    uidvalidity=self.uidvalidity,
                    last_uid=max(batch),
                    lease_until=utcnow() + LEASE,
                    updated_at=now,
                )
            )
        return outcomes
