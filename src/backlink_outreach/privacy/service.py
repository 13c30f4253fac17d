"""Erasure (GDPR Art. 17): `POST /privacy/erase {email}` removes every trace of an address from
the caller's current workspace, in one transaction, and leaves it suppressed as
`sha256:<hex of the normalised address>` (`suppression.service.hashed`), which the policy
check matches as it matches the plain address.

Where an address can be is not listed column by column: every text and JSON column of every
table in `_HOLDERS` is searched (a case-blind substring, LIKE-escaped, as a first sieve), and
each occurrence found is replaced by the hash in Python, where an address boundary is checked
(erasing `ann@x.test` leaves `joann@x.test` alone) and JSON values are walked. So a column
added later is covered without anyone remembering this module. Two rules are more than a
replacement: a lead whose contact address it was loses its contact fields (email and name,
set to null: the lead stays as a site), and the address's own suppression entry becomes the
hashed one.

Not searched: the workspace's own configuration (mailboxes, API keys, webhook endpoints: the
addresses there are the workspace's own identities, and rewriting them would break sending),
and tables with no free text (counters, leases, slots).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    String,
    Table,
    Text,
    and_,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.ext.asyncio import AsyncSession

from ..db import utcnow
from ..models import (
    DEFAULT_MAILBOX_ID,
    Campaign,
    DiscoveryJob,
    EmailTemplate,
    FollowUp,
    InboundMessage,
    Lead,
    Mailbox,
    MailboxHealth,
    OutboxEvent,
    OutreachAttempt,
    Placement,
    PolicyDecision,
    Reply,
    SequenceStep,
    Suppression,
    WebhookAttempt,
    WebhookEndpoint,
)
from ..suppression import service as suppression
from .schemas import ErasureResult

Owned = Callable[[str], ColumnElement[bool]]


def _table(model: Any) -> Table:
    return cast(Table, model.__table__)


def _by_workspace(model: Any) -> Owned:
    table = _table(model)
    return lambda workspace: table.c.workspace_id == workspace


def _webhook_logs(workspace: str) -> ColumnElement[bool]:
    endpoints = select(WebhookEndpoint.id).where(WebhookEndpoint.workspace_id == workspace)
    return WebhookAttempt.endpoint_id.in_(endpoints)


def _mailbox_health(workspace: str) -> ColumnElement[bool]:
    # The deployment's mailbox belongs to no workspace; its last SMTP error may still quote
    # an address this workspace wrote to (only that address is replaced).
    own = select(Mailbox.id).where(Mailbox.workspace_id == workspace)
    return or_(MailboxHealth.mailbox_id.in_(own), MailboxHealth.mailbox_id == DEFAULT_MAILBOX_ID)


@dataclass(frozen=True)
class _Holder:
    table: Table
    owned: Owned  # the caller's workspace's rows


_HOLDERS: tuple[_Holder, ...] = (
    *(
        _Holder(_table(model), _by_workspace(model))
        for model in (
            Lead,
            OutreachAttempt,
            Reply,
            FollowUp,
            SequenceStep,
            PolicyDecision,
            Placement,
            Suppression,
            OutboxEvent,
            InboundMessage,
            Campaign,
            EmailTemplate,
            # Saved results of discovery jobs quote the contact addresses crawled from sites.
            DiscoveryJob,
        )
    ),
    _Holder(_table(WebhookAttempt), _webhook_logs),
    _Holder(_table(MailboxHealth), _mailbox_health),
)
_COUNTED = {"leads": "leads", "outreach_attempts": "attempts", "replies": "replies"}
# The lead's contact fields describe the person: removed, not hashed, when the address was its.
_CONTACT_FIELDS = ("contact_email", "contact_name")
# Characters that may stand next to an address inside a longer one (RFC 5322 atext, dots,
# domain labels): an occurrence touching one of them is another address.
_BEFORE = r"(?<![A-Za-z0-9.!#$%&'*+/=?^_`{|}~-])"
_AFTER = r"(?![A-Za-z0-9-]|\.[A-Za-z0-9-])"


def _text_columns(table: Table) -> list[Column[Any]]:
    return [c for c in table.columns if isinstance(c.type, String | JSON)]


def _searched(column: Column[Any]) -> ColumnElement[Any]:
    text = sql_cast(column, Text) if isinstance(column.type, JSON) else column
    return func.lower(text)


class _Scrubber:
    def __init__(self, address: str) -> None:
        self.address = address
        self.replacement = suppression.hashed(address)
        self.pattern = re.compile(_BEFORE + re.escape(address) + _AFTER, re.IGNORECASE)

    def scrub(self, value: Any) -> Any:
        """The value with every occurrence replaced; JSON lists and objects walked."""
        if isinstance(value, str):
            return self.pattern.sub(self.replacement, value)
        if isinstance(value, list):
            return [self.scrub(item) for item in value]
        if isinstance(value, dict):
            return {self.scrub(key): self.scrub(item) for key, item in value.items()}
        return value


async def _erase_in(
    session: AsyncSession, holder: _Holder, workspace: str, scrubber: _Scrubber
) -> int:
    """Rewrite the workspace's rows of one table that hold the address; how many changed."""
    table = holder.table
    columns = _text_columns(table)
    keys = list(table.primary_key.columns)
    needle = scrubber.address.lower()
    rows = await session.execute(
        select(*keys, *columns).where(
            holder.owned(workspace),
            or_(*(_searched(c).contains(needle, autoescape=True) for c in columns)),
        )
    )
    changed = 0
    for row in rows.all():
        values = row._mapping
        changes: dict[str, Any] = {}
        for column in columns:
            old = values[column]
            new = scrubber.scrub(old)
            length = getattr(column.type, "length", None)
            if isinstance(new, str) and length is not None:
                new = new[:length]  # a hash is longer than most addresses
            if new != old:
                changes[column.name] = new
        if table.name == "leads" and values[table.c.contact_email] == scrubber.address:
            changes.update(dict.fromkeys(_CONTACT_FIELDS))
        if not changes:
            continue  # a longer address that merely contains this one
        where = and_(*(key == values[key] for key in keys))
        await session.execute(update(table).where(where).values(changes))
        changed += 1
    return changed


async def _hash_suppression(session: AsyncSession, workspace: str, address: str) -> None:
    """The plain entry (if any) becomes the hashed one, keeping its source; with none, a
    `manual` hashed entry is added."""
    plain = (
        await session.execute(
            select(Suppression.source).where(
                Suppression.workspace_id == workspace, Suppression.email == address
            )
        )
    ).scalar_one_or_none()
    if plain is not None:
        await session.execute(
            delete(Suppression).where(
                Suppression.workspace_id == workspace, Suppression.email == address
            )
        )
    entry = suppression.Entry(
        workspace, suppression.hashed(address), cast(Any, plain or "manual"), "erased on request"
    )
    await suppression.insert_entries(session, [entry], utcnow())


async def erase(session: AsyncSession, workspace: str, address: str) -> ErasureResult:
    """Erase `address` (already normalised) from `workspace`; counts of the leads, attempts
    and replies that held it. An address with no traces answers zeros and is still left
    suppressed by its hash."""
    await _hash_suppression(session, workspace, address)
    scrubber = _Scrubber(address)
    counts = dict.fromkeys(_COUNTED.values(), 0)
    for holder in _HOLDERS:
        changed = await _erase_in(session, holder, workspace, scrubber)
        if holder.table.name in _COUNTED:
            counts[_COUNTED[holder.table.name]] = changed
    return ErasureResult(**counts)
