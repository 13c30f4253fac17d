"""Polls of many mailboxes: each its own watermark, lease and next poll time, at most
`POLL_CONCURRENCY` at once, one failing mailbox never stopping the others.

The lease is a row (`MailboxState.lease_until`, `lease_owner`) claimed with one conditional
UPDATE, which is atomic on SQLite and PostgreSQL alike, so two workers, or a worker and a
manual poll, never read the same folder at once. No transaction stays open while IMAP talks:
each batch is filed in its own short transaction that also advances the UID watermark.

A mailbox that refuses the login, times out or cannot be reached records the words on its
`health.last_error` (`imap: login refused`) and is next polled `FAILURE_BACKOFF` intervals
later; a poll that works clears that error. A workspace's own mailbox files only into that
workspace (`Account.workspace_id`); `mbx_default` files into whichever workspace a message
answers, as in part 1.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import structlog
from sqlalchemy import or_, select, update

from ..config import Settings
from ..database import Database
from ..db import insert_for, utcnow
from ..ids import new_id
from ..mailboxes import health
from ..models import MailboxState
from . import accounts, second_opinion
from .filing import Outcome, Prepared, file_batch, prepare
from .imap import Account, Fetched, Mailbox, MailboxUnavailable, default_account

log = structlog.get_logger(__name__)

LEASE = timedelta(minutes=2)
BATCH = 500
PREPARE_SLICE = 25
FILING_AHEAD = 2
WAIT_FOR_LEASE_SECONDS = 60.0
# A failed poll waits this many POLL_INTERVAL_SECONDS before the mailbox is tried again.
FAILURE_BACKOFF = 4


def configured(settings: Settings) -> bool:
    return default_account(settings) is not None


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


async def due(db: Database, accounts: Sequence[Account]) -> list[Account]:
    """The accounts whose `next_poll_at` has come (or that were never polled)."""
    if not accounts:
        return []
    now = utcnow()
    async with db.read() as session:
        rows = await session.execute(
            select(MailboxState.id, MailboxState.next_poll_at).where(
                MailboxState.id.in_(sorted({a.state_id for a in accounts}))
            )
        )
        scheduled: dict[str, datetime | None] = {row[0]: row[1] for row in rows}

    def is_due_now(account: Account) -> bool:
        at = scheduled.get(account.state_id)
        return at is None or at <= now

    return [a for a in accounts if is_due_now(a)]


async def is_due(db: Database, box_id: str) -> bool:
    async with db.read() as session:
        due_at = await session.scalar(
            select(MailboxState.next_poll_at).where(MailboxState.id == box_id)
        )
    return due_at is None or due_at <= utcnow()


async def poll_mailbox(settings: Settings, db: Database, *, wait: bool) -> list[Outcome] | None:
    """Part 1's poll of `mbx_default`. Raises MailboxUnavailable."""
    account = default_account(settings)
    assert account is not None, "IMAP_* is not set"
    return await poll_account(settings, db, account, wait=wait)


async def poll_account(
    settings: Settings,
    db: Database,
    account: Account,
    *,
    wait: bool,
    executor: Executor | None = None,
) -> list[Outcome] | None:
    """Read all new mail of one account once. Returns an outcome per new message, or None when
    another poll holds its lease (after waiting for it, when `wait`). A failure is recorded on
    the mailbox's health, pushes its next poll back, and raises MailboxUnavailable."""
    owner = new_id("poll")
    waited = 0.0
    while not await claim_lease(db, account.state_id, owner):
        if not wait or waited >= WAIT_FOR_LEASE_SECONDS:
            return None
        await asyncio.sleep(0.1)
        waited += 0.1
    interval = timedelta(seconds=settings.poll_interval_seconds)
    error: str | None = None
    try:
        # Its password is decrypted only now that it is due and the lease is ours.
        account = accounts.opened(account)
        if account.error is not None:
            raise MailboxUnavailable(account.error)
        return await _poll(settings, db, account, owner, executor)
    except MailboxUnavailable as exc:
        error = str(exc)
        raise
    finally:
        next_poll = utcnow() + (interval * FAILURE_BACKOFF if error else interval)
        await release_lease(db, account.state_id, owner, next_poll)
        await _record_health(db, account, error)


