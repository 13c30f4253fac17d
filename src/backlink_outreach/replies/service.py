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
from . import accounts, poller
from .imap import default_account
from .schemas import PollResult, ReplyOut

log = structlog.get_logger(__name__)


async def poll(
    db: Database,
    settings: Settings,
    principal: Principal,
    campaign_id: str | None,
) -> PollResult:
    """Poll the caller's workspaces' own mailboxes and `mbx_default` now; count only the
    caller's replies (of `campaign_id` when given). 422 when none of them has IMAP; 503 when
    `mbx_default` cannot be read (as in part 1) or when no mailbox could be read at all. A
    failing own mailbox shows in its `health.last_error`."""
    async with db.read() as session:
        own = await accounts.workspace_accounts(session, settings, principal.workspaces)
        default = default_account(settings)
        if default is None and not own:
            raise NotConfigured(
                "IMAP is not configured: set IMAP_HOST, IMAP_USERNAME and IMAP_PASSWORD, "
                "or give one of this workspace's mailboxes IMAP"
            )
        if campaign_id is not None:
            await campaigns.get_campaign(session, principal, campaign_id)
    polled = [default, *own] if default is not None else own
    results = await poller.poll_many(settings, db, polled, wait=True)
    failed_default = any(r.error and r.account.workspace_id is None for r in results)
    if failed_default or all(r.error for r in results):
        raise ServiceUnavailable("Mailbox unavailable")
    mine = [
        o
        for r in results
        for o in r.outcomes or []
        if o.workspace_id in principal.workspaces
        and (campaign_id is None or o.campaign_id == campaign_id)
    ]
    return PollResult(
        replies_found=sum(o.status == "filed" for o in mine),
        failed=sum(o.status == "failed" for o in mine),
    )


async def poll_duty(db: Database, settings: Settings) -> int:
    """The worker's mailbox duty: every mailbox with IMAP whose `next_poll_at` is due and that
    nobody else is polling, at most `POLL_CONCURRENCY` at once. Returns the messages read."""
    async with db.read() as session:
        every = await accounts.all_accounts(session, settings)
    results = await poller.poll_many(settings, db, await poller.due(db, every), wait=False)
    return sum(len(r.outcomes or []) for r in results)


async def list_replies(
    session: AsyncSession, principal: Principal, campaign_id: str
) -> list[ReplyOut]:
    campaign = await campaigns.get_campaign(session, principal, campaign_id)
    rows = await session.scalars(
        select(Reply).where(Reply.campaign_id == campaign.id).order_by(Reply.received_at, Reply.id)
    )
    return [ReplyOut.model_validate(r) for r in rows]
