"""The inbox (API.md part 2, "Inbox"): a workspace's replies across its campaigns, newest
first, and one reply in full.

The list walks `ix_replies_workspace_received (workspace_id, received_at, id)` backwards from
the cursor, `LIMIT n + 1`; the filters (`campaign_id`, `classification`, `since`, `unmatched`)
are checked on the rows it reads, and `since` also bounds the walk. `q` is a substring (no
B-tree helps): it is checked on the same rows. Only the listed columns are read, never the
text and body a detail shows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from .. import pages
from ..auth import Principal
from ..errors import NotFound
from ..models import Campaign, Reply, ReplyClassification
from ..tenancy import in_workspaces, lookup_params
from .schemas import ReplyDetail, ReplyListRow, ReplyOut

_REPLIES = cast(Table, Reply.__table__)
_CAMPAIGNS = cast(Table, Campaign.__table__)
NEWEST_FIRST = pages.Keyset("received_at", _REPLIES.c.received_at, _REPLIES.c.id, descending=True)
_LISTED = select(*(_REPLIES.c[name] for name in ReplyOut.model_fields))
_CAMPAIGN = select(_CAMPAIGNS.c.id).where(
    _CAMPAIGNS.c.id == bindparam("id"), in_workspaces(_CAMPAIGNS.c.workspace_id)
)
# `snippet` too: replies filed before the inbox kept no text.
_SEARCHED = ("from_email", "subject", "text", "snippet")


def _matches(q: str) -> ColumnElement[bool]:
    """`q` as a case-blind substring of the sender, the subject or the text (LIKE wildcards
    in it escaped)."""
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return or_(*(_REPLIES.c[name].ilike(pattern, escape="\\") for name in _SEARCHED))


async def list_replies(
    connection: AsyncConnection,
    principal: Principal,
    page: pages.Page,
    *,
    campaign_id: str | None = None,
    classification: ReplyClassification | None = None,
    since: datetime | None = None,
    q: str | None = None,
    unmatched: bool | None = None,
) -> list[ReplyListRow]:
    """One page of the current workspace's replies (plus the row past the limit that
    `pages.finish` looks for). A campaign of another workspace is 404."""
    if campaign_id is not None:
        params = lookup_params(principal, id=campaign_id)
        if (await connection.execute(_CAMPAIGN, params)).first() is None:
            raise NotFound()
    statement: Any = _LISTED.where(_REPLIES.c.workspace_id == principal.workspace_id)
    if campaign_id is not None:
        statement = statement.where(_REPLIES.c.campaign_id == campaign_id)
    if classification is not None:
        statement = statement.where(_REPLIES.c.classification == classification)
    if since is not None:
        statement = statement.where(_REPLIES.c.received_at >= since)
    if unmatched is not None:
        statement = statement.where(_REPLIES.c.unmatched.is_(unmatched))
    if q:
        statement = statement.where(_matches(q))
    rows = await connection.execute(NEWEST_FIRST.apply(statement, page))
    return [ReplyListRow(*row) for row in rows]


_ONE = select(Reply).where(Reply.id == bindparam("id"), in_workspaces(Reply.workspace_id))


async def find(
    session: AsyncSession, principal: Principal, reply_id: str, *, lock: bool = False
) -> Reply:
    """The caller's reply (either of their workspaces); 404 for anyone else's. With `lock`
    (a correction), locked for the rest of the transaction, so two cannot interleave."""
    statement = _ONE.with_for_update() if lock else _ONE
    found = (
        await session.execute(statement, lookup_params(principal, id=reply_id))
    ).scalar_one_or_none()
    if found is None:
        raise NotFound()
    return found


def detail(reply: Reply) -> ReplyDetail:
    """The reply in full. `referral_email` shows only while it is classed `wrong_person` (the
    address is kept either way, so a correction back and forth loses nothing)."""
    shown = ReplyOut.model_validate(reply).model_dump()
    return ReplyDetail(
        **shown,
        text=reply.text or "",
        body=reply.body or "",
        headers=dict(reply.headers or {}),
        referral_email=reply.referral_email if reply.classification == "wrong_person" else None,
        corrections=list(reply.corrections or []),
    )
