from __future__ import annotations

import re

from sqlalchemy import func, select

from backlink_outreach.models import Lead, Suppression
from tests.conftest import Api, create_campaign
from tests.support.database import Database

ID = re.compile(r"^[a-z]+_[A-Za-z0-9]+$")


async def test_create_campaign_shape(api: Api) -> None:
    campaign = await create_campaign(
        api, description="Spring", keywords=["garden", "garden", "compost"]
    )
    assert ID.match(campaign["id"]) and campaign["id"].startswith("cmp_")
    assert campaign["workspace_id"] == "user_a"
    assert campaign["keywords"] == ["garden", "compost"]
    assert campaign["follow_up_days"] == [4, 9]
    assert campaign["lead_count"] == 0
    assert campaign["created_at"].endswith("Z") or campaign["created_at"].endswith("+00:00")


async def test_follow_up_days_rules(api: Api) -> None:
    ok = await create_campaign(api, follow_up_days=[])
    assert ok["follow_up_days"] == []
    for bad in ([0], [91], [3, 3], [5, 2], [1, 2, 3, 4, 5, 6], ["x"]):
        response = await api.post("/campaigns", json={"name": "x", "follow_up_days": bad})
        assert response.status_code == 422, bad


async def test_create_validation(api: Api) -> None:
    for body in (
        {},
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 201},
        {"name": "a\x00b"},
        {"name": "x", "keywords": "notalist"},
        {"name": "x", "keywords": [""]},
    ):
        response = await api.post("/campaigns", json=body)
        assert response.status_code == 422, body
        assert isinstance(response.json()["detail"], list)
    assert (await api.get("/campaigns")).json() == []


async def test_list_oldest_first_with_lead_counts(api: Api) -> None:
    first = await create_campaign(api, name="first")
    second = await create_campaign(api, name="second")
    await api.post(
        f"/campaigns/{second['id']}/leads/bulk",
        json=[{"website_url": f"https://s{i}.test"} for i in range(3)],
    )
    listed = (await api.get("/campaigns")).json()
    assert [(c["id"], c["lead_count"]) for c in listed] == [(first["id"], 0), (second["id"], 3)]


async def test_get_campaign_includes_leads_oldest_first(api: Api) -> None:
    campaign = await create_campaign(api)
    urls = [f"https://site{i}.test/" for i in range(5)]
    await api.post(
        f"/campaigns/{campaign['id']}/leads/bulk", json=[{"website_url": u} for u in urls]
    )
    got = (await api.get(f"/campaigns/{campaign['id']}")).json()
    assert [lead["website_url"] for lead in got["leads"]] == urls
    assert got["lead_count"] == 5


async def test_delete_cascades_and_keeps_suppression(api: Api, db: Database) -> None:
    campaign = await create_campaign(api)
    other = await create_campaign(api, name="other")
    await api.post(
        f"/campaigns/{campaign['id']}/leads",
        json={"website_url": "https://a.test", "contact_email": "ed@a.test"},
    )
    await api.post(f"/campaigns/{other['id']}/leads", json={"website_url": "https://b.test"})
    await api.post("/suppression", json={"email": "ed@a.test"})
    response = await api.delete(f"/campaigns/{campaign['id']}")
    assert response.status_code == 204 and response.content == b""
    assert (await api.get(f"/campaigns/{campaign['id']}")).status_code == 404
    async with db.engine.connect() as conn:
        leads = (await conn.execute(select(Lead.campaign_id))).scalars().all()
        suppressed = await conn.scalar(select(func.count()).select_from(Suppression))
    assert leads == [other["id"]]
    assert suppressed == 1
    assert (await api.delete(f"/campaigns/{campaign['id']}")).status_code == 404


async def test_reads_do_not_wait_for_the_sqlite_write_lock(api: Api, db: Database) -> None:
    """GET requests start a plain BEGIN: while another writer holds SQLite's write lock, reads
    still answer at once (WAL), instead of queueing behind it like writes do."""
    import asyncio
    import sqlite3

    if db.backend != "sqlite":
        return
    campaign = await create_campaign(api)
    writer = sqlite3.connect(db.engine.url.database or "", isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        response = await asyncio.wait_for(api.get(f"/campaigns/{campaign['id']}"), timeout=5)
        assert response.status_code == 200
    finally:
        writer.execute("ROLLBACK")
        writer.close()


async def test_leads_in_a_campaign_read_exactly_as_created(api: Api) -> None:
    """The campaign read builds its leads without re-validation: it must still return every
    field exactly as the lead endpoint did."""
    campaign = await create_campaign(api)
    created = (
        await api.post(
            f"/campaigns/{campaign['id']}/leads",
            json={
                "website_url": "https://www.garden.test/write-for-us",
                "contact_email": "Ed@Garden.test",
                "contact_name": "Ed",
                "notes": "n",
                "consent": True,
                "quality_score": 0.25,
                "relevance_score": 1,
                "guest_post_likelihood": 0,
                "source": "manual",
                "website_title": "Garden",
            },
        )
    ).json()
    got = (await api.get(f"/campaigns/{campaign['id']}")).json()
    assert got["leads"] == [created]
    assert set(got) == {
        "id",
        "workspace_id",
        "name",
        "description",
        "keywords",
        "follow_up_days",
        "lead_count",
        "created_at",
        "updated_at",
        "leads",
        # Part 2: mailboxes and sequences.
        "mailbox_ids",
        "status",
        "timezone",
        "send_window",
        "sequence",
    }
