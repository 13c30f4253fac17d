"""The numbers a list of campaigns shows beside each one: contacted, replied, placed.

One statement for the whole list, never one per campaign: a GROUP BY over the listed campaigns'
leads that are past `discovered`, read along the `(campaign_id, status)` index, so the cost is
the contacted leads of the campaigns shown, not every lead (the total is the striped lead count
the list already has, `leads.counts`). A lead counts once, under its current status:
"contacted" is every lead that was reached at all (any status but `discovered`), "replied" and
"placed" are the leads in those statuses now.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, func, literal, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..db import in_batches
from ..leads.counts import LEAD_COUNT
from ..models import Campaign, Lead

_LEADS = cast(Table, Lead.__table__)
_CAMPAIGNS = cast(Table, Campaign.__table__)
_REACHED = ("contacted", "replied", "placed", "bounced", "lost")


@dataclass(frozen=True)
class CampaignNumbers:
    contacted: int = 0
    replied: int = 0
    placed: int = 0


async def numbers_by_campaign(
    connection: AsyncConnection, campaign_ids: Sequence[str]
) -> dict[str, CampaignNumbers]:
    """`{campaign_id: numbers}` for the given campaigns (the caller has scoped them to its
    workspace); a campaign with no contacted lead has zeros."""
    by_status: dict[str, dict[str, int]] = {i: {} for i in campaign_ids}
    for chunk in in_batches(list(campaign_ids)):
        rows = await connection.execute(
            select(_LEADS.c.campaign_id, _LEADS.c.status, func.count())
            .where(
                _LEADS.c.campaign_id.in_(chunk),
                _LEADS.c.status.in_([literal(s) for s in _REACHED]),
            )
            .group_by(_LEADS.c.campaign_id, _LEADS.c.status)
        )
        for campaign_id, status, count in rows:
            by_status[campaign_id][status] = int(count)
    return {
        campaign_id: CampaignNumbers(
            contacted=sum(statuses.values()),
            replied=statuses.get("replied", 0),
            placed=statuses.get("placed", 0),
        )
        for campaign_id, statuses in by_status.items()
    }


async def lead_total(connection: AsyncConnection, campaign_id: str) -> int:
    """The campaign's lead count, from its stripes (`leads.counts`): no COUNT(*) of its leads."""
    total = await connection.scalar(
        select(LEAD_COUNT).select_from(_CAMPAIGNS).where(_CAMPAIGNS.c.id == campaign_id)
    )
    return int(total or 0)
