"""Lead ids to the sites they are, for screens that list something else by lead (a schedule,
a preview's lead picker): one query per batch of ids, never one per row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..db import in_batches
from ..models import Lead

_LEADS = cast(Table, Lead.__table__)


async def domains_of(
    connection: AsyncConnection, campaign_id: str, lead_ids: Sequence[str]
) -> dict[str, str]:
    """`{lead_id: domain}` for those of the ids that are leads of the campaign."""
    found: dict[str, str] = {}
    for chunk in in_batches(list(dict.fromkeys(lead_ids))):
        rows = await connection.execute(
            select(_LEADS.c.id, _LEADS.c.domain).where(
                _LEADS.c.campaign_id == campaign_id, _LEADS.c.id.in_(chunk)
            )
        )
        found.update({lead_id: domain for lead_id, domain in rows})
    return found
