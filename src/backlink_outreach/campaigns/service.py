"""Campaign rules and queries. Every lookup is scoped to the caller's workspaces."""

from __future__ import annotations

from pydantic import TypeAdapter
from sqlalchemy import Select, bindparam, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..auth import Principal
from ..db import utcnow
from ..errors import NotFound
from ..ids import new_id
from ..leads.schemas import LeadOut
from ..models import Campaign, Lead
from .schemas import CampaignCreate, CampaignOut, CampaignWithLeads


async def create_campaign(
    session: AsyncSession, principal: Principal, data: CampaignCreate
) -> CampaignOut:
    now = utcnow()
    campaign = Campaign(
        id=new_id("cmp"),
        workspace_id=principal.workspace_id,
        name=data.name,
        description=data.description,
        keywords=data.keywords,
        follow_up_days=data.follow_up_days,
        created_at=now,
        updated_at=now,
    )
    session.add(campaign)
    await session.flush()
    return CampaignOut.model_validate(campaign)


# Built once (see _list_with_counts): every request on a campaign's resources starts here. A
# caller has one or two workspaces, so two plain parameters (the same one twice for a single
# workspace) rather than an expanding IN, which re-renders the SQL on every execution.
_CAMPAIGN = select(Campaign).where(
    Campaign.id == bindparam("id"),
    Campaign.workspace_id.in_([bindparam("workspace_1"), bindparam("workspace_2")]),
)
_CAMPAIGN_FOR_UPDATE = _CAMPAIGN.with_for_update()


async def get_campaign(
    session: AsyncSession, principal: Principal, campaign_id: str, *, for_update: bool = False
) -> Campaign:
    """The campaign if it lives in one of the caller's workspaces; 404 otherwise."""
    if "\x00" in campaign_id:
        # No id contains NUL, and PostgreSQL refuses it in a query (a 500): ids in bodies
        # (discovery, email writing, reply polls) reach this lookup unchecked.
        raise NotFound()
    query = _CAMPAIGN_FOR_UPDATE if for_update else _CAMPAIGN
    workspaces = sorted(principal.workspaces)  # the user's own, and the organisation's
    if not workspaces:
        raise NotFound()
    params = {"id": campaign_id, "workspace_1": workspaces[0], "workspace_2": workspaces[-1]}
    campaign = (await session.execute(query, params)).scalar_one_or_none()
    if campaign is None:
        raise NotFound()
    return campaign


def _list_with_counts() -> Select[Campaign, int]:
    """Built once: constructing the subquery's column proxies on every call was a measurable
    share of this hot endpoint's time. Counts only the workspace's own leads (indexed)."""
    counts = (
        select(Lead.campaign_id, func.count().label("n"))
        .where(Lead.workspace_id == bindparam("workspace"))
        .group_by(Lead.campaign_id)
        .subquery()
    )
    return (
        select(Campaign, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.campaign_id == Campaign.id)
        .where(Campaign.workspace_id == bindparam("workspace"))
        .order_by(Campaign.created_at, Campaign.id)
    )


_LIST_WITH_COUNTS = _list_with_counts()
_LEAD_FIELDS = tuple(LeadOut.model_fields)
_LEADS = TypeAdapter(list[LeadOut])


async def list_campaigns(
    session: AsyncSession, principal: Principal, workspace_id: str | None
) -> list[CampaignOut]:
    workspace = principal.require_workspace(workspace_id)
    rows = await session.execute(_LIST_WITH_COUNTS, {"workspace": workspace})
    return [_out(campaign, count) for campaign, count in rows.all()]


async def get_campaign_with_leads(
    session: AsyncSession, principal: Principal, campaign_id: str
) -> CampaignWithLeads:
    """The campaign and every lead, oldest first.

    Leads are read as plain rows and validated in one native pass: building hundreds of ORM
    objects first (or `model_construct`, which loops in Python) was most of this request's
    time under load.
    """
    campaign = await get_campaign(session, principal, campaign_id)
    rows = await session.execute(
        select(*(Lead.__table__.c[name] for name in _LEAD_FIELDS))
        .where(Lead.campaign_id == campaign.id)
        .order_by(Lead.created_at, Lead.id)
    )
    leads = _LEADS.validate_python([dict(zip(_LEAD_FIELDS, row, strict=True)) for row in rows])
    out = _out(campaign, len(leads))
    return CampaignWithLeads.model_construct(**dict(out), leads=leads)


async def delete_campaign(session: AsyncSession, principal: Principal, campaign_id: str) -> None:
    """Deletes leads, attempts, follow-ups and replies (foreign-key cascades); suppression stays."""
    campaign = await get_campaign(session, principal, campaign_id)
    await session.execute(delete(Campaign).where(Campaign.id == campaign.id))


def _out(campaign: Campaign, lead_count: int) -> CampaignOut:
    out = CampaignOut.model_validate(campaign)
    out.lead_count = int(lead_count)
    return out
