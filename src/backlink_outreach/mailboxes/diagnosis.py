"""What `doctor` says about the mailboxes, from what the database already knows (it connects to
no mail server and changes nothing):

- problems (doctor exits 1): a mailbox the bounce breaker paused (it sends nothing until a
  person sets it active again), and a mailbox whose last poll or last `POST /test` failed
  (`health.last_error`, in the words the poll or the test recorded);
- warnings: a mailbox a person paused, and an IMAP mailbox whose poll is overdue (its
  `next_poll_at` long past, or never polled although it has existed that long), which means
  no worker is polling.

`mbx_default` counts when the settings give it IMAP (its poll) or it has a health row (its
breaker, its test).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..config import Settings
from ..models import DEFAULT_MAILBOX_ID, Mailbox, MailboxHealth, MailboxState
from ..replies.accounts import state_id_of
from ..replies.imap import mailbox_id as default_state_id
from .health import BOUNCE_RATE, POLL_ERROR_PREFIX


@dataclass
class Finding:
    mailbox_id: str
    name: str
    workspace_id: str | None  # None: `mbx_default`, the deployment's
    problem: str

    def line(self) -> str:
        owner = f"workspace {self.workspace_id}" if self.workspace_id else "the deployment's"
        return f"mailbox {self.mailbox_id} ({self.name}, {owner}): {self.problem}"


@dataclass
class Diagnosis:
    problems: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)


@dataclass
class _Box:
    id: str
    name: str
    workspace_id: str | None
    state_id: str | None  # its poll's watermark row; None: no IMAP
    created_at: datetime | None


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def poll_overdue_after(settings: Settings, stuck_after: timedelta) -> timedelta:
    """How late a poll may be before it is reported: a pass may well wait for other mailboxes
    (at most POLL_CONCURRENCY at once), so never less than one poll interval."""
    return max(stuck_after, timedelta(seconds=settings.poll_interval_seconds))


async def diagnose(
    conn: AsyncConnection, settings: Settings, now: datetime, stuck_after: timedelta
) -> Diagnosis:
    boxes = await _boxes(conn, settings)
    health = {
        row.mailbox_id: row
        for row in await conn.execute(
            select(
                MailboxHealth.mailbox_id,
                MailboxHealth.status,
                MailboxHealth.paused_reason,
                MailboxHealth.last_error,
            )
        )
    }
    if DEFAULT_MAILBOX_ID in health and all(b.id != DEFAULT_MAILBOX_ID for b in boxes):
        boxes.insert(0, _Box(DEFAULT_MAILBOX_ID, "default", None, None, None))
    state_ids = sorted(b.state_id for b in boxes if b.state_id)
    polls: dict[str, datetime | None] = {}
    if state_ids:
        rows = await conn.execute(
            select(MailboxState.id, MailboxState.next_poll_at).where(MailboxState.id.in_(state_ids))
        )
        polls = {state_id: next_poll_at for state_id, next_poll_at in rows}
    late = now - poll_overdue_after(settings, stuck_after)
    found = Diagnosis()
    for box in boxes:
        state = health.get(box.id)
        if state is not None:
            _health_findings(found, box, state)
        if box.state_id is not None:
            overdue = _poll_overdue(box, polls, late)
            if overdue:
                found.warnings.append(Finding(box.id, box.name, box.workspace_id, overdue))
    return found


async def _boxes(conn: AsyncConnection, settings: Settings) -> list[_Box]:
    boxes: list[_Box] = []
    if settings.imap_host and settings.imap_username:
        boxes.append(_Box(DEFAULT_MAILBOX_ID, "default", None, default_state_id(settings), None))
    rows = await conn.execute(
        select(
            Mailbox.id,
            Mailbox.name,
            Mailbox.workspace_id,
            Mailbox.imap_host,
            Mailbox.imap_username,
            Mailbox.imap_folder,
            Mailbox.created_at,
        ).order_by(Mailbox.workspace_id, Mailbox.created_at, Mailbox.id)
    )
    for row in rows:
        row_any: Any = row  # has the columns `state_id_of` reads
        state_id = state_id_of(row_any) if row.imap_host else None
        boxes.append(_Box(row.id, row.name, row.workspace_id, state_id, row.created_at))
    return boxes


def _health_findings(found: Diagnosis, box: _Box, state: Any) -> None:
    def add(where: list[Finding], problem: str) -> None:
        where.append(Finding(box.id, box.name, box.workspace_id, problem))

    if state.status == "paused":
        if state.paused_reason == BOUNCE_RATE:
            add(
                found.problems,
                "paused by the bounce breaker (too many hard bounces in its last 50 sends): "
                "it sends nothing until set back to active",
            )
        else:
            add(found.warnings, f"paused ({state.paused_reason or 'by a person'})")
    error = state.last_error
    if error:
        if error.startswith(POLL_ERROR_PREFIX):
            add(found.problems, f"last reply poll failed: {error.removeprefix(POLL_ERROR_PREFIX)}")
        else:
            add(found.problems, f"last test failed: {error}")


def _poll_overdue(box: _Box, polls: dict[str, datetime | None], late: datetime) -> str | None:
    assert box.state_id is not None
    if box.state_id in polls:
        due = polls[box.state_id]
        if due is not None and due < late:
            return f"reply poll overdue: due since {_stamp(due)} (is a worker running?)"
        return None
    if box.created_at is not None and box.created_at < late:
        return f"never polled for replies since it was added at {_stamp(box.created_at)}"
    return None
