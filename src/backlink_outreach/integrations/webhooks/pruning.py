"""Pruning the outbox: the `events` (with their `webhook_deliveries`) and the delivery log
(`webhook_attempts`) do not grow for ever.

After `WEBHOOK_RETENTION_DAYS` (30) an event goes once no enabled endpoint still waits for it:
fanned out (`fanout.py`), and every delivery delivered or given up, or still pending only for an
endpoint that is disabled (re-enabled a month later, it starts from new events rather than a
month's backlog). Attempts older than that go too, so `GET /webhooks/{id}/deliveries` shows
the last 30 days.

Ids are time-ordered (`ids.py`: the first 13 hex digits are microseconds), so "older than the
cutoff" is a range of the primary key: no other index is needed, and each batch is a short
transaction of its own so pruning never holds locks that sends or deliveries wait on.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from ...config import Settings
from ...database import Database
from ...db import utcnow
from ...models import OutboxEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint

BATCH = 1000
# One duty call removes at most this many batches of each table, then lets the other duties run.
MAX_BATCHES = 20
# A process looks for prunable rows at most this often: there is nothing new to prune each pass.
EVERY_SECONDS = 600.0

_EV = cast(Table, OutboxEvent.__table__)
_D = cast(Table, WebhookDelivery.__table__)
_E = cast(Table, WebhookEndpoint.__table__)
_ATTEMPTS = cast(Table, WebhookAttempt.__table__)

_last_run: float | None = None


def id_bound(prefix: str, cutoff: datetime) -> str:
    """The smallest id `new_id(prefix)` could have made at `cutoff`: every id below is older."""
    micros = int(cutoff.timestamp() * 1_000_000)
    return f"{prefix}_{micros:013x}"


async def prune_due(db: Database, settings: Settings) -> int:
    """The duty: `prune` at most every `EVERY_SECONDS` in a process; rows removed."""
    global _last_run
    now = time.monotonic()
    if _last_run is not None and now - _last_run < EVERY_SECONDS:
        return 0
    _last_run = now
    return await prune(db, settings, utcnow())


async def prune(db: Database, settings: Settings, now: datetime) -> int:
    cutoff = now - timedelta(days=settings.webhook_retention_days)
    removed = 0
    for _ in range(MAX_BATCHES):
        async with db.write() as session:
            done = await _prune_events(session, id_bound("evt", cutoff))
        removed += done
        if done < BATCH:
            break
    for _ in range(MAX_BATCHES):
        async with db.write() as session:
            done = await _prune_attempts(session, id_bound("wha", cutoff))
        removed += done
        if done < BATCH:
            break
    return removed


async def _prune_events(session: AsyncSession, bound: str) -> int:
    awaited = exists().where(
        _D.c.event_id == _EV.c.id,
        _D.c.status == "pending",
        _E.c.id == _D.c.endpoint_id,
        _E.c.status == "enabled",
    )
    ids = list(
        (
            await session.execute(
                select(_EV.c.id)
                .where(_EV.c.id < bound, _EV.c.endpoint_ids.is_(None), ~awaited)
                .order_by(_EV.c.id)
                .limit(BATCH)
            )
        ).scalars()
    )
    if not ids:
        return 0
    # Deliveries first: the foreign key cascades too, but this does not rely on it.
    await session.execute(delete(_D).where(_D.c.event_id.in_(ids)))
    await session.execute(delete(_EV).where(_EV.c.id.in_(ids)))
    return len(ids)


async def _prune_attempts(session: AsyncSession, bound: str) -> int:
    oldest: Any = (
        select(_ATTEMPTS.c.id).where(_ATTEMPTS.c.id < bound).order_by(_ATTEMPTS.c.id).limit(BATCH)
    )
    ids = list((await session.execute(oldest)).scalars())
    if not ids:
        return 0
    await session.execute(delete(_ATTEMPTS).where(_ATTEMPTS.c.id.in_(ids)))
    return len(ids)
