"""The events of the lead lifecycle (`leads/lifecycle.apply` calls this, in its transaction,
before it changes anything): `lead.status_changed` for each lead whose status the batch
changes, `bounce.received` for each hard-bounced address, `unsubscribe` for each unsubscribed
one.

The lifecycle is set-based and never reads the leads; so that it stays that way for workspaces
without webhooks, one query finds the leads' workspaces together with their enabled endpoints.
Only when an endpoint subscribes to `lead.status_changed` are the leads read (locked, so the
status read is the one the lifecycle's UPDATE changes) and their new status worked out from the
lifecycle's plan: `ends[i]` is where a lead in `LEAD_STATUSES[i]` ends up.

A small batch (a send, a reply: one lead) reads its rows in that same query instead: a second
round trip cost more than reading a few rows nobody may need (measured on the send path: about
0.7 ms on aiosqlite).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy import Table, and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..db import in_batches
from ..leads.schemas import LeadOut
from ..models import LEAD_STATUSES, Lead, LeadStatus, WebhookEndpoint
from . import events

LEAD_CHANGED = "lead.status_changed"
_LEADS = cast(Table, Lead.__table__)
_ENDPOINTS = cast(Table, WebhookEndpoint.__table__)
_OUT_COLUMNS = tuple(_LEADS.c[name] for name in LeadOut.model_fields)
# Up to this many leads, their rows come with the endpoints (see the module's docstring).
READ_WITH_ENDPOINTS = 20


@dataclass(frozen=True)
class AddressNotice:
    """An address that hard-bounced or unsubscribed, and the leads of the batch that have it."""

    type: Literal["bounce.received", "unsubscribe"]
    workspace_id: str
    email: str
    source: str
    reason: str
    lead_ids: tuple[str, ...]

    def data(self) -> dict[str, Any]:
        return {
            "workspace_id": self.workspace_id,
            "email": self.email,
            "source": self.source,
            "reason": self.reason,
            "lead_ids": list(self.lead_ids),
        }


def _among(column: Any, chunk: Sequence[str]) -> Any:
    return column == chunk[0] if len(chunk) == 1 else column.in_(chunk)


def _endpoints_joined() -> Any:
    """The leads, each with its workspace's enabled endpoints (a row per endpoint, or one with
    NULLs when there is none)."""
    return _LEADS.outerjoin(
        _ENDPOINTS,
        and_(
            _ENDPOINTS.c.workspace_id == _LEADS.c.workspace_id,
            _ENDPOINTS.c.status == "enabled",
        ),
    )


def _add_endpoint(
    found: events.Subscribers, workspace_id: str, endpoint_id: str | None, types: Any
) -> None:
    endpoints = found.setdefault(workspace_id, [])
    if endpoint_id is not None and all(e != endpoint_id for e, _ in endpoints):
        endpoints.append((endpoint_id, frozenset(types or ())))


async def _endpoints_of_leads(
    session: AsyncSession, lead_ids: list[str], where: Sequence[Any] = ()
) -> set[str]:
    """The workspaces of the leads (and, remembered for the transaction, their endpoints)."""
    workspaces: set[str] = set()
    found: events.Subscribers = {}
    for chunk in in_batches(lead_ids):
        rows = await session.execute(
            select(_LEADS.c.workspace_id, _ENDPOINTS.c.id, _ENDPOINTS.c.events)
            .select_from(_endpoints_joined())
            .where(_among(_LEADS.c.id, chunk), *where)
        )
        for workspace_id, endpoint_id, types in rows:
            workspaces.add(workspace_id)
            _add_endpoint(found, workspace_id, endpoint_id, types)
    events.remember(session, found)
    return workspaces


async def _read_with_endpoints(
    session: AsyncSession,
    lead_ids: list[str],
    ends: Mapping[str, Sequence[LeadStatus]],
    now: datetime,
    where: Sequence[Any],
) -> list[tuple[str, str, events.Data]]:
    """A small batch's changes: its leads (locked) and their endpoints in one query."""
    rows = await session.execute(
        select(
            *_OUT_COLUMNS,
            _LEADS.c.workspace_id,
            _ENDPOINTS.c.id.label("endpoint_id"),
            _ENDPOINTS.c.events.label("endpoint_events"),
        )
        .select_from(_endpoints_joined())
        .where(_among(_LEADS.c.id, lead_ids), *where)
        .order_by(_LEADS.c.id)
        .with_for_update(of=_LEADS)
    )
    found: events.Subscribers = {}
    leads: dict[str, tuple[str, dict[str, Any]]] = {}  # a row per endpoint: each lead once
    for row in rows:
        values = dict(row._mapping)
        workspace_id = values.pop("workspace_id")
        _add_endpoint(found, workspace_id, values.pop("endpoint_id"), values.pop("endpoint_events"))
        leads.setdefault(values["id"], (workspace_id, values))
    events.remember(session, found)
    items: list[tuple[str, str, events.Data]] = []
    for workspace_id, values in leads.values():
        if events.subscribed(found, workspace_id, LEAD_CHANGED):
            item = _change(workspace_id, values, ends, now)
            if item is not None:
                items.append(item)
    return items


