"""The suppression list: addresses (and `*@domain` entries) a workspace must never email."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Exists, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..auth import Principal
from ..db import insert_for, utcnow
from ..domains import InvalidValue, email_domain, normalize_suppression_entry
from ..errors import Unprocessable
from ..ids import new_id
from ..models import Suppression
from .schemas import SuppressionCreate, SuppressionOut


async def suppress(
    session: AsyncSession,
    workspace_id: str,
    entry: str,
    *,
    source: str = "manual",
    reason: str | None = None,
) -> Suppression:
    """Add an entry (already normalised), or return the one that exists. Safe under races."""
    await session.execute(
        insert_for(session, Suppression)
        .values(
            id=new_id("sup"),
            workspace_id=workspace_id,
            email=entry,
            reason=reason,
            source=source,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["workspace_id", "email"])
    )
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


async def is_suppressed(session: AsyncSession, workspace_id: str, address: str) -> bool:
    address = address.lower()
    hit = await session.scalar(select(listed(workspace_id, address, "*@" + email_domain(address))))
    return bool(hit)
