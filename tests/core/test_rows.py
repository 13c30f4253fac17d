"""RowQuery: the same rows as SQLAlchemy, on each backend, and no JSON columns."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, select

from backlink_outreach.db import read_only_engine
from backlink_outreach.models import Campaign, Lead
from backlink_outreach.rows import RowQuery
from tests.conftest import Api, create_campaign
from tests.support.database import Database

_LEADS = (
    select(Lead.id, Lead.website_url, Lead.consent, Lead.quality_score, Lead.created_at)
    .where(Lead.campaign_id == bindparam("campaign"))
    .order_by(Lead.created_at, Lead.id)
)


async def test_rows_match_sqlalchemy(api: Api, db: Database) -> None:
    campaign = await create_campaign(api)
    leads = [
        {"website_url": f"https://s{n}.example/", "consent": n % 2 == 0, "quality_score": n / 10}
        for n in range(5)
    ]
    await api.post(f"/campaigns/{campaign['id']}/leads/bulk", json=leads)
    query = RowQuery(_LEADS)
    params = {"campaign": campaign["id"]}
    async with read_only_engine(db.engine).connect() as connection:
        fast = [tuple(row) for row in await query.rows(connection, params)]
        again = [tuple(row) for row in await query.rows(connection, params)]
        usual = [tuple(row) for row in await connection.execute(_LEADS, params)]
    assert fast == again == usual and len(fast) == 5
    assert all(row[4].utcoffset() is not None for row in fast)


def test_json_columns_are_refused() -> None:
    with pytest.raises(TypeError):
        RowQuery(select(Campaign.id, Campaign.keywords))
