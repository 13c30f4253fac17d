"""Mailbox rules and queries. Every lookup is scoped to the caller's workspaces; `mbx_default`
(the deployment's SMTP_*/IMAP_* settings) is listed for every workspace, read-only but for
`status`, and shows no secret."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from .. import pages
from .. import sender as senders
from ..auth import Principal
from ..config import Settings
from ..database import Database
from ..db import utcnow
from ..errors import NotFound, Unprocessable
from ..ids import new_id
from ..models import (
    DEFAULT_MAILBOX_ID,
    Mailbox,
    MailboxHealth,
    MailboxRecentSend,
    OutreachAttempt,
)
from . import checks, health, keys, readiness, routing, secrets
from .schemas import (
    CheckOut,
    DkimOut,
    DnsCheckOut,
    DnsOut,
    HealthOut,
    ImapOut,
    MailboxCreate,
    MailboxOut,
    MailboxUpdate,
    SmtpOut,
    TestResult,
    WarmupOut,
)

# `mbx_default` has no row: it has always existed, as far as a client can tell.
DEFAULT_CREATED_AT = datetime(1970, 1, 1, tzinfo=UTC)
DEFAULT_NAME = "Default (from the environment)"
READ_ONLY = "mbx_default comes from the environment (SMTP_*, IMAP_*): only its status may change"


def _key(settings: Settings) -> bytes:
    return secrets.secrets_key(settings)


async def _sends_today(
    session: AsyncSession, addresses: list[str], now: datetime
) -> dict[str, int]:
    if not addresses:
        return {}
    a = OutreachAttempt
    rows = await session.execute(
        select(a.sender_email, func.count())
        .where(
            a.sender_email.in_(sorted(set(addresses))),
            a.send_day == now.date(),
            a.status.in_([literal("sending"), literal("sent")]),
        )
        .group_by(a.sender_email)
    )
    return {email: int(n) for email, n in rows}


def _health_out(state: health.Health, sends_today: int, cap_today: int) -> HealthOut:
    return HealthOut(
        sends_today=sends_today,
        hard_bounces_last_50=state.hard_bounces_last_50,
        last_test_at=state.last_test_at,
        last_error=state.last_error,
        cap_today=cap_today,
    )


def _row_out(
    settings: Settings, row: Mailbox, state: health.Health, sends_today: int, now: datetime
) -> MailboxOut:
    status, reason = state.shown(settings.bounce_breaker_percent)
    imap = None
    if row.imap_host:
        imap = ImapOut(
            host=row.imap_host,
            port=row.imap_port or 993,
            security=row.imap_security or "ssl",
            username=row.imap_username,
            folder=row.imap_folder or "INBOX",
            password_set=row.imap_password_sealed is not None,
        )
    dkim = None
    if row.dkim_domain and row.dkim_selector:
        dkim = DkimOut(
            domain=row.dkim_domain,
            selector=row.dkim_selector,
            private_key_set=row.dkim_private_key_sealed is not None,
        )
    return MailboxOut(
        id=row.id,
        workspace_id=row.workspace_id,
        name=row.name,
        from_email=row.from_email,
        from_name=row.from_name,
        reply_to=row.reply_to,
        signature=row.signature,
        sender_website=row.sender_website,
        postal_address=row.postal_address,
        smtp=SmtpOut(
            host=row.smtp_host,
            port=row.smtp_port,
            security=row.smtp_security,
            username=row.smtp_username,
            password_set=row.smtp_password_sealed is not None,
        ),
        imap=imap,
        daily_cap=row.daily_cap,
        min_interval_seconds=row.min_interval_seconds,
        warmup=WarmupOut(
            enabled=row.warmup_enabled,
            start_per_day=row.warmup_start_per_day,
            increase_per_day=row.warmup_increase_per_day,
            max_per_day=row.warmup_max_per_day,
        ),
        sent_folder=row.sent_folder,
        status=status,
        paused_reason=reason,
        health=_health_out(state, sends_today, routing.cap_today(row, now)),
        created_at=row.created_at,
        updated_at=row.updated_at,
        dkim=dkim,
    )


def _default_out(settings: Settings, state: health.Health, sends_today: int) -> MailboxOut:
    status, reason = state.shown(settings.bounce_breaker_percent)
    imap = None
    if settings.imap_host:
        imap = ImapOut(
            host=settings.imap_host,
            port=settings.imap_port,
            security=settings.imap_security,
            username=settings.imap_username,
            folder=settings.imap_folder,
            password_set=settings.imap_password is not None,
        )
    dkim = None
    if settings.dkim_domain and settings.dkim_selector:
        dkim = DkimOut(
            domain=settings.dkim_domain,
            selector=settings.dkim_selector,
            private_key_set=settings.dkim_private_key is not None,
        )
    cap = settings.policy_sender_daily_cap
    return MailboxOut(
        id=DEFAULT_MAILBOX_ID,
        workspace_id=None,
        name=DEFAULT_NAME,
        from_email=settings.smtp_from_email,
        from_name=settings.smtp_from_name,
        reply_to=settings.smtp_reply_to,
        signature=None,
        sender_website=None,
        postal_address=settings.sender_postal_address,
        smtp=SmtpOut(
            host=settings.smtp_host,
            port=settings.smtp_port,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password_set=settings.smtp_password is not None,
        ),
        imap=imap,
        daily_cap=cap,
        min_interval_seconds=90,
        warmup=WarmupOut(enabled=False, start_per_day=cap, increase_per_day=0, max_per_day=cap),
        sent_folder=None,
        status=status,
        paused_reason=reason,
        health=_health_out(state, sends_today, cap),
        created_at=DEFAULT_CREATED_AT,
        updated_at=state.last_test_at or DEFAULT_CREATED_AT,
        dkim=dkim,
        read_only=True,
    )


async def _outs(
    session: AsyncSession, settings: Settings, rows: list[Mailbox], with_default: bool
) -> list[MailboxOut]:
    now = utcnow()
    ids = [DEFAULT_MAILBOX_ID] if with_default else []
    ids += [row.id for row in rows]
    states = await health.read_many(session, ids)
    addresses = [row.from_email for row in rows]
    if with_default:
        addresses.append(settings.smtp_from_email)
    today = await _sends_today(session, addresses, now)
    result = []
    if with_default:
        state = states[DEFAULT_MAILBOX_ID]
        result.append(_default_out(settings, state, today.get(settings.smtp_from_email, 0)))
    for row in rows:
        result.append(_row_out(settings, row, states[row.id], today.get(row.from_email, 0), now))
    return result


BY_CREATED = pages.Keyset("created_at", Mailbox.created_at, Mailbox.id)


async def list_mailboxes(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    workspace_id: str | None,
    page: pages.Page,
) -> list[MailboxOut]:
    """`mbx_default` (created "1970-01-01", so first in the order) on the first page, then the
    workspace's own, oldest first, one row over the limit for `pages.finish`."""
    workspace = principal.require_workspace(workspace_id)
    query = BY_CREATED.apply(select(Mailbox).where(Mailbox.workspace_id == workspace), page)
    rows = list(await session.scalars(query))
    return await _outs(session, settings, rows, page.cursor is None)


