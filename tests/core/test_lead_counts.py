"""Campaign lead counts come from striped counters kept by the inserts (`leads/counts.py`): they
must equal the real number of leads whatever the mix of adds, duplicates and concurrency, and an
add must never wait for another add's transaction."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from backlink_outreach.auth import Principal
from backlink_outreach.campaigns import service as campaigns
from backlink_outreach.db import create_engine, make_sessionmaker
from backlink_outreach.leads import service as leads
from backlink_outreach.leads.schemas import LeadCreate
from backlink_outreach.migrations import upgrade_async
from backlink_outreach.models import Lead, LeadCountStripe
from tests.conftest import Api, create_campaign
from tests.support.database import Database, close_database, open_database


async def _listed_counts(api: Api) -> dict[str, int]:
    return {c["id"]: c["lead_count"] for c in (await api.get("/campaigns")).json()}


async def _real_counts(db: Database) -> dict[str, int]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(select(Lead.campaign_id, func.count()).group_by(Lead.campaign_id))
        return {campaign_id: n for campaign_id, n in rows}


async def test_counts_follow_adds_duplicates_and_failures(api: Api, db: Database) -> None:
    first = await create_campaign(api)
    second = await create_campaign(api)
    path = f"/campaigns/{first['id']}/leads"
    for url, status in (("https://a.example/", 201), ("https://www.a.example/x", 409)):
        assert (await api.post(path, json={"website_url": url})).status_code == status
    bulk = [
        {"website_url": "https://b.example/"},
        {"website_url": "https://a.example/again"},  # already in the campaign
        {"website_url": "https://c.example/"},
        {"website_url": "https://c.example/twice"},  # earlier in this request
        {"website_url": "not a url"},
    ]
    result = (await api.post(f"{path}/bulk", json=bulk)).json()
    assert (result["added"], result["skipped"], len(result["failed"])) == (2, 2, 1)
    assert (await api.post(f"{path}/bulk", json=bulk)).json()["added"] == 0

    assert await _listed_counts(api) == {first["id"]: 3, second["id"]: 0}
    assert (await api.get(f"/campaigns/{first['id']}")).json()["lead_count"] == 3
    assert await _real_counts(db) == {first["id"]: 3}


async def test_concurrent_adds_keep_the_count_exact(api: Api, db: Database) -> None:
    campaign = await create_campaign(api)
    path = f"/campaigns/{campaign['id']}/leads"
    singles = [
        api.post(path, json={"website_url": f"https://site{n % 30}.example/"}) for n in range(40)
    ]
    bulks = [
        api.post(
            f"{path}/bulk",
            json=[{"website_url": f"https://site{n}.example/"} for n in range(k, k + 20)],
        )
        for k in (0, 10, 25)
    ]
    responses = await asyncio.gather(*singles, *bulks)
    assert all(r.status_code in (200, 201, 409) for r in responses)
    assert await _real_counts(db) == {campaign["id"]: 45}
    assert await _listed_counts(api) == {campaign["id"]: 45}


async def test_an_add_never_waits_for_another_adds_transaction(api: Api, db: Database) -> None:
    """Transaction A has added a lead (to the campaign's one stripe) and not committed; B adds
    to the same campaign and must finish at once, in a stripe of its own."""
    if db.backend != "postgresql":
        pytest.skip("SQLite has one writer at a time: B would wait for A by design")
    created = await create_campaign(api)
    first = {"website_url": "https://zero.example/"}
    assert (await api.post(f"/campaigns/{created['id']}/leads", json=first)).status_code == 201
    principal = Principal(user_id="user_a", org_id=None)
    sessionmaker = make_sessionmaker(db.engine)
    async with sessionmaker() as a, sessionmaker() as b:
        campaign_a = await campaigns.get_campaign(a, principal, created["id"])
        await leads.add_lead(a, campaign_a, LeadCreate(website_url="https://one.example/"))
        campaign_b = await campaigns.get_campaign(b, principal, created["id"])
        await asyncio.wait_for(
            leads.add_lead(b, campaign_b, LeadCreate(website_url="https://two.example/")), 5
        )
        await b.commit()
        await a.commit()
    async with db.engine.connect() as conn:
        stripes = (await conn.execute(select(LeadCountStripe.leads))).scalars().all()
    assert sorted(stripes) == [1, 2]
    assert await _listed_counts(api) == {created["id"]: 3}


async def test_migration_counts_existing_leads(db: Database, tmp_path: Path) -> None:
    """0004 fills the stripes from the leads already there."""
    old = await open_database(db.backend, tmp_path, revision="0003")
    try:
        async with old.engine.begin() as conn:
            for campaign in ("cmp_one", "cmp_two", "cmp_none"):
                await conn.execute(
                    text(
                        "INSERT INTO campaigns (id, workspace_id, name, keywords, follow_up_days,"
                        " created_at, updated_at) VALUES (:id, 'w', 'n', '[]', '[]',"
                        " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                    ),
                    {"id": campaign},
                )
            for n, campaign in enumerate(["cmp_one"] * 3 + ["cmp_two"]):
                await conn.execute(
                    text(
                        "INSERT INTO leads (id, campaign_id, workspace_id, website_url, domain,"
                        " consent, status, created_at, updated_at) VALUES (:id, :campaign, 'w',"
                        " 'https://x.example/', :domain, false, 'discovered', CURRENT_TIMESTAMP,"
                        " CURRENT_TIMESTAMP)"
                    ),
                    {"id": f"lead_{n}", "campaign": campaign, "domain": f"d{n}.example"},
                )
        await old.engine.dispose()
        await upgrade_async(old.url)
        engine = create_engine(old.url)
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(LeadCountStripe.campaign_id, LeadCountStripe.leads).order_by(
                    LeadCountStripe.campaign_id
                )
            )
            assert [tuple(row) for row in rows] == [("cmp_one", 3), ("cmp_two", 1)]
        await engine.dispose()
    finally:
        await close_database(old)
