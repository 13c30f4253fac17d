"""Which mailbox a message goes from, and the `Sender` and mailer that mailbox gives.

- `route_of(settings, row, now)`: a mailbox row as a `Route` (its `Sender`: From, Reply-To,
  signature, postal address, `{sender_site}` = `sender_website`'s host, DKIM, today's cap with
  the warm-up ramp; its SMTP server and login, unsealed here and nowhere else).
- `default_route(settings)`: `mbx_default`, from the environment as in part 1.
- `candidates(...)`: for an initial send, the mailboxes to try in order: the one named by
  `mailbox_id`; else the campaign's `mailbox_ids`; else the workspace's own mailboxes; else
  `mbx_default`. Active ones first, the one with the most room today first.
- `route_for_attempt(...)`: a follow-up goes from the mailbox of the lead's first message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from .. import sender as senders
from ..config import Settings
from ..errors import NotConfigured, NotFound
from ..models import DEFAULT_MAILBOX_ID, Campaign, Mailbox, OutreachAttempt
from ..outreach import smtp
from ..sender import Dkim, Sender
from . import health, secrets
from .mailer import SmtpServer, mailer_for

WRONG_KEY = (
    "SECRETS_KEY does not decrypt the stored mailbox secrets (was the key rotated? "
    "set SECRETS_KEY to the key written by rotate-secrets-key)"
)


@dataclass(frozen=True)
class Route:
    sender: Sender
    server: SmtpServer | None = None  # None: mbx_default, the settings' own mailer

    @property
    def mailbox_id(self) -> str:
        return self.sender.mailbox_id

    def mailer(self, settings: Settings) -> smtp.Mailer:
        if self.server is None:
            return smtp.mailer_for(settings)
        return mailer_for(settings, self.server)


def default_configured(settings: Settings) -> bool:
    return bool(settings.smtp_host) or settings.mail_outbox_dir is not None


def default_route(settings: Settings) -> Route:
    """`mbx_default`; 422 `not_configured` when neither SMTP_HOST nor MAIL_OUTBOX_DIR is set."""
    smtp.check_configured(settings)
    return Route(senders.from_settings(settings))


def cap_today(row: Mailbox, now: datetime) -> int:
    """`daily_cap`, or on day d of a warming mailbox's life
    `min(max_per_day, start_per_day + d * increase_per_day)`, never above `daily_cap`."""
    if not row.warmup_enabled:
        return row.daily_cap
    day = max(0, (now.date() - row.created_at.date()).days)
    ramp = min(row.warmup_max_per_day, row.warmup_start_per_day + day * row.warmup_increase_per_day)
    return max(0, min(row.daily_cap, ramp))


def site_host(url: str | None) -> str:
    if not url:
        return ""
    try:
        return (urlsplit(url if "//" in url else f"//{url}").hostname or "").lower()
    except ValueError:
        return ""


def open_secret(key: bytes, sealed: str | None, row_id: str) -> str | None:
    if sealed is None:
        return None
    try:
        return secrets.unseal(key, sealed, row_id)
    except secrets.UnsealError:
        raise NotConfigured(WRONG_KEY) from None


def route_of(settings: Settings, row: Mailbox, now: datetime) -> Route:
    key = secrets.secrets_key(settings)
    dkim = None
    pem = open_secret(key, row.dkim_private_key_sealed, row.id)
    if pem and row.dkim_selector and row.dkim_domain:
        dkim = Dkim(row.dkim_selector, row.dkim_domain, pem.replace("\\n", "\n").encode())
    domain = row.from_email.rsplit("@", 1)[-1]
    sender = Sender(
        email=row.from_email,
        name=row.from_name or "",
        reply_to=row.reply_to,
        postal_address=row.postal_address,
        website=site_host(row.sender_website) or domain,
        unsubscribe_mailto=row.reply_to or row.from_email,
        dkim=dkim,
        signature=row.signature,
        mailbox_id=row.id,
        daily_cap=cap_today(row, now),
        delivery="smtp",
        min_interval_seconds=row.min_interval_seconds,
    )
    server = SmtpServer(
        host=row.smtp_host,
        port=row.smtp_port,
        security=row.smtp_security,
        username=row.smtp_username,
        password=open_secret(key, row.smtp_password_sealed, row.id),
    )
    return Route(sender, server)


async def _sent_today(
    session: AsyncSession, senders_: Sequence[str], now: datetime
) -> dict[str, int]:
    if not senders_:
        return {}
    a = OutreachAttempt
    rows = await session.execute(
        select(a.sender_email, func.count())
        .where(
            a.sender_email.in_(sorted(set(senders_))),
            a.send_day == now.date(),
            a.status.in_([literal("sending"), literal("sent")]),
        )
        .group_by(a.sender_email)
    )
    return {email: int(count) for email, count in rows}


async def _own_mailboxes(session: AsyncSession, workspace_id: str) -> list[Mailbox]:
    rows = await session.scalars(
        select(Mailbox)
        .where(Mailbox.workspace_id == workspace_id)
        .order_by(Mailbox.created_at, Mailbox.id)
    )
    return list(rows)


async def any_mailboxes(session: AsyncSession) -> bool:
    return (await session.scalar(select(Mailbox.id).limit(1))) is not None


async def has_own_mailboxes(session: AsyncSession, workspaces: Sequence[str]) -> bool:
    found = await session.scalar(
        select(Mailbox.id).where(Mailbox.workspace_id.in_(sorted(workspaces))).limit(1)
    )
    return found is not None


async def candidates(
    session: AsyncSession,
    settings: Settings,
    campaign: Campaign,
    mailbox_id: str | None,
    now: datetime,
) -> list[Route]:
    """The mailboxes an initial message of this campaign may go from, best first."""
    if mailbox_id is not None:
        return [await named_route(session, settings, campaign.workspace_id, mailbox_id, now)]
    wanted: list[str] = list(dict.fromkeys(campaign.mailbox_ids or []))
    rows: list[Mailbox] = []
    include_default = False
    if wanted:
        include_default = DEFAULT_MAILBOX_ID in wanted
        named = [i for i in wanted if i != DEFAULT_MAILBOX_ID]
        found = {
            row.id: row
            for row in await session.scalars(
                select(Mailbox).where(
                    Mailbox.id.in_(named or [""]), Mailbox.workspace_id == campaign.workspace_id
                )
            )
        }
        # A mailbox deleted since (or never this workspace's) is skipped; when none is left,
        # the campaign sends as one without a list would.
        rows = [found[i] for i in named if i in found]
        wanted = wanted if rows or include_default else []
    if not wanted:
        rows = await _own_mailboxes(session, campaign.workspace_id)
        include_default = not rows
    routes = [route_of(settings, row, now) for row in rows]
    if include_default:
        routes.append(default_route(settings))
    return await _by_room(session, settings, routes, now)


async def rooms(
    session: AsyncSession, settings: Settings, routes: Sequence[Route], now: datetime
) -> dict[str, int]:
    """How many more messages each route's mailbox may send today (0 when it is paused)."""
    states = await health.read_many(session, [r.mailbox_id for r in routes])
    used = await _sent_today(session, [r.sender.email for r in routes], now)
    percent = settings.bounce_breaker_percent
    room: dict[str, int] = {}
    for route in routes:
        status, _ = states[route.mailbox_id].shown(percent)
        cap = route.sender.daily_cap
        if cap is None:
            cap = settings.policy_sender_daily_cap
        left = cap - used.get(route.sender.email, 0)
        room[route.mailbox_id] = left if status == "active" else min(left, 0)
    return room


