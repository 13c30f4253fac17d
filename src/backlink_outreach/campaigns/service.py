"""Campaign rules and queries. Every lookup is scoped to the caller's workspaces."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from .. import pages
from ..auth import Principal
from ..db import utcnow
from ..errors import NotFound
from ..ids import new_id
from ..leads.counts import LEAD_COUNT
from ..leads.schemas import LeadOut, LeadRow
from ..models import DEFAULT_MAILBOX_ID, Campaign, Lead, Mailbox
from ..rows import RowQuery
from ..sequences import steps, windows
from ..sequences.schemas import SendWindow
from ..tenancy import in_workspaces, lookup_params
from .schemas import CampaignCreate, CampaignOut, CampaignUpdate


async def create_campaign(
    session: AsyncSession, principal: Principal, data: CampaignCreate
) -> CampaignOut:
    await _check_mailboxes(session, principal.workspace_id, data.mailbox_ids)
    await steps.check_templates(session, principal.workspace_id, data.sequence)
    now = utcnow()
    campaign = Campaign(
        id=new_id("cmp"),
        workspace_id=principal.workspace_id,
        name=data.name,
        description=data.description,
        keywords=data.keywords,
        follow_up_days=data.follow_up_days,
        mailbox_ids=data.mailbox_ids,
        status=data.status or "active",
        timezone=data.timezone or "UTC",
        send_window=_stored(data.send_window),
        sequence=steps.stored(data.sequence),
        created_at=now,
        updated_at=now,
    )
    session.add(campaign)
    await session.flush()
    return _out(campaign, 0)


def _stored(window: SendWindow | None) -> dict[str, Any] | None:
    return None if window is None else window.model_dump(mode="json")


def _out(campaign: Campaign, lead_count: int) -> CampaignOut:
    values = {name: getattr(campaign, name) for name in _CAMPAIGN_FIELDS if name != "lead_count"}
    return CampaignOut.model_validate(_shown({**values, "lead_count": lead_count}))


def _shown(values: dict[str, Any]) -> dict[str, Any]:
    """A campaign row as the API shows it: the default window written out."""
    if values.get("send_window") is None:
        values["send_window"] = dict(windows.DEFAULT_WINDOW)
    return values


async def update_campaign(
    session: AsyncSession, principal: Principal, campaign_id: str, data: CampaignUpdate
) -> CampaignOut:
    """`PATCH /campaigns/{id}`. The campaign row is locked first: on PostgreSQL a worker that
    is reserving one of its messages holds it shared, so a pause answers only after every such
    reservation has committed, and no reservation begun after it sees `active`. Resuming moves
    the overdue steps into the next window."""
    campaign = await get_campaign(session, principal, campaign_id, for_update=True)
    changes = {
        name: value
        for name, value in data.model_dump(exclude_unset=True).items()
        if value is not None or name in CampaignUpdate.CLEARABLE
    }
    if "mailbox_ids" in changes:
        await _check_mailboxes(session, campaign.workspace_id, changes["mailbox_ids"])
    if "sequence" in changes:
        await steps.check_templates(session, campaign.workspace_id, data.sequence)
        changes["sequence"] = steps.stored(data.sequence)
    if "send_window" in changes:
        changes["send_window"] = _stored(data.send_window)
    resumed = campaign.status == "paused" and changes.get("status") == "active"
    now = utcnow()
    for name, value in changes.items():
        setattr(campaign, name, value)
    campaign.updated_at = now
    await session.flush()
    if resumed:
        await steps.resume(session, campaign, now)
    count = await session.scalar(
        select(LEAD_COUNT).select_from(Campaign).where(Campaign.id == campaign.id)
    )
    return _out(campaign, int(count or 0))


async def _check_mailboxes(session: AsyncSession, workspace_id: str, ids: list[str]) -> None:
    """Every mailbox named is `mbx_default` or one of the workspace's own: 404 otherwise."""
    wanted = [i for i in ids if i != DEFAULT_MAILBOX_ID]
    if not wanted:
        return
    found = set(
        await session.scalars(
            select(Mailbox.id).where(Mailbox.id.in_(wanted), Mailbox.workspace_id == workspace_id)
        )
    )
    if any(i != DEFAULT_MAILBOX_ID and i not in found for i in ids):
        raise NotFound()  # another workspace's mailbox, or none at all


