"""RowQuery: the same rows as SQLAlchemy, on each backend, and no JSON columns."""

from __future__ import annotations

from typing import Any, cast

import pytest
from sqlalchemy import Select, bindparam, select

from backlink_outreach.db import read_only_engine
from backlink_outreach.models import Campaign, Lead
from backlink_outreach.rows import RowQuery
from tests.conftest import Api, create_campaign
from tests.support.database import Database

_LEADS: Select[*tuple[Any, ...]] = (
    select(Lead.id, Lead.website_url, Lead.consent, Lead.quality_score, Lead.created_at)
    .where(Lead.campaign_id == bindparam("campaign"))
    .order_by(Lead.created_at, Lead.id)
)


def _values(*values: Any) -> tuple[Any, ...]:
    return values


async def test_rows_match_sqlalchemy(api: Api, db: Database) -> None:
    """Against what the API stored (so it can fail on SQLite too, where RowQuery runs through
    SQLAlchemy), and on PostgreSQL also against SQLAlchemy's own result."""
    campaign = await create_campaign(api)
    leads = [
        {"website_url": f"https://s{n}.example/", "consent": n % 2 == 0, "quality_score": n / 10}
        for n in range(5)
    ]
    await api.post(f"/campaigns/{campaign['id']}/leads/bulk", json=leads)
    stored = (await api.get(f"/campaigns/{campaign['id']}")).json()["leads"]
    expected = [
        (lead["id"], lead["website_url"], lead["consent"], lead["quality_score"]) for lead in stored
    ]
    query: RowQuery[tuple[Any, ...]] = RowQuery(_LEADS, _values)
    params = {"campaign": campaign["id"]}
    async with read_only_engine(db.engine).connect() as connection:
        fast = await query.rows(connection, params)
        usual = [tuple(row) for row in await connection.execute(_LEADS, params)]
    assert [row[:4] for row in fast] == expected and len(fast) == 5
    assert [row[4].isoformat().replace("+00:00", "Z") for row in fast] == [
        lead["created_at"] for lead in stored
    ]
    assert fast == usual


def test_json_columns_are_refused() -> None:
    with pytest.raises(TypeError):
        RowQuery(cast("Select[Any]", select(Campaign.id, Campaign.keywords)), _values)
