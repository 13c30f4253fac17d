"""Placements: recording where a lead published our link, checking it now, and reading them.

Checking is the send path's shape: a short transaction stores (or finds) the placement, the
fetch runs outside any transaction, and a second short transaction records the outcome (the row
re-read under its lock, so a request and the worker checking at once both land in the history)
together with the lifecycle events it causes.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .. import pages
from ..auth import Principal
from ..campaigns.service import get_campaign
from ..config import Settings
from ..database import Database
from ..db import in_batches, insert_for, utcnow
from ..discovery.crawler import Crawler
from ..errors import NotFound, Unprocessable
from ..ids import new_id
from ..integrations import events as outbox
from ..leads import lifecycle
from ..leads import service as leads
from ..models import Placement, PlacementStatus
from ..tenancy import in_workspaces, lookup_params
from . import checker, state
from .checker import Job, Outcome
from .schemas import LinkOut, PlacementCreate, PlacementOut

_TABLE = cast(Table, Placement.__table__)
# The columns a check writes, bound by name for one executemany UPDATE per batch.
_CHECK_COLUMNS = (
    "checked_at",
    "next_check_at",
    "http_status",
    "final_url",
    "error",
    "robots_blocked",
    "updated_at",
    "status",
    "history",
    "consecutive_misses",
    "first_seen_at",
    "last_seen_at",
    "lost_at",
    "link_href",
    "link_anchor_text",
    "link_rel",
    "link_in_content",
    "link_anchor_matches",
    "link_nofollow",
    "noindex",
    "canonical_url",
)
_STATE_COLUMNS = ("id", "lead_id", "consecutive_misses", "first_seen_at", "lost_at", "history")
# Read with the state, for the webhook event a found or lost link writes.
_NOTICE_COLUMNS = ("workspace_id", "campaign_id", "placement_url", "target_url")
_LINK_EVENTS = {"placed": "link.verified", "link_lost": "link.lost"}
_PLACEMENT = select(Placement).where(
    Placement.id == bindparam("id"), in_workspaces(Placement.workspace_id)
)


def to_out(placement: Placement) -> PlacementOut:
    link = None
    if placement.link_href is not None:
        link = LinkOut(
            href=placement.link_href,
            anchor_text=placement.link_anchor_text or "",
            rel=placement.link_rel or [],
            in_content=bool(placement.link_in_content),
            anchor_matches=placement.link_anchor_matches,
        )
    return PlacementOut(
        id=placement.id,
        lead_id=placement.lead_id,
        campaign_id=placement.campaign_id,
        placement_url=placement.placement_url,
        target_url=placement.target_url,
        status=placement.status,
        checked_at=placement.checked_at,
        next_check_at=placement.next_check_at,
        http_status=placement.http_status,
        final_url=placement.final_url,
        link=link,
        noindex=placement.noindex,
        robots_blocked=placement.robots_blocked,
        canonical_url=placement.canonical_url,
        first_seen_at=placement.first_seen_at,
        last_seen_at=placement.last_seen_at,
        consecutive_misses=placement.consecutive_misses,
        history=placement.history or [],
        expected_anchor_text=placement.expected_anchor_text,
        error=placement.error,
        lost_at=placement.lost_at,
        created_at=placement.created_at,
        updated_at=placement.updated_at,
    )


async def _upsert(
    session: AsyncSession,
    principal: Principal,
    campaign_id: str,
    lead_id: str,
    data: PlacementCreate,
    now: datetime,
) -> Job:
    """The lead's placement, created or pointed at the new page. A new page or target starts
    a new record (its history is of another link); a new expected anchor only replaces it."""
    campaign = await get_campaign(session, principal, campaign_id)
    lead = await leads.get_lead(session, campaign, lead_id)
    target = data.target_url or lead.target_url
    if target is None:
        raise Unprocessable(
            "target_url is required: give it here or set it on the lead",
            "missing",
            ["body", "target_url"],
        )
    anchor = data.anchor_text if data.anchor_text is not None else lead.anchor_text
    await session.execute(
        insert_for(session, _TABLE)
        .values(
            id=new_id("plc"),
            workspace_id=lead.workspace_id,
            campaign_id=lead.campaign_id,
            lead_id=lead.id,
            placement_url=data.placement_url,
            target_url=target,
            expected_anchor_text=anchor,
            status="unknown",
            next_check_at=now,
            link_nofollow=False,
            robots_blocked=False,
            consecutive_misses=0,
            history=[],
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["lead_id"])
    )
    placement = (
        await session.execute(
            select(Placement).where(Placement.lead_id == lead.id).with_for_update()
        )
    ).scalar_one()
    if (placement.placement_url, placement.target_url) != (data.placement_url, target):
        reset: dict[str, Any] = dict.fromkeys(_CHECK_COLUMNS)
        reset |= {
            "status": "unknown",
            "next_check_at": now,
            "robots_blocked": False,
            "link_nofollow": False,
            "consecutive_misses": 0,
            "history": [],
            "placement_url": data.placement_url,
            "target_url": target,
        }
        for name, value in reset.items():
            setattr(placement, name, value)
    placement.expected_anchor_text = anchor
    placement.updated_at = now
    await session.flush()
    return Job(placement.id, placement.placement_url, placement.target_url, anchor)


async def place(
    db: Database,
    settings: Settings,
    principal: Principal,
    campaign_id: str,
    lead_id: str,
    data: PlacementCreate,
) -> PlacementOut:
    """POST .../leads/{lead_id}/placement: store it and check it now."""
    async with db.write() as session:
        job = await _upsert(session, principal, campaign_id, lead_id, data, utcnow())
    return await _check_and_record(db, settings, job)


async def check_again(
    db: Database, settings: Settings, principal: Principal, placement_id: str
) -> PlacementOut:
    """POST /placements/{id}/check: check now, keeping the history."""
    async with db.read() as session:
        placement = await get(session, principal, placement_id)
    job = Job(
        placement.id,
        placement.placement_url,
        placement.target_url,
        placement.expected_anchor_text,
    )
    return await _check_and_record(db, settings, job)


async def _check_and_record(db: Database, settings: Settings, job: Job) -> PlacementOut:
    async with Crawler(checker.crawler_settings(settings)) as crawler:
        result = await checker.check(crawler, job)
    async with db.write() as session:
        await record(session, [result], settings.link_check_interval_hours)
        placement = (
            await session.execute(select(Placement).where(Placement.id == job.placement_id))
        ).scalar_one_or_none()
    if placement is None:  # deleted (with its lead or campaign) while we were fetching
        raise NotFound()
    return to_out(placement)


async def record(
    session: AsyncSession,
    results: Sequence[tuple[Job, Outcome]],
    interval_hours: float,
    rng: random.Random | None = None,
) -> int:
    """Apply each outcome to its placement (read under its row lock) and report the lifecycle
    events; returns how many placements were updated (deleted ones are skipped)."""
    outcomes = {job.placement_id: outcome for job, outcome in results}
    updates: list[dict[str, Any]] = []
    events: list[lifecycle.Event] = []
    notices: list[tuple[str, str, dict[str, Any]]] = []
    columns = [_TABLE.c[name] for name in (*_STATE_COLUMNS, *_NOTICE_COLUMNS)]
    for chunk in in_batches(sorted(outcomes)):
        rows = await session.execute(
            select(*columns).where(_TABLE.c.id.in_(chunk)).order_by(_TABLE.c.id).with_for_update()
        )
        for row in rows.mappings():
            outcome = outcomes[row["id"]]
            next_at = state.next_check_at(outcome.at, interval_hours, rng)
            current = {name: row[name] for name in _STATE_COLUMNS}
            values, event = state.advance(current, outcome, next_at)
            updates.append({"b_id": row["id"], **{f"b_{k}": v for k, v in values.items()}})
            if event is not None:
                events.append(lifecycle.Event(event, row["lead_id"]))
                notices.append((row["workspace_id"], _LINK_EVENTS[event], _link_data(row)))
    by_shape: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for params in updates:
        by_shape.setdefault(tuple(sorted(params)), []).append(params)
    for shape, batch in by_shape.items():
        names = [key.removeprefix("b_") for key in shape if key != "b_id"]
        statement = (
            update(_TABLE)
            .where(_TABLE.c.id == bindparam("b_id"))
            .values({name: bindparam(f"b_{name}", type_=_TABLE.c[name].type) for name in names})
        )
        await session.execute(statement, batch)
    now = utcnow()
    await lifecycle.apply(session, events, now)
    await outbox.record_many(session, notices, now)
    return len(updates)


def _link_data(row: Any) -> dict[str, Any]:
    return {
        "placement_id": row["id"],
        "lead_id": row["lead_id"],
        "campaign_id": row["campaign_id"],
        "placement_url": row["placement_url"],
        "target_url": row["target_url"],
    }


async def get(session: AsyncSession, principal: Principal, placement_id: str) -> Placement:
    placement = (
        await session.execute(_PLACEMENT, lookup_params(principal, id=placement_id))
    ).scalar_one_or_none()
    if placement is None:
        raise NotFound()
    return placement


# The placement lists' order: oldest first, as every list without a `sort`.
BY_CREATED = pages.Keyset("created_at", Placement.created_at, Placement.id)


async def list_for_campaign(
    session: AsyncSession, principal: Principal, campaign_id: str, page: pages.Page
) -> list[Placement]:
    """The page's rows, one over its limit when more exist (see `pages.finish`)."""
    campaign = await get_campaign(session, principal, campaign_id)
    query = select(Placement).where(Placement.campaign_id == campaign.id)
    return list(await session.scalars(BY_CREATED.apply(query, page)))


async def list_for_workspace(
    session: AsyncSession,
    principal: Principal,
    status: PlacementStatus | None,
    page: pages.Page,
    *,
    nofollow: bool | None = None,
) -> list[Placement]:
    """The page's rows; `nofollow` narrows to links whose `rel` has nofollow, sponsored or
    ugc (True) or none of them (False), as the `nofollow_links` count reads them."""
    query = select(Placement).where(Placement.workspace_id == principal.workspace_id)
    if status is not None:
        query = query.where(Placement.status == status)
    if nofollow is not None:
        query = query.where(Placement.link_nofollow.is_(nofollow))
    return list(await session.scalars(BY_CREATED.apply(query, page)))
