"""The suppression list: addresses (and `*@domain` entries) a workspace must never email."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Exists, Select, bindparam, delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from .. import pages
from ..auth import Principal
from ..db import insert_for, utcnow
from ..domains import InvalidValue, looks_like_host, normalize_suppression_entry
from ..errors import NotFound, Unprocessable
from ..ids import new_id
from ..models import Suppression
from ..tenancy import in_workspaces, lookup_params
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
    value = data.email.strip().lower()
    if "@" not in value and looks_like_host(value):
        raise Unprocessable(
            f"{value} is a domain, not an address: to suppress every address at it, add *@{value}",
            "value_error",
            ["body", "email"],
        )
    try:
        entry = normalize_suppression_entry(data.email)
    except InvalidValue as exc:
        raise Unprocessable(str(exc), "value_error", ["body", "email"]) from None
    record = await suppress(session, principal.workspace_id, entry, reason=data.reason)
    return SuppressionOut.model_validate(record)


BY_CREATED = pages.Keyset("created_at", Suppression.created_at, Suppression.id)


def list_statement(
    principal: Principal, q: str | None = None, source: SuppressionSource | None = None
) -> Select[Suppression]:
    """The current workspace's entries; `q` a substring of the entry (entries are stored
    lowercased, so it is case-blind), `source` one of the sources; pages by `BY_CREATED`."""
    statement = select(Suppression).where(Suppression.workspace_id == principal.workspace_id)
    if q:
        statement = statement.where(Suppression.email.contains(q.lower(), autoescape=True))
    if source is not None:
        statement = statement.where(Suppression.source == source)
    return statement


async def list_entries(
    session: AsyncSession,
    principal: Principal,
    page: pages.Page = pages.Page(None, None),
    *,
    q: str | None = None,
    source: SuppressionSource | None = None,
) -> list[Suppression]:
    """One page of entries, with the row past the limit that `pages.finish` looks for."""
    statement = BY_CREATED.apply(list_statement(principal, q, source), page)
    return list(await session.scalars(statement))


_ENTRY = select(Suppression).where(
    Suppression.id == bindparam("id"), in_workspaces(Suppression.workspace_id)
)


async def remove(session: AsyncSession, principal: Principal, entry_id: str) -> None:
    """Delete an entry of one of the caller's workspaces; 404 for anyone else's. The address
    may be mailed again (policy reads the list at each send)."""
    found = (
        await session.execute(_ENTRY, lookup_params(principal, id=entry_id))
    ).scalar_one_or_none()
    if found is None:
        raise NotFound()
    await session.execute(delete(Suppression).where(Suppression.id == found.id))


HASHED_PREFIX = "sha256:"


def hashed(address: str) -> str:
    """The entry an erased address leaves (`privacy/`): `sha256:<hex>` of the normalised
    address, so it is never mailed again and cannot be read back from the list."""
    return HASHED_PREFIX + hashlib.sha256(address.encode("utf-8")).hexdigest()


def listed(workspace_id: Any, address: Any, any_at_domain: Any, address_hash: Any) -> Exists:
    """The suppression rule, in one place: the address itself, its `hashed` form (an erased
    address), or `*@` its exact domain, is on the workspace's list. Arguments may be values or
    bind parameters (prebuilt statements); the hash is computed by the caller, so the check
    stays one index probe of (workspace_id, email)."""
    return exists().where(
        Suppression.workspace_id == workspace_id,
        Suppression.email.in_([address, any_at_domain, address_hash]),
    )
