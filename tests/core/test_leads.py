from __future__ import annotations

import random

from sqlalchemy import func, select

from backlink_outreach.models import Lead
from tests.conftest import Api, create_campaign
from tests.support.database import Database


async def _count_leads(db: Database) -> int:
    async with db.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(Lead)) or 0)


async def test_add_lead_normalises(api: Api) -> None:
    campaign = await create_campaign(api)
    response = await api.post(
        f"/campaigns/{campaign['id']}/leads",
        json={
            "website_url": "https://www.Blog.Example.co.uk/write-for-us",
            "contact_email": " Editor@Example.CO.UK ",
            "quality_score": 0.5,
            "source": "manual",
            "contact_name": "Jane Doe",
            "consent": True,
            "unknown_field": 1,
        },
    )
    assert response.status_code == 201, response.text
    lead = response.json()
    assert lead["domain"] == "example.co.uk"
    assert lead["contact_email"] == "editor@example.co.uk"
    assert lead["status"] == "discovered"
    assert lead["id"].startswith("lead_") and lead["campaign_id"] == campaign["id"]
    assert lead["consent"] is True and lead["relevance_score"] is None


async def test_registrable_domain_rules(api: Api) -> None:
    campaign = await create_campaign(api)
    cases = {
        "https://alice.blogspot.com/": "alice.blogspot.com",
        "https://bob.blogspot.com/": "bob.blogspot.com",
        "http://www.garden.example/": "garden.example",
        "http://127.0.0.1:8080/": "127.0.0.1",
        "https://news.bbc.co.uk/": "bbc.co.uk",
    }
    for url, domain in cases.items():
        response = await api.post(f"/campaigns/{campaign['id']}/leads", json={"website_url": url})
        assert response.status_code == 201, response.text
        assert response.json()["domain"] == domain


async def test_duplicate_domain_is_409(api: Api, db: Database) -> None:
    campaign = await create_campaign(api)
    path = f"/campaigns/{campaign['id']}/leads"
    assert (await api.post(path, json={"website_url": "https://site.test/a"})).status_code == 201
    response = await api.post(path, json={"website_url": "http://WWW.site.test/other"})
    assert response.status_code == 409
    assert set(response.json()) == {"detail"} and "site.test" in response.json()["detail"]
    # Another campaign may have the same domain.
    other = await create_campaign(api, name="other")
    assert (
        await api.post(f"/campaigns/{other['id']}/leads", json={"website_url": "https://site.test"})
    ).status_code == 201
    assert await _count_leads(db) == 2


async def test_invalid_leads_are_422_and_write_nothing(api: Api, db: Database) -> None:
    campaign = await create_campaign(api)
    path = f"/campaigns/{campaign['id']}/leads"
    for body in (
        {},
        {"website_url": "ftp://x.test"},
        {"website_url": "not a url"},
        {"website_url": "https://"},
        {"website_url": "https://x.test", "quality_score": 1.5},
        {"website_url": "https://x.test", "relevance_score": -0.1},
        {"website_url": "https://x.test", "contact_email": "nope"},
        {"website_url": "https://x.test", "website_title": "a\x00b"},
    ):
        response = await api.post(path, json=body)
        assert response.status_code == 422, body
    assert await _count_leads(db) == 0


async def test_bulk_10k_with_duplicates_and_invalid_entries(api: Api, db: Database) -> None:
    campaign = await create_campaign(api)
    path = f"/campaigns/{campaign['id']}/leads/bulk"
    existing = [{"website_url": f"https://pre{i}.test"} for i in range(500)]
    assert (await api.post(path, json=existing)).json() == {
        "added": 500,
        "skipped": 0,
        "failed": [],
    }
    rng = random.Random(7)
    entries: list[object] = []
    expected_failed: list[int] = []
    expected_added = expected_skipped = 0
    for i in range(10_000):
        roll = i % 20
        if roll == 0:  # 5% invalid
            bad = rng.choice(
                [
                    {"website_url": "mailto:x@y.test"},
                    {"website_url": f"https://bad{i}.test", "quality_score": 7},
                    {"website_url": f"https://pre{i % 500}.test", "contact_email": "x"},
                    "not an object",
                ]
            )
            entries.append(bad)
            expected_failed.append(i)
        elif roll in (1, 2):  # 10% duplicates: half inside the request, half against existing
            if roll == 1 and i > 20:
                # i - 3 is an entry that is added (its roll is 18).
                entries.append({"website_url": f"https://www.new{i - 3}.test/page"})
            else:
                entries.append({"website_url": f"https://pre{i % 500}.test/x"})
            expected_skipped += 1
        else:
            entries.append(
                {"website_url": f"https://new{i}.test", "contact_email": f"e{i}@new{i}.test"}
            )
            expected_added += 1
    response = await api.post(path, json=entries)
    assert response.status_code == 200, response.text[:500]
    result = response.json()
    assert result["added"] == expected_added
    assert result["skipped"] == expected_skipped
    assert [int(f.split(":", 1)[0]) for f in result["failed"]] == expected_failed
    assert all(": " in f for f in result["failed"])
    assert await _count_leads(db) == 500 + expected_added
    async with db.engine.connect() as conn:
        bad_domains = (
            (await conn.execute(select(Lead.domain).where(Lead.domain.like("bad%"))))
            .scalars()
            .all()
        )
    assert bad_domains == []