async def _own(session: AsyncSession, principal: Principal, mailbox_id: str) -> Mailbox:
    if "\x00" in mailbox_id:
        raise NotFound()
    row = await session.get(Mailbox, mailbox_id)
    if row is None or row.workspace_id not in principal.workspaces:
        raise NotFound()
    return row


async def get_mailbox(
    session: AsyncSession, settings: Settings, principal: Principal, mailbox_id: str
) -> MailboxOut:
    if mailbox_id == DEFAULT_MAILBOX_ID:
        return (await _outs(session, settings, [], True))[0]
    row = await _own(session, principal, mailbox_id)
    return (await _outs(session, settings, [row], False))[0]


def _seal(key: bytes, value: str | None, row_id: str) -> str | None:
    return secrets.seal(key, value, row_id) if value else None


async def create_mailbox(
    session: AsyncSession, settings: Settings, principal: Principal, data: MailboxCreate
) -> MailboxOut:
    key = _key(settings)
    await keys.usable(session, key)
    now = utcnow()
    row_id = new_id("mbx")
    row = Mailbox(
        id=row_id,
        workspace_id=principal.workspace_id,
        name=data.name or data.from_email,
        from_email=data.from_email,
        from_name=data.from_name,
        reply_to=data.reply_to,
        signature=data.signature,
        sender_website=data.sender_website,
        postal_address=data.postal_address,
        smtp_host=data.smtp.host,
        smtp_port=data.smtp.port,
        smtp_security=data.smtp.security,
        smtp_username=data.smtp.username,
        smtp_password_sealed=_seal(key, data.smtp.password, row_id),
        daily_cap=data.daily_cap,
        min_interval_seconds=data.min_interval_seconds,
        warmup_enabled=data.warmup.enabled,
        warmup_start_per_day=data.warmup.start_per_day,
        warmup_increase_per_day=data.warmup.increase_per_day,
        warmup_max_per_day=data.warmup.max_per_day,
        sent_folder=data.sent_folder,
        created_at=now,
        updated_at=now,
    )
    if data.imap is not None:
        _set_imap(row, key, data.imap.model_dump(), replace=True)
    if data.dkim is not None:
        row.dkim_domain, row.dkim_selector = data.dkim.domain, data.dkim.selector
        row.dkim_private_key_sealed = _seal(key, data.dkim.private_key, row_id)
    session.add(row)
    await session.flush()
    await health.ensure(session, row_id, now)
    return (await _outs(session, settings, [row], False))[0]


