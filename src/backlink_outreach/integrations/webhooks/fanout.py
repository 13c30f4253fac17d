"""The fan-out: an event's `webhook_deliveries`, one per endpoint it was recorded for.

`events.record` writes only the event, with the ids of the endpoints that subscribed then, so
the transaction of the change pays for one row whatever the number of endpoints. The delivery
duty fans events out before each claim, in one short transaction per batch:

1. the oldest events still to fan out (a partial index holds just those), locked `FOR UPDATE
   SKIP LOCKED` on PostgreSQL so that two workers take different ones (SQLite's writers queue
   anyway);
2. their `endpoint_ids` cleared, so no later pass fans them out again;
3. a pending delivery for each of their endpoints that still exists (a deleted endpoint's
   deliveries went with it), due at the event's time, so that deliveries go out in the order
   their changes happened.

A worker killed in the middle rolls it all back: the events are still to fan out, and none has
half its deliveries.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ...database import Database
from ...db import utcnow
from ...ids import new_id
from ...models import OutboxEvent, WebhookDelivery, WebhookEndpoint

# Events per transaction: a bulk change (10,000 leads) is fanned out in a few short ones.
BATCH = 1000

_EV = cast(Table, OutboxEvent.__table__)
_D = cast(Table, WebhookDelivery.__table__)
_E = cast(Table, WebhookEndpoint.__table__)

_WAITING = _EV.c.endpoint_ids.is_not(None)
_ANY = select(_EV.c.id).where(_WAITING).limit(1)
_TO_FAN_OUT = (
    select(_EV.c.id, _EV.c.endpoint_ids, _EV.c.created_at)
    .where(_WAITING)
    .order_by(_EV.c.id)
    .with_for_update(skip_locked=True)
)


async def fan_out(db: Database) -> int:
    """Make the deliveries of every event still to fan out; how many events were fanned out."""
    # A read first: most passes find nothing, and need not queue for the write lock to say so.
    async with db.read() as session:
        if (await session.execute(_ANY)).first() is None:
            return 0
    done = 0
    while True:
        async with db.write() as session:
            count = await fan_out_batch(session, utcnow())
        done += count
        if count < BATCH:
            return done


async def fan_out_batch(session: AsyncSession, now: datetime) -> int:
    events = (await session.execute(_TO_FAN_OUT.limit(BATCH))).all()
    if not events:
        return 0
    ids = [event.id for event in events]
    await session.execute(update(_EV).where(_EV.c.id.in_(ids)).values(endpoint_ids=None))
    wanted = {endpoint for event in events for endpoint in event.endpoint_ids.split()}
    existing = set(
        (await session.execute(select(_E.c.id).where(_E.c.id.in_(sorted(wanted))))).scalars()
    )
    deliveries = [
        delivery_row(event.id, endpoint, event.created_at, now)
        for event in events
        for endpoint in event.endpoint_ids.split()
        if endpoint in existing
    ]
    if deliveries:
        await session.execute(insert(_D), deliveries)
    return len(events)


def delivery_row(event_id: str, endpoint_id: str, due: datetime, now: datetime) -> dict[str, Any]:
    return {
        "id": new_id("whd"),
        "event_id": event_id,
        "endpoint_id": endpoint_id,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": due,
        "created_at": now,
        "updated_at": now,
    }
