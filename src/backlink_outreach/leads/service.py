"""Lead rules: one lead per registrable domain per campaign; bulk adds that never half-fail."""

from __future__ import annotations

from typing import Any, cast

from pydantic import ValidationError
from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ..auth import Principal
from ..db import in_batches, insert_for, utcnow
from ..errors import Conflict, NotFound
from ..ids import new_id
from ..integrations import lead_events
from ..models import Campaign, Lead, LeadStatus
from ..tenancy import in_workspaces, lookup_params
from . import bulk_insert, counts, lifecycle
from .schemas import BulkAddResult, BulkStatusResult, LeadCreate, LeadOut, LeadUpdate


def shared_columns(campaign: Campaign, now: Any) -> dict[str, Any]:
    """The columns every lead of one add has alike: read once per add, not once per row (each
    read of an ORM attribute is a descriptor call)."""
    return {
        "campaign_id": campaign.id,
        "workspace_id": campaign.workspace_id,
        "status": "discovered",
        "created_at": now,
        "updated_at": now,
    }


def new_row(shared: dict[str, Any], values: dict[str, Any], domain: str) -> dict[str, Any]:
    """The `leads` row (every column) of a lead's validated field values (every field of
    `LeadCreate`): for `bulk_insert.insert_new` and the single insert."""
    return {"id": new_id("lead"), "domain": domain, **shared, **values}


_LEADS_TABLE = cast(Table, Lead.__table__)
_OUT_COLUMNS = tuple(Lead.__table__.c[name] for name in LeadOut.model_fields)
_INSERT_ONE: dict[str, Any] = {}


def _insert_one(session: AsyncSession) -> Any:
    """Built once per backend: the insert hands back the stored lead, so no second query."""
    dialect = session.get_bind().dialect.name
    stmt = _INSERT_ONE.get(dialect)
    if stmt is None:
        stmt = _INSERT_ONE[dialect] = (
            insert_for(session, Lead.__table__)
            .on_conflict_do_nothing(index_elements=["campaign_id", "domain"])
            .returning(*_OUT_COLUMNS)
        )
    return stmt


def _lead_out(row: Any) -> LeadOut:
    return LeadOut.model_validate(dict(row._mapping))


async def add_lead(session: AsyncSession, campaign: Campaign, data: LeadCreate) -> LeadOut:
    domain = data.domain
    row = new_row(shared_columns(campaign, utcnow()), dict(data), domain)
    stored = (await session.execute(_insert_one(session), row)).first()
    if stored is None:
        raise Conflict(f"A lead for {domain} is already in this campaign.")
    await counts.count_added(session, campaign.id, 1)
    return _lead_out(stored)


def _error_text(exc: ValidationError) -> str:
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"]) or "entry"
    msg = str(err["msg"]).removeprefix("Value error, ")
    return f"{field}: {msg}"


def validate_entry(index: int, entry: Any) -> LeadCreate | str:
    """One entry of a bulk add (or one row of a CSV import) as a lead, or its `failed` string,
    which starts with the entry's index."""
    if not isinstance(entry, dict):
        return f"{index}: entry: must be an object"
    try:
        return LeadCreate.model_validate(entry)
    except ValidationError as exc:
        return f"{index}: {_error_text(exc)}"


def validate_values(index: int, entry: Any) -> tuple[dict[str, Any], str] | str:
    """`validate_entry` as the lead's field values and its domain, for `new_row`."""
    data = validate_entry(index, entry)
    if isinstance(data, str):
        return data
    return dict(data), data.domain


async def bulk_add(session: AsyncSession, campaign: Campaign, entries: list[Any]) -> BulkAddResult:
    """Valid entries are added even when others fail; `failed` strings start with the index."""
    failed: list[str] = []
    skipped = 0
    existing = set(
        (await session.scalars(select(Lead.domain).where(Lead.campaign_id == campaign.id))).all()
    )
    shared = shared_columns(campaign, utcnow())
    rows: list[dict[str, Any]] = []
    for index, entry in enumerate(entries):
        checked = validate_values(index, entry)
        if isinstance(checked, str):
            failed.append(checked)
            continue
        values, domain = checked
        if domain in existing:
            skipped += 1
            continue
        existing.add(domain)
        rows.append(new_row(shared, values, domain))
    added = await bulk_insert.insert_new(session, rows) if rows else 0
    await counts.count_added(session, campaign.id, added)
    skipped += len(rows) - added
    return BulkAddResult(added=added, skipped=skipped, failed=failed)