async def _record_health(db: Database, account: Account, error: str | None) -> None:
    try:
        async with db.write() as session:
            await health.record_poll(session, account.mailbox_id, error, utcnow())
    except Exception as exc:  # noqa: BLE001 - health is a report; the poll's result stands
        log.warning("mailbox_health_not_recorded", error_type=type(exc).__name__)


@dataclass
class PollResult:
    """One account's poll: its outcomes, or the words of its failure (None: lease held)."""

    account: Account
    outcomes: list[Outcome] | None = None
    error: str | None = None


async def poll_many(
    settings: Settings, db: Database, accounts: Sequence[Account], *, wait: bool
) -> list[PollResult]:
    """Poll `accounts` concurrently, at most `POLL_CONCURRENCY` at once (their IMAP threads in a
    pool of that size, so the default executor's few threads neither limit nor starve them).
    Every account gets its result; one failing never stops the others."""
    if not accounts:
        return []
    limit = max(1, settings.poll_concurrency)
    slots = asyncio.Semaphore(limit)
    executor = ThreadPoolExecutor(max_workers=limit, thread_name_prefix="imap-poll")

    async def one(account: Account) -> PollResult:
        async with slots:
            try:
                outcomes = await poll_account(settings, db, account, wait=wait, executor=executor)
            except MailboxUnavailable as exc:
                log.warning("mailbox_unavailable", mailbox_id=account.mailbox_id, reason=str(exc))
                return PollResult(account, error=str(exc))
            except Exception as exc:  # one mailbox must not stop the others
                log.error(
                    "mailbox_poll_failed",
                    mailbox_id=account.mailbox_id,
                    error_type=type(exc).__name__,
                    exc_info=exc,
                )
                return PollResult(account, error="poll failed")
            return PollResult(account, outcomes=outcomes)

    try:
        return list(await asyncio.gather(*(one(a) for a in accounts)))
    finally:
        executor.shutdown(wait=False)


async def _poll(
    settings: Settings, db: Database, account: Account, owner: str, executor: Executor | None
) -> list[Outcome]:
    """A three-stage pipeline: the IMAP fetch of batch n+1 runs in a thread (it mostly waits on
    the socket) while batch n is parsed on the event loop in small slices and earlier batches
    are filed. Filings run one after another, in UID order, each in its own transaction;
    parsing may run up to `FILING_AHEAD` batches ahead of them, so the loop parses the next
    batch instead of idling while a statement runs in the database's thread. Parsing stays off
    worker threads on purpose: a CPU-bound thread holds the GIL and makes every database round
    trip wait for it."""
    mailbox = Mailbox(account, executor)
    box_id = account.state_id
    fetching: asyncio.Task[list[Fetched]] | None = None
    filings: deque[asyncio.Task[list[Outcome]]] = deque()
    try:
        uidvalidity = await mailbox.run(mailbox.open)
        async with db.read() as session:
            state = await session.get(MailboxState, box_id)
            last_uid = state.last_uid if state and state.uidvalidity == uidvalidity else 0
        uids, large = await mailbox.run(mailbox.new_uids, last_uid)
        batches = [uids[i : i + BATCH] for i in range(0, len(uids), BATCH)]
        target = _Filing(
            db,
            box_id,
            owner,
            uidvalidity,
            account.own_addresses,
            account.workspace_id,
            account.mailbox_id,
        )
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
        await mailbox.run(mailbox.close)


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
    # A workspace's own mailbox: only that workspace's messages are matched and filed.
    workspace_id: str | None = None
    mailbox_id: str | None = None  # the mailbox's id, kept on its replies

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
                session,
                self.box_id,
                prepared,
                set(self.own),
                now,
                isolate=isolate,
                workspace_id=self.workspace_id,
                reply_mailbox_id=self.mailbox_id,
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
