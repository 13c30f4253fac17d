"""Settling attempts a crash left `sending` from the mailbox's own Sent folder (issue 13, item 6).

Some providers (Gmail, Google Workspace) file every message submitted over SMTP in a Sent
folder; a mailbox says so with `sent_folder`. For such a mailbox with IMAP, an attempt still
`sending` after `STUCK_AFTER` is looked up there by its Message-ID (IMAP `SEARCH HEADER`):
found, it was sent (`resolve(..., "sent")`: lead contacted, what follows it scheduled); the
folder searched and the message not in it, it was not (`resolve(..., "failed")`: its cap slot
freed, nothing suppressed). Nothing is ever re-sent. When the folder cannot be read (login
refused, no such folder, the key does not open the password), the attempt is left as it is,
listed by `doctor` for a person, as any other stuck attempt.

The worker runs this as a duty, at most every `EVERY_SECONDS` in a process (the query reads the
attempts in `sending`, which a healthy system has almost none of, but has no index of its own).
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Literal

import structlog
from imapclient.exceptions import IMAPClientError
from sqlalchemy import select

from ..config import Settings
from ..database import Database
from ..db import utcnow
from ..errors import NotConfigured
from ..models import Mailbox, OutreachAttempt
from ..outreach.resolve import NotStuck, Outcome, resolve
from ..outreach.smtp_errors import CONNECTION_REFUSED
from ..replies import accounts, imap
from . import secrets

log = structlog.get_logger(__name__)

STUCK_AFTER = timedelta(minutes=5)
EVERY_SECONDS = 300.0

Verdict = Literal["sent", "failed", "unknown"]

_last_run: float | None = None


@dataclass
class Settled:
    attempt_id: str
    mailbox_id: str
    verdict: Verdict  # "unknown": the Sent folder could not be read; left for a person
    reason: str | None = None


def _search(account: imap.Account, message_ids: list[str]) -> dict[str, bool]:
    """Blocking: which of `message_ids` are in the account's folder (one connection)."""
    box = imap.Mailbox(account)
    box.open()  # raises MailboxUnavailable, in words
    try:
        assert box.client is not None
        found: dict[str, bool] = {}
        for message_id in message_ids:
            try:
                hits = box.client.search(["HEADER", "Message-ID", message_id])
            except (OSError, IMAPClientError):
                raise imap.MailboxUnavailable(CONNECTION_REFUSED) from None
            found[message_id] = bool(hits)
        return found
    finally:
        box.close()


async def settle_due(db: Database, settings: Settings) -> int:
    """The duty: `settle_stuck` at most every `EVERY_SECONDS`; attempts settled."""
    global _last_run
    now = time.monotonic()
    if _last_run is not None and now - _last_run < EVERY_SECONDS:
        return 0
    _last_run = now
    return sum(s.verdict != "unknown" for s in await settle_stuck(db, settings))


async def settle_stuck(
    db: Database, settings: Settings, stuck_after: timedelta = STUCK_AFTER
) -> list[Settled]:
    """Every stuck attempt of a mailbox with a Sent folder and IMAP, settled or not (why)."""
    async with db.read() as session:
        rows = (
            await session.execute(
                select(OutreachAttempt.id, OutreachAttempt.message_id, Mailbox)
                .join(Mailbox, Mailbox.id == OutreachAttempt.mailbox_id)
                .where(
                    OutreachAttempt.status == "sending",
                    OutreachAttempt.created_at < utcnow() - stuck_after,
                    Mailbox.sent_folder.is_not(None),
                    Mailbox.sent_folder != "",
                    Mailbox.imap_host.is_not(None),
                    Mailbox.imap_host != "",
                )
                .order_by(OutreachAttempt.created_at)
            )
        ).all()
    if not rows:
        return []
    by_mailbox: dict[str, list[tuple[str, str]]] = defaultdict(list)
    mailboxes: dict[str, Mailbox] = {}
    for attempt_id, message_id, mailbox in rows:
        by_mailbox[mailbox.id].append((attempt_id, message_id))
        mailboxes[mailbox.id] = mailbox
    key: bytes | None = None
    key_error: str | None = None
    try:
        key = secrets.secrets_key(settings)
    except NotConfigured as exc:
        key_error = exc.msg
    settled: list[Settled] = []
    for mailbox_id, stuck in by_mailbox.items():
        row = mailboxes[mailbox_id]
        account = accounts.opened(accounts.account_of(row, key, key_error))
        if account.error is not None:
            settled += [Settled(a, mailbox_id, "unknown", account.error) for a, _ in stuck]
            continue
        in_sent = replace(account, folder=row.sent_folder or "")
        try:
            found = await asyncio.to_thread(_search, in_sent, [m for _, m in stuck])
        except imap.MailboxUnavailable as exc:
            log.warning("sent_folder_unreadable", mailbox_id=mailbox_id, reason=str(exc))
            settled += [Settled(a, mailbox_id, "unknown", str(exc)) for a, _ in stuck]
            continue
        for attempt_id, message_id in stuck:
            verdict: Outcome = "sent" if found[message_id] else "failed"
            try:
                await resolve(db, settings, attempt_id, verdict)
            except NotStuck:  # settled meanwhile (a late second transaction, or a person)
                continue
            log.info("stuck_attempt_settled", attempt_id=attempt_id, outcome=verdict)
            settled.append(Settled(attempt_id, mailbox_id, verdict))
    return settled
