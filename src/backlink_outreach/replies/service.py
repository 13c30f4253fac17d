"""Replies for the API and the worker: a manual poll counted for the caller, the periodic
poll duty, and a campaign's replies."""

from __future__ import annotations

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..auth import Principal
from ..campaigns import service as campaigns
from ..config import Settings
from ..database import Database
from ..errors import NotConfigured, ServiceUnavailable
from ..models import Reply
from . import poller
from .imap import MailboxUnavailable, mailbox_id
from .schemas import PollResult, ReplyOut

log = structlog.get_logger(__name__)


async def poll(
    db: Database,
    settings: Settings,
    principal: Principal,
    campaign_id: str | None,
) -> PollResult:
    """Poll now; count only the caller's replies (of `campaign_id` when given)."""
    if not poller.configured(settings):
        raise NotConfigured(
            "IMAP is not configured: set IMAP_HOST, IMAP_USERNAME and IMAP_PASSWORD"
        )
    if campaign_id is not None:
        async with db.read() as session:
            await campaigns.get_campaign(session, principal, campaign_id)
    try:
        outcomes = await poller.poll_mailbox(settings, db, wait=True) or []
    except MailboxUnavailable as exc:
        log.warning("mailbox_unavailable", reason=str(exc))
        raise ServiceUnavailable("Mailbox unavailable") from None
    mine = [
        o
        for o in outcomes
        if o.workspace_id in principal.workspaces
        and (campaign_id is None or o.campaign_id == campaign_id)
    ]
    return PollResult(
        replies_found=sum(o.status == "filed" for o in mine),
        failed=sum(o.status == "failed" for o in mine),
    )


async def poll_duty(db: Database, settings: Settings) -> int:
    """The worker's mailbox duty: poll when `next_poll_at` is due and nobody else is polling."""
    if not poller.configured(settings):
        return 0
    if not await poller.is_due(db, mailbox_id(settings)):
        return 0
    try:
        outcomes = await poller.poll_mailbox(settings, db, wait=False)
    except MailboxUnavailable as exc:
        log.warning("mailbox_unavailable", reason=str(exc))
        return 0
    return len(outcomes or [])


async def list_replies(
    session: AsyncSession, principal: Principal, campaign_id: str
) -> list[ReplyOut]:
    campaign = await campaigns.get_campaign(session, principal, campaign_id)
    rows = await session.scalars(
        select(Reply).where(Reply.campaign_id == campaign.id).order_by(Reply.received_at, Reply.id)
    )
    return [ReplyOut.model_validate(r) for r in rows]