def _set_imap(row: Mailbox, key: bytes, values: dict[str, Any], *, replace: bool) -> None:
    if replace or row.imap_host is None:
        if not values.get("host"):
            raise Unprocessable(
                "imap.host is required to add IMAP to a mailbox",
                "missing",
                ["body", "imap", "host"],
            )
        row.imap_host = values["host"]
        row.imap_port = values.get("port") or 993
        row.imap_security = values.get("security") or "ssl"
        row.imap_username = values.get("username")
        row.imap_folder = values.get("folder") or "INBOX"
        row.imap_password_sealed = _seal(key, values.get("password"), row.id)
        return
    for name in ("host", "port", "security", "username", "folder"):
        if name in values:
            if values[name] is None and name != "username":
                raise Unprocessable(
                    f"imap.{name} may not be null", "value_error", ["body", "imap", name]
                )
            setattr(row, f"imap_{name}", values[name])
    if "password" in values:
        row.imap_password_sealed = _seal(key, values["password"], row.id)


_REQUIRED = ("name", "from_email", "smtp", "daily_cap", "min_interval_seconds", "warmup", "status")
_PLAIN = (
    "name",
    "from_email",
    "from_name",
    "reply_to",
    "signature",
    "sender_website",
    "postal_address",
    "daily_cap",
    "min_interval_seconds",
    "sent_folder",
)