async def test_bulk_failure_messages_name_index_and_field(api: Api) -> None:
    campaign = await create_campaign(api)
    response = await api.post(
        f"/campaigns/{campaign['id']}/leads/bulk",
        json=[
            {"website_url": "https://ok.test"},
            {"website_url": "gopher://x"},
            {"nope": 1},
            {"website_url": "https://ok.test"},
        ],
    )
    assert response.json() == {
        "added": 1,
        "skipped": 1,
        "failed": [
            "1: website_url: invalid URL: only http and https are accepted",
            "2: website_url: Field required",
        ],
    }


async def test_bulk_limits(api: Api) -> None:
    campaign = await create_campaign(api)
    path = f"/campaigns/{campaign['id']}/leads/bulk"
    too_many = [{"website_url": f"https://s{i}.test"} for i in range(10_001)]
    assert (await api.post(path, json=too_many)).status_code in (413, 422)
    assert (await api.post(path, json={"website_url": "https://x.test"})).status_code == 422
    assert (await api.post(path, json=[])).json() == {"added": 0, "skipped": 0, "failed": []}
    assert (await api.get(f"/campaigns/{campaign['id']}")).json()["lead_count"] == 0


async def test_status_updates(api: Api) -> None:
    campaign = await create_campaign(api)
    cid = campaign["id"]
    await api.post(
        f"/campaigns/{cid}/leads/bulk",
        json=[{"website_url": f"https://s{i}.test"} for i in range(3)],
    )
    leads = (await api.get(f"/campaigns/{cid}")).json()["leads"]
    one = await api.patch(
        f"/campaigns/{cid}/leads/{leads[0]['id']}/status", json={"status": "placed"}
    )
    assert one.status_code == 200 and one.json()["status"] == "placed"
    back = await api.patch(
        f"/campaigns/{cid}/leads/{leads[0]['id']}/status", json={"status": "discovered"}
    )
    assert back.json()["status"] == "discovered"
    bad = await api.patch(f"/campaigns/{cid}/leads/{leads[0]['id']}/status", json={"status": "won"})
    assert bad.status_code == 422
    missing = await api.patch(f"/campaigns/{cid}/leads/lead_nope/status", json={"status": "lost"})
    assert missing.status_code == 404
    other = await create_campaign(api, name="other")
    stranger = (
        await api.post(
            f"/campaigns/{other['id']}/leads", json={"website_url": "https://other.test"}
        )
    ).json()
    bulk = await api.patch(
        f"/campaigns/{cid}/leads/bulk-status",
        json={
            "lead_ids": [leads[1]["id"], leads[2]["id"], leads[1]["id"], stranger["id"], "lead_x"],
            "status": "lost",
        },
    )
    assert bulk.json() == {"updated": 2, "failed": [stranger["id"], "lead_x"]}
    statuses = [lead["status"] for lead in (await api.get(f"/campaigns/{cid}")).json()["leads"]]
    assert statuses == ["discovered", "lost", "lost"]
    # Already in that status still counts as updated.
    again = await api.patch(
        f"/campaigns/{cid}/leads/bulk-status", json={"lead_ids": [leads[1]["id"]], "status": "lost"}
    )
    assert again.json() == {"updated": 1, "failed": []}
    assert (await api.get(f"/campaigns/{other['id']}")).json()["leads"][0]["status"] == "discovered"