# Built once: every request on a campaign's resources starts here.
_CAMPAIGN = select(Campaign).where(
    Campaign.id == bindparam("id"), in_workspaces(Campaign.workspace_id)
)


async def get_campaign(
    session: AsyncSession, principal: Principal, campaign_id: str, *, for_update: bool = False
) -> Campaign:
    """The campaign if it lives in one of the caller's workspaces; 404 otherwise."""
    params = lookup_params(principal, id=campaign_id)
    statement = _CAMPAIGN.with_for_update() if for_update else _CAMPAIGN
    campaign = (await session.execute(statement, params)).scalar_one_or_none()
    if campaign is None:
        raise NotFound()
    return campaign


# Plain rows in the response's field order, turned into JSON by `responses.json_response`:
# no ORM objects and no re-validation of what the database already holds. Building hundreds of
# ORM objects and validating them was most of a large campaign's GET under load.
_CAMPAIGN_FIELDS = tuple(CampaignOut.model_fields)
_LEAD_FIELDS = tuple(LeadOut.model_fields)
_CAMPAIGNS_TABLE = cast(Table, Campaign.__table__)
_LEADS_TABLE = cast(Table, Lead.__table__)
_CAMPAIGN_SELECT = select(
    *(LEAD_COUNT if name == "lead_count" else _CAMPAIGNS_TABLE.c[name] for name in _CAMPAIGN_FIELDS)
).where(_CAMPAIGNS_TABLE.c.workspace_id == bindparam("workspace"))
BY_CREATED = pages.Keyset("created_at", _CAMPAIGNS_TABLE.c.created_at, _CAMPAIGNS_TABLE.c.id)
_CAMPAIGN_ROWS = BY_CREATED.apply(_CAMPAIGN_SELECT, pages.Page(None, None))
_CAMPAIGN_ROW = select(
    *(_CAMPAIGNS_TABLE.c[name] for name in _CAMPAIGN_FIELDS if name != "lead_count")
).where(_CAMPAIGNS_TABLE.c.id == bindparam("id"), in_workspaces(_CAMPAIGNS_TABLE.c.workspace_id))
_LEAD_ROWS: RowQuery[LeadRow] = RowQuery(
    select(*(_LEADS_TABLE.c[name] for name in _LEAD_FIELDS))
    .where(_LEADS_TABLE.c.campaign_id == bindparam("campaign"))
    .order_by(_LEADS_TABLE.c.created_at, _LEADS_TABLE.c.id),
    LeadRow,
)


async def list_campaigns(
    connection: AsyncConnection,
    principal: Principal,
    workspace_id: str | None,
    page: pages.Page = pages.Page(None, None),
) -> list[dict[str, Any]]:
    """The workspace's campaigns, oldest first, as `CampaignOut` fields: one page, plus the
    row past the limit that `pages.finish` looks for (every row without a limit)."""
    workspace = principal.require_workspace(workspace_id)
    unpaged = page.limit is None and page.cursor is None
    statement = _CAMPAIGN_ROWS if unpaged else BY_CREATED.apply(_CAMPAIGN_SELECT, page)
    rows = await connection.execute(statement, {"workspace": workspace})
    return [_shown(dict(zip(_CAMPAIGN_FIELDS, row, strict=True))) for row in rows]


async def get_campaign_with_leads(
    connection: AsyncConnection, principal: Principal, campaign_id: str
) -> dict[str, Any]:
    """The campaign and every lead, oldest first, as `CampaignWithLeads` fields; 404 unless
    the campaign lives in one of the caller's workspaces."""
    params = lookup_params(principal, id=campaign_id)
    campaign = (await connection.execute(_CAMPAIGN_ROW, params)).first()
    if campaign is None:
        raise NotFound()
    leads = await _LEAD_ROWS.rows(connection, {"campaign": campaign_id})
    values = {**campaign._mapping, "lead_count": len(leads)}  # the same snapshot as `leads`
    out = _shown({name: values[name] for name in _CAMPAIGN_FIELDS})
    out["leads"] = leads
    return out


async def delete_campaign(session: AsyncSession, principal: Principal, campaign_id: str) -> None:
    """Deletes leads, attempts, follow-ups and replies (foreign-key cascades); suppression stays."""
    campaign = await get_campaign(session, principal, campaign_id)
    await session.execute(delete(Campaign).where(Campaign.id == campaign.id))