async def update_mailbox(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    mailbox_id: str,
    data: MailboxUpdate,
) -> MailboxOut:
    given = data.model_fields_set
    for name in _REQUIRED:
        if name in given and getattr(data, name) is None:
            raise Unprocessable(f"{name} may not be null", "value_error", ["body", name])
    now = utcnow()
    if mailbox_id == DEFAULT_MAILBOX_ID:
        if given - {"status"}:
            raise Unprocessable(READ_ONLY, "read_only", ["body"])
        if data.status is not None:
            await health.set_status(session, DEFAULT_MAILBOX_ID, data.status, now)
        return await get_mailbox(session, settings, principal, mailbox_id)
    row = await _own(session, principal, mailbox_id)
    secret_fields = {"smtp", "imap", "dkim"} & given
    key = _key(settings) if secret_fields else b""
    if secret_fields:
        await keys.usable(session, key)
    for name in _PLAIN:
        if name in given:
            setattr(row, name, getattr(data, name))
    if data.smtp is not None:
        smtp_given = data.smtp.model_fields_set
        for name in ("host", "port", "security"):
            if name in smtp_given:
                value = getattr(data.smtp, name)
                if value is None:
                    raise Unprocessable(
                        f"smtp.{name} may not be null", "value_error", ["body", "smtp", name]
                    )
                setattr(row, f"smtp_{name}", value)
        if "username" in smtp_given:
            row.smtp_username = data.smtp.username
        if "password" in smtp_given:
            row.smtp_password_sealed = _seal(key, data.smtp.password, row.id)
    if "imap" in given:
        if data.imap is None:
            row.imap_host = row.imap_port = row.imap_security = None
            row.imap_username = row.imap_folder = row.imap_password_sealed = None
        else:
            values = {n: getattr(data.imap, n) for n in data.imap.model_fields_set}
            _set_imap(row, key, values, replace=False)
    if "dkim" in given:
        if data.dkim is None:
            row.dkim_domain = row.dkim_selector = row.dkim_private_key_sealed = None
        else:
            row.dkim_domain, row.dkim_selector = data.dkim.domain, data.dkim.selector
            row.dkim_private_key_sealed = _seal(key, data.dkim.private_key, row.id)
    if data.warmup is not None:
        for name in data.warmup.model_fields_set:
            value = getattr(data.warmup, name)
            if value is None:
                raise Unprocessable(
                    f"warmup.{name} may not be null", "value_error", ["body", "warmup", name]
                )
            setattr(row, f"warmup_{name}", value)
    row.updated_at = now
    if data.status is not None:
        await health.set_status(session, row.id, data.status, now)
    await session.flush()
    return (await _outs(session, settings, [row], False))[0]


async def delete_mailbox(session: AsyncSession, principal: Principal, mailbox_id: str) -> None:
    if mailbox_id == DEFAULT_MAILBOX_ID:
        raise Unprocessable(READ_ONLY, "read_only", [])
    row = await _own(session, principal, mailbox_id)
    await session.execute(delete(MailboxRecentSend).where(MailboxRecentSend.mailbox_id == row.id))
    await session.execute(delete(MailboxHealth).where(MailboxHealth.mailbox_id == row.id))
    await session.delete(row)


def _check(result: checks.CheckResult) -> CheckOut:
    return CheckOut(ok=result.ok, error=result.error)


def _dns_check(result: checks.DnsCheck) -> DnsCheckOut:
    return DnsCheckOut(ok=result.ok, record=result.record, error=result.error)


async def test_mailbox(
    db: Database, settings: Settings, principal: Principal, mailbox_id: str
) -> TestResult:
    """Log in to SMTP and IMAP and check the From domain's DNS, outside any transaction;
    `health.last_test_at` / `last_error` record the outcome."""
    async with db.read() as session:
        if mailbox_id == DEFAULT_MAILBOX_ID:
            smtp_login, imap_login = readiness.settings_logins(settings)
            from_email = settings.smtp_from_email
            dkim = senders.from_settings(settings).dkim
        else:
            row = await _own(session, principal, mailbox_id)
            route = routing.route_of(settings, row, utcnow())
            smtp_login, imap_login = readiness.mailbox_logins(settings, row, route)
            from_email = row.from_email
            dkim = route.sender.dkim
    not_set = CheckOut(ok=False, error="not configured")
    smtp_out = _check(await checks.check_smtp(smtp_login)) if smtp_login else not_set
    imap_out = _check(await checks.check_imap(imap_login)) if imap_login else not_set
    dns = await checks.check_dns(
        from_email,
        dkim.selector if dkim else None,
        dkim.private_key_pem if dkim else None,
        settings.dns_resolver,
    )
    problems = [f"smtp: {smtp_out.error}"] if smtp_login and smtp_out.error else []
    if imap_login and imap_out.error:
        problems.append(f"imap: {imap_out.error}")
    async with db.write() as session:
        await health.record_test(session, mailbox_id, "; ".join(problems) or None, utcnow())
    return TestResult(
        smtp=smtp_out,
        imap=imap_out,
        dns=DnsOut(spf=_dns_check(dns.spf), dkim=_dns_check(dns.dkim), dmarc=_dns_check(dns.dmarc)),
    )
