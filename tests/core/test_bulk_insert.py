"""Bulk inserts (`leads/bulk_insert.py`): on SQLite they bypass SQLAlchemy's parameter
processing, so what they store must be exactly what the usual path stores."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text

from backlink_outreach.database import Database as AppDatabase
from backlink_outreach.db import utcnow
from backlink_outreach.leads import bulk_insert
from backlink_outreach.models import Lead
from tests.conftest import Api, create_campaign
from tests.support.database import Database

FIELDS = {
    "website_title": "Jardín ✿",
    "contact_email": "ed@one.example",
    "contact_name": None,
    "notes": "line\nbreak",
    "consent": True,
    "quality_score": 0.1,
    "relevance_score": None,
    "guest_post_likelihood": 1.0,
    "source": "csv",
    "target_url": "https://ours.example/guides/composting",
    "anchor_text": "Jardín guide",
    "authority": 37,
}


async def test_bulk_rows_are_stored_as_single_adds_store_them(api: Api, db: Database) -> None:
    campaign = await create_campaign(api)
    path = f"/campaigns/{campaign['id']}/leads"
    single = await api.post(path, json={"website_url": "https://one.example/", **FIELDS})
    assert single.status_code == 201
    bulk = await api.post(f"{path}/bulk", json=[{"website_url": "https://two.example/", **FIELDS}])
    assert bulk.json()["added"] == 1

    leads = {
        lead["domain"]: lead
        for lead in (await api.get(f"/campaigns/{campaign['id']}")).json()["leads"]
    }
    ignore = {"id", "website_url", "domain", "created_at", "updated_at"}
    one, two = (
        {k: v for k, v in leads[d].items() if k not in ignore}
        for d in ("one.example", "two.example")
    )
    assert one == two and two["consent"] is True and two["notes"] == "line\nbreak"

    async with db.engine.connect() as conn:
        raw = (
            await conn.execute(
                text("SELECT domain, created_at, updated_at, consent FROM leads ORDER BY domain")
            )
        ).all()
    (_, created_1, updated_1, consent_1), (_, created_2, updated_2, consent_2) = raw
    # The same storage shape (SQLite: text without an offset; PostgreSQL: timestamptz).
    assert type(created_1) is type(created_2) and consent_1 == consent_2
    if isinstance(created_1, str):
        assert len(created_1) == len(created_2) and created_2 == updated_2
        assert created_1[10] == created_2[10] and created_1 == updated_1


async def test_returns_only_the_rows_inserted(db: Database) -> None:
    rows: list[dict[str, Any]] = []
    now = utcnow()
    async with AppDatabase(db.engine).write() as session:
        await session.execute(
            text(
                "INSERT INTO campaigns (id, workspace_id, name, keywords, follow_up_days,"
                " created_at, updated_at) VALUES ('cmp_bulk', 'w', 'n', '[]', '[]',"
                " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
    for n, domain in enumerate(["a.example", "b.example", "a.example"]):
        rows.append(
            {
                "id": f"lead_{n}",
                "campaign_id": "cmp_bulk",
                "workspace_id": "w",
                "website_url": f"https://{domain}/",
                "domain": domain,
                **{k: None for k in FIELDS},
                "consent": False,
                "status": "discovered",
                "created_at": now,
                "updated_at": now,
            }
        )
    async with AppDatabase(db.engine).write() as session:
        assert await bulk_insert.insert_new(session, rows[:1]) == 1
    async with AppDatabase(db.engine).write() as session:
        # a.example is already there, and twice in this batch: only b.example is new.
        assert await bulk_insert.insert_new(session, rows[1:] + rows[:1]) == 1
    async with db.engine.connect() as conn:
        stored = (await conn.execute(select(Lead.id).order_by(Lead.id))).scalars().all()
    assert stored == ["lead_0", "lead_1"]
