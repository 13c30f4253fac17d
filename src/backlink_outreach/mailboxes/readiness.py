"""What `doctor` tries of every mailbox that sends (issue 13, item 5): it logs in to SMTP, and to
IMAP when the mailbox has it (as `POST /mailboxes/{id}/test` does, sending nothing); a mailbox
that sends to real people has DKIM configured and a From domain that is no placeholder (RFC
2606/6761); and while any mail goes to a real SMTP server, `PUBLIC_BASE_URL` (the unsubscribe
links) is not a loopback or private address. Each failure is one `Finding`, in words.

`mbx_default` sends to a real server only with `SMTP_HOST`; with `MAIL_OUTBOX_DIR` alone its mail
is written to files, so only its IMAP login (when `IMAP_*` is set) is tried.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from .. import sender as senders
from ..config import Settings
from ..db import utcnow
from ..errors import NotConfigured
from ..models import DEFAULT_MAILBOX_ID, Mailbox
from ..sender import Sender
from . import checks, routing, secrets
from .diagnosis import Finding

# Mailboxes tried at once: each try is a login or two, bounded by the SMTP timeout.
CONCURRENCY = 8


@dataclass(frozen=True)
class Trial:
    """One mailbox as doctor tries it."""

    mailbox_id: str
    name: str
    workspace_id: str | None  # None: `mbx_default`
    sender: Sender | None  # None: it sends nothing to anyone (the outbox folder)
    smtp: checks.ServerLogin | None
    imap: checks.ServerLogin | None
    error: str | None = None  # it cannot even be tried (its passwords cannot be opened)

    def finding(self, problem: str) -> Finding:
        return Finding(self.mailbox_id, self.name, self.workspace_id, problem)


def settings_logins(
    settings: Settings,
) -> tuple[checks.ServerLogin | None, checks.ServerLogin | None]:
    """`mbx_default`'s SMTP and IMAP logins from the settings (None: that server is not set)."""
    timeout = settings.smtp_timeout_seconds
    ca_file = str(settings.smtp_ca_file) if settings.smtp_ca_file else None

    def login(
        host: str | None, port: int, security: Any, username: str | None, password: Any
    ) -> checks.ServerLogin | None:
        if not host:
            return None
        secret = password.get_secret_value() if password else None
        return checks.ServerLogin(host, port, security, username, secret, timeout, ca_file)

    smtp_login = login(
        settings.smtp_host,
        settings.smtp_port,
        settings.smtp_security,
        settings.smtp_username,
        settings.smtp_password,
    )
    imap_login = login(
        settings.imap_host,
        settings.imap_port,
        settings.imap_security,
        settings.imap_username,
        settings.imap_password,
    )
    return smtp_login, imap_login


def mailbox_logins(
    settings: Settings, row: Mailbox, route: routing.Route
) -> tuple[checks.ServerLogin, checks.ServerLogin | None]:
    """A workspace mailbox's SMTP login (from its route) and IMAP login when it has IMAP;
    `NotConfigured` when the key does not open its IMAP password."""
    timeout = settings.smtp_timeout_seconds
    ca_file = str(settings.smtp_ca_file) if settings.smtp_ca_file else None
    server = route.server
    assert server is not None  # a workspace mailbox always has its own SMTP server
    smtp_login = checks.ServerLogin(
        server.host,
        server.port,
        server.security,  # type: ignore[arg-type]
        server.username,
        server.password,
        timeout,
        ca_file,
    )
    imap_login = None
    if row.imap_host:
        key = secrets.secrets_key(settings)
        imap_login = checks.ServerLogin(
            row.imap_host,
            row.imap_port or 993,
            row.imap_security or "ssl",
            row.imap_username,
            routing.open_secret(key, row.imap_password_sealed, row.id),
            timeout,
            ca_file,
        )
    return smtp_login, imap_login


def _default_trial(settings: Settings) -> Trial | None:
    smtp_login, imap_login = settings_logins(settings)
    if smtp_login is None and imap_login is None:
        return None
    sender = senders.from_settings(settings) if smtp_login is not None else None
    return Trial(DEFAULT_MAILBOX_ID, "default", None, sender, smtp_login, imap_login)


def _trial_of(settings: Settings, row: Mailbox) -> Trial:
    try:
        route = routing.route_of(settings, row, utcnow())
        smtp_login, imap_login = mailbox_logins(settings, row, route)
    except NotConfigured as exc:
        return Trial(row.id, row.name, row.workspace_id, None, None, None, exc.msg)
    return Trial(row.id, row.name, row.workspace_id, route.sender, smtp_login, imap_login)


async def trials(conn: AsyncConnection, settings: Settings) -> list[Trial]:
    """Every mailbox to try: `mbx_default` when it has a server, then the workspaces' own."""
    found: list[Trial] = []
    default = _default_trial(settings)
    if default is not None:
        found.append(default)
    rows = await conn.execute(
        select(Mailbox).order_by(Mailbox.workspace_id, Mailbox.created_at, Mailbox.id)
    )
    for row in rows:
        row_any: Any = row  # a row of every Mailbox column, read as `route_of` reads a Mailbox
        found.append(_trial_of(settings, row_any))
    return found


async def _try(trial: Trial) -> list[Finding]:
    if trial.error is not None:
        return [trial.finding(f"cannot be tried: {trial.error}")]
    problems: list[Finding] = []
    if trial.smtp is not None:
        result = await checks.check_smtp(trial.smtp)
        if not result.ok:
            problems.append(trial.finding(f"SMTP login failed: {result.error}"))
    if trial.imap is not None:
        result = await checks.check_imap(trial.imap)
        if not result.ok:
            problems.append(trial.finding(f"IMAP login failed: {result.error}"))
    sender = trial.sender
    if sender is not None:
        if sender.dkim is None:
            problems.append(
                trial.finding(
                    "no DKIM key configured: Gmail and Yahoo require signed mail from bulk senders"
                )
            )
        if checks.placeholder_domain(sender.email):
            domain = sender.email.rpartition("@")[2]
            problems.append(
                trial.finding(
                    f"From address {sender.email}: {domain} is a placeholder domain "
                    "(RFC 2606/6761) that no recipient accepts mail from"
                )
            )
    return problems


async def try_all(conn: AsyncConnection, settings: Settings) -> list[str]:
    """Every failure of every mailbox, one line each in the order of `trials`, then the base
    URL's when mail goes to a real server."""
    found = await trials(conn, settings)
    gate = asyncio.Semaphore(CONCURRENCY)

    async def bounded(trial: Trial) -> list[Finding]:
        async with gate:
            return await _try(trial)

    results = await asyncio.gather(*(bounded(trial) for trial in found))
    lines = [problem.line() for result in results for problem in result]
    if any(trial.sender is not None or trial.error is not None for trial in found):
        why = checks.local_url(settings.public_base_url)
        if why is not None:
            lines.append(
                f"PUBLIC_BASE_URL is {settings.public_base_url} while mail goes to a real SMTP "
                f"server: {why}, so the recipients' unsubscribe links cannot reach this server"
            )
    return lines