async def record_lead_changes(
    session: AsyncSession,
    ends: Mapping[str, Sequence[LeadStatus]],
    notices: Sequence[AddressNotice],
    now: datetime,
    where: Sequence[Any] = (),
) -> None:
    """`where`: further conditions on the leads (a caller whose own UPDATE is narrowed to a
    campaign and the caller's workspaces passes the same, so no other lead is read)."""
    items: list[tuple[str, str, events.Data]] = []
    if 0 < len(ends) <= READ_WITH_ENDPOINTS:
        items += await _read_with_endpoints(session, sorted(ends), ends, now, where)
    elif ends:
        lead_ids = sorted(ends)
        workspaces = await _endpoints_of_leads(session, lead_ids, where)
        known = events.known(session)
        wanted = sorted(w for w in workspaces if events.subscribed(known, w, LEAD_CHANGED))
        if wanted:
            items += await _status_changes(session, lead_ids, wanted, ends, now, where)
    items += [(n.workspace_id, n.type, n.data()) for n in notices]
    await events.record_many(session, items, now)


async def record_status_set(
    session: AsyncSession,
    lead_ids: Sequence[str],
    status: LeadStatus,
    now: datetime,
    where: Sequence[Any] = (),
) -> None:
    """A user's explicit status change (the status PATCH, bulk-status): `lead.status_changed`
    for each lead not already in `status`. Called before the caller's UPDATE, in its
    transaction, so the status read (locked) is the one the UPDATE replaces."""
    every_status_to = (status,) * len(LEAD_STATUSES)
    ends = {lead_id: every_status_to for lead_id in lead_ids}
    await record_lead_changes(session, ends, [], now, where)


async def _status_changes(
    session: AsyncSession,
    lead_ids: list[str],
    workspaces: list[str],
    ends: Mapping[str, Sequence[LeadStatus]],
    now: datetime,
    where: Sequence[Any] = (),
) -> list[tuple[str, str, events.Data]]:
    items: list[tuple[str, str, events.Data]] = []
    for chunk in in_batches(lead_ids):
        rows = await session.execute(
            select(*_OUT_COLUMNS, _LEADS.c.workspace_id)
            .where(_among(_LEADS.c.id, chunk), _LEADS.c.workspace_id.in_(workspaces), *where)
            .order_by(_LEADS.c.id)
            .with_for_update()
        )
        for row in rows:
            values = dict(row._mapping)
            item = _change(values.pop("workspace_id"), values, ends, now)
            if item is not None:
                items.append(item)
    return items


def _change(
    workspace_id: str,
    values: dict[str, Any],
    ends: Mapping[str, Sequence[LeadStatus]],
    now: datetime,
) -> tuple[str, str, events.Data] | None:
    """The `lead.status_changed` event of a lead row (its `LeadOut` columns), or None when the
    plan leaves its status as it is."""
    old: LeadStatus = values["status"]
    new = ends[values["id"]][LEAD_STATUSES.index(old)]
    if new == old:
        return None
    # The row's `LeadOut` columns are the lead as the API returns it (our own values, of the
    # schema's types: not re-validated, see `payloads.attempt`); `events.body` writes them.
    values.update(status=new, updated_at=now, previous_status=old)
    return (workspace_id, LEAD_CHANGED, values)
