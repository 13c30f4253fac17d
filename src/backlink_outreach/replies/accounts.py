"""Which IMAP folders a poll reads: `mbx_default` from the settings and the workspaces' own
mailboxes (rows with an IMAP host), each an `imap.Account`.

A workspace mailbox comes as a `StoredAccount`, its password still sealed: the poller `opened`
it only once the mailbox is due and its lease is held, so a pass over 1,000 mailboxes of
which 3 are due decrypts 3 passwords, and a password is in memory only while it is needed.
A mailbox whose password cannot be opened (no or another `SECRETS_KEY`) then gets `error`
set, so the poll records it on that mailbox's health and carries on with the others.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, fields

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..config import Settings
from ..errors import NotConfigured
from ..mailboxes import routing, secrets
from ..models import Mailbox
from .imap import Account, default_account


def state_id_of(row: Mailbox) -> str:
    """The watermark of a workspace mailbox: a new host, user or folder starts afresh."""
    return f"{row.id}|{row.imap_host}|{row.imap_username or ''}|{row.imap_folder or 'INBOX'}"[:600]


def _own_addresses(row: Mailbox) -> frozenset[str]:
    own = {row.from_email.lower()}
    if row.reply_to:
        own.add(row.reply_to.lower())
    if row.imap_username and "@" in row.imap_username:
        own.add(row.imap_username.lower())
    return frozenset(own)


@dataclass(frozen=True)
class StoredAccount(Account):
    """A workspace mailbox whose password is still sealed (`password` is empty)."""

    sealed_password: str | None = field(default=None, repr=False)
    key: bytes | None = field(default=None, repr=False)


def opened(account: Account) -> Account:
    """The account ready to log in: a `StoredAccount`'s password unsealed (or its `error` set
    when it cannot be); any other account as it is."""
    if not isinstance(account, StoredAccount):
        return account
    values = {f.name: getattr(account, f.name) for f in fields(Account)}
    if account.error is None and account.key is not None:
        try:
            key, sealed = account.key, account.sealed_password
            values["password"] = routing.open_secret(key, sealed, account.mailbox_id) or ""
        except NotConfigured as exc:
            values["error"] = exc.msg
    return Account(**values)


def account_of(row: Mailbox, key: bytes | None, key_error: str | None) -> StoredAccount:
    return StoredAccount(
        mailbox_id=row.id,
        state_id=state_id_of(row),
        host=row.imap_host or "",
        port=row.imap_port or 993,
        security=row.imap_security or "ssl",
        username=row.imap_username or "",
        password="",
        folder=row.imap_folder or "INBOX",
        workspace_id=row.workspace_id,
        own_addresses=_own_addresses(row),
        error=key_error,
        sealed_password=row.imap_password_sealed,
        key=key,
    )


async def workspace_accounts(
    session: AsyncSession, settings: Settings, workspaces: Collection[str] | None = None
) -> list[Account]:
    """The workspaces' own mailboxes with IMAP (every workspace's when `workspaces` is None)."""
    query = select(Mailbox).where(Mailbox.imap_host.is_not(None), Mailbox.imap_host != "")
    if workspaces is not None:
        query = query.where(Mailbox.workspace_id.in_(sorted(workspaces)))
    rows = list(await session.scalars(query.order_by(Mailbox.created_at, Mailbox.id)))
    if not rows:
        return []
    key: bytes | None = None
    key_error: str | None = None
    try:
        key = secrets.secrets_key(settings)
    except NotConfigured as exc:
        key_error = exc.msg
    return [account_of(row, key, key_error) for row in rows]


async def all_accounts(
    session: AsyncSession, settings: Settings, workspaces: Collection[str] | None = None
) -> list[Account]:
    """`mbx_default` (when IMAP_* is set) first, then the workspaces' own mailboxes."""
    default = default_account(settings)
    own = await workspace_accounts(session, settings, workspaces)
    return [default, *own] if default is not None else own
