"""The worker duty that re-checks due placements.

A pass claims up to LINK_CHECK_BATCH due placements (`FOR UPDATE SKIP LOCKED` on PostgreSQL,
so workers side by side take different rows) and moves their `next_check_at` forward by a
lease, so a worker that dies mid-pass leaves them due again later rather than never. The pages
are fetched outside any transaction by one crawler (per-host and overall limits, one robots.txt
fetch per site per pass); outcomes are recorded in batches as they arrive, each with its
next due time (`LINK_CHECK_INTERVAL_HOURS`, jitter of at most 10 %).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import structlog
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..config import Settings
from ..database import Database
from ..db import in_batches, utcnow
from ..discovery.crawler import Crawler
from ..models import Placement
from . import checker, service
from .checker import Job, Outcome

log = structlog.get_logger(__name__)

LEASE = timedelta(hours=1)
RECORD_EVERY = 200  # outcomes per recording transaction


async def claim_due(session: AsyncSession, now: datetime, limit: int) -> list[Job]:
    due = (
        await session.execute(
            select(Placement.id)
            .where(Placement.next_check_at <= now)
            .order_by(Placement.next_check_at, Placement.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).scalars()
    jobs: list[Job] = []
    for chunk in in_batches(list(due)):
        rows = await session.execute(
            update(Placement)
            .where(Placement.id.in_(chunk))
            .values(next_check_at=now + LEASE)
            .returning(
                Placement.id,
                Placement.placement_url,
                Placement.target_url,
                Placement.expected_anchor_text,
            )
        )
        jobs += [Job(*row) for row in rows]
    return jobs


async def recheck_due(db: Database, settings: Settings) -> int:
    """Check every due placement (up to a batch); returns how many were checked."""
    async with db.write() as session:
        jobs = await claim_due(session, utcnow(), settings.link_check_batch)
    if not jobs:
        return 0
    recorded = 0
    pending: list[tuple[Job, Outcome]] = []
    async with Crawler(checker.crawler_settings(settings)) as crawler:
        for next_done in asyncio.as_completed([checker.check(crawler, job) for job in jobs]):
            pending.append(await next_done)
            if len(pending) >= RECORD_EVERY:
                recorded += await _record(db, settings, pending)
                pending = []
    if pending:
        recorded += await _record(db, settings, pending)
    log.info("placements_checked", checked=recorded)
    return recorded


async def _record(db: Database, settings: Settings, results: list[tuple[Job, Outcome]]) -> int:
    async with db.write() as session:
        return await service.record(session, results, settings.link_check_interval_hours)
