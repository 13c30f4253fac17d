"""The transactional outbox: `record` writes an event in the caller's transaction.

Every change that others may want to hear about calls `record` (or `record_many`) inside the
transaction that makes the change, so the event exists exactly when the change does: a rollback
takes both, a commit keeps both, and a kill at any later point loses nothing (the delivery duty,
`webhooks/delivery.py`, sends it afterwards, at least once).

An event is written only when an enabled endpoint of the workspace subscribes to its type: one
`events` row, holding the body every delivery sends (fixed now, so retries send the same bytes)
and the ids of the endpoints that subscribe. Their `webhook_deliveries` rows are made later by
the delivery duty's fan-out (`webhooks/fanout.py`), so a change's transaction writes one row per
event whatever the number of endpoints. Which endpoints a workspace has is read once per
transaction (remembered on the session for that transaction only, never across transactions,
so a new or disabled endpoint counts from the next transaction on).

`data` may be a mapping or a callable that makes one: the callable runs only when someone
subscribes, so callers on hot paths (a send) pay for no serialization otherwise.

`batch(session)` gathers what is recorded inside it into one INSERT, written when the block
ends: a send records `lead.status_changed` and `send.sent` (and a refusal its bounce) in
different modules, and each INSERT is a round trip. The INSERT goes to the driver in one call
(`rows.DriverInsert`: on aiosqlite one thread hop, where SQLAlchemy's execution takes three).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final, cast, get_args

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..ids import new_id
from ..models import OutboxEvent, WebhookEndpoint
from ..rows import DriverInsert
from .schemas import EventType

# Every event type API.md names, in its order (the schemas' `EventType`).
EVENT_TYPES: Final = get_args(EventType)
TEST_EVENT: Final = "webhook.test"

Data = Mapping[str, Any] | Callable[[], Mapping[str, Any]]
# workspace -> its enabled endpoints, each (id, the event types it subscribes to)
Subscribers = dict[str, list[tuple[str, frozenset[str]]]]

_CACHE_KEY = "backlink_outreach.integrations.subscribers"
_BATCH_KEY = "backlink_outreach.integrations.batch"
_EVENTS = cast(Table, OutboxEvent.__table__)
_ENDPOINTS = cast(Table, WebhookEndpoint.__table__)
_INSERT_EVENTS = DriverInsert(_EVENTS)


def timestamp(now: datetime) -> str:
    """ISO 8601 UTC, as the API writes times."""
    return now.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return timestamp(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


# Built once: `json.dumps` with these options builds an encoder per call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=_json_default)


def body(type_: str, now: datetime, data: Mapping[str, Any]) -> str:
    """The webhook body, `{type, timestamp, data}`, compact JSON."""
    return _ENCODER.encode({"type": type_, "timestamp": timestamp(now), "data": data})


def _cache(session: AsyncSession) -> Subscribers:
    transaction = session.sync_session.get_transaction()
    entry = session.info.get(_CACHE_KEY)
    if entry is None or entry[0] is not transaction:
        entry = (transaction, {})
        session.info[_CACHE_KEY] = entry
    result: Subscribers = entry[1]
    return result


def remember(session: AsyncSession, found: Subscribers) -> None:
    """Endpoints read by a caller's own query (see `lead_events`), for this transaction."""
    _cache(session).update(found)


def known(session: AsyncSession) -> Subscribers:
    return _cache(session)


async def subscribers(session: AsyncSession, workspace_ids: Iterable[str]) -> Subscribers:
    """The enabled endpoints of each workspace, read at most once per transaction."""
    cache = _cache(session)
    missing = sorted({w for w in workspace_ids if w not in cache})
    if missing:
        where = (
            _ENDPOINTS.c.workspace_id == missing[0]
            if len(missing) == 1
            else _ENDPOINTS.c.workspace_id.in_(missing)
        )
        rows = await session.execute(
            select(_ENDPOINTS.c.workspace_id, _ENDPOINTS.c.id, _ENDPOINTS.c.events).where(
                where, _ENDPOINTS.c.status == "enabled"
            )
        )
        found: Subscribers = {w: [] for w in missing}
        for workspace_id, endpoint_id, types in rows:
            found[workspace_id].append((endpoint_id, frozenset(types or ())))
        cache.update(found)
    return cache


def subscribed(found: Subscribers, workspace_id: str, type_: str) -> list[str]:
    return [endpoint for endpoint, types in found.get(workspace_id, ()) if type_ in types]


async def record(
    session: AsyncSession, workspace_id: str, type_: str, data: Data, now: datetime
) -> str | None:
    """Write one event in the session's transaction; its id, or None when no endpoint of the
    workspace subscribes to `type_` (then nothing is written)."""
    return (await record_many(session, [(workspace_id, type_, data)], now))[0]


async def record_many(
    session: AsyncSession, items: Sequence[tuple[str, str, Data]], now: datetime
) -> list[str | None]:
    """`record` for many events at once: one INSERT whatever the count (inside `batch`, none
    until it ends)."""
    if not items:
        return []
    found = await subscribers(session, (workspace_id for workspace_id, _, _ in items))
    ids: list[str | None] = []
    pending: list[dict[str, Any]] | None = session.info.get(_BATCH_KEY)
    events = pending if pending is not None else []
    for workspace_id, type_, data in items:
        targets = subscribed(found, workspace_id, type_)
        if not targets:
            ids.append(None)
            continue
        event_id = new_id("evt")
        values = data() if callable(data) else data
        events.append(
            {
                "id": event_id,
                "workspace_id": workspace_id,
                "type": type_,
                "payload": body(type_, now, values),
                "endpoint_ids": " ".join(targets),
                "created_at": now,
            }
        )
        ids.append(event_id)
    if pending is None:
        await _write(session, events)
    return ids


@contextlib.asynccontextmanager
async def batch(session: AsyncSession) -> AsyncIterator[None]:
    """Events recorded inside the block are written together when it ends, in the order they
    were recorded. An exception in the block writes none of them (they describe work that
    failed with it); inside another batch, the outer one writes them."""
    if _BATCH_KEY in session.info:
        yield
        return
    pending: list[dict[str, Any]] = []
    session.info[_BATCH_KEY] = pending
    try:
        yield
    finally:
        del session.info[_BATCH_KEY]
    await _write(session, pending)


async def _write(session: AsyncSession, events: list[dict[str, Any]]) -> None:
    if events:
        await _INSERT_EVENTS.execute(await session.connection(), events)