_LEAD = select(Lead).where(Lead.id == bindparam("id"), Lead.campaign_id == bindparam("campaign"))
# The lead's own copy of its campaign's workspace stands in for looking the campaign up first.
_SET_STATUS = (
    lifecycle.explicit_status_update()
    .where(
        Lead.id == bindparam("lead"),
        Lead.campaign_id == bindparam("campaign"),
        in_workspaces(Lead.workspace_id),
    )
    .returning(*_OUT_COLUMNS)
)


async def get_lead(session: AsyncSession, campaign: Campaign, lead_id: str) -> Lead:
    if "\x00" in lead_id:  # names no lead; PostgreSQL would refuse it in the query
        raise NotFound()
    params = {"id": lead_id, "campaign": campaign.id}
    lead = (await session.execute(_LEAD, params)).scalar_one_or_none()
    if lead is None:
        raise NotFound()
    return lead


async def set_status(
    session: AsyncSession,
    principal: Principal,
    campaign_id: str,
    lead_id: str,
    status: LeadStatus,
) -> LeadOut:
    """One guarded UPDATE (404 when the campaign, or the lead in it, is not the caller's), then
    the lifecycle stops the lead's steps when the status ends its sequence."""
    now = utcnow()
    params = {
        **lookup_params(principal, lead=lead_id, campaign=campaign_id),
        "new_status": status,
        "now": now,
    }
    # The webhook event first: it reads the status this UPDATE replaces (narrowed as it is).
    caller_owns = (
        Lead.campaign_id == campaign_id,
        Lead.workspace_id.in_(sorted(principal.workspaces)),
    )
    await lead_events.record_status_set(session, [lead_id], status, now, caller_owns)
    stored = (await session.execute(_SET_STATUS, params)).first()
    if stored is None:
        raise NotFound()
    await lifecycle.status_was_set(session, [lead_id], status, now)
    return _lead_out(stored)


async def bulk_set_status(
    session: AsyncSession, campaign: Campaign, lead_ids: list[str], status: LeadStatus
) -> BulkStatusResult:
    """`updated` counts this campaign's leads named (also those already in that status)."""
    wanted = list(dict.fromkeys(lead_ids))
    found: set[str] = set()
    explicit = lifecycle.explicit_status_update()
    now = utcnow()
    params = {"new_status": status, "now": now}
    await lead_events.record_status_set(
        session, wanted, status, now, (Lead.campaign_id == campaign.id,)
    )
    for chunk in in_batches(wanted):
        result = await session.execute(
            explicit.where(Lead.campaign_id == campaign.id, Lead.id.in_(chunk)).returning(Lead.id),
            params,
        )
        found.update(result.scalars().all())
    await lifecycle.status_was_set(session, sorted(found), status, now)
    failed = [lead_id for lead_id in wanted if lead_id not in found]
    return BulkStatusResult(updated=len(found), failed=failed)


async def update_lead(
    session: AsyncSession, campaign: Campaign, lead_id: str, data: LeadUpdate
) -> LeadOut:
    """`PATCH .../leads/{lead_id}`: only the fields sent change. A new `website_url`
    re-derives `domain`; 409 when another lead of the campaign has that domain (the unique
    index decides, so two edits racing to the same domain cannot both win)."""
    changes: dict[str, Any] = data.model_dump(exclude_unset=True)
    lead = await get_lead(session, campaign, lead_id)
    domain = data.domain if "website_url" in changes else lead.domain
    changes.update(domain=domain, updated_at=utcnow())
    statement = (
        update(_LEADS_TABLE)
        .where(_LEADS_TABLE.c.id == lead.id)
        .values(changes)
        .returning(*_OUT_COLUMNS)
    )
    if domain == lead.domain:
        stored = (await session.execute(statement)).first()
    else:
        try:
            # A savepoint: on PostgreSQL a failed statement would abort the whole transaction.
            async with session.begin_nested():
                stored = (await session.execute(statement)).first()
        except IntegrityError:
            raise Conflict(f"A lead for {domain} is already in this campaign.") from None
    if stored is None:  # deleted meanwhile
        raise NotFound()
    return _lead_out(stored)


async def delete_lead(session: AsyncSession, campaign: Campaign, lead_id: str) -> None:
    """`DELETE .../leads/{lead_id}`: its follow-ups, sequence steps, replies and placement go
    with it (foreign-key cascades). Its attempts stay, pointing at nothing: policy counts them
    (caps, the duplicate window, the recontact cool-down)."""
    if "\x00" in lead_id:  # names no lead; PostgreSQL would refuse it in the query
        raise NotFound()
    removed = await session.execute(
        delete(_LEADS_TABLE)
        .where(_LEADS_TABLE.c.id == lead_id, _LEADS_TABLE.c.campaign_id == campaign.id)
        .returning(_LEADS_TABLE.c.id)
    )
    if removed.first() is None:
        raise NotFound()
    await counts.count_removed(session, campaign.id, 1)
