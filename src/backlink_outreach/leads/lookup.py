"""Finding a lead without knowing its campaign: for filing unmatched mail under a lead, and for
naming the lead of a placement by its site.

A search reads `ix_leads_workspace_domain (workspace_id, domain)` and also matches the contact
address and the site's title (case-blind substrings), checked on the workspace's rows.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import Campaign, Lead

SEARCH_LIMIT = 20


def _like(q: str) -> str:
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search_workspace(
    session: AsyncSession, workspace_id: str, q: str, limit: int = SEARCH_LIMIT
) -> list[tuple[Lead, str]]:
    """Up to `limit` leads of the workspace whose domain, contact address or title contains
    `q`, with their campaign's name; exact domain matches first."""
    q = q.strip().lower()
    if not q or "\x00" in q:
        return []
    pattern = _like(q)
    rows = await session.execute(
        select(Lead, Campaign.name)
        .join(Campaign, Campaign.id == Lead.campaign_id)
        .where(
            Lead.workspace_id == workspace_id,
            or_(
                Lead.domain.ilike(pattern, escape="\\"),
                Lead.contact_email.ilike(pattern, escape="\\"),
                Lead.website_title.ilike(pattern, escape="\\"),
            ),
        )
        .order_by((Lead.domain != q), Lead.domain, Lead.id)
        .limit(limit)
    )
    return [(lead, name) for lead, name in rows]


async def by_domain(session: AsyncSession, campaign: Campaign, domain: str) -> Lead | None:
    """The campaign's lead for a site (one per registrable domain), if there is one."""
    lead: Lead | None = await session.scalar(
        select(Lead).where(Lead.campaign_id == campaign.id, Lead.domain == domain)
    )
    return lead