async def _by_room(
    session: AsyncSession, settings: Settings, routes: list[Route], now: datetime
) -> list[Route]:
    if len(routes) < 2:
        return routes
    room = await rooms(session, settings, routes, now)

    def order(indexed: tuple[int, Route]) -> tuple[Any, ...]:
        # Active with room first, the most room first; a paused one has no room.
        position, route = indexed
        left = room[route.mailbox_id]
        return (left <= 0, -left, position)

    return [route for _, route in sorted(enumerate(routes), key=order)]


async def named_route(
    session: AsyncSession, settings: Settings, workspace_id: str, mailbox_id: str, now: datetime
) -> Route:
    """The mailbox `mailbox_id` names, when it is `mbx_default` or one of `workspace_id`'s."""
    if mailbox_id == DEFAULT_MAILBOX_ID:
        return default_route(settings)
    row = await session.scalar(
        select(Mailbox).where(Mailbox.id == mailbox_id, Mailbox.workspace_id == workspace_id)
    )
    if row is None:
        raise NotFound()
    return route_of(settings, row, now)


async def route_for_attempt(
    session: AsyncSession, settings: Settings, attempt: OutreachAttempt, now: datetime
) -> Route | None:
    """The route of the mailbox an earlier message went from; None when it was deleted."""
    mailbox_id = attempt.mailbox_id or DEFAULT_MAILBOX_ID
    if mailbox_id == DEFAULT_MAILBOX_ID:
        return default_route(settings)
    row = await session.get(Mailbox, mailbox_id)
    if row is None or row.workspace_id != attempt.workspace_id:
        return None
    return route_of(settings, row, now)
