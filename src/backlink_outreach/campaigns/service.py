"""Campaign rules and queries. Every lookup is scoped to the caller's workspaces."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..auth import Principal
from ..db import utcnow
from ..errors import NotFound
from ..ids import new_id
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


async def get_campaign(
    session: AsyncSession, principal: Principal, campaign_id: str, *, for_update: bool = False
) -> Campaign:
    """The campaign if it lives in one of the caller's workspaces; 404 otherwise."""
    if "\x00" in campaign_id:
        # No id contains NUL, and PostgreSQL refuses it in a query (a 500): ids in bodies
        # (discovery, email writing, reply polls) reach this lookup unchecked.
        raise NotFound()
    query = select(Campaign).where(
        Campaign.id == campaign_id, Campaign.workspace_id.in_(principal.workspaces)
    )
    if for_update:
        query = query.with_for_update()
    campaign = (await session.execute(query)).scalar_one_or_none()
    if campaign is None:
        raise NotFound()
    return campaign


async def list_campaigns(
    session: AsyncSession, principal: Principal, workspace_id: str | None
) -> list[CampaignOut]:
    workspace = principal.require_workspace(workspace_id)
    counts = select(Lead.campaign_id, func.count().label("n")).group_by(Lead.campaign_id).subquery()
    rows = await session.execute(
        select(Campaign, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.campaign_id == Campaign.id)
        .where(Campaign.workspace_id == workspace)
        .order_by(Campaign.created_at, Campaign.id)
    )
    return [_out(campaign, count) for campaign, count in rows.all()]


async def get_campaign_with_leads(
    session: AsyncSession, principal: Principal, campaign_id: str
) -> CampaignWithLeads:
    campaign = await get_campaign(session, principal, campaign_id)
    leads: Sequence[Lead] = (
        await session.scalars(
            select(Lead).where(Lead.campaign_id == campaign.id).order_by(Lead.created_at, Lead.id)
        )
    ).all()
    out = _out(campaign, len(leads))
    return CampaignWithLeads(**out.model_dump(), leads=leads)


async def delete_campaign(session: AsyncSession, principal: Principal, campaign_id: str) -> None:
    """Deletes leads, attempts, follow-ups and replies (foreign-key cascades); suppression stays."""
    campaign = await get_campaign(session, principal, campaign_id)
    await session.execute(delete(Campaign).where(Campaign.id == campaign.id))


def _out(campaign: Campaign, lead_count: int) -> CampaignOut:
    out = CampaignOut.model_validate(campaign)
    out.lead_count = int(lead_count)
    return out
