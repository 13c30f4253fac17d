"""The suppression list: addresses (and `*@domain` entries) a workspace must never email."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Exists, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..auth import Principal
from ..db import insert_for, utcnow
from ..domains import InvalidValue, normalize_suppression_entry
from ..errors import Unprocessable
from ..ids import new_id
from ..models import Suppression
from .schemas import SuppressionCreate, SuppressionOut, SuppressionSource


@dataclass(frozen=True)
class Entry:
    workspace_id: str
    email: str  # already normalised
    source: SuppressionSource
    reason: str | None


async def insert_entries(session: AsyncSession, entries: list[Entry], now: datetime) -> None:
    """Add entries in one statement; an address already listed keeps its first entry. Safe
    under races (ON CONFLICT DO NOTHING)."""
    await session.execute(
        insert_for(session, Suppression)
        .values(
            [
                {
                    "id": new_id("sup"),
                    "workspace_id": e.workspace_id,
                    "email": e.email,
                    "reason": e.reason,
                    "source": e.source,
                    "created_at": now,
                }
                for e in entries
            ]
        )
        .on_conflict_do_nothing(index_elements=["workspace_id", "email"])
    )


async def suppress(
    session: AsyncSession,
    workspace_id: str,
    entry: str,
    *,
    source: SuppressionSource = "manual",
    reason: str | None = None,
) -> Suppression:
    """Add an entry (already normalised), or return the one that exists."""
    await insert_entries(session, [Entry(workspace_id, entry, source, reason)], utcnow())
    return (
        await session.execute(
            select(Suppression)
            .where(Suppression.workspace_id == workspace_id, Suppression.email == entry)
            .execution_options(populate_existing=True)
        )
    ).scalar_one()


async def add(
    session: AsyncSession, principal: Principal, data: SuppressionCreate
) -> SuppressionOut:
    try:
        entry = normalize_suppression_entry(data.email)
    except InvalidValue as exc:
        raise Unprocessable(str(exc), "value_error", ["body", "email"]) from None
    record = await suppress(session, principal.workspace_id, entry, reason=data.reason)
    return SuppressionOut.model_validate(record)


async def list_entries(session: AsyncSession, principal: Principal) -> list[SuppressionOut]:
    rows = await session.scalars(
        select(Suppression)
        .where(Suppression.workspace_id == principal.workspace_id)
        .order_by(Suppression.created_at, Suppression.id)
    )
    return [SuppressionOut.model_validate(r) for r in rows]


def listed(workspace_id: Any, address: Any, any_at_domain: Any) -> Exists:
    """The suppression rule, in one place: the address itself, or `*@` its exact domain, is on
    the workspace's list. Arguments may be values or bind parameters (prebuilt statements)."""
    return exists().where(
        Suppression.workspace_id == workspace_id,
        Suppression.email.in_([address, any_at_domain]),
    )
